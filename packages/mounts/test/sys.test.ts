import { mount as M, statvfs as ST } from '@rootless-ts/constants';
import { describe, expect, it } from 'vitest';
import { lockedMsFlags, mountAttrBits, propagationFlag } from '../src/sys.js';

describe('flag translation', () => {
  it('repeats the locked flags statfs reports, in MS_* form', () => {
    const st = ST.ST_NOSUID | ST.ST_NODEV | ST.ST_NOEXEC | ST.ST_RELATIME | ST.ST_RDONLY;
    expect(lockedMsFlags(st)).toBe(M.MS_NOSUID | M.MS_NODEV | M.MS_NOEXEC | M.MS_RELATIME);
    expect(lockedMsFlags(ST.ST_NOATIME | ST.ST_NODIRATIME)).toBe(M.MS_NOATIME | M.MS_NODIRATIME);
    // No atime flag at all means strictatime, which a remount must ask for explicitly.
    expect(lockedMsFlags(0)).toBe(M.MS_STRICTATIME);
  });

  it('maps attribute names to MOUNT_ATTR_* bits', () => {
    expect(mountAttrBits(['nosuid', 'nodev', 'noexec'], true)).toBe(
      M.MOUNT_ATTR_RDONLY | M.MOUNT_ATTR_NOSUID | M.MOUNT_ATTR_NODEV | M.MOUNT_ATTR_NOEXEC,
    );
    expect(mountAttrBits(['strictatime', 'nodiratime'], false)).toBe(
      M.MOUNT_ATTR_STRICTATIME | M.MOUNT_ATTR_NODIRATIME,
    );
    expect(mountAttrBits([], false)).toBe(0);
  });

  it('maps propagation names to MS_* flags', () => {
    expect(propagationFlag('slave')).toBe(M.MS_SLAVE);
    expect(propagationFlag('private')).toBe(M.MS_PRIVATE);
    expect(propagationFlag('shared')).toBe(M.MS_SHARED);
    expect(propagationFlag('unbindable')).toBe(M.MS_UNBINDABLE);
  });
});
