import { mountTable, STANDARD_PATH as PATH } from '@rootless-ts/testkit';
import { describe, expect, it } from 'vitest';
import { hook, spawnAsTestUser } from './helpers.js';

// spawn's lockMounts (the default): the program runs in a user namespace nested in the
// container's, so what a setup hook mounted is locked against root inside. The hook here mounts
// a proc of the container over the host's /proc; root inside then tries to uncover the host's.

const ATTACK = [
  'umount -l /proc >/dev/null 2>&1; echo "umount rc=$?"',
  // ps reads /proc: the container's processes (this shell, ps, wc, a subshell), or the host's.
  'echo "ps $(ps -e -o pid= | wc -l)"',
  'mount -t proc proc /mnt >/dev/null 2>&1; echo "mount rc=$?"',
  'hostname locked-test && echo "hostname $(hostname)"',
].join('\n');

async function attack(lockMounts?: boolean) {
  const before = mountTable();
  const out = await spawnAsTestUser({
    options: {
      argv: ['sh', '-c', ATTACK],
      env: { PATH },
      uid: 0,
      gid: 0,
      setup: [hook('proc.mjs')],
      ...(lockMounts === undefined ? {} : { lockMounts }),
    },
    idmap: 'rootless',
  });
  expect(out.error).toBeUndefined();
  expect(mountTable()).toEqual(before);
  const ps = Number(/^ps (\d+)$/m.exec(out.stdout)?.[1]);
  return { out, ps };
}

describe('lockMounts', () => {
  it('by default, root inside cannot unmount the proc a hook mounted, nor mount one; the hostname is its own', async () => {
    const { out, ps } = await attack();
    expect(out.stdout).toMatch(/^umount rc=[1-9]\d*$/m);
    expect(out.stdout).toMatch(/^mount rc=[1-9]\d*$/m);
    expect(ps).toBeLessThanOrEqual(5);
    expect(out.stdout).toMatch(/^hostname locked-test$/m);
  });

  it('the control, lockMounts: false: the same root inside uncovers the host’s processes', async () => {
    const { out, ps } = await attack(false);
    expect(out.stdout).toMatch(/^umount rc=0$/m);
    expect(ps).toBeGreaterThan(5);
  });
});
