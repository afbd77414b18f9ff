import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PODMAN_DEFAULT_CAPS } from '../src/index.js';

/** PODMAN_DEFAULT_CAPS against the installed podman's containers.conf (Debian: podman). */
const CONF = '/usr/share/containers/containers.conf';

describe("podman's default capabilities", () => {
  it('are those of default_capabilities in containers.conf', () => {
    if (!existsSync(CONF)) throw new Error(`${CONF} is missing: apt-get install podman`);
    const block = /^default_capabilities\s*=\s*\[([^\]]*)\]/m.exec(readFileSync(CONF, 'utf8'));
    expect(block, `no default_capabilities in ${CONF}`).not.toBeNull();
    const names = [...block![1]!.matchAll(/"([A-Z_]+)"/g)].map((x) => `CAP_${x[1]}`);
    expect(names).toEqual([...PODMAN_DEFAULT_CAPS]);
  });
});
