/**
 * Config loading shared by every Weft process: a JSON file (optional) overlaid with environment
 * variables, then validated by the process's own schema function. Every problem is reported at
 * once, each naming the offending key and where it came from, and the process refuses to start.
 */
import { readFileSync } from 'node:fs';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export type JsonObject = { [key: string]: unknown };

export function readConfigFile(path: string | undefined): JsonObject {
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([`cannot read config file ${path}: ${(err as Error).message}`]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([`config file ${path} is not valid JSON: ${(err as Error).message}`]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError([`config file ${path} must hold a JSON object`]);
  }
  return parsed as JsonObject;
}

/**
 * Sets dotted paths from environment variables, e.g. { WEFT_LISTEN: 'listen' }. Values are parsed
 * as JSON when they look like JSON (numbers, booleans, arrays, objects), else kept as strings.
 */
export function applyEnv(config: JsonObject, env: NodeJS.ProcessEnv, map: Record<string, string>): JsonObject {
  const out = structuredClone(config);
  for (const [name, path] of Object.entries(map)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    let value: unknown = raw;
    if (/^(true|false|-?\d+(\.\d+)?|\[.*\]|\{.*\})$/s.test(raw.trim())) {
      try {
        value = JSON.parse(raw);
      } catch {
        throw new ConfigError([`environment variable ${name} looks like JSON but does not parse`]);
      }
    }
    const parts = path.split('.');
    let node: JsonObject = out;
    for (const p of parts.slice(0, -1)) {
      if (typeof node[p] !== 'object' || node[p] === null) node[p] = {};
      node = node[p] as JsonObject;
    }
    node[parts[parts.length - 1]] = value;
  }
  return out;
}

/** Small typed readers that collect problems instead of throwing on the first one. */
export class ConfigReader {
  readonly problems: string[] = [];
  constructor(private readonly root: JsonObject) {}

  private at(path: string): unknown {
    let node: unknown = this.root;
    for (const p of path.split('.')) {
      if (typeof node !== 'object' || node === null) return undefined;
      node = (node as JsonObject)[p];
    }
    return node;
  }

  string(path: string, dflt: string, check?: (v: string) => string | undefined): string {
    const v = this.at(path);
    if (v === undefined) return dflt;
    if (typeof v !== 'string') {
      this.problems.push(`${path}: expected a string, got ${JSON.stringify(v)}`);
      return dflt;
    }
    const msg = check?.(v);
    if (msg) this.problems.push(`${path}: ${msg}`);
    return v;
  }

  number(path: string, dflt: number, min: number, max: number): number {
    const v = this.at(path);
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.problems.push(`${path}: expected an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
      return dflt;
    }
    return v;
  }

  boolean(path: string, dflt: boolean): boolean {
    const v = this.at(path);
    if (v === undefined) return dflt;
    if (typeof v !== 'boolean') {
      this.problems.push(`${path}: expected true or false, got ${JSON.stringify(v)}`);
      return dflt;
    }
    return v;
  }

  oneOf<T extends string>(path: string, dflt: T, allowed: readonly T[]): T {
    const v = this.at(path);
    if (v === undefined) return dflt;
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      this.problems.push(`${path}: expected one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
      return dflt;
    }
    return v as T;
  }

  raw(path: string): unknown {
    return this.at(path);
  }

  fail(message: string): void {
    this.problems.push(message);
  }

  done(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}

/**
 * A process's config from `--config FILE` (or the file named by `envVar`) plus the environment.
 * Bad config ends the process with every problem listed and exit code 2, before anything starts.
 */
export function loadProcessConfig<T>(processName: string, envVar: string, load: (file: string | undefined) => T): T {
  const i = process.argv.indexOf('--config');
  const file = (i >= 0 ? process.argv[i + 1] : undefined) ?? process.env[envVar];
  try {
    return load(file);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${processName}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}
