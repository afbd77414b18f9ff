import { readFileSync } from 'node:fs';
import { errno as ERRNO, libseccomp as SCMP } from '@rootless-ts/constants';
import { SeccompError, SeccompProfileError } from './errors.js';
import {
  ACTIONS,
  FLAGS,
  OPERATORS,
  type SeccompAction,
  type SeccompArchMap,
  type SeccompArg,
  type SeccompCondition,
  type SeccompFlag,
  type SeccompOperator,
  type SeccompProfile,
  type SeccompSyscall,
} from './types.js';

/**
 * Parsing and validation of containers/OCI seccomp profiles. Hand-written guards rather than a
 * schema library: each check produces the one line the user sees, naming the field by its JSON
 * path (`syscalls[3].args[0].op`), and unknown fields are refused so that a misspelt key
 * (`defaultaction`) cannot silently weaken a filter.
 */

/** Architectures libseccomp knows (`SCMP_ARCH_*`), NATIVE excepted. */
export const ARCHITECTURES: readonly string[] = Object.keys(SCMP).filter(
  (k) => k.startsWith('SCMP_ARCH_') && k !== 'SCMP_ARCH_NATIVE',
);

/** Anything a profile may say as input: JSON text, a path to a JSON file, or a parsed object. */
export type ProfileSource = string | SeccompProfile | Record<string, unknown>;

/**
 * Profiles that are valid and deeply frozen (defaultProfile's): loadProfile returns them as they
 * are rather than validating them again on every spawn. Frozen, they cannot have changed since.
 */
const frozenValid = new WeakSet<object>();

/** Freezes a profile validateProfile returned (or its exact equal), and trusts it from then on. */
export function trustFrozen(profile: SeccompProfile): SeccompProfile {
  // Indexed and for-in loops, not for-of over Object.values: without an optimizing compiler (the
  // rootless CLI runs with --no-opt) every step of for-of allocates an iterator result, and the
  // default profile has about 500 values (120 KiB of garbage at every start).
  const freeze = (v: unknown): void => {
    if (typeof v !== 'object' || v === null || Object.isFrozen(v)) return;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) freeze(v[i]);
    } else {
      for (const key in v) freeze((v as Record<string, unknown>)[key]);
    }
    Object.freeze(v);
  };
  freeze(profile);
  frozenValid.add(profile);
  return profile;
}

/**
 * Loads and validates a profile: a JSON text (starting with `{`), the path of a JSON file, or
 * an already parsed object (defaultProfile()'s, deeply frozen and trusted, is returned as it
 * is). Throws SeccompProfileError (one line naming the field) for a profile that does not validate, SeccompError with the errno code for a file that cannot be
 * read.
 */
export function loadProfile(source: ProfileSource): SeccompProfile {
  if (typeof source !== 'string') {
    return frozenValid.has(source as object) ? (source as SeccompProfile) : validateProfile(source);
  }
  const text = source.trimStart();
  if (text.startsWith('{')) return validateProfile(parseJson(text));
  let content: string;
  try {
    content = readFileSync(source, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new SeccompError(`seccomp profile ${source}: cannot read: ${err.message}`, {
      code: err.code ?? 'ERR_SECCOMP_PROFILE',
      ...(typeof err.errno === 'number' ? { errno: -err.errno } : {}),
      syscall: err.syscall ?? 'open',
      path: source,
      cause: e,
    });
  }
  return validateProfile(parseJson(content, source), source);
}

function parseJson(text: string, path?: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new SeccompProfileError('', `not valid JSON: ${(e as Error).message}`, path);
  }
}

const PROFILE_KEYS = new Set([
  'defaultAction',
  'defaultErrnoRet',
  'defaultErrno',
  'architectures',
  'archMap',
  'flags',
  'syscalls',
  'listenerPath',
  'listenerMetadata',
]);
const SYSCALL_KEYS = new Set([
  'name',
  'names',
  'action',
  'errnoRet',
  'errno',
  'args',
  'comment',
  'includes',
  'excludes',
]);
const ARG_KEYS = new Set(['index', 'value', 'valueTwo', 'op']);
const CONDITION_KEYS = new Set(['caps', 'arches', 'minKernel']);
const ARCHMAP_KEYS = new Set(['architecture', 'subArchitectures']);

/** The highest argument index of a system call (six arguments). */
const MAX_ARG_INDEX = 5;
/** An errno travels in the 16 data bits of SECCOMP_RET_ERRNO; the kernel caps it at 4095. */
const MAX_ERRNO = 4095;

