import { subordinateRange, testUser } from '@rootless-ts/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnAsTestUser, strays } from './helpers.js';

const user = testUser();
const _subuid = subordinateRange(user, '/etc/subuid');
const PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

afterEach(() => {
  // Nothing of the test user's, nor of its subordinate ids, outlives a test.
  expect(strays()).toEqual([]);
});

// mapIds starts newuidmap and newgidmap together, through posix_spawn rather than
// child_process: what they say must still reach the caller, in one line.
describe('the id-map helpers, started by posix_spawn', () => {
  it('map the subordinate range: uid_map and gid_map both written', async () => {
    const out = await spawnAsTestUser({
      options: { argv: ['cat', '/proc/self/uid_map', '/proc/self/gid_map'], env: { PATH } },
      idmap: 'rootless',
    });
    expect(out.status).toEqual({ code: 0, signal: null });
    const lines = out.stdout.trim().split('\n');
    expect(lines).toHaveLength(6);
    expect(lines.filter((l) => /^\s*1100\s+\d+\s+1$/.test(l))).toHaveLength(2);
  });

  it("a range the user does not own: newuidmap's refusal, one line, the uid error first", async () => {
    // Host id 1 is nobody's subordinate id here: both helpers refuse it.
    const out = await spawnAsTestUser({
      options: { argv: ['true'], env: { PATH } },
      idmap: 'maps',
      maps: {
        uidMap: [{ containerId: 0, hostId: 1, count: 1 }],
        gidMap: [{ containerId: 0, hostId: 1, count: 1 }],
      },
    });
    expect(out.status).toBeUndefined();
    expect(out.error).toMatchObject({ step: 'idmap', code: 'ERR_HELPER_FAILED' });
    expect(out.error?.message).toMatch(
      /^idmap: newuidmap \d+ failed \(exit status 1\): newuidmap: /,
    );
    expect(out.error?.message).not.toContain('\n');
  });
});
