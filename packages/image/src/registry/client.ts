import { Agent, fetch as undiciFetch } from 'undici';
import * as v from 'valibot';
import { ImageError } from '../errors.js';
import type { Credentials } from '../source.js';
import { type Challenge, parseChallenges } from './challenge.js';

/** HTTP answers worth asking again for: overload, gateway trouble, rate limits. */
const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const MAX_REDIRECTS = 10;
const MAX_RETRY_DELAY_MS = 10_000;
const MAX_RETRY_AFTER_S = 30;
/** Token answers and error bodies are small; anything larger is not read. */
const MAX_TOKEN_BODY_BYTES = 1024 * 1024;
const MAX_ERROR_BODY_BYTES = 64 * 1024;
/** Refresh a bearer token this long before the registry said it expires. */
const TOKEN_EXPIRY_MARGIN_MS = 10_000;
/** Token servers that omit expires_in mean 60 s (the distribution token spec's default). */
const DEFAULT_TOKEN_LIFETIME_S = 60;

const TokenResponseSchema = v.looseObject({
  token: v.optional(v.string()),
  access_token: v.optional(v.string()),
  expires_in: v.optional(v.number()),
});

export interface RegistryClientOptions {
  tlsVerify?: boolean | undefined;
  credentials?: Credentials | undefined;
  retries?: number | undefined;
  retryDelayMs?: number | undefined;
  userAgent?: string | undefined;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  method?: string;
}

type FetchLike = (url: string, init: RequestInit & { dispatcher?: unknown }) => Promise<Response>;

/** Loopback hosts docker and podman let speak plain HTTP without being told. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** True for errors fetch throws when there was no HTTP answer (refused, reset, TLS failure). */
function isNetworkError(err: unknown): boolean {
  return (
    err instanceof TypeError ||
    (err as { code?: string })?.code?.startsWith?.('UND_ERR') === true ||
    ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT'].includes(
      (err as { code?: string })?.code ?? '',
    )
  );
}

