/**
 * Images in the `rootless` command: `pull`, `images`, `rmi`, and `run IMAGE`. The work is done by
 * @rootless-ts/image (sources: registries, OCI layouts, archives) and @rootless-ts/store (verified
 * blobs, layers extracted once, a container's writable layer); this module chooses, reports and
 * cleans up. Loaded only when an image is involved: a `rootless run` on host files or `--root`
 * never pays for it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { ImageError, type ImageSource, openSource, type SourceOptions } from '@rootless-ts/image';
import {
  defaultStoreRoot,
  formatImageTable,
  humanSize,
  openStore,
  type PreparedContainer,
  type PullProgress,
  progressLine,
  type Store,
  StoreError,
} from '@rootless-ts/store';
import type { SingleBar } from 'cli-progress';
import { errorLine, RootlessError, SETUP_FAILED } from './errors.js';
import { storeName, TRANSPORT } from './image-arg.js';
import { applyImageConfig, type ImageRunConfig } from './image-config.js';
import { type ParseContext, parseRunRequest, type RawRunOptions } from './options.js';
import { runContainer, say } from './run.js';

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

export function sourceOptions(raw: RawPullOptions): SourceOptions {
  const o: SourceOptions = {};
  const tls = parseTlsVerify(raw.tlsVerify);
  if (tls !== undefined) o.tlsVerify = tls;
  if (raw.platform !== undefined) o.platform = raw.platform;
  if (raw.authfile !== undefined) o.authFile = raw.authfile;
  if (raw.creds !== undefined) o.credentials = parseCreds(raw.creds);
  return o;
}

/**
 * One line for an image or store failure: `rootless: pull: <message>` (their messages name the
 * image or file already), else `rootless: <what>: <the chain of causes>`.
 */
function imageFailure(e: unknown, what: string, step = 'pull'): RootlessError {
  if (e instanceof RootlessError) return e;
  if (e instanceof ImageError || e instanceof StoreError) return new RootlessError(step, e.message);
  return new RootlessError(what, { cause: e });
}

/**
 * Whether the store's image of that name is what the file source holds now (same manifest):
 * then `run` uses it without a pull and without a line about it.
 */
async function upToDate(store: Store, name: string, spec: string, raw: RawPullOptions) {
  let digest: string;
  try {
    digest = store.get(name).manifestDigest;
  } catch {
    return false;
  }
  const source = openSource(spec, sourceOptions(raw));
  try {
    return (await source.resolve()).manifestDigest === digest;
  } catch {
    return false; // the pull says why
  } finally {
    await source.close().catch(() => {});
  }
}

/** Progress on stderr: bars on a terminal (cli-progress), else one plain line per layer step. */
async function progressReporter(): Promise<{
  onProgress: (p: PullProgress) => void;
  stop(): void;
}> {
  if (!process.stderr.isTTY) {
    return {
      onProgress: (p) => {
        const line = progressLine(p);
        if (line !== undefined) say(line);
      },
      stop() {},
    };
  }
  const { MultiBar, Presets } = await import('cli-progress');
  const multi = new MultiBar(
    {
      stream: process.stderr,
      format: '{id} {phase} [{bar}] {value}/{total}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      autopadding: true,
      // Sizes as `rootless images` prints them (SI units, three digits).
      formatValue: (v, _o, type) =>
        type === 'value' || type === 'total' ? humanSize(v) : String(v),
    },
    Presets.shades_classic,
  );
  const bars = new Map<string, SingleBar>();
  return {
    onProgress: (p) => {
      const id = p.layer.replace(/^sha256:/, '').slice(0, 12);
      let bar = bars.get(p.layer);
      if (!bar) {
        bar = multi.create(p.total, 0, { id, phase: p.phase });
        bars.set(p.layer, bar);
      }
      const value = p.phase === 'done' || p.phase === 'exists' ? p.total : p.bytes;
      bar.update(value, { id, phase: p.phase.padEnd(11) });
    },
    stop: () => multi.stop(),
  };
}

/**
 * Ctrl-C or SIGTERM while pulling or preparing: abort the work (the store keeps nothing it would
 * trust), then end with 128+N as a shell would report the signal.
 */
