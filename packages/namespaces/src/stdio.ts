import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { fcntl as F, socket as S } from '@rootless-ts/constants';
import * as libc from '@rootless-ts/libc';
import { FD_CHUNK } from './protocol.js';

export type StdioSpec = 'inherit' | 'pipe' | 'ignore' | number;

// node:net on first use: loading it (with node:stream) costs ~6 ms of a CLI's start, and a run
// with inherited stdio from this very process (spawn's inProcess) needs no stream at all.
const net = () => process.getBuiltinModule('node:net');

/** The parent's ends of a pre-started launcher's channels (see pool.ts). */
export interface LauncherChannels {
  channel: Socket;
  /** Non-blocking here, blocking on the launcher's side, as for a launcher started for a spawn. */
  fdChannel: number;
}

/**
 * The program's standard streams and the handshake channel, made here rather than by
 * child_process: Node destroys a child's stdin and drains its unread output when that child
 * exits, and the child it spawns (the launcher) exits before the program runs.
 */
export class Plumbing {
  /** What the launcher gets as its descriptors 0, 1, 2, extra..., channel. */
  readonly launcherStdio: Array<'inherit' | 'ignore' | number>;
  /** What a pre-started launcher is sent, in order, for the program's 0, 1, 2, extra... */
  private readonly programFds: number[];
  readonly stdin: Writable | null = null;
  readonly stdout: Readable | null = null;
  readonly stderr: Readable | null = null;
  /**
   * The channel's descriptor on our side: written and read synchronously by an in-process
   * spawn, which never makes it a stream (`channel`).
   */
  readonly channelFd: number;
  private channelStream: Socket | undefined;
  private channelClosed = false;
  /** Our end of the socketpair setup hooks send descriptors over (not read by libuv: SCM_RIGHTS). */
  private fdChannel: number;
  /** A pooled launcher's fd channel, over which the descriptors above are sent (not ours to close). */
  private launcherFdChannel = -1;
  /** Our copies of the launcher's ends: closed once the launcher has been started. */
  private readonly theirs: number[] = [];

  /** With `pooled`, the channels of a pre-started launcher, to which sendProgramFds sends them. */
  constructor(
    stdio: [StdioSpec, StdioSpec, StdioSpec],
    extraFds: number[],
    pooled?: Pick<LauncherChannels, 'fdChannel'>,
  ) {
    const ends = stdio.map((spec, fd) => {
      if (spec !== 'pipe') return { theirs: spec, ours: null };
      const [r, w] = libc.pipe2(F.O_CLOEXEC);
      this.theirs.push(fd === 0 ? r : w);
      const ours =
        fd === 0
          ? new (net().Socket)({ fd: w, readable: false, writable: true })
          : new (net().Socket)({ fd: r, readable: true, writable: false });
      return { theirs: fd === 0 ? r : w, ours };
    });
    this.stdin = ends[0]!.ours;
    this.stdout = ends[1]!.ours;
    this.stderr = ends[2]!.ours;
    this.launcherStdio = [...ends.map((e) => e.theirs), ...extraFds];
    this.programFds = [];
    // The spawn's own channel and fd channel, also with a pooled launcher (which serves spawn
    // after spawn): the end of this channel is what confirms the exec.
    const [mine, theirs] = libc.socketpair(S.AF_UNIX, S.SOCK_STREAM | S.SOCK_CLOEXEC);
    this.theirs.push(theirs);
    this.channelFd = mine;
    // Blocking on the child's side (a hook's sendFd never fails with EAGAIN), non-blocking on
    // ours (the parent drains it once the child is ready, without waiting).
    const [fdMine, fdTheirs] = libc.socketpair(S.AF_UNIX, S.SOCK_STREAM | S.SOCK_CLOEXEC);
    libc.fcntl(fdMine, F.F_SETFL, libc.fcntl(fdMine, F.F_GETFL) | F.O_NONBLOCK);
    this.fdChannel = fdMine;
    this.theirs.push(fdTheirs);
    if (pooled) {
      // What child_process would have given a launcher started for the spawn: our own 0-2
      // for 'inherit', /dev/null for 'ignore'.
      for (const [fd, e] of ends.entries()) {
        if (e.theirs === 'inherit') this.programFds.push(fd);
        else if (e.theirs === 'ignore') {
          const devNull = libc.open('/dev/null', F.O_RDWR | F.O_CLOEXEC);
          this.theirs.push(devNull);
          this.programFds.push(devNull);
        } else this.programFds.push(e.theirs);
      }
      this.programFds.push(...extraFds, theirs, fdTheirs);
      this.launcherFdChannel = pooled.fdChannel;
      return;
    }
    this.launcherStdio.push(theirs, fdTheirs);
  }

  /** Our end of the channel as a stream, made on first use (it owns channelFd from then on). */
  get channel(): Socket {
    this.channelStream ??= new (net().Socket)({
      fd: this.channelFd,
      readable: true,
      writable: true,
    });
    return this.channelStream;
  }

  /** Closes our end of the channel, a stream or not. */
  closeChannel(): void {
    if (this.channelStream) this.channelStream.destroy();
    else if (!this.channelClosed) libc.close(this.channelFd);
    this.channelClosed = true;
  }

  /**
   * Sends a pooled launcher the program's descriptors, then the spawn's channel and fd channel
   * (SCM_RIGHTS); returns how many. Throws (EPIPE) when the launcher is gone.
   */
  sendProgramFds(): number {
    for (let i = 0; i < this.programFds.length; i += FD_CHUNK)
      libc.sendFds(this.launcherFdChannel, this.programFds.slice(i, i + FD_CHUNK));
    return this.programFds.length;
  }

  /**
   * What a launcher in this very process hands its clone child (spawn's inProcess): the
   * program's descriptors, then the child's ends of the channel and the fd channel.
   */
  programDescriptors(): number[] {
    return [...this.programFds];
  }

  /** The descriptors sent so far (the child sent them before saying it is ready). */
  receiveFds(): number[] {
    const fds: number[] = [];
    for (;;) {
      try {
        const got = libc.recvFds(this.fdChannel);
        if (got.data.length === 0) return fds;
        fds.push(...got.fds);
      } catch (e) {
        if (libc.isErrnoError(e, 'EAGAIN')) return fds;
        throw e;
      }
    }
  }

  closeFdChannel(): void {
    if (this.fdChannel >= 0) libc.close(this.fdChannel);
    this.fdChannel = -1;
  }

  /** After the launcher has its copies: ours would keep the program's pipes from ending. */
  closeTheirs(): void {
    for (const fd of this.theirs.splice(0)) libc.close(fd);
  }

  destroy(): void {
    this.closeTheirs();
    this.closeFdChannel();
    for (const s of [this.stdin, this.stdout, this.stderr]) s?.destroy();
    this.closeChannel();
  }
}
