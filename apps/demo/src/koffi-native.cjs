// What the bundled packages get for `require('koffi')` (tsup.config.ts). koffi's own entry
// (index.cjs) loads node:module for createRequire, and with it Node's ES module loader and
// source maps: about 6.5 ms of every start of this CommonJS CLI, for a fallback search it
// does not need here. koffi's native part for this platform is its optional dependency
// @koromix/koffi-<platform>-<arch>, whose main exports the very object koffi's entry re-exports
// (the entry adds deprecation wrappers for APIs we do not use, and checks the two versions
// match). So that package is loaded directly, found from koffi's own directory, when its
// version is koffi's; koffi's entry otherwise (another layout, another platform, a mismatch).
const { existsSync, readFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

/**
 * koffi's directory, found as require would (node_modules in this directory and above), but
 * without resolving its package exports, which loads four modules of Node's ES module resolver.
 */
function koffiDir() {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', 'koffi');
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

function nativeKoffi() {
  try {
    const dir = koffiDir();
    if (dir === undefined) return undefined;
    const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const name = `@koromix/koffi-${process.platform}-${process.arch}`;
    const native = require(require.resolve(name, { paths: [dir] }));
    return native && native.version === version ? native : undefined;
  } catch {
    return undefined;
  }
}

module.exports = nativeKoffi() ?? require('koffi');
