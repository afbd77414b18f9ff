/**
 * Images in the `rootless` command: `run IMAGE` here, and `pull`, `images`, `rmi` through
 * image-pull.ts. The work is done by @rootless-ts/image (sources: registries, OCI layouts,
 * archives) and @rootless-ts/store (verified blobs, layers extracted once, a container's
 * writable layer); this module chooses, reports and cleans up. Loaded only when an image is
 * involved: a `rootless run` on host files or `--root` never pays for it. It loads the image
 * package (image-pull.ts) only to pull or to re-read a file source that changed: running an
 * image already in the store costs the store's code alone.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getrandom, kernelRelease } from '@rootless-ts/libc';
import {
  defaultStoreRoot,
  formatImageTable,
  openStore,
  type PreparedContainer,
  type Store,
  type StoredImage,
  StoreError,
} from '@rootless-ts/store';
import { errorLine, RootlessError, SETUP_FAILED } from './errors.js';
import { storeName, TRANSPORT } from './image-arg.js';
import { applyImageConfig, type ImageRunConfig } from './image-config.js';
import { type ParseContext, parseRunRequest, type RawRunOptions } from './options.js';
import { runContainer, say } from './run.js';
import { recordSourceStamp, sourceStamp, stampedDigest, stampKey } from './source-stamp.js';

/** Options of `pull` (and of `run` when it pulls), as podman spells them. */
export interface RawPullOptions {
  tlsVerify?: string | boolean;
  platform?: string;
  authfile?: string;
  creds?: string;
}

export interface RawImageRunOptions extends RawRunOptions, RawPullOptions {
  entrypoint?: string;
}

/** `--tls-verify`, `--tls-verify=true|false` (podman's boolean flag). */
export function parseTlsVerify(v: string | boolean | undefined): boolean | undefined {
  if (v === undefined || typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new RootlessError('--tls-verify', `"${v}" is not true or false`);
}

/** `--creds USER[:PASSWORD]` (podman's spelling). */
export function parseCreds(v: string): { username: string; password: string } {
  const colon = v.indexOf(':');
  const username = colon < 0 ? v : v.slice(0, colon);
  if (username === '') throw new RootlessError('--creds', 'expected USER:PASSWORD');
  return { username, password: colon < 0 ? '' : v.slice(colon + 1) };
}

/**
 * Ctrl-C or SIGTERM while pulling or preparing: abort the work (the store keeps nothing it would
 * trust), then end with 128+N as a shell would report the signal.
 */
export function interruptible(): {
  signal: AbortSignal;
  caught(): number | undefined;
  stop(): void;
} {
  const ac = new AbortController();
  let caught: number | undefined;
  const numbers: Record<string, number> = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 };
  const handler = (name: NodeJS.Signals) => {
    caught ??= numbers[name];
    ac.abort(new Error(`interrupted by ${name}`));
  };
  for (const s of Object.keys(numbers)) process.on(s, handler);
  return {
    signal: ac.signal,
    caught: () => caught,
    stop: () => {
      for (const s of Object.keys(numbers)) process.off(s, handler);
    },
  };
}

/** `rootless pull`: the image's id on stdout, as podman prints it. */
export async function pullCommand(spec: string, raw: RawPullOptions): Promise<number> {
  return (await import('./image-pull.js')).pullCommand(spec, raw);
}

/** `rootless images`: podman's table (the store's code alone). */
export function imagesCommand(): number {
  const root = defaultStoreRoot();
  const list = existsSync(join(root, 'images.json')) ? openStore({ root }).list() : [];
  for (const line of formatImageTable(list)) process.stdout.write(`${line}\n`);
  return 0;
}

/** `rootless rmi [-f] REF...`: podman's `Untagged:` / `Deleted:` lines; 125 if any failed. */
export async function rmiCommand(refs: string[], opts: { force?: boolean }): Promise<number> {
  return (await import('./image-pull.js')).rmiCommand(refs, opts);
}

/**
 * A failure of the run's own steps, as one line: the store's messages name the image or file
 * already (pull failures arrive as RootlessError from image-pull.ts).
 */
function runFailure(e: unknown, what: string, step = 'run'): RootlessError {
  if (e instanceof RootlessError) return e;
  if (e instanceof StoreError) return new RootlessError(step, e.message);
  return new RootlessError(what, { cause: e });
}

/** The stored image of that name, or undefined (not pulled, or a layer went missing). */
function storedImage(store: Store, name: string): StoredImage | undefined {
  try {
    return store.get(name);
  } catch {
    return undefined;
  }
}

/**
 * 'overlay' when overlay is known to mount over this store on this kernel, else 'auto' (the
 * store probes, which costs a process in a user namespace: about a third of a second here, on
 * every run). A success is remembered per kernel release in the store's root; a failure is not,
 * so a fixed host is noticed.
 */
async function overlayMode(store: Store): Promise<'overlay' | 'auto'> {
  const file = join(store.root, 'overlay-support.json');
  const kernel = kernelRelease();
  try {
    if (JSON.parse(readFileSync(file, 'utf8')).kernel === kernel) return 'overlay';
  } catch {
    // Not probed yet on this kernel.
  }
  const support = await store.overlaySupport();
  if (support.supported) {
    try {
      writeFileSync(`${file}.${process.pid}`, JSON.stringify({ kernel }));
      renameSync(`${file}.${process.pid}`, file);
    } catch {
      // Only a cache.
    }
  }
  return 'auto';
}

