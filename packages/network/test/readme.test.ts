import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const example = join(here, 'fixtures', 'readme-example.mjs');

// The example that runs a container with a network is @rootless-ts/namespaces' (spawn's
// `network` option), tested end to end there: this package does not depend on namespaces.
describe("the README's example", () => {
  it('is the fixture, verbatim', () => {
    const readme = readFileSync(join(here, '..', 'README.md'), 'utf8');
    expect(readme).toContain(`\`\`\`js\n${readFileSync(example, 'utf8')}\`\`\``);
  });

  it('runs and prints what it says', () => {
    const out = execFileSync(process.execPath, [example], { encoding: 'utf8' });
    expect(out).toContain("hostIp: '127.0.0.1'");
    expect(out).toContain('nameserver 169.254.1.1\nnameserver 192.0.2.53\n');
    expect(out).not.toContain('127.0.0.53');
    expect(out).toContain('192.0.2.7\tdb\n');
    expect(out).toContain('127.0.0.1\tbox\n');
  });
});
