import type { PullProgress } from './store.js';

/**
 * The plain line for a progress event when stdout is not a terminal, in podman's words
 * ("Copying blob 4abcf2066143 done"); undefined for byte counts within a phase, so a log gets
 * one line per layer and phase. A terminal shows bars from the same events instead.
 */
export function progressLine(p: PullProgress): string | undefined {
  const id = p.layer.replace(/^sha256:/, '').slice(0, 12);
  switch (p.phase) {
    case 'exists':
      return `Copying blob ${id} skipped: already exists`;
    case 'downloading':
      return p.bytes === 0 ? `Copying blob ${id}` : undefined;
    case 'extracting':
      return p.bytes === 0 ? `Extracting blob ${id}` : undefined;
    case 'done':
      return `Copying blob ${id} done`;
  }
}
