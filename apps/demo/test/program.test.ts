import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/program.js';

const ALL = ['run', 'pull', 'images', 'rmi', 'caps', 'rootfs'];
const commands = (argv?: string[]) => buildProgram(() => {}, argv).commands;
const names = (argv?: string[]) => commands(argv).map((c) => c.name());

describe('buildProgram: only the subcommand asked for is defined', () => {
  it('defines the one the command line names', () => {
    expect(names(['node', 'rootless', 'run', '--network', 'none', 'true'])).toEqual(['run']);
    expect(names(['node', 'rootless', 'rootfs', 'busybox', '/tmp/x'])).toEqual(['rootfs']);
    expect(names(['node', 'rootless', 'images'])).toEqual(['images']);
  });

  it('defines them all, in help order, for help, --version, an unknown word or nothing', () => {
    for (const argv of [
      ['node', 'rootless', '--help'],
      ['node', 'rootless', '-V'],
      ['node', 'rootless', 'rn'],
      ['node', 'rootless', 'help', 'run'],
      ['node', 'rootless'],
      undefined,
    ]) {
      expect(names(argv), JSON.stringify(argv)).toEqual(ALL);
    }
  });

  it('gives `run` the same options and help whichever way it is defined', () => {
    const alone = commands(['node', 'rootless', 'run', 'true'])[0]!;
    const among = commands().find((c) => c.name() === 'run')!;
    expect(alone.helpInformation()).toBe(among.helpInformation());
    expect(alone.options.map((o) => o.flags)).toEqual(among.options.map((o) => o.flags));
  });
});
