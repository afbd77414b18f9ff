/**
 * `rootless run`'s common command line read without commander: loading commander and defining
 * the command with it took 0.3-0.5 MiB of a run's peak memory (packages/namespaces/README.md,
 * Performance). Node's util.parseArgs was tried first: loading it took 0.14 MiB back (its code
 * is read from the node binary), more than the few lines below that read what it would.
 *
 * Deliberately partial: it reads the options of the table that commander's `run` is defined from
 * (run-options.ts), and only a command line that it reads exactly as commander would; everything
 * else is left to commander (help, usage errors and their suggestions, grouped short flags,
 * `-rDIR`, `--tls-verify`, a value that starts with a dash). A unit test holds the two to the
 * same result.
 */
import type { RawImageRunOptions } from './image.js';
import { type OptionSpelling, optionSpelling, RUN_OPTIONS } from './run-options.js';

/** A `run` command line: the command (an image or a program, and its arguments), the options. */
export interface RunArguments {
  readonly command: string[];
  readonly opts: RawImageRunOptions;
}

interface Table {
  /** By `--long` and `-s`: the options that this parser reads (none with an optional value). */
  readonly byFlag: Map<string, OptionSpelling & { readonly repeatable: boolean }>;
  readonly defaults: Record<string, string>;
}

/** The table as this parser reads it (built on each call: a run parses one command line). */
function runTable(): Table {
  const byFlag: Table['byFlag'] = new Map();
  const defaults: Record<string, string> = {};
  for (const o of RUN_OPTIONS) {
    const s = { ...optionSpelling(o.flags), repeatable: o.repeatable === true };
    if (o.defaultValue !== undefined) defaults[s.key] = o.defaultValue;
    // An optional value (`--tls-verify [bool]`): commander's to read.
    if (s.value === 'optional') continue;
    byFlag.set(`--${s.long}`, s);
    if (s.short !== undefined) byFlag.set(`-${s.short}`, s);
  }
  return { byFlag, defaults };
}

/**
 * The `run` command line in `argv` (`node rootless run …`), or undefined when it is not one, or
 * not one that this parser reads exactly as commander would: then commander parses it.
 * Options end at `--` or at the first word that is neither an option nor an option's value
 * (commander's passThroughOptions): what follows belongs to the command, `--` included.
 */
export function fastRunArguments(argv: readonly string[]): RunArguments | undefined {
  if (argv[2] !== 'run') return undefined;
  const words = argv.slice(3);
  const { byFlag, defaults } = runTable();
  const opts: Record<string, unknown> = { ...defaults };
  let i = 0;
  for (;;) {
    const w = words[i];
    if (w === undefined) return undefined;
    if (w === '--') {
      i++;
      break;
    }
    if (!w.startsWith('-') || w === '-') break;
    // `--name=value`; a short flag only alone (`-r DIR`).
    const eq = w.startsWith('--') ? w.indexOf('=') : -1;
    const spelling = byFlag.get(eq > 0 ? w.slice(0, eq) : w);
    // Unknown, help, grouped short flags, `-rDIR`, `-r=DIR`: commander's.
    if (spelling === undefined) return undefined;
    let value: string | true;
    if (spelling.value === 'none') {
      if (eq > 0) return undefined; // `--tty=yes`: commander's error.
      value = true;
      i++;
    } else if (eq > 0) {
      value = w.slice(eq + 1);
      i++;
    } else {
      const next = words[i + 1];
      // Missing, or starting with a dash (commander takes it as the value; it may be a typo).
      if (next === undefined || (next.startsWith('-') && next !== '-')) return undefined;
      value = next;
      i += 2;
    }
    if (spelling.repeatable) {
      const list = opts[spelling.key] as string[] | undefined;
      opts[spelling.key] = [...(list ?? []), value as string];
    } else opts[spelling.key] = value;
  }
  const command = words.slice(i);
  if (command.length === 0) return undefined;
  return { command, opts: opts as RawImageRunOptions };
}
