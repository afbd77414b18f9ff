import {
  capFromName,
  capMask,
  DEFAULT_CAPS,
  PODMAN_DEFAULT_CAPS,
  parseProcStatus,
  planCapabilities,
} from '@rootless-ts/capabilities';
import { STANDARD_PATH as PATH } from '@rootless-ts/testkit';
import { describe, expect, it } from 'vitest';
import { hook, spawnAsTestUser } from './helpers.js';

/**
 * The container's capability sets (@rootless-ts/capabilities' planCapabilities and
 * applyCapabilities), applied by a setup hook in the spawn child, as the unprivileged test
 * user with its subordinate ids; the program reads /proc/self/status after its execve.
 */

const m = (...names: readonly string[]) => capMask(...names.map(capFromName));

// Locking the mounts (spawn's lockMounts, on by default) needs SYS_ADMIN, SYS_CHROOT, SETUID,
// SETGID and SETFCAP after the hooks, and restores what a hook narrowed: a hook that drops one
// of those needs `lockMounts: false` (capabilities are narrowed after the lock otherwise).
async function statusWith(
  config: {
    request: Record<string, unknown>;
    ids?: { uid: number; gid: number };
    lockMounts?: boolean;
  },
  script = 'cat /proc/self/status',
) {
  const out = await spawnAsTestUser({
    options: {
      argv: ['sh', '-c', script],
      env: { PATH },
      uid: config.ids?.uid ?? 0,
      gid: config.ids?.gid ?? 0,
      setup: [hook('apply-caps.mjs', { request: config.request, ids: config.ids })],
      ...(config.lockMounts === undefined ? {} : { lockMounts: config.lockMounts }),
    },
    idmap: 'rootless',
  });
  expect(out.error).toBeUndefined();
  return out;
}

describe('capabilities applied in a setup hook', () => {
  it("root inside: the default set (podman's plus SYS_ADMIN) as bounding, effective, permitted", async () => {
    const out = await statusWith({ request: { uid: 0 } });
    expect(out.status).toEqual({ code: 0, signal: null });
    const caps = parseProcStatus(out.stdout);
    const want = m(...DEFAULT_CAPS);
    expect(caps.bounding).toBe(want);
    expect(caps.effective).toBe(want);
    expect(caps.permitted).toBe(want);
    expect(caps.inheritable).toBe(0n);
    expect(caps.ambient).toBe(0n);
  });

  it('a dropped capability is gone for good: root inside cannot chown, a re-exec gets nothing back', async () => {
    const out = await statusWith(
      { request: { uid: 0, drop: 'chown', base: PODMAN_DEFAULT_CAPS }, lockMounts: false },
      'touch /tmp/cap-e2e-$$; chown 1:1 /tmp/cap-e2e-$$ 2>&1; rm -f /tmp/cap-e2e-$$; sh -c "grep ^CapBnd /proc/self/status"',
    );
    expect(out.stdout).toMatch(/Operation not permitted/);
    const bnd = /^CapBnd:\s*([0-9a-f]+)$/m.exec(out.stdout)?.[1];
    expect(BigInt(`0x${bnd}`)).toBe(m(...PODMAN_DEFAULT_CAPS) & ~m('chown'));
  });

  it("the default set lets root inside change the hostname; podman's set does not", async () => {
    const ok = await statusWith({ request: { uid: 0 } }, 'hostname changed && hostname');
    expect(ok.stdout).toBe('changed\n');
    const refused = await statusWith(
      { request: { uid: 0, base: PODMAN_DEFAULT_CAPS }, lockMounts: false },
      'hostname changed 2>&1; hostname',
    );
    expect(refused.stdout).not.toContain('changed');
  });

  it('with locked mounts, a hook that dropped what nesting needs fails the start with one clear error', async () => {
    const out = await spawnAsTestUser({
      options: {
        argv: ['true'],
        env: { PATH },
        uid: 0,
        gid: 0,
        setup: [hook('apply-caps.mjs', { request: { uid: 0, base: PODMAN_DEFAULT_CAPS } })],
      },
      idmap: 'rootless',
    });
    expect(out.error).toMatchObject({ step: 'lock-mounts', code: 'EPERM' });
    expect(out.error?.message).toMatch(/needs CAP_SYS_ADMIN, which a setup hook dropped/);
  });

  it('another user: the set only as a limit, what --cap-add names as ambient', async () => {
    // setgid is among them because spawn's own credential step (setgroups) runs after the hooks.
    const request = { uid: 1000, add: 'net_raw,setgid' };
    const out = await statusWith(
      { request, ids: { uid: 1000, gid: 1000 }, lockMounts: false },
      'id -u; cat /proc/self/status',
    );
    expect(out.status).toEqual({ code: 0, signal: null });
    expect(out.stdout.split('\n')[0]).toBe('1000');
    const caps = parseProcStatus(out.stdout);
    const plan = planCapabilities({ ...request, lastCap: 40 });
    expect(caps.bounding).toBe(plan.bounding);
    expect(caps.ambient).toBe(m('net_raw', 'setgid'));
    expect(caps.effective).toBe(caps.ambient);
    expect(caps.permitted).toBe(caps.ambient);
    expect(caps.inheritable).toBe(caps.ambient);
  });
});
