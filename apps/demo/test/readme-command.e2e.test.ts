import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI } from './helpers.js';

// The root README's first command, run as whoever runs the tests (root in CI, where it once
// failed: pasta started by root switched to nobody and could not open root's namespaces).
// The other end-to-end tests run the CLI as the unprivileged test user.
describe("the README's first command", () => {
  it('runs a container over the host files with its own hostname, PID 1 and ps', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--single-threaded',
        CLI,
        'run',
        '--hostname',
        'box',
        '--',
        'sh',
        '-c',
        'id; hostname; echo $$; ps',
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.stderr.split('\n').filter((l) => l && !l.includes('warning:'))).toEqual([]);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[1]).toBe('box');
    expect(lines[2]).toBe('1');
    // ps sees the container only: its shell as PID 1 and ps itself.
    expect(
      lines
        .slice(4)
        .filter((l) => l.trim() !== '')
        .map((l) => l.trim().split(/\s+/)[3]),
    ).toEqual(['sh', 'ps']);
  });
});
