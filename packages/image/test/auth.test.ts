import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  authFileCandidates,
  credentialsFromAuthFile,
  findCredentials,
  normalizeAuthKey,
  parseChallenges,
} from '../src/index.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const dir = mkdtempSync(join(tmpdir(), 'image-auth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('WWW-Authenticate', () => {
  it('parses bearer and basic challenges with quoted values', () => {
    expect(
      parseChallenges(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
      ),
    ).toEqual([
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:library/alpine:pull',
        },
      },
    ]);
    expect(parseChallenges('Basic realm="Registry Realm", Bearer realm=x,service="a\\"b"')).toEqual(
      [
        { scheme: 'basic', params: { realm: 'Registry Realm' } },
        { scheme: 'bearer', params: { realm: 'x', service: 'a"b' } },
      ],
    );
  });
});

describe('auth files', () => {
  it('searches podman then docker locations', () => {
    expect(
      authFileCandidates({
        HOME: '/h',
        XDG_RUNTIME_DIR: '/run/user/1',
        REGISTRY_AUTH_FILE: '/a.json',
      }),
    ).toEqual([
      '/a.json',
      '/run/user/1/containers/auth.json',
      '/h/.config/containers/auth.json',
      '/h/.docker/config.json',
    ]);
  });

  it("normalises docker's legacy keys", () => {
    expect(normalizeAuthKey('https://index.docker.io/v1/')).toBe('docker.io');
    expect(normalizeAuthKey('http://127.0.0.1:5000')).toBe('127.0.0.1:5000');
    expect(normalizeAuthKey('quay.io/ns/repo')).toBe('quay.io/ns/repo');
  });

  it('the most specific key wins', () => {
    const json = {
      auths: {
        'quay.io': { auth: b64('host:h') },
        'quay.io/ns': { auth: b64('ns:n') },
        'https://index.docker.io/v1/': { auth: b64('hub:pa:ss') },
      },
    };
    expect(credentialsFromAuthFile(json, 'quay.io', 'ns/repo', 'f')).toEqual({
      username: 'ns',
      password: 'n',
    });
    expect(credentialsFromAuthFile(json, 'quay.io', 'other/repo', 'f')).toEqual({
      username: 'host',
      password: 'h',
    });
    expect(credentialsFromAuthFile(json, 'docker.io', 'library/alpine', 'f')).toEqual({
      username: 'hub',
      password: 'pa:ss',
    });
    expect(credentialsFromAuthFile(json, 'ghcr.io', 'x', 'f')).toBeUndefined();
  });

  it('takes the first file with an entry, skips missing defaults, refuses broken files', () => {
    const runtime = join(dir, 'run');
    const home = join(dir, 'home');
    const docker = join(home, '.docker');
    mkdirSync(docker, { recursive: true });
    writeFileSync(
      join(docker, 'config.json'),
      JSON.stringify({ auths: { 'r:1': { auth: b64('d:1') } } }),
    );
    const env = { HOME: home, XDG_RUNTIME_DIR: runtime };
    expect(findCredentials('r:1', 'x', { env })).toEqual({ username: 'd', password: '1' });
    mkdirSync(join(runtime, 'containers'), { recursive: true });
    writeFileSync(
      join(runtime, 'containers', 'auth.json'),
      JSON.stringify({ auths: { 'r:1': { auth: b64('p:2') } } }),
    );
    expect(findCredentials('r:1', 'x', { env })).toEqual({ username: 'p', password: '2' });
    writeFileSync(join(runtime, 'containers', 'auth.json'), '{not json');
    expect(() => findCredentials('r:1', 'x', { env })).toThrow(/auth\.json: not valid JSON/);
    expect(() => findCredentials('r:1', 'x', { authFile: join(dir, 'nope.json'), env })).toThrow(
      /ENOENT/,
    );
  });
});
