import { StoreError } from './errors.js';

/** Longest mount data the kernel takes in one mount(2) call (one page, NUL included). */
export const MOUNT_DATA_MAX = 4095;

export interface OverlayDirs {
  /** Read-only layers, LOWEST first (the store's order); overlay wants them topmost first. */
  lowerdirs: readonly string[];
  upperdir: string;
  workdir: string;
}

/**
 * The data string for `mount -t overlay` inside a user namespace: the layers topmost first,
 * and `userxattr` so overlay keeps its whiteouts and opaque markers in `user.overlay.*`.
 * Paths with characters the option parser treats specially are refused rather than escaped.
 */
export function overlayMountData(d: OverlayDirs): string {
  if (d.lowerdirs.length === 0) {
    throw new StoreError('ERR_OVERLAY_OPTIONS', 'overlay needs at least one lower directory');
  }
  for (const p of [...d.lowerdirs, d.upperdir, d.workdir]) {
    if (!p.startsWith('/') || /[,:\\\n]/.test(p)) {
      throw new StoreError(
        'ERR_OVERLAY_OPTIONS',
        `overlay path ${JSON.stringify(p)} must be absolute, without , : \\ or newline`,
      );
    }
  }
  const data = `lowerdir=${[...d.lowerdirs].reverse().join(':')},upperdir=${d.upperdir},workdir=${d.workdir},userxattr`;
  if (data.length > MOUNT_DATA_MAX) {
    throw new StoreError(
      'ERR_OVERLAY_OPTIONS',
      `overlay options are ${data.length} bytes, more than the kernel's ${MOUNT_DATA_MAX} (too many layers or a long store path)`,
    );
  }
  return data;
}
