import { statSync } from 'node:fs';
import type { HostProbe } from './types.js';

/** The real host, as seen by stat(2) (following symlinks: volume sources are trusted host paths). */
export const hostProbe: HostProbe = {
  kind(path) {
    try {
      const st = statSync(path);
      if (st.isDirectory()) return 'dir';
      if (st.isFile()) return 'file';
      return 'other';
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
      if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') return 'missing';
      throw e;
    }
  },
};
