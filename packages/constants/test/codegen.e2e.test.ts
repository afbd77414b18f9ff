// Needs the C compilers tools/setup-host.sh installs (gcc and the aarch64 cross compiler).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const pkg = join(import.meta.dirname, '..');
const generated = join(pkg, 'src', 'generated');
const scratch = mkdtempSync(join(tmpdir(), 'constants-codegen-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function codegen(outDir: string, env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, [join(pkg, 'generator', 'codegen.mjs'), '--out', outDir], {
    encoding: 'utf8',
    env,
  });
}

describe('generator', () => {
  it('regenerates the committed files byte for byte', () => {
    const out = join(scratch, 'out');
    const run = codegen(out);
    // A missing compiler is a failure, never a skip: the message names the packages to install.
    if (run.status !== 0) throw new Error(`npm run codegen failed:\n${run.stderr}`);
    const files = readdirSync(generated).sort();
    expect(files).toEqual(['linux-arm64.ts', 'linux-x64.ts']);
    expect(readdirSync(out).sort()).toEqual(files);
    for (const file of files) {
      const fresh = readFileSync(join(out, file));
      const committed = readFileSync(join(generated, file));
      expect(fresh.equals(committed), `${file} is stale: run npm run codegen`).toBe(true);
    }
  });
});
