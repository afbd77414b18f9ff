import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultProfile, loadProfile, validateProfile } from '../src/index.js';

const podman = () =>
  JSON.parse(readFileSync(new URL('../profiles/podman-default.json', import.meta.url), 'utf8'));

describe('defaultProfile', () => {
  it("is podman's profile as validateProfile returns it (regenerate: node scripts/normalize-default.mjs)", () => {
    const validated = validateProfile(podman(), 'podman-default.json');
    expect(defaultProfile()).toEqual(validated);
  });

  it('is frozen, and loadProfile takes it as it is; a changed copy is validated again', () => {
    const p = defaultProfile();
    expect(defaultProfile()).toBe(p);
    expect(Object.isFrozen(p.syscalls[0]!.names)).toBe(true);
    expect(() => {
      p.syscalls.length = 0;
    }).toThrow(TypeError);
    expect(loadProfile(p)).toBe(p);
    const copy = structuredClone(p);
    expect(loadProfile(copy)).not.toBe(copy);
    expect(loadProfile(copy)).toEqual(p);
    copy.syscalls[0]!.action = 'SCMP_ACT_FOO' as never;
    expect(() => loadProfile(copy)).toThrow(/syscalls\[0\]\.action: unknown action "SCMP_ACT_FOO"/);
  });
});
