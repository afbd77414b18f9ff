import { readFileSync } from 'node:fs';
import { CapabilityError } from './errors.js';
import type { CapSets } from './sets.js';

/** What /proc/<pid>/status says about a process's capabilities. */
export interface ProcCaps extends CapSets {
  /** CapBnd: the bounding set. */
  bounding: bigint;
  /** CapAmb: the ambient set. */
  ambient: bigint;
  /** NoNewPrivs: 1 when no_new_privs is set. */
  noNewPrivs: boolean;
}

/**
 * Parses the text of /proc/<pid>/status: CapInh, CapPrm, CapEff, CapBnd and CapAmb (16 hex
 * digits each) and NoNewPrivs. Throws CapabilityError when a Cap line is missing.
 */
export function parseProcStatus(text: string): ProcCaps {
  const field = (key: string): bigint => {
    const m = new RegExp(`^${key}:\\s*([0-9a-fA-F]+)\\s*$`, 'm').exec(text);
    if (!m) throw new CapabilityError(`no ${key} line in the process status`);
    return BigInt(`0x${m[1]}`);
  };
  const nnp = /^NoNewPrivs:\s*([01])\s*$/m.exec(text);
  return {
    inheritable: field('CapInh'),
    permitted: field('CapPrm'),
    effective: field('CapEff'),
    bounding: field('CapBnd'),
    ambient: field('CapAmb'),
    noNewPrivs: nnp?.[1] === '1',
  };
}

/**
 * The capability sets of any process (or thread: `pid` may be a tid), read from
 * /proc/<pid>/status: unlike capget(2), this also gives the bounding and ambient sets and works
 * for processes in other namespaces whose pid we see.
 */
export function readProcCaps(pid: number | 'self' = 'self'): ProcCaps {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch (err) {
    throw new CapabilityError(`cannot read /proc/${pid}/status: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return parseProcStatus(text);
}
