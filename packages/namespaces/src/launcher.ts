/**
 * The launcher: a disposable Node process (DESIGN part 1). It reads the config from the channel,
 * imports the setup hooks, and clones the container child with CLONE_PARENT | CLONE_VM |
 * CLONE_VFORK and the namespace flags. The child runs JavaScript in this process's memory while
 * this thread waits; the parent kills this process before the child executes its program, since
 * resuming here after that would corrupt V8's state (DESIGN 1.4).
 *
 * Usage: node --single-threaded launcher.js CHANNEL_FD
 */
import { pathToFileURL } from 'node:url';
import { clone as CL, signal } from '@rootless-ts/constants';
import * as libc from '@rootless-ts/libc';
import { runChild, type SetupHook } from './child.js';
import { serializeError } from './errors.js';
import { cloneFlags } from './kinds.js';
import type { SetupHookSpec } from './protocol.js';
import { SyncChannel } from './sync-channel.js';

async function loadHook(spec: SetupHookSpec): Promise<SetupHook> {
  const url = spec.module.startsWith('file:') ? spec.module : pathToFileURL(spec.module).href;
  const mod = (await import(url)) as Record<string, unknown>;
  const name = spec.export ?? ('setup' in mod ? 'setup' : 'default');
  let fn = mod[name];
  // A CommonJS module's exports arrive as the default export.
  if (typeof fn !== 'function' && mod.default && typeof mod.default === 'object') {
    fn = (mod.default as Record<string, unknown>)[name];
  }
  if (typeof fn !== 'function')
    throw new Error(`setup hook ${spec.module} has no function export "${name}"`);
  return fn as SetupHook;
}

async function main(): Promise<number> {
  const channel = new SyncChannel(Number(process.argv[2]));
  const first = channel.receive();
  if (first?.t !== 'config') return 2;
  const cfg = first.config;
  let hooks: SetupHook[];
  try {
    hooks = await Promise.all(cfg.setup.map(loadHook));
  } catch (e) {
    channel.trySend({ t: 'error', error: serializeError('setup', e) });
    return 1;
  }
  const flags =
    CL.CLONE_PARENT | CL.CLONE_VM | CL.CLONE_VFORK | cloneFlags(cfg.namespaces) | signal.SIGCHLD;
  try {
    libc.clone(() => runChild(cfg, hooks, channel), flags);
  } catch (e) {
    channel.trySend({ t: 'error', error: serializeError('clone', e) });
    return 1;
  }
  // Reached only when the child gave up before exec (it reported why).
  return 0;
}

main().then(
  (code) => process.exit(code),
  () => process.exit(1),
);
