import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runNodeAs, testUser } from '@rootless-ts/testkit';
import { describe, expect, it } from 'vitest';
import { liveProcesses } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const example = join(here, 'fixtures', 'readme-example.mjs');

describe("the README's example", () => {
  it('is the fixture, verbatim', () => {
    const readme = readFileSync(join(here, '..', 'README.md'), 'utf8');
    expect(readme).toContain(`\`\`\`js\n${readFileSync(example, 'utf8')}\`\`\``);
  });

  it('runs as the test user: the page comes out of the container through the published port', async () => {
    // It publishes 127.0.0.1:8080, which nothing else of the tests uses.
    const r = await runNodeAs(testUser(), example);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('hostPort: 8080');
    expect(r.stdout.trim().endsWith('hello from inside')).toBe(true);
    expect(liveProcesses()).toEqual([]);
  });
});
