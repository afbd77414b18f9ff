import { runAs, STANDARD_PATH, testUser } from '@rootless-ts/testkit';
import { describe, expect, it } from 'vitest';
import { fixture } from './helpers.js';

/**
 * spawn() gives the program a new session keyring: the caller's session keys (a login's) are
 * out of its reach. As the unprivileged test user, in a session keyring the test makes.
 */
const user = testUser();

async function inSession(options: Record<string, unknown>, inside: string) {
  const spec = JSON.stringify({
    idmap: 'rootless',
    options: { argv: ['sh', '-c', inside, 'sh', 'ID'], env: { PATH: STANDARD_PATH }, ...options },
  });
  const script = [
    'id=$(keyctl add user secret VALUE @s)',
    // The key's serial number is given to the program: the worst case, it knows it.
    `${process.execPath} ${fixture('spawn.mjs')} "$(printf '%s' '${spec}' | sed "s/\\"ID\\"/\\"$id\\"/")"`,
    'echo',
    'echo "HOST:$(keyctl print "$id")"',
  ].join('; ');
  const r = await runAs(user, 'keyctl', ['session', '-', 'sh', '-c', script], {
    env: { PATH: STANDARD_PATH, HOME: user.home },
    timeoutMs: 30_000,
  });
  const [json = '{}', host = ''] = r.stdout.split(/\n(?=HOST:)/);
  return { out: JSON.parse(json) as { stdout: string; status: unknown }, host };
}

describe('session keyrings', () => {
  const attack = [
    'keyctl show @s',
    'keyctl print "$1" || echo FAILED:print',
    'keyctl search @s user secret || echo FAILED:search',
    'keyctl update "$1" HACKED || echo FAILED:update',
    'keyctl link "$1" @s || echo FAILED:link',
  ].join('; ');

  it("by default the program has a new, empty one: the caller's key is out of reach", async () => {
    for (const uid of [0, 1100]) {
      const { out, host } = await inSession(
        { uid, gid: uid, stdio: ['ignore', 'pipe', 'pipe'] },
        attack,
      );
      expect(out.status).toEqual({ code: 0, signal: null });
      expect(out.stdout).not.toMatch(/user: secret/);
      for (const op of ['print', 'search', 'update', 'link'])
        expect(out.stdout).toContain(`FAILED:${op}`);
      expect(out.stdout).not.toContain('VALUE');
      expect(host.trim()).toBe('HOST:VALUE');
    }
  });

  it('control: with newSessionKeyring: false it is the caller’s (the defence is this row)', async () => {
    const { out, host } = await inSession(
      {
        uid: 0,
        gid: 0,
        newSessionKeyring: false,
        seccomp: 'unconfined',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
      'keyctl show @s',
    );
    expect(out.stdout).toMatch(/user: secret/);
    expect(host.trim()).toBe('HOST:VALUE');
  });
});
