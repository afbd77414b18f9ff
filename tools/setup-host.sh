#!/usr/bin/env bash
# Prepares a Debian machine to run every rootless-ts test. Run it as root; it is idempotent.
#  - installs the system packages the tests and the constants generator need;
#  - creates the unprivileged test user (with subordinate ids) and a second user without any,
#    since end-to-end tests must run as an unprivileged user against the real kernel. The test
#    user keeps the subordinate range it has (Debian's useradd assigns one); a user without one
#    gets 65536 ids after every range already in /etc/subuid and /etc/subgid (or from
#    ROOTLESS_TEST_SUBID_START). The last line reports the range the user really has;
#  - makes the checkout reachable by those users (a clone under a private home is not).
set -euo pipefail

TEST_USER=${ROOTLESS_TEST_USER:-rootless-test}
NOSUB_USER=${ROOTLESS_TEST_NOSUB_USER:-rootless-nosub}
SUB_COUNT=65536

fail() { echo "setup-host: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "must run as root (it installs packages and creates the test users)"

# Packages: uidmap (newuidmap/newgidmap), busybox-static (test root filesystems),
# gcc + the aarch64 cross toolchain (constants generator and its check),
# libcap2-bin (capsh/getpcaps, the reference for libcap's text form), util-linux (unshare),
# procps (ps), tmux (interactive tests), debootstrap (step 4), time (the benchmark's peak memory);
# passt (pasta) and slirp4netns (private networks), docker-registry, skopeo and umoci (a local
# registry and the test images), keyutils (keyctl, the keyring tests), libseccomp2 (seccomp
# filters; libseccomp-dev for the constants the seccomp package checks against), iputils-ping,
# openssl (the test registry's token-signing certificate).
PACKAGES=(uidmap busybox-static gcc libc6-dev gcc-aarch64-linux-gnu libc6-dev-arm64-cross
  libcap2-bin util-linux procps tmux debootstrap time passt slirp4netns docker-registry skopeo
  umoci keyutils libseccomp2 libseccomp-dev openssl)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-host: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || fail "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || fail "apt-get install ${missing[*]} failed"
fi
for tool in newuidmap newgidmap busybox gcc aarch64-linux-gnu-gcc capsh unshare tmux pasta \
  slirp4netns docker-registry skopeo umoci keyctl; do
  command -v "$tool" >/dev/null || fail "$tool is missing after installing packages"
done
[ -u "$(command -v newuidmap)" ] || [ -n "$(getcap "$(command -v newuidmap)" 2>/dev/null)" ] \
  || fail "newuidmap is neither setuid nor has file capabilities"

# Users.
getent passwd "$TEST_USER" >/dev/null || useradd --create-home --shell /bin/bash "$TEST_USER"
getent passwd "$NOSUB_USER" >/dev/null || useradd --create-home --shell /bin/bash "$NOSUB_USER"
# The first id after every range of both files, at least 100000 (useradd's SUB_UID_MIN).
free_start() {
  cat /etc/subuid /etc/subgid | awk -F: 'NF == 3 { e = $2 + $3; if (e > m) m = e } END { print (m > 100000 ? m : 100000) }'
}
touch /etc/subuid /etc/subgid
if ! grep -q "^$TEST_USER:" /etc/subuid || ! grep -q "^$TEST_USER:" /etc/subgid; then
  start=${ROOTLESS_TEST_SUBID_START:-$(free_start)}
fi
for f in /etc/subuid /etc/subgid; do
  grep -q "^$TEST_USER:" "$f" || echo "$TEST_USER:$start:$SUB_COUNT" >> "$f"
  sed -i "/^$NOSUB_USER:/d" "$f"
done
# What the user has (its first range in each file), as the tests will read it.
range() { awk -F: -v u="$TEST_USER" '$1 == u { print $2 ":" $3; exit }' "$1"; }
subuid=$(range /etc/subuid)
subgid=$(range /etc/subgid)
for r in "$subuid" "$subgid"; do
  [ "${r#*:}" -ge "$SUB_COUNT" ] || fail "$TEST_USER has only ${r#*:} subordinate ids ($r); the tests need $SUB_COUNT"
done

# pasta and slirp4netns need /dev/net/tun usable by the user: Debian's udev rules give it 0666,
# a machine without udev may leave it 0600.
if [ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun)" != 666 ]; then chmod 0666 /dev/net/tun; fi

# Unprivileged user namespaces must be allowed.
if [ -e /proc/sys/kernel/unprivileged_userns_clone ] && [ "$(cat /proc/sys/kernel/unprivileged_userns_clone)" != 1 ]; then
  fail "kernel.unprivileged_userns_clone is 0: unprivileged user namespaces are disabled"
fi
runuser -u "$TEST_USER" -- unshare -Ur true || fail "$TEST_USER cannot create a user namespace"

# The checkout must be traversable and readable by the test users.
repo=$(cd "$(dirname "$0")/.." && pwd)
d=$repo
while [ "$d" != / ]; do
  perms=$(stat -c %A "$d")
  [ "${perms:9:1}" = x ] || [ "${perms:9:1}" = t ] || chmod o+x "$d"
  d=$(dirname "$d")
done
chmod -R o+rX "$repo"
echo "setup-host: ready (test user $TEST_USER: subordinate uids $subuid, gids $subgid (start:count); user without subordinate ids $NOSUB_USER)"