function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new ImageError('ERR_ABORTED', 'aborted', { cause: signal.reason }));
      return;
    }
    const onAbort = () => {
      clearTimeout(t);
      reject(new ImageError('ERR_ABORTED', 'aborted', { cause: signal?.reason }));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A Distribution API v2 client for one registry host: scheme detection, authentication
 * (anonymous, basic, bearer tokens from WWW-Authenticate challenges), redirects (dropping
 * Authorization when they leave the registry's origin) and retries. Safe for concurrent use.
 */
export class RegistryClient {
  readonly retries: number;
  private readonly retryDelayMs: number;
  private base?: Promise<string>;
  private readonly insecureAgent?: Agent;
  private readonly fetchImpl: FetchLike;
  /** How the registry wants to be authenticated, learnt from its first 401. */
  private challenge?: Challenge;
  private readonly tokens = new Map<string, Promise<{ token: string; expires: number }>>();

  constructor(
    readonly host: string,
    private readonly opts: RegistryClientOptions = {},
  ) {
    this.retries = opts.retries ?? 3;
    this.retryDelayMs = opts.retryDelayMs ?? 500;
    if (opts.tlsVerify === false) {
      // Node's fetch has no option for unverified TLS; undici's own fetch with an Agent does.
      this.insecureAgent = new Agent({ connect: { rejectUnauthorized: false } });
      const agent = this.insecureAgent;
      this.fetchImpl = (url, init) =>
        undiciFetch(url, {
          ...(init as object),
          dispatcher: agent,
        }) as unknown as Promise<Response>;
    } else {
      this.fetchImpl = (url, init) => fetch(url, init);
    }
  }

  /**
   * `https://host` or, for a loopback registry or with tlsVerify false, `http://host` when
   * HTTPS does not answer (podman's and docker's fallback for insecure registries).
   */
  baseUrl(signal?: AbortSignal): Promise<string> {
    if (this.base) return this.base;
    const https = `https://${this.host}`;
    if (this.opts.tlsVerify !== false && !isLoopbackHost(this.host)) {
      this.base = Promise.resolve(https);
      return this.base;
    }
    this.base = (async () => {
      try {
        const res = await this.fetchImpl(`${https}/v2/`, {
          method: 'GET',
          redirect: 'manual',
          ...(signal ? { signal } : {}),
        });
        await res.body?.cancel();
        return https;
      } catch (err) {
        if (signal?.aborted) {
          throw new ImageError('ERR_ABORTED', `${this.host}: aborted`, { cause: signal.reason });
        }
        // A registry that speaks TLS with a certificate we cannot verify is not one to fall
        // back to plain HTTP for: say why, as podman does.
        const code = (err as { cause?: { code?: string } }).cause?.code ?? '';
        if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code)) {
          throw new ImageError(
            'ERR_NETWORK',
            `${this.host}: TLS certificate not trusted (${code}); pass tlsVerify false (--tls-verify=false) to use it anyway`,
            { cause: err },
          );
        }
        return `http://${this.host}`;
      }
    })();
    this.base.catch(() => {
      this.base = undefined;
    });
    return this.base;
  }

  private retryDelay(attempt: number, res?: Response): number {
    const after = Number(res?.headers.get('retry-after'));
    if (Number.isFinite(after) && after > 0 && after <= MAX_RETRY_AFTER_S) return after * 1000;
    return Math.min(this.retryDelayMs * 2 ** attempt, MAX_RETRY_DELAY_MS);
  }

  /**
   * GET (or HEAD) `path` on the registry for `scope`, authenticated, redirects followed and
   * retried; the response is returned as is (any status) for the caller to judge.
   */
  async request(path: string, scope: string, opts: RequestOptions = {}): Promise<Response> {
    const url = `${await this.baseUrl(opts.signal)}${path}`;
    let authRetried = false;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await this.follow(url, await this.authorization(scope, opts.signal), opts);
      } catch (err) {
        if (opts.signal?.aborted && !(err instanceof ImageError)) {
          throw new ImageError('ERR_ABORTED', `${this.host}: aborted`, {
            cause: opts.signal.reason,
          });
        }
        if (err instanceof ImageError || !isNetworkError(err)) throw err;
        if (attempt >= this.retries) {
          throw new ImageError(
            'ERR_NETWORK',
            `${this.host}: ${describeNetworkError(err)} (after ${attempt + 1} attempts)`,
            {
              cause: err,
            },
          );
        }
        await sleep(this.retryDelay(attempt), opts.signal);
        continue;
      }
      if (res.status === 401 && !authRetried) {
        const header = res.headers.get('www-authenticate');
        await res.body?.cancel();
        if (!header)
          throw new ImageError(
            'ERR_UNAUTHORIZED',
            `${this.host}: 401 without a WWW-Authenticate challenge`,
            { status: 401 },
          );
        this.learnChallenge(header);
        authRetried = true;
        attempt--;
        continue;
      }
      if (RETRY_STATUS.has(res.status) && attempt < this.retries) {
        await res.body?.cancel();
        await sleep(this.retryDelay(attempt, res), opts.signal);
        continue;
      }
      return res;
    }
  }

  /** Follows redirects by hand so Authorization never reaches another origin (blob storage). */
  private async follow(
    url: string,
    authorization: string | undefined,
    opts: RequestOptions,
  ): Promise<Response> {
    let current = new URL(url);
    const origin = current.origin;
    for (let hops = 0; hops <= MAX_REDIRECTS; hops++) {
      const headers: Record<string, string> = { ...opts.headers };
      if (this.opts.userAgent) headers['user-agent'] = this.opts.userAgent;
      if (authorization && current.origin === origin) headers.authorization = authorization;
      const res = await this.fetchImpl(current.href, {
        method: opts.method ?? 'GET',
        headers,
        redirect: 'manual',
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.body?.cancel();
        const next = new URL(location, current);
        if (current.protocol === 'https:' && next.protocol !== 'https:') {
          throw new ImageError(
            'ERR_REGISTRY',
            `${this.host}: refusing a redirect from HTTPS to ${next.protocol}`,
          );
        }
        current = next;
        continue;
      }
      return res;
    }
    throw new ImageError('ERR_REGISTRY', `${this.host}: more than ${MAX_REDIRECTS} redirects`);
  }

  private learnChallenge(header: string): void {
    const all = parseChallenges(header);
    const chosen = all.find((c) => c.scheme === 'bearer') ?? all.find((c) => c.scheme === 'basic');
    if (!chosen) {
      throw new ImageError(
        'ERR_UNAUTHORIZED',
        `${this.host}: unsupported authentication challenge ${header}`,
        { status: 401 },
      );
    }
    if (chosen.scheme === 'basic' && !this.opts.credentials) {
      throw new ImageError(
        'ERR_UNAUTHORIZED',
        `${this.host}: the registry requires a login and no credentials were found (podman login / an auth file)`,
        { status: 401 },
      );
    }
    this.challenge = chosen;
    this.tokens.clear();
  }

  private async authorization(scope: string, signal?: AbortSignal): Promise<string | undefined> {
    const c = this.challenge;
    if (!c) return undefined;
    if (c.scheme === 'basic') {
      const { username, password } = this.opts.credentials as Credentials;
      return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    }
    let pending = this.tokens.get(scope);
    if (pending) {
      const t = await pending.catch(() => undefined);
      if (t && t.expires > Date.now()) return `Bearer ${t.token}`;
    }
    pending = this.fetchToken(c, scope, signal);
    this.tokens.set(scope, pending);
    pending.catch(() => this.tokens.delete(scope));
    return `Bearer ${(await pending).token}`;
  }

  /** The distribution token protocol: GET realm?service=...&scope=..., basic auth when we have credentials. */
  private async fetchToken(
    c: Challenge,
    scope: string,
    signal?: AbortSignal,
  ): Promise<{ token: string; expires: number }> {
    const realm = c.params.realm;
    if (!realm)
      throw new ImageError('ERR_UNAUTHORIZED', `${this.host}: bearer challenge without a realm`, {
        status: 401,
      });
    let url: URL;
    try {
      url = new URL(realm);
    } catch (err) {
      throw new ImageError('ERR_UNAUTHORIZED', `${this.host}: bearer realm ${realm} is not a URL`, {
        cause: err,
      });
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new ImageError(
        'ERR_UNAUTHORIZED',
        `${this.host}: bearer realm ${realm} is not http(s)`,
      );
    }
    if (c.params.service) url.searchParams.set('service', c.params.service);
    url.searchParams.append('scope', scope);
    const headers: Record<string, string> = {};
    if (this.opts.userAgent) headers['user-agent'] = this.opts.userAgent;
    if (this.opts.credentials) {
      // The realm is the registry's choice of host: never send the password there in clear
      // text unless it is this machine.
      if (url.protocol === 'http:' && !isLoopbackHost(url.host)) {
        throw new ImageError(
          'ERR_UNAUTHORIZED',
          `${this.host}: refusing to send credentials to the token server ${url.origin} over plain HTTP`,
        );
      }
      const { username, password } = this.opts.credentials;
      headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    }
    let res: Response | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        res = await this.fetchImpl(url.href, {
          headers,
          redirect: 'follow',
          ...(signal ? { signal } : {}),
        });
      } catch (err) {
        if (signal?.aborted || attempt >= this.retries || !isNetworkError(err)) {
          throw new ImageError(
            'ERR_NETWORK',
            `${url.host}: token request failed: ${describeNetworkError(err)}`,
            { cause: err },
          );
        }
        await sleep(this.retryDelay(attempt), signal);
        continue;
      }
      if (RETRY_STATUS.has(res.status) && attempt < this.retries) {
        await res.body?.cancel();
        await sleep(this.retryDelay(attempt, res), signal);
        continue;
      }
      break;
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw new ImageError(
        'ERR_UNAUTHORIZED',
        `${this.host}: the token server refused ${this.opts.credentials ? 'the credentials' : 'an anonymous token'} for ${scope} (${res.status})`,
        { status: res.status },
      );
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new ImageError('ERR_REGISTRY', `${this.host}: token server answered ${res.status}`, {
        status: res.status,
      });
    }
    const text = Buffer.from(
      await readBodyLimited(res, MAX_TOKEN_BODY_BYTES, `${url.host}: token`),
    ).toString('utf8');
    let body: v.InferOutput<typeof TokenResponseSchema>;
    try {
      body = v.parse(TokenResponseSchema, JSON.parse(text));
    } catch (err) {
      throw new ImageError(
        'ERR_UNAUTHORIZED',
        `${this.host}: the token server's answer is not a token`,
        { cause: err },
      );
    }
    const token = body.token ?? body.access_token;
    if (!token)
      throw new ImageError(
        'ERR_UNAUTHORIZED',
        `${this.host}: the token server's answer has no token`,
      );
    const lifetime = (body.expires_in ?? DEFAULT_TOKEN_LIFETIME_S) * 1000;
    return { token, expires: Date.now() + Math.max(lifetime - TOKEN_EXPIRY_MARGIN_MS, 0) };
  }

  async close(): Promise<void> {
    await this.insecureAgent?.close();
  }
}

/** Reads a response body whole, refusing more than maxBytes (a hostile server decides its size). */
export async function readBodyLimited(
  res: Response,
  maxBytes: number,
  what: string,
): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel();
    throw new ImageError('ERR_BAD_MANIFEST', `${what}: larger than ${maxBytes} bytes`);
  }
  const parts: Uint8Array[] = [];
  let n = 0;
  if (res.body) {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      n += chunk.length;
      if (n > maxBytes)
        throw new ImageError('ERR_BAD_MANIFEST', `${what}: larger than ${maxBytes} bytes`);
      parts.push(chunk);
    }
  }
  return Buffer.concat(parts);
}

/** The message of a registry error body (`{"errors":[{"code":…,"message":…}]}`), if any. */
export async function registryErrorMessage(res: Response): Promise<string> {
  try {
    const text = Buffer.from(await readBodyLimited(res, MAX_ERROR_BODY_BYTES, 'error')).toString(
      'utf8',
    );
    const j = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    const e = j.errors?.[0];
    if (e) return [e.code, e.message].filter(Boolean).join(': ');
  } catch {
    // Not JSON: the status says enough.
  }
  return `HTTP ${res.status}`;
}
