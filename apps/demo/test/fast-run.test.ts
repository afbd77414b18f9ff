import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { fastRunArguments, type RunArguments } from '../src/fast-run.js';
import { buildProgram } from '../src/program.js';
import { optionSpelling, RUN_OPTIONS } from '../src/run-options.js';

/** What commander makes of `rootless …`: the run command's arguments, or the error it threw. */
async function commanderRun(args: string[]): Promise<RunArguments | { error: string }> {
  const program = buildProgram(() => {}, ['node', 'rootless', ...args]);
  const run = program.commands.find((c) => c.name() === 'run') as Command;
  let parsed: RunArguments | undefined;
  run
    .configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} })
    .action((command: string[], opts: RunArguments['opts']) => {
      parsed = { command, opts: { ...opts } };
    });
  try {
    await program.parseAsync(['node', 'rootless', ...args]);
  } catch (e) {
    return { error: (e as Error).message };
  }
  if (!parsed) throw new Error(`commander ran no action for ${JSON.stringify(args)}`);
  return parsed;
}

const fast = (args: string[]) => fastRunArguments(['node', 'rootless', ...args]);

/** Command lines that the fast parser must read, and read as commander does. */
const READ = [
  ['run', '--root', '/tmp/r', '--', 'true'],
  ['run', '-r', '/tmp/r', 'true'],
  ['run', '--root=/tmp/r', '--network', 'none', '--', 'sh', '-c', 'echo hi'],
  ['run', '--network=pasta', '--root', 'r', 'true'],
  ['run', '--net', 'none', '-r', 'r', 'true'],
  ['run', '--hostname', 'box', '--', 'sh', '-c', 'id; hostname; echo $$; ps'],
  ['run', '-t', '-i', '--rm', '-r', 'r', 'sh'],
  ['run', '--tty', '--interactive', '-r', 'r', 'sh'],
  ['run', '-e', 'A=1', '-e', 'B', '--env=C=3', '-r', 'r', 'env'],
  ['run', '-v', './a:/a', '--volume', '/b:/b:rw', '-r', 'r', 'ls'],
  ['run', '--cap-add', 'NET_ADMIN', '--cap-drop=ALL', '--cap-add', 'chown,kill', '-r', 'r', 'id'],
  ['run', '--security-opt', 'seccomp=unconfined', '-r', 'r', 'true'],
  [
    'run',
    '--map-uid',
    '0',
    '--map-gid',
    '0',
    '-u',
    'nobody:nogroup',
    '-w',
    '/tmp',
    '-r',
    'r',
    'id',
  ],
  ['run', '-p', '8080:80', '--publish', '127.0.0.1:9000:90/udp', '-r', 'r', 'httpd'],
  ['run', '--dns', '10.0.2.3', '--add-host', 'db:10.0.2.2', '-r', 'r', 'cat', '/etc/hosts'],
  ['run', '--hostname', '', '-r', 'r', 'hostname'],
  ['run', 'alpine', 'sh', '-c', 'echo $HOME'],
  ['run', 'alpine', '--', 'ls', '-l'],
  ['run', '--entrypoint', '["sh","-c"]', '--platform', 'linux/amd64', 'alpine', 'id'],
  ['run', '--creds', 'u:p', '--authfile', '/a.json', 'localhost:5000/x', 'true'],
  ['run', '-r', 'r', 'sh', '-t', '--root', 'x', '--', 'y'],
  ['run', '-', 'x'],
  ['run', '-r', 'r', '--', '--', 'x'],
  ['run', '-r', 'a', '-r', 'b', 'true'],
  ['run', '--root', '-', 'true'],
  ['run', '--root=', 'true'],
  ['run', '--hostname=', '--env=A=', '-r', 'r', 'true'],
];

/** Command lines that it must leave to commander (help, errors, what it cannot read exactly). */
const LEFT = [
  ['run'],
  ['run', '--root', 'r'],
  ['run', '--root', 'r', '--'],
  ['run', '--root'],
  ['run', '--help'],
  ['run', '-h', 'true'],
  ['run', '--bogus', 'true'],
  ['run', '--hostnme', 'x', 'true'],
  ['run', '-it', '-r', 'r', 'sh'],
  ['run', '-rr', 'true'],
  ['run', '-r=r', 'true'],
  ['run', '--tty=yes', '-r', 'r', 'sh'],
  ['run', '--root', '-x', 'true'],
  ['run', '--hostname', '--', 'true'],
  ['run', '--tls-verify=false', 'alpine', 'true'],
  ['run', '--tls-verify', 'alpine', 'true'],
  ['run', '--version', 'true'],
  ['pull', 'alpine'],
  ['images'],
  ['--help'],
  [],
];

describe('fastRunArguments: a plain run command line without commander', () => {
  it('reads each option of the table as commander does', async () => {
    for (const args of READ) {
      const mine = fast(args);
      expect(mine, JSON.stringify(args)).toBeDefined();
      expect(mine, JSON.stringify(args)).toEqual(await commanderRun(args));
    }
  });

  it('leaves help, usage errors and what it cannot read exactly to commander', async () => {
    for (const args of LEFT) expect(fast(args), JSON.stringify(args)).toBeUndefined();
    // Commander reads some of these (`-it`, `-rr`, `--root -x`): the two must not differ there.
    expect(await commanderRun(['run', '-it', '-r', 'r', 'sh'])).toMatchObject({
      opts: { interactive: true, tty: true, root: 'r' },
    });
    expect(await commanderRun(['run', '--bogus', 'true'])).toEqual({
      error: "error: unknown option '--bogus'",
    });
  });

  it('covers every option of the table in the lines above', () => {
    const given = new Set(READ.flat());
    for (const o of RUN_OPTIONS) {
      const s = optionSpelling(o.flags);
      if (s.value === 'optional') continue;
      const used = [...given].some(
        (w) => w === `--${s.long}` || w.startsWith(`--${s.long}=`) || w === `-${s.short}`,
      );
      expect(used, o.flags).toBe(true);
    }
  });
});

describe('optionSpelling', () => {
  it("reads commander's spelling", () => {
    expect(optionSpelling('-r, --root <dir>')).toEqual({
      long: 'root',
      short: 'r',
      key: 'root',
      value: 'required',
    });
    expect(optionSpelling('--security-opt <opt>')).toMatchObject({ key: 'securityOpt' });
    expect(optionSpelling('--tls-verify [bool]')).toMatchObject({ value: 'optional' });
    expect(optionSpelling('-t, --tty')).toMatchObject({ short: 't', value: 'none' });
  });

  it('refuses any other spelling', () => {
    expect(() => optionSpelling('--root')).not.toThrow();
    expect(() => optionSpelling('root <dir>')).toThrow(/not spelled as commander spells one/);
    expect(() => optionSpelling('-r --root <dir>')).toThrow(/not spelled/);
  });
});
