import { describe, expect, it } from 'vitest';
import {
  CapabilityError,
  capFromName,
  capMask,
  DEFAULT_CAPS,
  PODMAN_DEFAULT_CAPS,
  parseCapabilityList,
  planCapabilities,
  podmanName,
} from '../src/index.js';

const LAST = 40; // Linux 5.9 to 6.18: CAP_CHECKPOINT_RESTORE
const m = (...names: string[]) => capMask(...names.map(capFromName));
const PODMAN = m(...PODMAN_DEFAULT_CAPS);
const ALL = (1n << BigInt(LAST + 1)) - 1n;

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CapabilityError);
    expect((e as CapabilityError).code).toBe('ERR_BAD_CAPABILITY');
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error('accepted');
}

describe('parseCapabilityList (podman --cap-add/--cap-drop values)', () => {
  it('takes names with or without CAP_, in any case, comma lists, several values', () => {
    expect(parseCapabilityList(['net_raw,CAP_SYS_ADMIN', 'Chown', ' cap_kill '])).toEqual({
      all: false,
      caps: [0, 5, 13, 21],
    });
    expect(parseCapabilityList('all')).toEqual({ all: true, caps: [] });
    expect(parseCapabilityList('CAP_ALL,chown')).toEqual({ all: true, caps: [0] });
    expect(parseCapabilityList([])).toEqual({ all: false, caps: [] });
  });

  it('refuses unknown and empty names in one line naming the option', () => {
    expect(refusal(() => parseCapabilityList('chown,CAP_FOO', '--cap-add'))).toBe(
      '--cap-add: unknown capability "CAP_FOO"',
    );
    expect(refusal(() => parseCapabilityList('chown,', '--cap-drop'))).toBe(
      '--cap-drop: empty capability name',
    );
    // Numbers are libcap's, not podman's.
    expect(refusal(() => parseCapabilityList('21', '--cap-add'))).toBe(
      '--cap-add: unknown capability "21"',
    );
  });

  it('podmanName spells as podman does', () => {
    expect(podmanName(21)).toBe('CAP_SYS_ADMIN');
  });
});

describe('planCapabilities', () => {
  it("root gets the default set (podman's plus SYS_ADMIN) as bounding, effective and permitted", () => {
    const p = planCapabilities({ uid: 0, lastCap: LAST });
    const want = PODMAN | m('sys_admin');
    expect(p).toEqual({
      bounding: want,
      effective: want,
      permitted: want,
      inheritable: 0n,
      ambient: 0n,
      lastCap: LAST,
    });
    expect(DEFAULT_CAPS).toEqual([...PODMAN_DEFAULT_CAPS, 'CAP_SYS_ADMIN']);
    expect(PODMAN_DEFAULT_CAPS).toHaveLength(11);
  });

  it('adds and drops; ALL both ways; podman base on request', () => {
    expect(planCapabilities({ uid: 0, base: PODMAN_DEFAULT_CAPS, lastCap: LAST }).bounding).toBe(
      PODMAN,
    );
    expect(
      planCapabilities({ uid: 0, add: 'net_raw', drop: ['CHOWN', 'sys_admin'], lastCap: LAST })
        .bounding,
    ).toBe((PODMAN | m('net_raw')) & ~m('chown'));
    expect(planCapabilities({ uid: 0, drop: 'ALL', add: 'kill', lastCap: LAST }).effective).toBe(
      m('kill'),
    );
    expect(
      planCapabilities({ uid: 0, add: 'ALL', drop: 'sys_admin', lastCap: LAST }).permitted,
    ).toBe(ALL & ~m('sys_admin'));
    // Bits above the kernel's last capability never appear.
    expect(planCapabilities({ uid: 0, add: 'ALL', lastCap: 35 }).bounding).toBe((1n << 36n) - 1n);
  });

  it('refuses contradictions', () => {
    expect(refusal(() => planCapabilities({ uid: 0, add: 'ALL', drop: 'all' }))).toBe(
      '--cap-add ALL and --cap-drop ALL cannot be combined',
    );
    expect(refusal(() => planCapabilities({ uid: 0, add: 'chown,kill', drop: 'CAP_KILL' }))).toBe(
      'capability CAP_KILL cannot be both added (--cap-add) and dropped (--cap-drop)',
    );
    expect(refusal(() => planCapabilities({ uid: 0, add: 'kill,bogus' }))).toBe(
      '--cap-add: unknown capability "bogus"',
    );
  });

  it('another user has the set only as a limit, except what it was given by --cap-add (ambient)', () => {
    expect(planCapabilities({ uid: 1000, lastCap: LAST })).toEqual({
      bounding: PODMAN | m('sys_admin'),
      effective: 0n,
      permitted: 0n,
      inheritable: 0n,
      ambient: 0n,
      lastCap: LAST,
    });
    const added = planCapabilities({ uid: 1000, add: 'net_raw,chown', lastCap: LAST });
    expect(added.ambient).toBe(m('net_raw', 'chown'));
    expect(added.effective).toBe(added.ambient);
    expect(added.permitted).toBe(added.ambient);
    expect(added.inheritable).toBe(added.ambient);
    expect(planCapabilities({ uid: 1000, add: 'ALL', lastCap: LAST }).ambient).toBe(0n);
  });
});
