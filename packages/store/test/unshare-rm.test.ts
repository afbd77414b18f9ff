import { describe, expect, it } from 'vitest';
import { unshareRemoveArgs } from '../src/unshare-rm.js';

const user = { uid: 1001, gid: 1002 };
const subordinate = {
  uidMap: [
    { containerId: 1100, hostId: 1001, count: 1 },
    { containerId: 0, hostId: 100000, count: 1100 },
    { containerId: 1101, hostId: 101100, count: 64436 },
  ],
  gidMap: [
    { containerId: 1100, hostId: 1002, count: 1 },
    { containerId: 0, hostId: 200000, count: 65536 },
  ],
};

describe('unshareRemoveArgs', () => {
  it('maps the user as root and its subordinate range after it, then rm -rf of a plain name', () => {
    const one = {
      uidMap: [subordinate.uidMap[0]!, { containerId: 0, hostId: 100000, count: 65536 }],
      gidMap: subordinate.gidMap,
    };
    expect(unshareRemoveArgs(one, user, 'container-1-ab')).toEqual([
      '--map-root-user',
      '--map-users=100000,1,65536',
      '--map-groups=200000,1,65536',
      '--',
      'rm',
      '-rf',
      '--',
      'container-1-ab',
    ]);
  });

  it('needs only --map-root-user under the single mapping', () => {
    const single = {
      uidMap: [{ containerId: 0, hostId: 1001, count: 1 }],
      gidMap: [{ containerId: 0, hostId: 1002, count: 1 }],
    };
    expect(unshareRemoveArgs(single, user, 'c')).toEqual([
      '--map-root-user',
      '--',
      'rm',
      '-rf',
      '--',
      'c',
    ]);
  });

  it('joins the lines the 1100 rule splits into one host range', () => {
    expect(unshareRemoveArgs(subordinate, user, 'c')?.slice(0, 3)).toEqual([
      '--map-root-user',
      '--map-users=100000,1,65536',
      '--map-groups=200000,1,65536',
    ]);
  });

  it('gives up where one --map-users cannot say it (two ranges apart) or the user is not mapped', () => {
    const apart = {
      uidMap: [
        subordinate.uidMap[0]!,
        { containerId: 0, hostId: 100000, count: 1100 },
        { containerId: 1101, hostId: 300000, count: 10 },
      ],
      gidMap: subordinate.gidMap,
    };
    expect(unshareRemoveArgs(apart, user, 'c')).toBeUndefined();
    expect(
      unshareRemoveArgs(
        { uidMap: [{ containerId: 0, hostId: 100000, count: 65536 }], gidMap: subordinate.gidMap },
        user,
        'c',
      ),
    ).toBeUndefined();
  });

  it('refuses names that are not one plain path component', () => {
    for (const bad of ['', '-rf', 'a/b', '../x']) {
      expect(unshareRemoveArgs({ uidMap: [], gidMap: [] }, user, bad)).toBeUndefined();
    }
  });
});