/** Validates a parsed profile; `path` only decorates the messages. */
export function validateProfile(input: unknown, path?: string): SeccompProfile {
  const fail = (field: string, reason: string): never => {
    throw new SeccompProfileError(field, reason, path);
  };
  const obj = object(input, '', fail, PROFILE_KEYS);
  if (obj.listenerPath !== undefined || obj.listenerMetadata !== undefined) {
    fail(
      obj.listenerPath !== undefined ? 'listenerPath' : 'listenerMetadata',
      'seccomp agents (SCMP_ACT_NOTIFY) are not supported',
    );
  }
  if (obj.defaultAction === undefined) fail('defaultAction', 'missing');
  const profile: SeccompProfile = {
    defaultAction: action(obj.defaultAction, 'defaultAction', fail),
    architectures: list(obj.architectures, 'architectures', fail).map((a, i) =>
      architecture(a, `architectures[${i}]`, fail),
    ),
    archMap: list(obj.archMap, 'archMap', fail).map((m, i) =>
      archMapEntry(m, `archMap[${i}]`, fail),
    ),
    flags: list(obj.flags, 'flags', fail).map((f, i) => flag(f, `flags[${i}]`, fail)),
    syscalls: list(obj.syscalls, 'syscalls', fail).map((s, i) =>
      syscall(s, `syscalls[${i}]`, fail),
    ),
  };
  const defaultErrno = errnoOf(obj, 'defaultErrnoRet', 'defaultErrno', '', fail);
  if (defaultErrno !== undefined) profile.defaultErrnoRet = defaultErrno;
  return profile;
}

type Fail = (field: string, reason: string) => never;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  return typeof v === 'object' ? 'an object' : String(v);
}

function object(v: unknown, field: string, fail: Fail, keys: Set<string>): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    fail(field, `must be an object, not ${describe(v)}`);
  }
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!keys.has(k)) fail(field ? `${field}.${k}` : k, 'unknown field');
  }
  return o;
}

function list(v: unknown, field: string, fail: Fail): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(field, `must be an array, not ${describe(v)}`);
  return v as unknown[];
}

function string(v: unknown, field: string, fail: Fail): string {
  if (typeof v !== 'string' || v === '')
    fail(field, `must be a non-empty string, not ${describe(v)}`);
  return v as string;
}

function integer(v: unknown, field: string, fail: Fail, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) {
    fail(field, `must be an integer from 0 to ${max}, not ${describe(v)}`);
  }
  return v as number;
}

function action(v: unknown, field: string, fail: Fail): SeccompAction {
  if (v === 'SCMP_ACT_NOTIFY') fail(field, 'SCMP_ACT_NOTIFY (seccomp agents) is not supported');
  if (typeof v !== 'string' || !(ACTIONS as readonly string[]).includes(v)) {
    fail(field, `unknown action ${describe(v)}`);
  }
  return v as SeccompAction;
}

function architecture(v: unknown, field: string, fail: Fail): string {
  if (typeof v !== 'string' || !ARCHITECTURES.includes(v)) {
    fail(field, `unknown architecture ${describe(v)}`);
  }
  return v as string;
}

function flag(v: unknown, field: string, fail: Fail): SeccompFlag {
  if (typeof v !== 'string' || !(FLAGS as readonly string[]).includes(v)) {
    fail(field, `unknown or unsupported flag ${describe(v)} (known: ${FLAGS.join(', ')})`);
  }
  return v as SeccompFlag;
}

function archMapEntry(v: unknown, field: string, fail: Fail): SeccompArchMap {
  const o = object(v, field, fail, ARCHMAP_KEYS);
  return {
    architecture: architecture(o.architecture, `${field}.architecture`, fail),
    subArchitectures: list(o.subArchitectures, `${field}.subArchitectures`, fail).map((a, i) =>
      architecture(a, `${field}.subArchitectures[${i}]`, fail),
    ),
  };
}

const errnoNumbers = ERRNO as unknown as Readonly<Record<string, number | undefined>>;

/** `errnoRet` (a number) or containers-common's `errno` (a name such as "EPERM"). */
function errnoOf(
  o: Record<string, unknown>,
  numberKey: string,
  nameKey: string,
  prefix: string,
  fail: Fail,
): number | undefined {
  const at = (k: string) => (prefix ? `${prefix}.${k}` : k);
  const n =
    o[numberKey] === undefined || o[numberKey] === null
      ? undefined
      : integer(o[numberKey], at(numberKey), fail, MAX_ERRNO);
  const raw = o[nameKey];
  if (raw === undefined || raw === null || raw === '') return n;
  const name = string(raw, at(nameKey), fail);
  const byName = errnoNumbers[name];
  if (byName === undefined) fail(at(nameKey), `unknown errno name ${describe(name)}`);
  if (n !== undefined && n !== byName) {
    fail(at(numberKey), `${n} contradicts ${nameKey} ${name} (${byName})`);
  }
  return byName;
}

