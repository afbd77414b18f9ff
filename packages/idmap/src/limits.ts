/**
 * Kernel limits on id maps (see user_namespaces(7) and kernel/user_namespace.c).
 */

/**
 * Ids are 32-bit, and (uid_t)-1 = 4294967295 means "no id". The kernel rejects a line whose
 * `first + count` wraps past 2^32-1, so no line can map an id above 4294967294: this is the
 * exclusive end of every mappable range, inside and outside the namespace.
 */
export const ID_LIMIT = 0xffff_ffff;

/** The largest id that can appear in a mapping. */
export const MAX_ID = ID_LIMIT - 1;

/** UID_GID_MAP_MAX_EXTENTS: the most lines a uid_map or gid_map may hold (Linux >= 4.15). */
export const MAX_MAP_LINES = 340;

/**
 * The kernel refuses a write of PAGE_SIZE bytes or more to uid_map/gid_map, whatever the number
 * of lines (x86_64 and arm64 default to 4 KiB pages).
 */
export const MAP_WRITE_LIMIT = 4096;
