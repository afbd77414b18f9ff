import { fileURLToPath } from 'node:url';
import { removeTree, runNodeAs, testUser, userTempDir } from '@rootless-ts/testkit';
import { describe, expect, it } from 'vitest';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

// As the unprivileged test user: root (who runs the suite in CI) could mount.
describe('mount as an unprivileged user', () => {
  it('mount and pivot_root throw EPERM ErrnoErrors naming their paths', async () => {
    const user = testUser();
    const dir = userTempDir(user);
    try {
      const r = await runNodeAs(user, fixture('unprivileged-mount.mjs'), [dir]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const seen = JSON.parse(r.stdout);
      expect(seen.mount).toEqual({
        isErrnoError: true,
        isError: true,
        name: 'ErrnoError',
        errno: 1,
        code: 'EPERM',
        syscall: 'mount',
        path: dir,
        message: `EPERM: operation not permitted, mount '${dir}'`,
      });
      expect(seen.pivotRoot).toMatchObject({
        code: 'EPERM',
        syscall: 'pivot_root',
        path: dir,
        dest: `${dir}/old`,
        message: `EPERM: operation not permitted, pivot_root '${dir}' -> '${dir}/old'`,
      });
    } finally {
      removeTree(dir);
    }
  });
});
