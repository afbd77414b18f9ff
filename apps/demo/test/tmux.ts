import { randomBytes } from 'node:crypto';
import { runAs, type TestUser } from '@rootless-ts/testkit';
import { hostEnv } from './helpers.js';

/**
 * A tmux server of the test user's own (private socket, `tmux -L`), driving a real terminal:
 * send-keys types, capture-pane reads the screen.
 */
export class Tmux {
  readonly socket = `rootless-demo-${randomBytes(4).toString('hex')}`;

  constructor(
    private readonly user: TestUser,
    private readonly tmpdir: string,
  ) {}

  async tmux(...args: string[]): Promise<string> {
    const r = await runAs(this.user, 'tmux', ['-L', this.socket, ...args], {
      env: { ...hostEnv(this.user), TMUX_TMPDIR: this.tmpdir, TERM: 'xterm-256color' },
      timeoutMs: 10_000,
    });
    if (r.code !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  /** Starts `command` in a 100x30 window; after it ends, the pane shows EXIT:<status>. */
  async start(command: string): Promise<void> {
    await this.tmux(
      'new-session',
      '-d',
      '-s',
      'main',
      '-x',
      '100',
      '-y',
      '30',
      `${command}; echo EXIT:$?; sleep 600`,
    );
  }

  /**
   * Starts an interactive shell (`sh`) in a 200x50 window: what a person types commands into,
   * and what reads whatever lands in the terminal's input queue.
   */
  async shell(): Promise<void> {
    await this.tmux('new-session', '-d', '-s', 'main', '-x', '200', '-y', '50', 'sh');
  }

  send(...keys: string[]): Promise<string> {
    return this.tmux('send-keys', '-t', 'main', ...keys);
  }

  /** Types a line and presses Enter. */
  line(text: string): Promise<string> {
    return this.send('-l', text).then(() => this.send('Enter'));
  }

  screen(): Promise<string> {
    return this.tmux('capture-pane', '-t', 'main', '-p', '-S', '-100');
  }

  /** Waits until the screen matches. */
  async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      last = await this.screen();
      if (pattern.test(last)) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${pattern} on the screen:\n${last}`);
  }

  resize(cols: number, rows: number): Promise<string> {
    return this.tmux('resize-window', '-t', 'main', '-x', String(cols), '-y', String(rows));
  }

  async kill(): Promise<void> {
    await this.tmux('kill-server').catch(() => {});
  }
}
