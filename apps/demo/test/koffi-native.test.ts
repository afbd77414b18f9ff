import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);

describe('src/koffi-native.ts (what the bundle gets for koffi)', () => {
  it("is koffi's own native object, with every function koffi's entry exports", async () => {
    const { default: native } = await import('../src/koffi-native.js');
    const byName = native as unknown as Record<string, unknown>;
    const koffi = require('koffi');
    // The native object itself (koffi's entry exports it as its default), not the fallback.
    expect(native).toBe(koffi.default);
    expect(native.version).toBe(koffi.version);
    for (const [name, value] of Object.entries(koffi)) {
      // koffi's entry re-exports the native object's functions (wrapping two in deprecations).
      if (name !== 'default') expect(typeof byName[name], name).toBe(typeof value);
    }
    // It works: a call into the C library.
    const getpid = native.load('libc.so.6').func('int getpid()');
    expect(getpid()).toBe(process.pid);
  });
});
