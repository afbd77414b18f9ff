import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as v from 'valibot';
import { ImageError } from '../errors.js';
import { DEFAULT_DOMAIN } from '../reference.js';
import type { Credentials } from '../source.js';

const AuthFileSchema = v.looseObject({
  auths: v.optional(
    v.nullable(
      v.record(
        v.string(),
        v.looseObject({
          auth: v.optional(v.string()),
          username: v.optional(v.string()),
          password: v.optional(v.string()),
        }),
      ),
    ),
  ),
});

/**
 * The auth files podman reads, in its order: `$REGISTRY_AUTH_FILE`, then
 * `$XDG_RUNTIME_DIR/containers/auth.json`, `$XDG_CONFIG_HOME/containers/auth.json`, then
 * docker's `~/.docker/config.json` (`$DOCKER_CONFIG/config.json`).
 */
export function authFileCandidates(env: Record<string, string | undefined>): string[] {
  const home = env.HOME ?? homedir();
  const out: string[] = [];
  if (env.REGISTRY_AUTH_FILE) out.push(env.REGISTRY_AUTH_FILE);
  if (env.XDG_RUNTIME_DIR) out.push(join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'));
  out.push(join(env.XDG_CONFIG_HOME ?? join(home, '.config'), 'containers', 'auth.json'));
  out.push(join(env.DOCKER_CONFIG ?? join(home, '.docker'), 'config.json'));
  return out;
}

/**
 * The key an auths entry is filed under, reduced to `host[/path]`: docker writes
 * `https://index.docker.io/v1/` for Docker Hub, older tools `https://host`.
 */
export function normalizeAuthKey(key: string): string {
  let k = key.replace(/^https?:\/\//, '');
  if (/^[^/]+\/v[12]\/?$/.test(k)) k = k.slice(0, k.indexOf('/'));
  k = k.replace(/\/+$/, '');
  if (k === 'index.docker.io' || k === 'registry-1.docker.io') return DEFAULT_DOMAIN;
  if (k.startsWith('index.docker.io/')) return DEFAULT_DOMAIN + k.slice('index.docker.io'.length);
  return k;
}

/**
 * The credentials an auth file holds for `domain/repository`: the most specific key wins
 * (`host/ns/repo`, then `host/ns`, then `host`), as in podman.
 */
export function credentialsFromAuthFile(
  json: unknown,
  domain: string,
  repository: string,
  file: string,
): Credentials | undefined {
  const r = v.safeParse(AuthFileSchema, json);
  if (!r.success) {
    throw new ImageError(
      'ERR_BAD_AUTH_FILE',
      `${file}: not an auth file (${r.issues[0].message})`,
      { path: file },
    );
  }
  const auths = new Map<
    string,
    { auth?: string | undefined; username?: string | undefined; password?: string | undefined }
  >();
  for (const [k, val] of Object.entries(r.output.auths ?? {})) auths.set(normalizeAuthKey(k), val);
  const parts = repository.split('/');
  for (let n = parts.length; n >= 0; n--) {
    const key = n === 0 ? domain : `${domain}/${parts.slice(0, n).join('/')}`;
    const entry = auths.get(key);
    if (!entry) continue;
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) {
        throw new ImageError(
          'ERR_BAD_AUTH_FILE',
          `${file}: auths["${key}"].auth is not base64 of user:password`,
          {
            path: file,
          },
        );
      }
      return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if (entry.username !== undefined && entry.password !== undefined) {
      return { username: entry.username, password: entry.password };
    }
  }
  return undefined;
}

/**
 * Looks up credentials for a registry repository: the explicit file if one is given (it must
 * exist), otherwise the first of the default files that has an entry. Missing default files
 * are skipped; unreadable or malformed ones are errors, so a typo does not silently pull
 * anonymously.
 */
export function findCredentials(
  domain: string,
  repository: string,
  opts: { authFile?: string | undefined; env?: Record<string, string | undefined> | undefined },
): Credentials | undefined {
  const files = opts.authFile ? [opts.authFile] : authFileCandidates(opts.env ?? process.env);
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && !opts.authFile) continue;
      throw new ImageError('ERR_BAD_AUTH_FILE', `${file}: cannot read (${code})`, {
        cause: err,
        path: file,
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new ImageError('ERR_BAD_AUTH_FILE', `${file}: not valid JSON`, {
        cause: err,
        path: file,
      });
    }
    const c = credentialsFromAuthFile(json, domain, repository, file);
    if (c) return c;
  }
  return undefined;
}
