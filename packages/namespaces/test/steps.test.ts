import { fcntl as F } from '@rootless-ts/constants';
import * as libc from '@rootless-ts/libc';
import { describe, expect, it } from 'vitest';
import * as ops from '../src/child.js';
import { type ChildContext, newContext } from '../src/child.js';
import type { SerializedError } from '../src/errors.js';
import { launchConfig } from '../src/spawn.js';
import { CHILD_STEP_NAMES } from '../src/step-names.js';
import { CHILD_STEPS, type ChildStep, runSteps } from '../src/steps.js';
import type { SyncChannel } from '../src/sync-channel.js';

/** A context whose channel records what the child reports; no system call is made. */
function fakeContext(): { c: ChildContext; errors: SerializedError[] } {
  const errors: SerializedError[] = [];
  const channel = { fd: -1, reportError: (e: SerializedError) => errors.push(e) };
  const c = newContext(
    launchConfig({ argv: ['true'] }),
    [],
    channel as unknown as SyncChannel,
    undefined,
    [],
    { prepareExec: (path) => ({ path }) },
  );
  return { c, errors };
}

function recordingSteps(log: string[], failAt: string, noReturnAt?: string): ChildStep[] {
  const names = [
    'identity',
    'hostname',
    'setup',
    'switch-user',
    'chdir',
    'lock-user',
    'exec',
  ] as const;
  return names.map((name) => ({
    name,
    run: (c: ChildContext) => {
      if (name === failAt) {
        throw Object.assign(new Error(`${name} failed`), {
          code: 'EACCES',
          errno: 13,
          syscall: 'chdir',
        });
      }
      log.push(`run ${name}`);
      // A row that does two undoable things registers both.
      if (name === 'setup') {
        c.defer(() => log.push('undo setup 1'));
        c.defer(() => log.push('undo setup 2'));
      }
    },
    ...(name === 'switch-user' || name === 'hostname'
      ? { undo: () => log.push(`undo ${name}`) }
      : {}),
    ...(name === noReturnAt ? { pointOfNoReturn: true as const } : {}),
  }));
}

describe('the table of the child steps', () => {
  it('names every step once, in the order the child takes them', () => {
    const names = CHILD_STEPS.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    // The names errors may carry, as the channel checks them, are the table's, in its order.
    expect(names).toEqual([...CHILD_STEP_NAMES]);
    const order = (n: string) => names.indexOf(n as (typeof names)[number]);
    // What may fail for the program's own reasons comes after the switch to the final user and
    // before the point of no return, so that the undos still have root to run with.
    expect(order('setup')).toBeLessThan(order('switch-user'));
    expect(order('switch-user')).toBeLessThan(order('chdir'));
    expect(order('chdir')).toBeLessThan(order('resolve'));
    expect(order('resolve')).toBeLessThan(order('lock-user'));
    // Locking the mounts ends the undos too (a locked mount point cannot be removed): it comes
    // after every check that can fail, before lock-user (or capabilities) gives up root.
    expect(order('resolve')).toBeLessThan(order('lock-mounts'));
    expect(order('lock-mounts')).toBeLessThan(order('lock-user'));
    expect(order('lock-mounts')).toBeLessThan(order('capabilities'));
    expect(CHILD_STEPS.filter((s) => s.pointOfNoReturn).map((s) => s.name)).toEqual([
      'lock-mounts',
      'lock-user',
      'capabilities',
    ]);
    expect(names.at(-1)).toBe('exec');
  });

  it('locks the mounts, then takes one more point of no return: lock-user, or capabilities when sets are given', () => {
    const runs = (options: Parameters<typeof launchConfig>[0], mapped: boolean) => {
      const { c } = fakeContext();
      const ctx = { ...c, cfg: launchConfig(options), mapped };
      return CHILD_STEPS.filter((s) => s.pointOfNoReturn && (!s.when || s.when(ctx))).map(
        (s) => s.name,
      );
    };
    expect(runs({ argv: ['true'], seccomp: 'unconfined' }, true)).toEqual([
      'lock-mounts',
      'lock-user',
    ]);
    expect(runs({ argv: ['true'], seccomp: 'unconfined', lockMounts: false }, true)).toEqual([
      'lock-user',
    ]);
    expect(
      runs({ argv: ['true'], seccomp: 'unconfined', capabilities: { bounding: ['chown'] } }, true),
    ).toEqual(['lock-mounts', 'capabilities']);
  });

  it('installs seccomp last before exec with no_new_privs, before the final user without', () => {
    const names = CHILD_STEPS.map((s) => s.name);
    const order = (n: string) => names.indexOf(n as (typeof names)[number]);
    expect(order('seccomp')).toBe(names.length - 2);
    expect(order('no-new-privs')).toBeLessThan(order('seccomp'));
    expect(order('prepare-exec')).toBeLessThan(order('seccomp'));
    expect(order('seccomp-privileged')).toBeLessThan(order('switch-user'));
    const when = (name: string, noNewPrivileges: boolean) => {
      const { c } = fakeContext();
      const ctx = {
        ...c,
        cfg: launchConfig({ argv: ['true'], noNewPrivileges }),
        filters: [{ prepared: { address: 0n, length: 0, instructions: 1 }, flags: 0 }],
      };
      return CHILD_STEPS.find((s) => s.name === name)!.when!(ctx);
    };
    expect([when('seccomp', true), when('seccomp-privileged', true)]).toEqual([true, false]);
    expect([when('seccomp', false), when('seccomp-privileged', false)]).toEqual([false, true]);
  });

  it('joins a new session keyring unless asked not to, while still root inside', () => {
    const names = CHILD_STEPS.map((s) => s.name);
    expect(names.indexOf('session-keyring')).toBeLessThan(names.indexOf('switch-user'));
    const step = CHILD_STEPS.find((s) => s.name === 'session-keyring')!;
    const { c } = fakeContext();
    expect(step.when!(c)).toBe(true);
    const off = { ...c, cfg: launchConfig({ argv: ['true'], newSessionKeyring: false }) };
    expect(step.when!(off)).toBe(false);
  });

  it('undoes in reverse order when a step fails, and reports the step with errno fields', () => {
    const log: string[] = [];
    const { c, errors } = fakeContext();
    const status = runSteps(recordingSteps(log, 'chdir', 'lock-user'), c);
    expect(status).toBe(1);
    expect(log).toEqual([
      'run identity',
      'run hostname',
      'run setup',
      'run switch-user',
      'undo switch-user',
      'undo setup 2',
      'undo setup 1',
      'undo hostname',
    ]);
    expect(errors).toEqual([
      { step: 'chdir', message: 'chdir failed', code: 'EACCES', errno: 13, syscall: 'chdir' },
    ]);
  });

  it('returns the execve that a row prepared when every row went well (it runs after the return)', () => {
    const { c, errors } = fakeContext();
    const out = runSteps(
      [
        { name: 'identity', run: () => {} },
        {
          name: 'prepare-exec',
          run: (ctx) => {
            ctx.exec = ctx.child.prepareExec('/bin/true', ['true'], []);
          },
        },
        { name: 'exec', run: () => {} },
      ],
      c,
    );
    expect(out).toEqual({ path: '/bin/true' });
    expect(errors).toEqual([]);
  });

  it('undoes nothing after the point of no return', () => {
    const log: string[] = [];
    const { c, errors } = fakeContext();
    runSteps(recordingSteps(log, 'exec', 'lock-user'), c);
    expect(log.filter((l) => l.startsWith('undo'))).toEqual([]);
    expect(errors[0]?.step).toBe('exec');
  });

  it('skips a row whose condition does not hold', () => {
    const { c } = fakeContext();
    const log: string[] = [];
    runSteps(
      [
        { name: 'hostname', when: () => false, run: () => log.push('no') },
        { name: 'identity', run: () => log.push('yes') },
        {
          name: 'exec',
          run: () => {
            throw new Error('stop');
          },
        },
      ],
      c,
    );
    expect(log).toEqual(['yes']);
  });

  it('still reports the failure when an undo fails too, naming both', () => {
    const { c, errors } = fakeContext();
    runSteps(
      [
        {
          name: 'setup',
          run: () => {},
          undo: () => {
            throw new Error('busy');
          },
        },
        {
          name: 'chdir',
          run: () => {
            throw new Error('no such directory');
          },
        },
      ],
      c,
    );
    expect(errors[0]?.step).toBe('chdir');
    expect(errors[0]?.message).toBe('undoing setup failed too (busy): no such directory');
  });
});

