import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildTestImages,
  removeTree,
  runNodeAs,
  testUser,
  userTempDir,
} from '@rootless-ts/testkit';
import { afterAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const example = join(here, 'fixtures', 'readme-example.mjs');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) removeTree(d);
});

describe("the README's example", () => {
  it('is the fixture, verbatim', () => {
    const readme = readFileSync(join(here, '..', 'README.md'), 'utf8');
    expect(readme).toContain(`\`\`\`js\n${readFileSync(example, 'utf8')}\`\`\``);
  });

  it('runs as the test user on an OCI layout and prints the image', async () => {
    const user = testUser();
    const dir = userTempDir(user, 'rootless-image-readme-');
    dirs.push(dir);
    const images = await buildTestImages(user, dir);
    const r = await runNodeAs(user, example, [`oci:${images.layout}:${images.tag}`]);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^oci:${images.layout}:busybox sha256:[0-9a-f]{64}$`));
    expect(lines[1]).toBe("entrypoint [ '/bin/sh', '-c' ] cmd [ 'echo hello from the image' ]");
    expect(lines.slice(2)).toHaveLength(3);
    for (const l of lines.slice(2)) {
      expect(l).toMatch(
        /^sha256:[0-9a-f]{64} application\/vnd\.oci\.image\.layer\.v1\.tar\+gzip [1-9]\d*$/,
      );
    }
  });
});
