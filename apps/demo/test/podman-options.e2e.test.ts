import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRoot, expectNoLeftovers, expectOneLine, rootless, snapshot } from './helpers.js';

// What podman users type: accepted where it means something here, a suggestion otherwise.
let bb: Awaited<ReturnType<typeof busyboxRoot>>;
beforeAll(async () => {
  bb = await busyboxRoot();
});
afterAll(() => bb?.cleanup());

describe('podman habits', () => {
  it.each([[['-it', '--rm']], [['-i', '-t']], [['--interactive', '--tty', '--rm']]])(
    'rootless run %j -r ROOT -- cat runs, standard input reaching cat',
    async (flags) => {
      const before = snapshot();
      const r = await rootless(['run', ...flags, '-r', bb.root, '--', 'cat'], { input: 'hi\n' });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('hi\r\nhi\r\n'); // echoed by the terminal, then by cat
      expect(r.code).toBe(0);
      await expectNoLeftovers(before);
    },
  );

  it('-i without -t: standard input reaches the command as it is', async () => {
    const r = await rootless(['run', '-i', '--rm', '-r', bb.root, '--', 'cat'], { input: 'hi\n' });
    expect(r.stdout).toBe('hi\n');
    expect(r.code).toBe(0);
  });

  it.each([
    [['--hostnme', 'box'], /^rootless: unknown option '--hostnme': did you mean --hostname\?$/],
    [['--tyy'], /^rootless: unknown option '--tyy': did you mean --tty\?$/],
    [['-Z'], /^rootless: unknown option '-Z'$/],
  ])('an unknown option %j: one line with the nearest option, 125', async (flags, line) => {
    const before = snapshot(undefined, bb.dir);
    const r = await rootless(['run', ...flags, '-r', bb.root, '--', 'true']);
    expectOneLine(r.stderr, line);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(125);
    await expectNoLeftovers(before, undefined, bb.dir);
  });

  it('an unknown command: the nearest one', async () => {
    const r = await rootless(['rn', '--', 'true']);
    expectOneLine(r.stderr, /^rootless: unknown command 'rn': did you mean run\?$/);
    expect(r.code).toBe(125);
  });
});

describe('relative paths, as podman takes them', () => {
  it('-r alpine is ./alpine; -v ./shared works; -v shared is refused as a named volume', async () => {
    const ok = await rootless(
      ['run', '-r', 'bb', '-v', './bb/etc:/mnt', '--', 'ls', '/mnt/passwd'],
      {
        cwd: bb.dir,
      },
    );
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toBe('/mnt/passwd\n');
    const before = snapshot(undefined, bb.dir);
    const named = await rootless(['run', '-r', 'bb', '-v', 'shared:/data', '--', 'true'], {
      cwd: bb.dir,
    });
    expectOneLine(
      named.stderr,
      /^rootless: --volume shared:\/data: "shared" would be a named volume \(as in podman\), which rootless does not have: for the directory, write \.\/shared$/,
    );
    expect(named.code).toBe(125);
    await expectNoLeftovers(before, undefined, bb.dir);
  });
});