function interruptible(): { signal: AbortSignal; caught(): number | undefined; stop(): void } {
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

/** Pulls `spec` into the store, printing podman's lines and progress on stderr. */
export async function pullInto(
  store: Store,
  spec: string,
  raw: RawPullOptions,
  signal?: AbortSignal,
): Promise<{ name: string; configDigest: string }> {
  let source: ImageSource;
  try {
    source = openSource(spec, sourceOptions(raw));
  } catch (e) {
    throw imageFailure(e, spec);
  }
  say(`Trying to pull ${source.name}...`);
  const progress = await progressReporter();
  try {
    const r = await store.pull(source, {
      onProgress: progress.onProgress,
      ...(signal ? { signal } : {}),
    });
    progress.stop();
    return { name: r.name, configDigest: r.configDigest };
  } catch (e) {
    progress.stop();
    throw imageFailure(e, spec);
  } finally {
    await source.close().catch(() => {});
  }
}

/** `rootless pull`: the image's id on stdout, as podman prints it. */
export async function pullCommand(spec: string, raw: RawPullOptions): Promise<number> {
  const guard = interruptible();
  try {
    const r = await pullInto(openStore(), spec, raw, guard.signal);
    process.stdout.write(`${r.configDigest.replace(/^sha256:/, '')}\n`);
    return 0;
  } catch (e) {
    const n = guard.caught();
    if (n !== undefined) return 128 + n;
    say(errorLine(e));
    return SETUP_FAILED;
  } finally {
    guard.stop();
  }
}

/** `rootless images`: podman's table. */
export function imagesCommand(): number {
  const root = defaultStoreRoot();
  const list = existsSync(join(root, 'images.json')) ? openStore({ root }).list() : [];
  for (const line of formatImageTable(list)) process.stdout.write(`${line}\n`);
  return 0;
}

/** The store's name for what the user typed, or the text itself (an id, a digest). */
function lookupName(ref: string): string {
  try {
    return storeName(ref);
  } catch {
    return ref;
  }
}

/** `rootless rmi [-f] REF...`: podman's `Untagged:` / `Deleted:` lines; 125 if any failed. */
export async function rmiCommand(refs: string[], opts: { force?: boolean }): Promise<number> {
  const store = openStore();
  let status = 0;
  for (const ref of refs) {
    try {
      let name = lookupName(ref);
      let id: string;
      try {
        id = store.get(name).configDigest;
      } catch {
        name = ref; // an id prefix or a digest
        id = store.get(name).configDigest;
      }
      const r = await store.remove(name, { force: opts.force ?? false });
      for (const u of r.untagged) process.stdout.write(`Untagged: ${u}\n`);
      // podman's image id: the config digest.
      if (r.deleted.length > 0) process.stdout.write(`Deleted: ${id.replace(/^sha256:/, '')}\n`);
    } catch (e) {
      say(errorLine(imageFailure(e, ref, 'rmi')));
      status = SETUP_FAILED;
    }
  }
  return status;
}

/**
 * 'overlay' when overlay is known to mount over this store on this kernel, else 'auto' (the
 * store probes, which costs a process in a user namespace: about a third of a second here, on
 * every run). A success is remembered per kernel release in the store's root; a failure is not,
 * so a fixed host is noticed.
 */
async function overlayMode(store: Store): Promise<'overlay' | 'auto'> {
  const file = join(store.root, 'overlay-support.json');
  const kernel = release();
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
 * `rootless run [options] IMAGE [COMMAND [ARG...]]`: pull when missing (always re-read for the
 * `oci:` and archive transports, which are files that may have changed; their layers are found
 * in the store), give the container its own writable layer, run it, remove the layer when the
 * container has ended, whatever the way.
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
      let have = false;
      if (!TRANSPORT.test(image) || image.startsWith('docker://')) {
        try {
          store.get(name);
          have = true;
        } catch {
          have = false;
        }
      } else {
        have = await upToDate(store, name, image, raw);
      }
      if (!have) {
        try {
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
      }
      const stored = store.get(name);
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
      const id = randomBytes(16).toString('hex');
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
      say(errorLine(imageFailure(e, image, 'run')));
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
          say(errorLine(imageFailure(e, 'removing the container', 'removing the container'))),
        );
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.off(s, ignore);
    }
  }
}
