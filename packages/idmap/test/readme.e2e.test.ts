import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runNodeAs, subordinateRange, testUser } from '@rootless-ts/testkit';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const example = join(here, 'fixtures', 'readme-example.mjs');

describe("the README's example", () => {
  it('is the fixture, verbatim', () => {
    const readme = readFileSync(join(here, '..', 'README.md'), 'utf8');
    expect(readme).toContain(`\`\`\`js\n${readFileSync(example, 'utf8')}\`\`\``);
  });

  it('runs as the test user and prints the computed map', async () => {
    const user = testUser();
    const sub = subordinateRange(user, '/etc/subuid');
    const r = await runNodeAs(user, example);
    expect(r.stderr).toBe('');
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/).map(Number)),
    ).toEqual([
      [1100, user.uid, 1],
      [0, sub.start, 1100],
      [1101, sub.start + 1100, sub.count - 1100],
    ]);
  });
});
