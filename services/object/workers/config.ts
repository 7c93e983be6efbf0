/**
 * Workers process configuration: defaults, a JSON file, then WEFT_OBJECT_* environment overrides
 * (ENV below), validated as a whole. Shared settings are those of the storage server it runs
 * beside (same devicesRoot and hash path secret); each worker has `workers.<name>.enabled`,
 * `workers.<name>.intervalMs` and its own settings (see its definition).
 */
import { applyEnv, ConfigReader, readConfigFile } from '../../runtime/config';
import type { LogLevel } from '../../runtime/log';
import type { WorkerDefinition, WorkerFactory } from './worker-definition';

export interface ConfiguredWorker {
  name: string;
  enabled: boolean;
  /** Pause between the end of one pass and the start of the next. */
  intervalMs: number;
  create: WorkerFactory;
}

export interface WorkersConfig {
  devicesRoot: string;
  hashPathPrefix: string;
  hashPathSuffix: string;
  /** Holds account.ring, container.ring, object.ring. */
  ringDir: string;
  /** ip:port of this server's storage process as it appears in the rings (identifies "my devices"). */
  storageAddress: { host: string; port: number };
  fsync: boolean;
  /** Bound on one request to a storage server. */
  requestTimeoutMs: number;
  workers: ConfiguredWorker[];
  logLevel: LogLevel;
}

export const ENV: Record<string, string> = {
  WEFT_OBJECT_DEVICES_ROOT: 'devicesRoot',
  WEFT_OBJECT_HASH_PATH_PREFIX: 'hashPathPrefix',
  WEFT_OBJECT_HASH_PATH_SUFFIX: 'hashPathSuffix',
  WEFT_OBJECT_RING_DIR: 'ringDir',
  WEFT_OBJECT_STORAGE_ADDRESS: 'storageAddress',
  WEFT_OBJECT_FSYNC: 'fsync',
  WEFT_LOG_LEVEL: 'log.level',
};

function parseAddress(v: string): { host: string; port: number } | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+):(\d{1,5})$/.exec(v);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) return undefined;
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) };
}

export function loadWorkersConfig(file: string | undefined, definitions: readonly WorkerDefinition[], env: NodeJS.ProcessEnv = process.env): WorkersConfig {
  const r = new ConfigReader(applyEnv(readConfigFile(file), env, ENV));
  const address = r.string('storageAddress', '127.0.0.1:6200', (v) => (parseAddress(v) ? undefined : 'expected ip:port (port 1-65535)'));
  const cfg: WorkersConfig = {
    devicesRoot: r.string('devicesRoot', './data/object/devices', (v) => (v ? undefined : 'must not be empty')),
    hashPathPrefix: r.string('hashPathPrefix', ''),
    hashPathSuffix: r.string('hashPathSuffix', ''),
    ringDir: r.string('ringDir', './data/object/rings', (v) => (v ? undefined : 'must not be empty')),
    storageAddress: parseAddress(address) ?? { host: '127.0.0.1', port: 6200 },
    fsync: r.boolean('fsync', true),
    requestTimeoutMs: r.number('requestTimeoutMs', 10_000, 10, 600_000),
    workers: [],
    logLevel: r.oneOf('log.level', 'info', ['debug', 'info', 'warn', 'error'] as const),
  };
  if (!cfg.hashPathPrefix && !cfg.hashPathSuffix) r.fail('hashPathPrefix / hashPathSuffix: at least one must be set (the storage servers\' values)');
  const section = r.raw('workers');
  if (section !== undefined && (typeof section !== 'object' || section === null || Array.isArray(section))) r.fail('workers: expected an object');
  const known = new Set(definitions.map((d) => d.name));
  if (section && typeof section === 'object') {
    for (const name of Object.keys(section)) if (!known.has(name)) r.fail(`workers.${name}: unknown worker (known: ${[...known].join(', ')})`);
  }
  for (const d of definitions) {
    const base = `workers.${d.name}`;
    cfg.workers.push({
      name: d.name,
      enabled: r.boolean(`${base}.enabled`, true),
      intervalMs: r.number(`${base}.intervalMs`, d.defaultIntervalMs, 10, 86_400_000),
      create: d.configure(r, base),
    });
  }
  r.done();
  return cfg;
}
