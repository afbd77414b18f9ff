import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** An account end-to-end tests run as. */
export interface TestUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

const SETUP_HINT =
  'run tools/setup-host.sh as root (it creates the test users and installs what tests need)';

function lookupUser(name: string): TestUser | undefined {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f.length >= 7) {
      return { name, uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? '/' };
    }
  }
  return undefined;
}

function currentUser(): TestUser {
  const uid = process.getuid!();
  const name = execFileSync('id', ['-un'], { encoding: 'utf8' }).trim();
  return { name, uid, gid: process.getgid!(), home: process.env.HOME ?? '/' };
}

function hasSubordinateIds(user: TestUser): boolean {
  const owns = (file: string) => {
    try {
      return readFileSync(file, 'utf8')
        .split('\n')
        .some((l) => {
          const who = l.split(':')[0];
          return who === user.name || who === String(user.uid);
        });
    } catch {
      return false;
    }
  };
  return owns('/etc/subuid') && owns('/etc/subgid');
}

/**
 * The unprivileged user with subordinate ids that end-to-end tests run as. Under root it is
 * $ROOTLESS_TEST_USER (default rootless-test); under any other user, that user itself. Throws a
 * clear error when the user is missing or has no subordinate ids: a missing prerequisite fails a
 * test, it never skips it.
 */
export function testUser(): TestUser {
  if (process.getuid!() !== 0) {
    const me = currentUser();
    if (!hasSubordinateIds(me)) {
      throw new Error(
        `testkit: ${me.name} has no entries in /etc/subuid and /etc/subgid; ${SETUP_HINT}`,
      );
    }
    return me;
  }
  const name = process.env.ROOTLESS_TEST_USER ?? 'rootless-test';
  const user = lookupUser(name);
  if (!user) throw new Error(`testkit: test user ${name} does not exist; ${SETUP_HINT}`);
  if (!hasSubordinateIds(user)) {
    throw new Error(`testkit: test user ${name} has no subordinate ids; ${SETUP_HINT}`);
  }
  return user;
}

/** An unprivileged user without subordinate ids ($ROOTLESS_TEST_NOSUB_USER, default rootless-nosub). */
export function noSubidUser(): TestUser {
  if (process.getuid!() !== 0) {
    throw new Error(
      'testkit: tests that need a user without subordinate ids must run as root (to switch to it)',
    );
  }
  const name = process.env.ROOTLESS_TEST_NOSUB_USER ?? 'rootless-nosub';
  const user = lookupUser(name);
  if (!user) throw new Error(`testkit: user ${name} does not exist; ${SETUP_HINT}`);
  if (hasSubordinateIds(user))
    throw new Error(`testkit: user ${name} must have no subordinate ids`);
  return user;
}

/** The first subordinate range of a user in /etc/subuid or /etc/subgid, as the tests expect it. */
export function subordinateRange(
  user: TestUser,
  file: '/etc/subuid' | '/etc/subgid',
): { start: number; count: number } {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [who, start, count] = line.split(':');
    if (who === user.name || who === String(user.uid))
      return { start: Number(start), count: Number(count) };
  }
  throw new Error(`testkit: ${user.name} has no range in ${file}`);
}
