/**
 * How a worker plugs into the workers process: a definition reads the worker's own settings
 * (under `workers.<name>` in the config) and returns the factory that builds it from the shared
 * context. registry.ts lists the definitions; config.ts and main.ts need nothing else.
 */
import type { ConfigReader } from '../../runtime/config';
import type { Logger } from '../../runtime/log';
import type { RingName, RingReader } from '../ring';
import type { HashSecret } from '../storage/diskfile/disk-file';
import type { DirectClient } from './direct-client';
import type { Worker } from './worker';

/** What every worker of one storage server shares. */
export interface WorkerContext {
  devicesRoot: string;
  secret: HashSecret;
  fsync: boolean;
  /** ip:port of this server's storage process, as in the rings. */
  storageAddress: { host: string; port: number };
  logger: Logger;
  client: DirectClient;
  /** The device directories under devicesRoot (whatever the rings say; sorted). */
  localDevices(): Promise<string[]>;
  /** A ring from ringDir, opened on first use; reloaded (when the file changed) on each call. */
  ring(name: RingName): Promise<RingReader>;
}

export type WorkerFactory = (ctx: WorkerContext) => Worker;

export interface WorkerDefinition {
  readonly name: string;
  readonly defaultIntervalMs: number;
  /**
   * Reads this worker's own settings at `<base>.<setting>` (problems go to the reader, which the
   * caller checks) and returns the factory for them.
   */
  configure(r: ConfigReader, base: string): WorkerFactory;
}
