/**
 * The storage server: one HTTP/1.1 server per machine serving every device under `devicesRoot`
 * (docs/object-storage.md). Internal only: it trusts its callers (the proxy and the workers), so
 * it must listen on a private address.
 *
 * Connections are keep-alive (the proxy reuses them); there is no overall request deadline,
 * since a 5 GiB upload may take minutes, only an idle timeout per socket (clientTimeoutMs) that
 * drops a stalled client and with it its upload.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../runtime/log';
import type { StorageConfig } from './config';
import { AccountStore } from './account/account-store';
import { AccountReporter } from './container/account-reporter';
import { ContainerStore } from './container/container-store';
import { creationGate } from './diskfile/durable-fs';
import { ExpiryIndex } from './diskfile/expirer-index';
import { ObjectStore } from './diskfile/object-store';
import { ContainerUpdater } from './http/container-update';
import { createRequestRouter } from './http/request-router';
import { StorageStats } from './http/storage-stats';

/** Temp files untouched this long belong to no live upload (see diskfile/tmp-sweep.ts). */
const STALE_TMP_MS = 10 * 60_000;
/** In-flight requests get this long to finish on stop before their connections are cut. */
const DRAIN_MS = 10_000;

export interface RunningStorageServer {
  port: number;
  server: Server;
  store: ObjectStore;
  containers: ContainerStore;
  stats: StorageStats;
  stop(): Promise<void>;
}

export async function startStorageServer(config: StorageConfig, logger: Logger): Promise<RunningStorageServer> {
  const stats = new StorageStats();
  creationGate.setMode(config.creations);
  const store = new ObjectStore({
    devicesRoot: config.devicesRoot,
    secret: { prefix: config.hashPathPrefix, suffix: config.hashPathSuffix },
    fsync: config.fsync,
    onQuarantine: (e) => {
      stats.quarantined++;
      logger.warn('object quarantined', { ...e });
    },
    journal: config.journal.enabled
      ? {
          checkpointMs: config.journal.checkpointMs,
          checkpointBytes: config.journal.checkpointBytes,
          // Checkpoints behind by this much: small changes sync file by file until they catch up.
          maxSealedBytes: Math.max(4 * config.journal.checkpointBytes, 64 * 1024 * 1024),
          onError: (device, err) => logger.warn('object journal error', { device, error: err instanceof Error ? err.message : String(err) }),
          onReplay: (device, report) => {
            stats.journalReplays.push({ device, ...report });
            logger.info('object journal replayed', { device, ...report });
          },
        }
      : undefined,
  });
  const swept = await store.sweepTmp(STALE_TMP_MS);
  if (swept > 0) logger.info('removed stale temp files', { count: swept });
  // Before listening: a change acknowledged before a crash is back in place before anyone reads.
  await store.openJournals();
  stats.journal = () => ({ ...store.journalCounters() });
  stats.creations = () => ({ ...creationGate.counters() });

  const containers = new ContainerStore({ devicesRoot: config.devicesRoot, secret: { prefix: config.hashPathPrefix, suffix: config.hashPathSuffix }, fsync: config.fsync });
  const accounts = new AccountStore({ secret: { prefix: config.hashPathPrefix, suffix: config.hashPathSuffix }, fsync: config.fsync, db: (device) => containers.database(device) });
  const updater = new ContainerUpdater({ devicesRoot: config.devicesRoot, secret: { prefix: config.hashPathPrefix, suffix: config.hashPathSuffix }, fsync: config.fsync, timeoutMs: config.containerUpdateTimeoutMs, logger });
  const reporter = new AccountReporter({
    devicesRoot: config.devicesRoot,
    secret: { prefix: config.hashPathPrefix, suffix: config.hashPathSuffix },
    record: (ref) => containers.record(ref),
    send: (u) => updater.send(u),
    queue: (device, hash, u, at) => updater.queue(device, hash, u, at),
    logger,
  });
  const route = createRequestRouter({ store, expiring: new ExpiryIndex({ devicesRoot: config.devicesRoot, fsync: config.fsync }), containers, accounts, stats, updater, reporter, logger, maxObjectSize: config.maxObjectSize });
  // Object metadata can be several KiB of headers; Node's default 16 KiB limit is too tight.
  const server = createServer({ maxHeaderSize: 64 * 1024, keepAliveTimeout: config.keepAliveTimeoutMs, requestTimeout: 0 });
  server.headersTimeout = Math.min(config.clientTimeoutMs, 60_000);
  server.setTimeout(config.clientTimeoutMs);
  server.on('request', (req, res) => route(req, res, false));
  server.on('checkContinue', (req, res) => route(req, res, true));
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code !== 'ECONNRESET') logger.warn('client error', { code: err.code, error: err.message });
    if (err.code !== 'ECONNRESET' && socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  const m = /^(.*):(\d+)$/.exec(config.listen);
  const host = m ? m[1].replace(/^\[(.*)\]$/, '$1') : '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(m?.[2] ?? 0), host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  logger.info('storage server listening', { host, port, devicesRoot: config.devicesRoot, fsync: config.fsync, journal: config.fsync && config.journal.enabled });

  const stop = async (): Promise<void> => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), DRAIN_MS);
    await closed;
    clearTimeout(timer);
    await reporter.close();
    updater.close();
    await store.close();
    await containers.close();
  };
  return { port, server, store, containers, stats, stop };
}
