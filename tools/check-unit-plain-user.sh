#!/usr/bin/env bash
# Proves that `npm run test:unit` needs no set-up: runs it, as root, on a copy of the checkout
# owned by the user without subordinate ids (ROOTLESS_TEST_NOSUB_USER), in a clean environment.
# That user is not root, has no subordinate ids and no sudo; only node and the base system.
set -euo pipefail
cd "$(dirname "$0")/.."
NOSUB_USER=${ROOTLESS_TEST_NOSUB_USER:-rootless-nosub}
[ "$(id -u)" = 0 ] || { echo "check-unit-plain-user: must run as root (it runs the tests as $NOSUB_USER)" >&2; exit 1; }
getent passwd "$NOSUB_USER" >/dev/null || { echo "check-unit-plain-user: no user $NOSUB_USER (tools/setup-host.sh creates it)" >&2; exit 1; }
if grep -q "^$NOSUB_USER:" /etc/subuid /etc/subgid 2>/dev/null; then
  echo "check-unit-plain-user: $NOSUB_USER has subordinate ids" >&2; exit 1
fi
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
# The checkout as a fresh clone plus `npm ci` has it: sources and node_modules, no build output.
tar --exclude=./.git --exclude=./.turbo --exclude='./packages/*/dist' --exclude='./apps/*/dist' \
  -cf - . | tar -xf - -C "$copy"
chown -R "$NOSUB_USER" "$copy"
cd "$copy"
runuser -u "$NOSUB_USER" -- env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$copy" \
  TURBO_TELEMETRY_DISABLED=1 npm run test:unit
echo "check-unit-plain-user: the unit tests passed as $NOSUB_USER"