function syscall(v: unknown, field: string, fail: Fail): SeccompSyscall {
  const o = object(v, field, fail, SYSCALL_KEYS);
  const names = list(o.names, `${field}.names`, fail).map((n, i) =>
    syscallName(n, `${field}.names[${i}]`, fail),
  );
  if (o.name !== undefined && o.name !== null && o.name !== '') {
    names.push(syscallName(o.name, `${field}.name`, fail));
  }
  if (names.length === 0) fail(`${field}.names`, 'names no system call');
  if (o.action === undefined) fail(`${field}.action`, 'missing');
  const rule: SeccompSyscall = {
    names,
    action: action(o.action, `${field}.action`, fail),
    args: list(o.args, `${field}.args`, fail).map((a, i) => arg(a, `${field}.args[${i}]`, fail)),
    includes: condition(o.includes, `${field}.includes`, fail),
    excludes: condition(o.excludes, `${field}.excludes`, fail),
  };
  const errnoRet = errnoOf(o, 'errnoRet', 'errno', field, fail);
  if (errnoRet !== undefined) rule.errnoRet = errnoRet;
  if (typeof o.comment === 'string') rule.comment = o.comment;
  return rule;
}

function syscallName(v: unknown, field: string, fail: Fail): string {
  const s = string(v, field, fail);
  if (!/^[a-z_][a-z0-9_]*$/.test(s)) fail(field, `not a system call name: ${describe(s)}`);
  return s;
}

/** The largest argument value JSON numbers carry exactly. */
const MAX_VALUE = Number.MAX_SAFE_INTEGER;

function arg(v: unknown, field: string, fail: Fail): SeccompArg {
  const o = object(v, field, fail, ARG_KEYS);
  if (o.index === undefined) fail(`${field}.index`, 'missing');
  if (o.op === undefined) fail(`${field}.op`, 'missing');
  if (typeof o.op !== 'string' || !(OPERATORS as readonly string[]).includes(o.op)) {
    fail(`${field}.op`, `unknown operator ${describe(o.op)}`);
  }
  return {
    index: integer(o.index, `${field}.index`, fail, MAX_ARG_INDEX),
    value: integer(o.value ?? 0, `${field}.value`, fail, MAX_VALUE),
    valueTwo: integer(o.valueTwo ?? 0, `${field}.valueTwo`, fail, MAX_VALUE),
    op: o.op as SeccompOperator,
  };
}

function condition(v: unknown, field: string, fail: Fail): SeccompCondition {
  if (v === undefined || v === null) return { caps: [], arches: [] };
  const o = object(v, field, fail, CONDITION_KEYS);
  const out: SeccompCondition = {
    caps: list(o.caps, `${field}.caps`, fail).map((c, i) => {
      const s = string(c, `${field}.caps[${i}]`, fail);
      if (!/^(cap_)?[a-z_]+$/i.test(s))
        fail(`${field}.caps[${i}]`, `not a capability: ${describe(s)}`);
      return normalizeCap(s);
    }),
    arches: list(o.arches, `${field}.arches`, fail).map((a, i) => {
      const s = string(a, `${field}.arches[${i}]`, fail);
      if (!/^[a-z0-9_]+$/.test(s))
        fail(`${field}.arches[${i}]`, `not an architecture: ${describe(s)}`);
      return s;
    }),
  };
  if (o.minKernel !== undefined && o.minKernel !== null && o.minKernel !== '') {
    const s = string(o.minKernel, `${field}.minKernel`, fail);
    if (!/^\d+\.\d+(\.\d+)?$/.test(s)) {
      fail(`${field}.minKernel`, `not a kernel version like "5.10": ${describe(s)}`);
    }
    out.minKernel = s;
  }
  return out;
}

/** `sys_admin`, `cap_sys_admin`, `CAP_SYS_ADMIN` → `CAP_SYS_ADMIN`. */
export function normalizeCap(name: string): string {
  const up = name.trim().toUpperCase();
  return up.startsWith('CAP_') ? up : `CAP_${up}`;
}

/** `"5.10"`, `"6.18.0-1-amd64"` → [major, minor, patch]; undefined when it does not parse. */
export function parseKernelVersion(text: string): [number, number, number] | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim());
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}
