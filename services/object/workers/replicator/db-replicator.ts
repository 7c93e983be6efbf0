/**
 * Container and account database replication: every database held on a local device is
 * compared by digest with each other replica (the ring's primaries for its name), and when they
 * differ, its record and rows are sent in pages for the peer to merge by timestamp
 * (storage/replication/db-merge.ts). Like the object replicator this only pushes: each server
 * running it brings the others what it has, so replicas converge both ways.
 *
 * A database on a handoff device is pushed to every primary the same way and, once every
 * primary took it, dropped here if unchanged since it was read (db-dump.ts dropDbIfUnchanged).
 */
import type { Logger } from '../../../runtime/log';
import type { RingDevice } from '../../ring/device';
import type { DbSummary } from '../../storage/replication/db-dump';
import type { PassStats, Worker } from '../worker';
import { runBounded } from './bounded-pool';
import { localDevices, sameDevice, type RingView } from './partition-jobs';
import { ReplicationClient, type NodeAddress } from './replication-client';

export interface DbRingView extends RingView {
  getNodes(account: string, container?: string): { nodes: readonly RingDevice[] };
}

export interface DbReplicatorOptions {
  self: { ip: string; port: number };
  rings: () => Promise<{ container: DbRingView; account: DbRingView }>;
  concurrency?: number;
  requestTimeoutMs?: number;
  logger?: Logger;
}

export interface DbReplicatorStats extends PassStats {
  dbs: number;
  dbsSynced: number;
  dbRowsSent: number;
  dbHandoffs: number;
  dbHandoffsRemoved: number;
  dbFailures: number;
}

const address = (d: RingDevice): NodeAddress => ({ ip: d.ip, port: d.port, device: d.device });

export class DbReplicator implements Worker {
  readonly name = 'db-replicator';

  constructor(private readonly opts: DbReplicatorOptions) {}

  async runOnce(signal: AbortSignal): Promise<DbReplicatorStats> {
    const stats: DbReplicatorStats = { dbs: 0, dbsSynced: 0, dbRowsSent: 0, dbHandoffs: 0, dbHandoffsRemoved: 0, dbFailures: 0 };
    const rings = await this.opts.rings();
    const devices = new Map<string, RingDevice>();
    for (const d of [...localDevices(rings.container.devices, this.opts.self), ...localDevices(rings.account.devices, this.opts.self)]) {
      if (!devices.has(d.device)) devices.set(d.device, d);
    }
    const client = new ReplicationClient(this.opts.requestTimeoutMs ?? 30_000);
    try {
      for (const device of devices.values()) {
        if (signal.aborted) break;
        let dbs: DbSummary[];
        try {
          dbs = await client.listDbs(address(device));
        } catch (err) {
          stats.dbFailures++;
          this.opts.logger?.warn('cannot list databases', { device: device.device, error: err });
          continue;
        }
        await runBounded(dbs, this.opts.concurrency ?? 4, signal, async (db) => {
          stats.dbs++;
          const ring = db.kind === 'container' ? rings.container : rings.account;
          const nodes = ring.getNodes(db.account, db.kind === 'container' ? db.container : undefined).nodes;
          const handoff = !nodes.some((n) => sameDevice(n, device));
          if (handoff) stats.dbHandoffs++;
          const targets = nodes.filter((n) => !sameDevice(n, device));
          let acknowledged = 0;
          for (const target of targets) {
            if (signal.aborted) return;
            try {
              await this.syncDb(client, device, target, db, stats);
              acknowledged++;
            } catch (err) {
              stats.dbFailures++;
              this.opts.logger?.warn('database sync failed', { kind: db.kind, account: db.account, container: db.container, peer: `${target.ip}:${target.port}/${target.device}`, error: err });
            }
          }
          if (handoff && targets.length > 0 && acknowledged === targets.length) {
            try {
              if (await client.dropDb(address(device), { kind: db.kind, hash: db.hash }, db.digest)) stats.dbHandoffsRemoved++;
            } catch (err) {
              stats.dbFailures++;
              this.opts.logger?.warn('dropping handed-off database failed', { kind: db.kind, account: db.account, container: db.container, error: err });
            }
          }
        });
      }
    } finally {
      client.close();
    }
    return stats;
  }

  private async syncDb(client: ReplicationClient, device: RingDevice, target: RingDevice, db: DbSummary, stats: DbReplicatorStats): Promise<void> {
    const ref = { kind: db.kind, hash: db.hash };
    if ((await client.dbDigest(address(target), ref)) === db.digest) return;
    let marker: string | undefined;
    do {
      const page = await client.dbRows(address(device), ref, marker);
      await client.mergeDb(address(target), db.kind, db.hash, { record: page.record, rows: page.rows, final: page.next === undefined });
      stats.dbRowsSent += page.rows.length;
      marker = page.next;
    } while (marker !== undefined);
    stats.dbsSynced++;
  }
}