/** Removes containers whose `rootless` process is gone (SIGKILLed, or the machine crashed). */
async function reapStale(store: Store): Promise<void> {
  for (const c of store.containers()) {
    let alive = true;
    try {
      process.kill(c.pid, 0);
    } catch (e) {
      alive = (e as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (!alive) await store.removeContainer(c.id).catch(() => {});
  }
}

/**
 * `rootless run [options] IMAGE [COMMAND [ARG...]]`: pull when missing (for the `oci:` and
 * archive transports, files that may have changed, also when their stamp says they did; their
 * layers are found in the store), give the container its own writable layer, run it, remove the
 * layer when the container has ended, whatever the way.
 */
export async function runImage(
  image: string,
  args: string[],
  raw: RawImageRunOptions,
  ctx: ParseContext,
  opts: { guessed?: boolean } = {},
): Promise<number> {
  const guard = interruptible();
  let prepared: PreparedContainer | undefined;
  try {
    let store: Store;
    let name: string;
    let applied: ReturnType<typeof applyImageConfig>;
    let req: ReturnType<typeof parseRunRequest>;
    try {
      name = storeName(image, ctx.cwd);
      store = openStore();
      let stored = storedImage(store, name);
      const fileSource = TRANSPORT.test(image) && !image.startsWith('docker://');
      const key = stampKey(name, raw.platform);
      // Files that may have changed since the image was stored: re-read unless their stamp
      // is the one recorded when they last gave the stored manifest (registry images are
      // pulled only when missing).
      if (stored && fileSource) {
        const stamp = sourceStamp(name);
        if (
          stamp === undefined ||
          stampedDigest(store.root, key, stamp) !== stored.manifestDigest
        ) {
          const { upToDate } = await import('./image-pull.js');
          if (await upToDate(store, name, image, raw)) {
            if (stamp !== undefined)
              recordSourceStamp(store.root, key, stamp, stored.manifestDigest);
          } else stored = undefined;
        }
      }
      if (!stored) {
        // Taken before the pull reads the files: a change meanwhile gives a stamp of its own.
        const stamp = fileSource ? sourceStamp(name) : undefined;
        try {
          const { pullInto } = await import('./image-pull.js');
          name = (await pullInto(store, image, raw, guard.signal)).name;
        } catch (e) {
          // `rootless run sl`: most likely a typo of a command, not an image on Docker Hub.
          if (opts.guessed && guard.caught() === undefined) {
            throw new RootlessError(
              image,
              `no such command on this host, and no such image: ${(e as RootlessError).why ?? e}`,
            );
          }
          throw e;
        }
        stored = store.get(name);
        if (stamp !== undefined) recordSourceStamp(store.root, key, stamp, stored.manifestDigest);
      }
      applied = applyImageConfig(image, stored.config.config as ImageRunConfig | undefined, {
        args,
        ...(raw.entrypoint !== undefined ? { entrypoint: raw.entrypoint } : {}),
        ...(raw.user !== undefined ? { user: raw.user } : {}),
        ...(raw.workdir !== undefined ? { workdir: raw.workdir } : {}),
      });
      // Parsed as with --root (volumes need a root): the root itself is set once prepared.
      req = parseRunRequest(
        {
          ...raw,
          root: store.root,
          workdir: applied.workdir,
          user: applied.user,
        },
        applied.command,
        ctx,
      );
      req.env = [...applied.env, ...req.env];
      await reapStale(store);
      // getrandom(2), not node:crypto: loading that costs about 8 ms of a command's start.
      const id = getrandom(16).toString('hex');
      // The upper directory gets its owner in the container's own setup: no process of the
      // store's before the container starts.
      prepared = await store.prepareContainer(name, {
        id,
        mode: await overlayMode(store),
        upperOwner: 'container',
      });
      if (prepared.fallbackReason) {
        say(`rootless: warning: ${prepared.fallbackReason}: using a copy of the image's layers`);
      }
      req.root = prepared.mergedHint;
      req.image = { layers: [...prepared.lowerdirs] };
      if (prepared.mode === 'overlay') {
        req.image.overlay = {
          lowerdirs: [...prepared.lowerdirs].reverse(),
          upperdir: prepared.upperdir!,
          workdir: prepared.workdir!,
          ...(prepared.upperOwnerLike !== undefined
            ? { upperOwnerLike: prepared.upperOwnerLike }
            : {}),
        };
      }
    } catch (e) {
      const n = guard.caught();
      if (n !== undefined) return 128 + n;
      say(errorLine(runFailure(e, image)));
      return SETUP_FAILED;
    }
    const early = guard.caught();
    if (early !== undefined) return 128 + early;
    // While the container runs, runContainer forwards signals to it.
    guard.stop();
    const status = await runContainer(req);
    return status;
  } finally {
    guard.stop();
    if (prepared) {
      // A second Ctrl-C must not stop the removal of the writable layer.
      const ignore = () => {};
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, ignore);
      await prepared
        .cleanup()
        .catch((e) =>
          say(errorLine(runFailure(e, 'removing the container', 'removing the container'))),
        );
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.off(s, ignore);
    }
  }
}
