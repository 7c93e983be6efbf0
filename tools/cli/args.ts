/**
 * A small command-line parser (no framework): long options (`--name value`, `--name=value`),
 * boolean flags, repeatable options, non-negative integers, `--` to end options, and positional
 * arguments. Every mistake is a UsageError (exit code 2) whose message names the offending token.
 */

export type OptionType = 'boolean' | 'string' | 'int';

export interface OptionSpec {
  /** Long name without the leading dashes. */
  name: string;
  type: OptionType;
  help: string;
  /** Placeholder shown in help, e.g. "CIDR". */
  value?: string;
  repeatable?: boolean;
  required?: boolean;
  /** One-letter alias, e.g. "h" for -h. */
  short?: string;
}

export interface PositionalSpec {
  name: string;
  required: boolean;
  help?: string;
}

export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose --help would explain the mistake, e.g. "network create". */
    readonly topic: string = '',
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

type Value = boolean | string | number | (string | number)[];

/** The parsed options and positionals, with typed accessors. */
export class Parsed {
  constructor(
    readonly values: ReadonlyMap<string, Value>,
    readonly positionals: readonly string[],
  ) {}

  has(name: string): boolean {
    return this.values.has(name);
  }

  flag(name: string): boolean {
    return this.values.get(name) === true;
  }

  str(name: string): string | undefined {
    const v = this.values.get(name);
    return typeof v === 'string' ? v : undefined;
  }

  int(name: string): number | undefined {
    const v = this.values.get(name);
    return typeof v === 'number' ? v : undefined;
  }

  list(name: string): string[] {
    const v = this.values.get(name);
    if (Array.isArray(v)) return v.map(String);
    if (typeof v === 'string' || typeof v === 'number') return [String(v)];
    return [];
  }

  positional(i: number): string | undefined {
    return this.positionals[i];
  }

  /** Names (without dashes) of the options given, in no particular order. */
  given(): string[] {
    return [...this.values.keys()];
  }
}

export interface ParseResult {
  parsed: Parsed;
  /** With stopAtPositional: the tokens from the first positional (inclusive) on. */
  rest: string[];
}

const INT_RE = /^\d+$/;

/** Edit distance counting a swap of neighbours as one edit (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The closest known word, if it is close enough to be a likely typo. */
export function suggest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const dist = editDistance(word, k);
    if (dist < bestD) {
      best = k;
      bestD = dist;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

/**
 * Parses argv against the option specs. With stopAtPositional, parsing stops at the first
 * positional (used to read global options before the resource and verb words).
 */
export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[], opts: { stopAtPositional?: boolean; topic?: string } = {}): ParseResult {
  const topic = opts.topic ?? '';
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const values = new Map<string, Value>();
  const positionals: string[] = [];

  const set = (spec: OptionSpec, raw: string | undefined, shown: string): void => {
    if (spec.type === 'boolean') {
      if (raw !== undefined) throw new UsageError(`option ${shown} takes no value`, topic);
      values.set(spec.name, true);
      return;
    }
    if (raw === undefined) throw new UsageError(`option ${shown} needs a value (${spec.value ?? spec.type.toUpperCase()})`, topic);
    let v: string | number = raw;
    if (spec.type === 'int') {
      if (!INT_RE.test(raw) || !Number.isSafeInteger(Number(raw))) throw new UsageError(`option ${shown} expects a non-negative integer, got "${raw}"`, topic);
      v = Number(raw);
    }
    if (spec.repeatable) {
      const prev = values.get(spec.name);
      values.set(spec.name, [...(Array.isArray(prev) ? prev : []), v]);
    } else {
      if (values.has(spec.name)) throw new UsageError(`option ${shown} given more than once`, topic);
      values.set(spec.name, v);
    }
  };

  let i = 0;
  for (; i < argv.length; i++) {
    const tok = argv[i];
    if (tok === '--') {
      if (opts.stopAtPositional) break;
      positionals.push(...argv.slice(i + 1));
      i = argv.length;
      break;
    }
    if (tok.startsWith('--')) {
      const eq = tok.indexOf('=');
      const name = eq >= 0 ? tok.slice(2, eq) : tok.slice(2);
      const spec = byName.get(name);
      if (!spec) {
        const near = suggest(name, [...byName.keys()]);
        throw new UsageError(`unknown option --${name}${near ? ` (did you mean --${near}?)` : ''}`, topic);
      }
      let raw = eq >= 0 ? tok.slice(eq + 1) : undefined;
      if (raw === undefined && spec.type !== 'boolean') {
        const next = argv[i + 1];
        if (next !== undefined && !next.startsWith('--')) {
          raw = next;
          i++;
        }
      }
      set(spec, raw, `--${name}`);
      continue;
    }
    if (tok.length > 1 && tok.startsWith('-') && !/^-\d/.test(tok)) {
      const spec = byShort.get(tok.slice(1));
      if (!spec) throw new UsageError(`unknown option ${tok}`, topic);
      let raw: string | undefined;
      if (spec.type !== 'boolean') {
        raw = argv[i + 1];
        i++;
      }
      set(spec, raw, tok);
      continue;
    }
    if (opts.stopAtPositional) break;
    positionals.push(tok);
  }
  return { parsed: new Parsed(values, positionals), rest: argv.slice(i) };
}

/** Checks required options, positional counts and mutually exclusive groups. */
export function validate(parsed: Parsed, spec: { options: readonly OptionSpec[]; positionals: readonly PositionalSpec[]; exclusive?: readonly string[][] }, topic = ''): void {
  spec.positionals.forEach((p, i) => {
    if (p.required && parsed.positional(i) === undefined) throw new UsageError(`missing argument ${p.name}`, topic);
  });
  if (parsed.positionals.length > spec.positionals.length) {
    throw new UsageError(`unexpected argument "${parsed.positionals[spec.positionals.length]}"`, topic);
  }
  for (const o of spec.options) {
    if (o.required && !parsed.has(o.name)) throw new UsageError(`missing required option --${o.name}`, topic);
  }
  for (const group of spec.exclusive ?? []) {
    const given = group.filter((n) => parsed.has(n));
    if (given.length > 1) throw new UsageError(`options ${given.map((n) => `--${n}`).join(' and ')} cannot be used together`, topic);
  }
}

/** Splits "k=v,k2=v2" into a map; keys must be among `allowed`. */
export function keyValues(option: string, text: string, allowed: readonly string[], topic = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new UsageError(`--${option}: expected ${allowed.map((k) => `${k}=...`).join(',')}, got "${text}"`, topic);
    const k = part.slice(0, eq).trim();
    if (!allowed.includes(k)) throw new UsageError(`--${option}: unknown key "${k}" (expected ${allowed.join(', ')})`, topic);
    if (out.has(k)) throw new UsageError(`--${option}: key "${k}" given twice`, topic);
    out.set(k, part.slice(eq + 1).trim());
  }
  return out;
}

/** Maps a word (case-insensitive) to an enum value, or fails listing the choices. */
export function choice<T>(option: string, text: string, choices: Readonly<Record<string, T>>, topic = ''): T {
  const key = Object.keys(choices).find((k) => k.toLowerCase() === text.toLowerCase());
  if (key === undefined) throw new UsageError(`--${option} must be one of ${Object.keys(choices).join(', ')}; got "${text}"`, topic);
  return choices[key];
}
