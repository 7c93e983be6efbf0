/**
 * The expirer (Swift's object expirer, done per device): reads each local device's expirer index
 * (storage/diskfile/expirer-index.ts) up to now and deletes the due objects through this
 * server's own storage process:
 *
 *   DELETE /<device>/<partition>/<a>/<c>/<o>   X-Timestamp: <delete-at>, X-If-Delete-At: <delete-at>,
 *          X-Container-Host/-Device/-Partition: the container replica with the same index as this
 *          device's replica of the object (object and container rings), as the proxy would send
 *
 * so the tombstone is written at the delete-at time, the container row is updated (or queued in
 * async_pending) by the object server exactly as for a client's DELETE, and a version that no
 * longer expires then (overwritten, re-posted) is left alone (412). Every replica's server
 * expires its own copy, so no coordination between servers is needed; a device that is not a
 * primary for the object (a handoff) reports to the first container replica.
 *
 * The entry is removed when the DELETE answered 2xx, 404 (already gone or expired: the storage
 * server answers 404 for an expired object, after writing the tombstone), 409 (a newer version
 * is on disk) or 412 (no longer expiring then); kept for the next pass otherwise.
 */
import { unlink } from 'node:fs/promises';
import { Timestamp } from '../common/timestamp';
import type { RingDevice } from '../ring';
import { dueExpiryEntries, type DueEntry } from '../storage/diskfile/expirer-index';
import { DirectClientError, storagePath } from './direct-client';
import type { PassStats, Worker } from './worker';
import type { WorkerContext, WorkerDefinition } from './worker-definition';

export interface ExpirerSettings {
  clock?: () => number;
}

const DONE_STATUSES = new Set([404, 409, 412]);

const hostPort = (d: RingDevice): string => (d.ip.includes(':') ? `[${d.ip}]:${d.port}` : `${d.ip}:${d.port}`);

export class Expirer implements Worker {
  readonly name = 'expirer';

  constructor(
    private readonly ctx: WorkerContext,
    private readonly settings: ExpirerSettings,
  ) {}

  async runOnce(signal: AbortSignal): Promise<PassStats> {
    const stats = { devices: 0, due: 0, expired: 0, skipped: 0, failures: 0, errors: 0 };
    const nowSeconds = Math.floor((this.settings.clock ?? Date.now)() / 1000);
    const [objectRing, containerRing] = await Promise.all([this.ctx.ring('object'), this.ctx.ring('container')]);
    for (const device of await this.ctx.localDevices()) {
      if (signal.aborted) break;
      stats.devices++;
      for await (const entry of dueExpiryEntries(this.ctx.devicesRoot, device, nowSeconds)) {
        if (signal.aborted) break;
        stats.due++;
        try {
          const status = await this.expire(device, entry, objectRing.getNodes(entry.account, entry.container, entry.object).nodes, containerRing.getNodes(entry.account, entry.container), signal);
          if ((status >= 200 && status < 300) || DONE_STATUSES.has(status)) {
            await unlink(entry.file).catch(() => undefined);
            if (status === 409 || status === 412) stats.skipped++;
            else stats.expired++;
          } else {
            stats.failures++;
            this.ctx.logger.info('expiry not done; kept for the next pass', { device, path: `/${entry.account}/${entry.container}/${entry.object}`, status });
          }
        } catch (err) {
          stats.errors++;
          this.ctx.logger.warn('expiry failed', { device, path: `/${entry.account}/${entry.container}/${entry.object}`, error: err });
        }
      }
    }
    return stats;
  }

  private async expire(device: string, e: DueEntry, objectNodes: readonly RingDevice[], containers: { partition: number; nodes: readonly RingDevice[] }, signal: AbortSignal): Promise<number> {
    const { host, port } = this.ctx.storageAddress;
    const index = Math.max(0, objectNodes.findIndex((n) => n.device === device && n.port === port && n.ip === host));
    const headers: Record<string, string> = {
      'X-Timestamp': Timestamp.fromMillis(e.deleteAt * 1000).internal,
      'X-If-Delete-At': String(e.deleteAt),
    };
    const c = containers.nodes.length > 0 ? containers.nodes[index % containers.nodes.length] : undefined;
    if (c) {
      headers['X-Container-Host'] = hostPort(c);
      headers['X-Container-Device'] = c.device;
      headers['X-Container-Partition'] = String(containers.partition);
    }
    try {
      const reply = await this.ctx.client.request({ host, port, method: 'DELETE', path: storagePath(device, e.partition, e.account, e.container, e.object), headers, signal });
      return reply.status;
    } catch (err) {
      if (err instanceof DirectClientError) return 0;
      throw err;
    }
  }
}

export const expirerDefinition: WorkerDefinition = {
  name: 'expirer',
  defaultIntervalMs: 5 * 60_000,
  configure() {
    return (ctx) => new Expirer(ctx, {});
  },
};
