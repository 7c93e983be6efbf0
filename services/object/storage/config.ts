/**
 * Storage server configuration: defaults, a JSON file, then WEFT_OBJECT_* environment overrides
 * (ENV below), validated as a whole.
 *
 * The server does not authenticate its callers (only the proxy and the workers call it, as in
 * Swift), so `listen` must be a private address: loopback on one machine, the storage network
 * otherwise. Never expose it where clients can reach it.
 */
import { applyEnv, ConfigReader, readConfigFile } from '../../runtime/config';
import type { LogLevel } from '../../runtime/log';
import { CREATION_MODES, type CreationMode } from './diskfile/creation-gate';

export interface StorageConfig {
  /** host:port; port 0 picks a free port (printed in the ready line). */
  listen: string;
  /** Each device is a directory here (e.g. `<devicesRoot>/sdb1`), named as in the rings. */
  devicesRoot: string;
  /** The cluster's secret hash path prefix and suffix (at least one non-empty; never change). */
  hashPathPrefix: string;
  hashPathSuffix: string;
  /** Largest object accepted in one PUT (Swift's default: 5 GiB + 2). */
  maxObjectSize: number;
  /** Sync files and directories before acknowledging writes. Off only for tests and tmpfs. */
  fsync: boolean;
  /**
   * With fsync: small changes (files up to 96 KiB) are made durable through each device's intent
   * journal, one shared fdatasync per group, instead of syncing every file and directory
   * (diskfile/intent-journal.ts). A segment is checkpointed (one syncfs) when it reached
   * `checkpointBytes` or is `checkpointMs` old.
   */
  journal: { enabled: boolean; checkpointMs: number; checkpointBytes: number };
  /**
   * Where calls that create inodes (mkdir, new files) run (diskfile/creation-gate.ts): `auto`
   * (default) on the event loop while they are fast and in the thread pool while the file
   * system is slow at them; `inline` and `pool` pin one place.
   */
  creations: CreationMode;
  /** A request whose client sends nothing for this long is dropped (Swift's client_timeout). */
  clientTimeoutMs: number;
  /** How long an idle keep-alive connection is kept open for the proxy's next request. */
  keepAliveTimeoutMs: number;
  /** How long an object PUT/DELETE waits for its container update before queueing it in async_pending. */
  containerUpdateTimeoutMs: number;
  logLevel: LogLevel;
}

export const ENV: Record<string, string> = {
  WEFT_OBJECT_STORAGE_LISTEN: 'listen',
  WEFT_OBJECT_DEVICES_ROOT: 'devicesRoot',
  WEFT_OBJECT_HASH_PATH_PREFIX: 'hashPathPrefix',
  WEFT_OBJECT_HASH_PATH_SUFFIX: 'hashPathSuffix',
  WEFT_OBJECT_MAX_OBJECT_SIZE: 'maxObjectSize',
  WEFT_OBJECT_FSYNC: 'fsync',
  WEFT_OBJECT_JOURNAL: 'journal.enabled',
  WEFT_OBJECT_CREATIONS: 'creations',
  WEFT_LOG_LEVEL: 'log.level',
};

const SWIFT_MAX_FILE_SIZE = 5 * 1024 * 1024 * 1024 + 2;

function checkListen(v: string): string | undefined {
  const m = /^(\S+):(\d{1,5})$/.exec(v);
  if (!m || Number(m[2]) > 65535) return 'expected host:port (port 0-65535)';
  return undefined;
}

export function loadStorageConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): StorageConfig {
  const r = new ConfigReader(applyEnv(readConfigFile(file), env, ENV));
  const cfg: StorageConfig = {
    listen: r.string('listen', '127.0.0.1:6200', checkListen),
    devicesRoot: r.string('devicesRoot', './data/object/devices', (v) => (v ? undefined : 'must not be empty')),
    hashPathPrefix: r.string('hashPathPrefix', ''),
    hashPathSuffix: r.string('hashPathSuffix', ''),
    maxObjectSize: r.number('maxObjectSize', SWIFT_MAX_FILE_SIZE, 1, Number.MAX_SAFE_INTEGER),
    fsync: r.boolean('fsync', true),
    journal: {
      enabled: r.boolean('journal.enabled', true),
      checkpointMs: r.number('journal.checkpointMs', 1_000, 10, 3_600_000),
      checkpointBytes: r.number('journal.checkpointBytes', 8 * 1024 * 1024, 64 * 1024, 1024 * 1024 * 1024),
    },
    creations: r.oneOf('creations', 'auto', CREATION_MODES),
    clientTimeoutMs: r.number('clientTimeoutMs', 60_000, 100, 3_600_000),
    keepAliveTimeoutMs: r.number('keepAliveTimeoutMs', 30_000, 100, 3_600_000),
    containerUpdateTimeoutMs: r.number('containerUpdateTimeoutMs', 3_000, 10, 60_000),
    logLevel: r.oneOf('log.level', 'info', ['debug', 'info', 'warn', 'error'] as const),
  };
  // Swift refuses to start without them: hashes (and so placement) would be guessable.
  if (!cfg.hashPathPrefix && !cfg.hashPathSuffix) r.fail('hashPathPrefix / hashPathSuffix: at least one must be set (and never changed afterwards)');
  r.done();
  return cfg;
}
