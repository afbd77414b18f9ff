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

/** One fsconfig(2) call: a string option (FSCONFIG_SET_STRING) or a flag (FSCONFIG_SET_FLAG). */
export type FsconfigStep = { key: string; value: string } | { key: string; flag: true };

/**
 * The same overlay as fsconfig(2) calls for the new mount API (fsopen("overlay"), these, then
 * FSCONFIG_CMD_CREATE and fsmount). `lowerdir+` (Linux 6.8+) adds one layer per call, topmost
 * first, so neither the page limit of mount(2)'s data nor `,` `:` in paths matter.
 */
export function overlayFsconfig(d: OverlayDirs): FsconfigStep[] {
  if (d.lowerdirs.length === 0) {
    throw new StoreError('ERR_OVERLAY_OPTIONS', 'overlay needs at least one lower directory');
  }
  for (const p of [...d.lowerdirs, d.upperdir, d.workdir]) {
    if (!p.startsWith('/'))
      throw new StoreError(
        'ERR_OVERLAY_OPTIONS',
        `overlay path ${JSON.stringify(p)} must be absolute`,
      );
  }
  return [
    ...[...d.lowerdirs].reverse().map((value) => ({ key: 'lowerdir+', value })),
    { key: 'upperdir', value: d.upperdir },
    { key: 'workdir', value: d.workdir },
    { key: 'userxattr', flag: true as const },
  ];
}
