import {
  listProcesses,
  mountTable,
  removeTree,
  type TestUser,
  testUser,
  userTempDir,
} from '@rootless-ts/testkit';
import { afterEach, beforeAll, beforeEach, expect } from 'vitest';

/**
 * Per test: a scratch directory of the test user's; afterwards the host's mount table is as it
 * was, nothing started from the directory is still running, and the directory is gone.
 */
export function scratchPerTest(prefix: string): { readonly user: TestUser; readonly dir: string } {
  const state = { user: undefined as unknown as TestUser, dir: '', mountsBefore: [] as string[] };
  beforeAll(() => {
    state.user = testUser();
  });
  beforeEach(() => {
    state.mountsBefore = mountTable();
    state.dir = userTempDir(state.user, prefix);
  });
  afterEach(() => {
    expect(mountTable()).toEqual(state.mountsBefore);
    expect(listProcesses().filter((p) => p.command.includes(state.dir))).toEqual([]);
    removeTree(state.dir);
  });
  return state;
}
