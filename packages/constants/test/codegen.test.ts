import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const pkg = join(import.meta.dirname, '..');
const scratch = mkdtempSync(join(tmpdir(), 'constants-codegen-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const INSTALL =
  'apt-get install -y gcc libc6-dev gcc-aarch64-linux-gnu libc6-dev-arm64-cross libseccomp-dev';

function codegen(outDir: string, env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, [join(pkg, 'generator', 'codegen.mjs'), '--out', outDir], {
    encoding: 'utf8',
    env,
  });
}

describe('generator', () => {
  it('names the Debian packages when a compiler is missing', () => {
    const run = codegen(join(scratch, 'none'), { ...process.env, PATH: '/nonexistent' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('not found');
    expect(run.stderr).toContain(INSTALL);
  });
});
