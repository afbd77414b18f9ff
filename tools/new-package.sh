#!/usr/bin/env bash
# Creates the skeleton of a new workspace package: tools/new-package.sh packages/NAME "description"
set -euo pipefail
dir=$1; desc=$2; name=$(basename "$dir")
[ -e "$dir" ] && { echo "new-package: $dir already exists" >&2; exit 1; }
mkdir -p "$dir/src" "$dir/test"
cat > "$dir/package.json" <<JSON
{
  "name": "@rootless-ts/$name",
  "version": "0.1.0",
  "description": "$desc",
  "license": "MIT",
  "type": "module",
  "os": ["linux"],
  "engines": { "node": ">=20" },
  "main": "./dist/index.cjs",
  "module": "./dist/index.js",
  "types": "./dist/index.d.ts",
  "exports": {
    ".": {
      "import": { "types": "./dist/index.d.ts", "default": "./dist/index.js" },
      "require": { "types": "./dist/index.d.cts", "default": "./dist/index.cjs" }
    }
  },
  "files": ["dist", "README.md"],
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
echo "export {};" > "$dir/src/index.ts"
echo "# @rootless-ts/$name" > "$dir/README.md"
echo "created $dir"
