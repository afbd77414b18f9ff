import { spawn } from 'node:child_process';
import type { TestUser } from './users.js';

export interface RunOptions {
  /** Environment of the command; by default a minimal one (PATH, HOME, USER, LANG). */
  env?: Record<string, string>;
  cwd?: string;
  /** Written to the command's standard input, which is then closed. */
  input?: string;
  /** The command is killed with SIGKILL after this long (default 30 s). */
  timeoutMs?: number;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export const STANDARD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Runs a command as the given user and collects its output. Under root the command is started
 * with that user's uid and gid (libuv drops supplementary groups), otherwise as the caller, who
 * must be that user.
 */
export function runAs(
  user: TestUser,
  command: string,
  args: string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const me = process.getuid!();
  if (me !== 0 && me !== user.uid) {
    return Promise.reject(new Error(`testkit: cannot run as ${user.name} from uid ${me}`));
  }
  const env = options.env ?? {
    PATH: STANDARD_PATH,
    HOME: user.home,
    USER: user.name,
    LANG: 'C.UTF-8',
  };
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env,
      cwd: options.cwd ?? '/',
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(me === 0 ? { uid: user.uid, gid: user.gid } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** Runs `node FILE ARGS...` as the user (the file must be readable by it). */
export function runNodeAs(
  user: TestUser,
  file: string,
  args: string[] = [],
  options: RunOptions = {},
): Promise<RunResult> {
  return runAs(user, process.execPath, [file, ...args], options);
}
