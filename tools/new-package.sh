#!/usr/bin/env bash
# Creates the skeleton of a new workspace package: tools/new-package.sh packages/NAME "description"
# It has what publishing needs (metadata, LICENSE in `files`, a README whose first ```js example
# runs once installed): tools/check-packages.mjs checks all of it for every public package.
set -euo pipefail
[ $# -eq 2 ] || { echo 'usage: tools/new-package.sh packages/NAME "description"' >&2; exit 1; }
dir=${1%/}; desc=$2; name=$(basename "$dir")
root=$(cd "$(dirname "$0")/.." && pwd)
[ -e "$dir" ] && { echo "new-package: $dir already exists" >&2; exit 1; }
mkdir -p "$dir/src" "$dir/test"
cat > "$dir/package.json" <<JSON
{
  "name": "@rootless-ts/$name",
  "version": "0.1.0",
  "description": "$desc",
  "keywords": ["linux", "containers", "rootless", "$name"],
  "homepage": "https://github.com/rootless-ts/rootless-ts/tree/main/$dir#readme",
  "bugs": { "url": "https://github.com/rootless-ts/rootless-ts/issues" },
  "repository": {
    "type": "git",
    "url": "git+https://github.com/rootless-ts/rootless-ts.git",
    "directory": "$dir"
  },
  "license": "MIT",
  "type": "module",
  "os": ["linux"],
  "cpu": ["x64", "arm64"],
  "engines": { "node": ">=20.16" },
  "main": "./dist/index.cjs",
  "module": "./dist/index.js",
  "types": "./dist/index.d.ts",
  "exports": {
    ".": {
      "import": { "types": "./dist/index.d.ts", "default": "./dist/index.js" },
      "require": { "types": "./dist/index.d.cts", "default": "./dist/index.cjs" }
    }
  },
  "files": ["dist", "README.md", "LICENSE"],
  "sideEffects": false,
  "publishConfig": { "access": "public" },
  "scripts": {
    "build": "tsup",
    "test": "vitest run",
    "lint": "biome check .",
    "typecheck": "tsc --noEmit -p ."
  }
}
JSON
cat > "$dir/tsconfig.json" <<JSON
{
  "extends": "../../tsconfig.base.json",
  "include": ["src", "test", "*.config.ts"]
}
JSON
cat > "$dir/tsup.config.ts" <<'TS'
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
});
TS
cat > "$dir/vitest.config.ts" <<'TS'
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
TS
cat > "$dir/src/index.ts" <<'TS'
/** Replace with the package's API. */
export const placeholder = true;
TS
cp "$root/LICENSE" "$dir/LICENSE"
cat > "$dir/README.md" <<MD
# @rootless-ts/$name

$desc. Linux, Node >= 20.

\`\`\`sh
npm install @rootless-ts/$name
\`\`\`

## Example

The first \`\`\`js or \`\`\`ts block runs in CI against the packed package, as an unprivileged
user (tools/check-packages.mjs): make it real.

\`\`\`js
import * as api from '@rootless-ts/$name';

console.log(Object.keys(api));
\`\`\`
MD
echo "created $dir"
