#!/usr/bin/env bash
# Fails when a tracked file refers to a document that is not in the repository: the project's
# private specification and design notes ("SPEC step 5", "DESIGN 1.4"), "the issue", or the
# shared folder they lived in. Say what is meant in place instead.
set -euo pipefail
cd "$(dirname "$0")/.."
pattern='\bSPEC\b|SPEC\.md|\bDESIGN\b|DESIGN\.md|\b[Tt]he issue\b|\.\./shared\b|/work/shared'
if git ls-files -z -- ':!tools/check-self-contained.sh' | xargs -0 grep -nE "$pattern" --; then
  echo "check-self-contained: the lines above refer to documents outside the repository" >&2
  exit 1
fi
echo "check-self-contained: no reference to documents outside the repository"
