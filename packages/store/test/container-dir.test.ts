import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeAsUser, untouchedRemovalSteps } from '../src/container-dir.js';

let t: string;
beforeEach(() => {
  t = mkdtempSync(join(tmpdir(), 'store-container-dir-'));
});
afterEach(() => {
  // A work/work of mode 0 a test left behind: opened again so the tree can go as a plain user.
  for (const d of [join(t, 'c', 'work', 'work')]) {
    try {
      chmodSync(d, 0o700);
    } catch {}
  }
  rmSync(t, { recursive: true, force: true });
});

/** A container directory as prepareContainer makes it, and overlay leaves it after a mount. */
function untouched(dir: string): void {
  for (const d of ['upper', 'work/work', 'merged']) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(join(dir, 'work/work'), 0);
  writeFileSync(join(dir, 'container.json'), '{}');
}

describe('untouchedRemovalSteps', () => {
  it('empties the layer bottom up and removes the record last, then the directory', () => {
    const steps = untouchedRemovalSteps('/s/tmp/c');
    expect(steps.map((s) => `${s.op} ${s.path}`)).toEqual([
      'rmdir /s/tmp/c/upper',
      'rmdir /s/tmp/c/work/work',
      'rmdir /s/tmp/c/work/index',
      'rmdir /s/tmp/c/work',
      'rmdir /s/tmp/c/merged',
      'unlink /s/tmp/c/container.json',
      'rmdir /s/tmp/c',
    ]);
  });
});

describe('removeAsUser', () => {
  it('removes the directories of a container that wrote nothing, a mode-0 work/work included', () => {
    const dir = join(t, 'c');
    untouched(dir);
    expect(removeAsUser(untouchedRemovalSteps(dir))).toBe(true);
    expect(existsSync(dir)).toBe(false);
  });

  it('stops at an upper directory the container wrote to, keeping the record', () => {
    const dir = join(t, 'c');
    untouched(dir);
    writeFileSync(join(dir, 'upper', 'f'), 'x');
    expect(removeAsUser(untouchedRemovalSteps(dir))).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['container.json', 'merged', 'upper', 'work']);
  });

  it('does not follow a symlink planted where a directory was expected', () => {
    const outside = join(t, 'outside');
    mkdirSync(outside);
    const dir = join(t, 'c');
    untouched(dir);
    rmSync(join(dir, 'upper'), { recursive: true });
    symlinkSync(outside, join(dir, 'upper'));
    expect(removeAsUser(untouchedRemovalSteps(dir))).toBe(false);
    expect(existsSync(outside)).toBe(true);
    expect(existsSync(join(dir, 'container.json'))).toBe(true);
  });

  it('skips what is already gone (a copy-mode directory, a second cleanup)', () => {
    expect(removeAsUser(untouchedRemovalSteps(join(t, 'never-made')))).toBe(true);
    const dir = join(t, 'c');
    mkdirSync(dir);
    writeFileSync(join(dir, 'container.json'), '{}');
    expect(removeAsUser(untouchedRemovalSteps(dir))).toBe(true);
    expect(existsSync(dir)).toBe(false);
  });
});
