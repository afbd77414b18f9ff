/**
 * The heavy half of the images commands: `pull`, `images`, `rmi`, and the pulls and source checks
 * of `run IMAGE`. It loads @rootless-ts/image (registries, OCI layouts, archives, with the
 * registry client's HTTP library): about 0.9 MB of bundled JavaScript, which a `run` of an image
 * already in the store never needs (image.ts imports this module only when it must).
 */
import { ImageError, type ImageSource, openSource, type SourceOptions } from '@rootless-ts/image';
import {
  humanSize,
  openStore,
  type PullProgress,
  progressLine,
  type Store,
  StoreError,
} from '@rootless-ts/store';
import type { SingleBar } from 'cli-progress';
import { errorLine, RootlessError, SETUP_FAILED } from './errors.js';
import { interruptible, parseCreds, parseTlsVerify, type RawPullOptions } from './image.js';
import { storeName } from './image-arg.js';
import { say } from './run.js';

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
export function imageFailure(e: unknown, what: string, step = 'pull'): RootlessError {
  if (e instanceof RootlessError) return e;
  if (e instanceof ImageError || e instanceof StoreError) return new RootlessError(step, e.message);
  return new RootlessError(what, { cause: e });
}

/**
 * Whether the store's image of that name is what the file source holds now (same manifest):
 * then `run` uses it without a pull and without a line about it.
 */
export async function upToDate(store: Store, name: string, spec: string, raw: RawPullOptions) {
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
