import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cacheKey,
  compileFilter,
  compileFilterCached,
  defaultProfile,
  planFilter,
} from '../src/index.js';

// Runs as any user: compiling needs only libseccomp.so.2.
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function scratch() {
  const d = mkdtempSync(join(tmpdir(), 'seccomp-cache-'));
  dirs.push(d);
  return d;
}
const plan = (caps: string[]) => planFilter(defaultProfile(), { capabilities: caps });

describe('compileFilterCached', () => {
  it('stores the program under its key (0700 directory, 0600 file) and gives back the same bytes', () => {
    const dir = join(scratch(), 'cache');
    const p = plan(['CAP_CHOWN']);
    const fresh = compileFilter(p);
    const first = compileFilterCached(p, dir);
    expect(Buffer.from(first).equals(Buffer.from(fresh))).toBe(true);
    const file = join(dir, `${cacheKey(p)}.bpf`);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual([`${cacheKey(p)}.bpf`]);
    // The file: the key's length, the key (what decides the program), then the program.
    const stored = readFileSync(file);
    const keyLength = stored.readUInt32LE(0);
    expect(JSON.parse(stored.subarray(4, 4 + keyLength).toString())).toMatchObject({ plan: p });
    expect(stored.subarray(4 + keyLength).equals(Buffer.from(fresh))).toBe(true);
    // A second call reads the file: what is there is what comes back.
    const marked = Buffer.from(stored);
    marked[4 + keyLength] = (marked[4 + keyLength] ?? 0) ^ 1;
    writeFileSync(file, marked);
    expect(Buffer.from(compileFilterCached(p, dir)).equals(marked.subarray(4 + keyLength))).toBe(
      true,
    );
  });

  it("never uses a program stored under another plan's key, even under the same name", () => {
    const dir = scratch();
    const a = plan(['CAP_CHOWN']);
    const b = plan(['CAP_CHOWN', 'CAP_SYS_ADMIN']);
    compileFilterCached(b, dir);
    // b's entry moved to a's name: what two plans whose names collide would find.
    writeFileSync(join(dir, `${cacheKey(a)}.bpf`), readFileSync(join(dir, `${cacheKey(b)}.bpf`)));
    const got = Buffer.from(compileFilterCached(a, dir));
    expect(got.equals(Buffer.from(compileFilter(a)))).toBe(true);
    expect(got.equals(Buffer.from(compileFilter(b)))).toBe(false);
  });

  it('keys differ with what decides the program (capabilities here)', () => {
    const a = plan(['CAP_CHOWN']);
    const b = plan(['CAP_CHOWN', 'CAP_SYS_ADMIN']);
    expect(cacheKey(a)).toMatch(/^[0-9a-f]{16}$/);
    expect(cacheKey(a)).not.toBe(cacheKey(b));
    expect(cacheKey(a)).toBe(cacheKey(plan(['CAP_CHOWN'])));
  });

  it('replaces a file that is not a whole program, and never reads through a symbolic link', () => {
    const dir = scratch();
    const p = plan([]);
    const file = join(dir, `${cacheKey(p)}.bpf`);
    const fresh = Buffer.from(compileFilter(p));
    const program = (f: string) => {
      const data = readFileSync(f);
      return data.subarray(4 + data.readUInt32LE(0));
    };
    writeFileSync(file, Buffer.alloc(7));
    expect(Buffer.from(compileFilterCached(p, dir)).equals(fresh)).toBe(true);
    expect(program(file).equals(fresh)).toBe(true);
    // A link to a planted program is not followed; the link is replaced by the real program.
    rmSync(file);
    const planted = join(dir, 'planted');
    writeFileSync(planted, Buffer.alloc(8 * 4));
    symlinkSync(planted, file);
    expect(Buffer.from(compileFilterCached(p, dir)).equals(fresh)).toBe(true);
    expect(program(file).equals(fresh)).toBe(true);
  });

  it('an unwritable directory only costs the compilation', () => {
    const dir = scratch();
    chmodSync(dir, 0o500);
    const p = plan([]);
    try {
      const bpf = compileFilterCached(p, join(dir, 'sub'));
      expect(Buffer.from(bpf).equals(Buffer.from(compileFilter(p)))).toBe(true);
      // As root the directory is writable anyway; as anyone else nothing was stored.
      if (process.getuid?.() !== 0) expect(existsSync(join(dir, 'sub'))).toBe(false);
    } finally {
      chmodSync(dir, 0o700);
    }
  });
});
