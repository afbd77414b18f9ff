// What the bundled packages get for `require('koffi')` (tsup.config.ts). koffi's own entry
// (index.cjs) loads node:module for createRequire, and with it Node's ES module loader and
// source maps: about 6.5 ms of every start of this CommonJS CLI, for a fallback search it
// does not need here. Its native part for this platform is in its optional dependency
// @koromix/koffi-<platform>-<arch>, whose entry picks the glibc or musl build by reading the
// ELF header of node (1.6 ms more). The object that build exports is the very one koffi's entry
// re-exports (the entry adds deprecation wrappers for APIs we do not use, and checks the two
// versions match). So the glibc build is loaded directly (rootless-ts needs glibc: its
// ucontext functions), from where koffi's entry itself looks (the package beside koffi's), when
// it is there and its version is koffi's; koffi's entry otherwise (another layout, another C
// library, another platform, a mismatch).
//
// An ES module with a default export, not CommonJS: esbuild gives each `import koffi from` of a
// CommonJS module its own copy of the module's properties, one getter closure for each of koffi's
// seventy functions, in each module that imports it (eight here: about 150 KiB of every start's
// heap).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type Koffi from 'koffi';

type KoffiModule = typeof Koffi;

/**
 * koffi's directory, found as require would (node_modules in this directory and above), but
 * without resolving its package exports, which loads four modules of Node's ES module resolver.
 */
function koffiDir(): string | undefined {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', 'koffi');
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

function nativeKoffi(): KoffiModule | undefined {
  try {
    const dir = koffiDir();
    if (dir === undefined || process.platform !== 'linux') return undefined;
    const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const build = join(
      dir,
      '..',
      '@koromix',
      `koffi-linux-${process.arch}`,
      `linux_${process.arch}`,
      'koffi.node',
    );
    if (!existsSync(build)) return undefined;
    const native = require(build) as KoffiModule | undefined;
    return native && native.version === version ? native : undefined;
  } catch {
    return undefined;
  }
}

// The bundle is CommonJS: `require` and `__dirname` are the chunk's own (dist/).
const koffi: KoffiModule = nativeKoffi() ?? (require('koffi') as KoffiModule);
export default koffi;
