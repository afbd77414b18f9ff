import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeTree, runAs, testUser, userTempDir } from '@rootless-ts/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CapSets, formatCaps, lastCap, maskUpTo, parseCaps } from '../src/index.js';

/**
 * Equality with libcap itself (libcap2-bin): the same sets, given to libcap's own programs,
 * must print the very string formatCaps gives. Two programs are used, because the kernel
 * allows each only some sets:
 *  - `capsh --caps=SETS --print` sets a process's sets and prints cap_to_text of them
 *    ("Current: …"): any sets with effective ⊆ permitted;
 *  - `setcap SETS FILE; getcap FILE` stores file capabilities and prints cap_to_text of them:
 *    any permitted and inheritable, with effective empty or equal to their union.
 * Both run as the unprivileged test user inside `unshare -Ur`, where it has every capability,
 * in one shell loop to keep it fast. The sets are given to libcap as numbers (`5,21+e`), not
 * through our formatter, so its output is an independent reference.
 */

const user = testUser();
const KERNEL_CAPS = lastCap() + 1;
const ALL = maskUpTo(KERNEL_CAPS - 1);

/** mulberry32: a small seeded generator, so that failures are reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = rng(0x5eed_cab5);

/** A random mask of the kernel's capabilities, each bit set with probability `density`. */
function randomMask(density: number): bigint {
  let m = 0n;
  for (let n = 0; n < KERNEL_CAPS; n++) if (random() < density) m |= 1n << BigInt(n);
  return m;
}

const DENSITIES = [0.02, 0.1, 0.3, 0.5, 0.7, 0.9, 0.98];
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

/** Sets a process may hold: effective within permitted. */
function processSets(): CapSets {
  const permitted = randomMask(pick(DENSITIES));
  const effective = pick([
    () => permitted,
    () => 0n,
    () => permitted & randomMask(pick(DENSITIES)),
  ])();
  const inheritable = pick([() => 0n, () => permitted, () => randomMask(pick(DENSITIES))])();
  return { effective, permitted, inheritable };
}

/** Sets a file may hold: effective empty or the union of permitted and inheritable. */
function fileSets(): CapSets {
  const permitted = randomMask(pick(DENSITIES));
  const inheritable = pick([() => 0n, () => randomMask(pick(DENSITIES))])();
  const effective = random() < 0.5 ? 0n : permitted | inheritable;
  return { effective, permitted, inheritable };
}

/** The sets as cap_from_text input built from numbers only: "= 0,5+e 5+p". */
function numericText(s: CapSets): string {
  const bits = (m: bigint) =>
    Array.from({ length: 64 }, (_, n) => n).filter((n) => (m >> BigInt(n)) & 1n);
  let text = '=';
  for (const [flag, mask] of [
    ['e', s.effective],
    ['i', s.inheritable],
    ['p', s.permitted],
  ] as const) {
    if (mask !== 0n) text += ` ${bits(mask).join(',')}+${flag}`;
  }
  return text;
}

const fixedProcess: CapSets[] = [
  { effective: 0n, permitted: 0n, inheritable: 0n },
  { effective: ALL, permitted: ALL, inheritable: 0n },
  { effective: ALL, permitted: ALL, inheritable: ALL },
  { effective: ALL & ~(1n << 21n), permitted: ALL, inheritable: 0n },
  { effective: 0b100001n, permitted: 0b100001n, inheritable: 0n },
  { effective: 0n, permitted: ALL, inheritable: 0n },
  { effective: 0n, permitted: 0n, inheritable: ALL },
  { effective: 1n, permitted: 1n | (1n << 40n), inheritable: 1n << 21n },
];
const fixedFile: CapSets[] = [
  { effective: ALL, permitted: ALL, inheritable: 0n },
  { effective: 0n, permitted: 1n << 5n, inheritable: 1n << 21n },
  { effective: ALL, permitted: ALL, inheritable: ALL },
];

const processCases = [...fixedProcess, ...Array.from({ length: 200 }, processSets)];
const fileCases = [...fixedFile, ...Array.from({ length: 100 }, fileSets)].filter(
  (s) => s.permitted | s.inheritable,
);

let dir: string;
let processOut: string[] = [];
let fileOut: string[] = [];

beforeAll(async () => {
  dir = userTempDir(user, 'caps-libcap-');
  writeFileSync(join(dir, 'process'), `${processCases.map(numericText).join('\n')}\n`);
  writeFileSync(join(dir, 'file'), `${fileCases.map(numericText).join('\n')}\n`);
  const script = `
    set -u
    cd "$1"
    while IFS= read -r caps; do
      out=$(capsh --caps="$caps" --print 2>&1) || { echo "FAILED $caps: $out"; continue; }
      line=\${out%%$'\\n'*}
      echo "\${line#Current: }"
    done < process > process.out
    : > f
    while IFS= read -r caps; do
      setcap "$caps" f 2>/dev/null || { echo "FAILED $caps"; continue; }
      out=$(getcap f)
      echo "\${out#f }"
    done < file > file.out
    cat process.out; echo ----; cat file.out
  `;
  const r = await runAs(user, 'unshare', ['-Ur', 'bash', '-c', script, 'bash', dir], {
    timeoutMs: 120_000,
  });
  if (r.code !== 0) throw new Error(`libcap reference run failed: ${r.stderr}`);
  const [p, f] = r.stdout.split('----\n') as [string, string];
  processOut = p.trimEnd().split('\n');
  fileOut = f.trimEnd().split('\n');
}, 180_000);

afterAll(() => removeTree(dir));

describe('formatCaps against libcap (capsh, getcap)', () => {
  it('has at least 200 reference strings, none refused', () => {
    expect(processOut).toHaveLength(processCases.length);
    expect(fileOut).toHaveLength(fileCases.length);
    expect(processCases.length + fileCases.length).toBeGreaterThanOrEqual(200);
    expect([...processOut, ...fileOut].filter((l) => l.startsWith('FAILED'))).toEqual([]);
    // The sample exercises every shape of the text: defaults, lowered and raised groups.
    const texts = [...processOut, ...fileOut];
    expect(new Set(texts).size).toBeGreaterThan(200);
    for (const shape of [/^=$/, /^=ep$/, /^=eip$/, /^=\w+ .*-/, /^cap_\w+(,cap_\w+)*=/, /\+i/]) {
      expect(texts.some((t) => shape.test(t))).toBe(true);
    }
  });

  it('prints what capsh prints for process sets', () => {
    const ours = processCases.map((s) => formatCaps(s, { kernelCaps: KERNEL_CAPS }));
    expect(ours).toEqual(processOut);
  });

  it('prints what getcap prints for file sets', () => {
    const ours = fileCases.map((s) => formatCaps(s, { kernelCaps: KERNEL_CAPS }));
    expect(ours).toEqual(fileOut);
  });

  it("parses libcap's strings back into the same sets, and round-trips its own", () => {
    const all = [...processCases, ...fileCases];
    const texts = [...processOut, ...fileOut];
    expect(texts.map((t) => parseCaps(t, { kernelCaps: KERNEL_CAPS }))).toEqual(all);
    expect(
      all.map((s) =>
        parseCaps(formatCaps(s, { kernelCaps: KERNEL_CAPS }), { kernelCaps: KERNEL_CAPS }),
      ),
    ).toEqual(all);
  });
});
