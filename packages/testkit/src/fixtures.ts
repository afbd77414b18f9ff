import { fileURLToPath } from 'node:url';

/**
 * A source file shared by several packages' end-to-end tests (packages/testkit/fixtures), such
 * as the static attack probes compiled with gcc at test time, so that each lives in one place.
 */
export function testkitFixture(name: string): string {
  // From src/ (vitest) or dist/ (built) alike: fixtures/ sits beside both.
  return fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
}
