import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRoot, expectNoLeftovers, rootless, snapshot } from './helpers.js';

// Standard input that is not a terminal reaches a container's terminal (-t), and so does its
// end: the container's terminal gets its EOF character after the data, as with podman.
let bb: Awaited<ReturnType<typeof busyboxRoot>>;
beforeAll(async () => {
  bb = await busyboxRoot();
});
afterAll(() => bb?.cleanup());

describe('-t with standard input from a pipe or /dev/null', () => {
  it('echo hi | rootless run -t … cat prints hi (echoed by the terminal, then by cat) and ends', async () => {
    const before = snapshot();
    const r = await rootless(['run', '-t', '-r', bb.root, '--', 'cat'], { input: 'hi\n' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hi\r\nhi\r\n');
    expect(r.code).toBe(0);
    await expectNoLeftovers(before);
  });

  it('an empty input (as from /dev/null) ends cat at once', async () => {
    const r = await rootless(['run', '-t', '-r', bb.root, '--', 'cat'], { input: '' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('');
    expect(r.code).toBe(0);
  });

  it('a last line without a newline is handed over, then the input ends', async () => {
    const r = await rootless(
      ['run', '-t', '-r', bb.root, '--', 'sh', '-c', 'cat; echo; echo "status $?"'],
      { input: 'abc' },
    );
    expect(r.stdout).toBe('abcabc\r\nstatus 0\r\n');
    expect(r.code).toBe(0);
  });
});
