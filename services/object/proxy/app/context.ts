/**
 * What every controller gets: configuration, the rings, the storage client, the logger, the
 * clock, and the container/account info cache. One ProxyContext per proxy process, shared by
 * both faces (HTTP and gRPC).
 */
import type { Logger } from '../../../runtime/log';
import type { Rings } from '../backend/rings';
import type { StorageClient } from '../backend/storage-client';
import type { ProxyConfig } from '../config';
import { TtlCache } from './ttl-cache';

export interface ProxyContext {
  readonly config: ProxyConfig;
  readonly rings: Rings;
  readonly client: StorageClient;
  readonly logger: Logger;
  /** Milliseconds since the epoch; injected so tests control time (timestamps, expiry). */
  readonly clock: () => number;
  /**
   * Container and account info, cached for config.containerInfoTtlMs. Owned by
   * controllers/container-info.ts, which decides keys and value shapes (hence unknown here).
   */
  readonly infoCache: TtlCache<unknown>;
}

export function createProxyContext(opts: { config: ProxyConfig; rings: Rings; client: StorageClient; logger: Logger; clock?: () => number }): ProxyContext {
  const clock = opts.clock ?? Date.now;
  return { config: opts.config, rings: opts.rings, client: opts.client, logger: opts.logger, clock, infoCache: new TtlCache<unknown>(opts.config.containerInfoTtlMs, clock) };
}