describe('wait-network (in-process spawns: the child reads the helper readiness pipe)', () => {
  function withPipe(timeoutMs: number) {
    const [r, w] = libc.pipe2(F.O_CLOEXEC);
    const c = newContext(
      launchConfig({ argv: ['true'] }),
      [],
      { fd: -1 } as unknown as SyncChannel,
      undefined,
      [],
      { prepareExec: (path) => ({ path }) },
      { fd: r, timeoutMs },
    );
    return { c, r, w };
  }
  const isOpen = (fd: number) => {
    try {
      libc.fcntl(fd, F.F_GETFD);
      return true;
    } catch {
      return false;
    }
  };

  it('runs right after the setup, before anything is filtered, and only with a readiness pipe', () => {
    const names = CHILD_STEPS.map((s) => s.name);
    expect(names.indexOf('wait-network')).toBe(names.indexOf('setup') + 1);
    expect(names.indexOf('wait-network')).toBeLessThan(names.indexOf('seccomp-privileged'));
    const row = CHILD_STEPS.find((s) => s.name === 'wait-network')!;
    expect(row.when!(fakeContext().c)).toBe(false);
    const { c, r, w } = withPipe(1000);
    expect(row.when!(c)).toBe(true);
    for (const fd of [r, w]) libc.close(fd);
  });

  it('goes on once a whole line has come (in pieces), and closes the pipe', () => {
    const { c, r, w } = withPipe(1000);
    libc.write(w, '12');
    libc.write(w, '34\n');
    ops.waitNetwork(c);
    expect(isOpen(r)).toBe(false);
    libc.close(w);
  });

  it('fails when the helper closed the pipe first (it exited), or nothing came in time', () => {
    const gaveUp = withPipe(1000);
    libc.write(gaveUp.w, '12');
    libc.close(gaveUp.w);
    expect(() => ops.waitNetwork(gaveUp.c)).toThrow(
      'the network helper exited before the network was up',
    );
    libc.close(gaveUp.r);
    const slow = withPipe(50);
    expect(() => ops.waitNetwork(slow.c)).toThrow('the network was not up within 50 ms');
    for (const fd of [slow.r, slow.w]) libc.close(fd);
  });
});
