import type { ImageSummary } from './store.js';

/** `repo:tag` or `repo@digest` split as podman shows them (a port's colon is not a tag). */
export function splitName(name: string): { repository: string; tag: string } {
  const at = name.indexOf('@');
  if (at >= 0) return { repository: name.slice(0, at), tag: '<none>' };
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/'))
    return { repository: name.slice(0, colon), tag: name.slice(colon + 1) };
  return { repository: name, tag: 'latest' };
}

/** Sizes in SI units with three significant digits, as podman prints them ("7.8 MB"). */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : Number(v.toPrecision(3))} ${units[i]}`;
}

/** "3 hours ago", "2 days ago": the coarse age podman shows in CREATED. */
export function humanAge(iso: string | undefined, now: Date): string {
  if (!iso) return '';
  const s = Math.max(0, Math.floor((now.getTime() - new Date(iso).getTime()) / 1000));
  const steps: Array<[number, string]> = [
    [365 * 86400, 'year'],
    [30 * 86400, 'month'],
    [7 * 86400, 'week'],
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  for (const [unit, name] of steps) {
    const n = Math.floor(s / unit);
    if (n >= 1) return `${n} ${name}${n === 1 ? '' : 's'} ago`;
  }
  return 'Less than a second ago';
}

/** The lines of `rootless images`: one row per name (`<none>` for an untagged image). */
export function formatImageTable(images: readonly ImageSummary[], now = new Date()): string[] {
  const rows = [['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE']];
  for (const img of images) {
    const names = img.names.length > 0 ? img.names : ['<none>:<none>'];
    for (const n of names) {
      const { repository, tag } =
        n === '<none>:<none>' ? { repository: '<none>', tag: '<none>' } : splitName(n);
      rows.push([repository, tag, img.id, humanAge(img.created, now), humanSize(img.size)]);
    }
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) =>
    r
      .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]! + 2)))
      .join('')
      .trimEnd(),
  );
}
