import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkMirror, planDebian, releaseUrl } from '../src/debian.js';
import { RootlessError } from '../src/errors.js';

const scratch = mkdtempSync(join(tmpdir(), 'rootless-debian-unit-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function thrown(f: () => unknown): RootlessError {
  try {
    f();
  } catch (e) {
    if (e instanceof RootlessError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

describe('planDebian: checks without creating anything', () => {
  const opts = { suite: 'bookworm', mirror: 'http://127.0.0.1/debian' };

  it('takes a missing DIR, and creates nothing', () => {
    const dir = join(scratch, 'missing');
    expect(planDebian(dir, opts)).toEqual({ dir, suite: 'bookworm', mirror: opts.mirror });
    expect(() => rmSync(dir)).toThrow(/ENOENT/);
  });

  it('refuses a DIR that is not empty', () => {
    const dir = join(scratch, 'full');
    mkdirSync(dir);
    writeFileSync(join(dir, 'x'), '');
    expect(thrown(() => planDebian(dir, opts)).message).toBe(
      `rootfs debian: ${dir} exists and is not empty`,
    );
  });

  it.each(['ftp://127.0.0.1/debian', '127.0.0.1/debian', 'http://', ''])(
    'refuses the mirror %j: only http://, https:// and file:// URLs',
    (mirror) => {
      const e = thrown(() => planDebian(join(scratch, 'm'), { suite: 'bookworm', mirror }));
      expect(e.what).toBe('--mirror');
      expect(e.why).toMatch(/is not an http:\/\/, https:\/\/ or file:\/\/ URL$/);
    },
  );
});

describe('releaseUrl and checkMirror', () => {
  it("names the suite's Release file, whatever the trailing slashes", () => {
    expect(releaseUrl('http://h/debian//', 'trixie')).toBe('http://h/debian/dists/trixie/Release');
  });

  it('accepts a file:// mirror that has the Release file, refuses one that has not', async () => {
    const mirror = join(scratch, 'mirror');
    mkdirSync(join(mirror, 'dists', 'bookworm'), { recursive: true });
    writeFileSync(join(mirror, 'dists', 'bookworm', 'Release'), '');
    const url = pathToFileURL(mirror).href;
    await expect(checkMirror(url, 'bookworm')).resolves.toBeUndefined();
    await expect(checkMirror(url, 'trixie')).rejects.toThrow(
      `--mirror: ${url}: no Debian trixie there (${url}/dists/trixie/Release: no such file)`,
    );
  });
});
