import { join } from 'node:path';
import { homeDir } from '@rootless-ts/libc';

/** The store's root: `$XDG_DATA_HOME/rootless-ts`, else `~/.local/share/rootless-ts`. */
export function defaultStoreRoot(env: NodeJS.ProcessEnv = process.env, home = homeDir()): string {
  const xdg = env.XDG_DATA_HOME;
  const base = xdg?.startsWith('/') ? xdg : join(home, '.local', 'share');
  return join(base, 'rootless-ts');
}

/** Where everything lives under the root. */
export function storeLayout(root: string) {
  return {
    root,
    blobs: join(root, 'blobs', 'sha256'),
    layers: join(root, 'layers', 'sha256'),
    containers: join(root, 'containers'),
    tmp: join(root, 'tmp'),
    locks: join(root, 'locks'),
    index: join(root, 'images.json'),
    storeLock: join(root, 'store.lock'),
    indexLock: join(root, 'images.lock'),
  };
}
export type StoreLayout = ReturnType<typeof storeLayout>;

/** Container ids name directories: a conservative character set, no dots first. */
export const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
