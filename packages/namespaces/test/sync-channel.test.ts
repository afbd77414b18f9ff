import { closeSync, writeSync } from 'node:fs';
import * as libc from '@rootless-ts/libc';
import { describe, expect, it } from 'vitest';
import { SyncChannel } from '../src/sync-channel.js';

describe('SyncChannel (the launcher and child end)', () => {
  it('decodes a message whose UTF-8 characters straddle its 4 KiB reads', () => {
    // Each offset puts the boundary of the first read at a different byte of a character.
    for (let pad = 0; pad < 4; pad++) {
      const argv = ['x'.repeat(pad) + 'é€😀'.repeat(1000), '', 'ü'];
      const [r, w] = libc.pipe2();
      const data = Buffer.from(`${JSON.stringify({ t: 'config', config: { argv } })}\n`);
      for (let off = 0; off < data.length; ) off += writeSync(w, data, off);
      closeSync(w);
      const m = new SyncChannel(r).receiveRaw() as { config: { argv: string[] } };
      closeSync(r);
      expect(m.config.argv).toEqual(argv);
    }
  });
});
