/**
 * The account reaper (Swift's account-reaper): removes the data of accounts marked deleted.
 *
 * For each local device (in the account ring), the local storage server lists the device's
 * account records; for each deleted account whose first primary is this device (reap-plan.ts):
 *   1. page through the account's container rows (the local replica);
 *   2. for each container, list its objects on every container replica (the union, so a replica
 *      that missed rows does not hide objects) and DELETE each object on all of its primaries
 *      with the reaper's timestamp, each carrying one container replica's address so the rows go
 *      too (as the proxy does);
 *   3. DELETE the container on each of its replicas (now empty), each carrying the account
 *      replica with the same index (as the proxy's container DELETE does), so the container
 *      servers report the deletion and every account replica's row for it goes deleted;
 *   4. when every step settled, remember the account as reaped (reaped-marks.ts); otherwise the
 *      next pass tries again (every step is idempotent).
 * The account record stays, deleted, in the account layer (its PUT answers 403 "Recently
 * deleted") until the DELETE is older than `reclaimAgeMs`: then this server has the record
 * reclaimed on every replica and forgets its mark (reclaim-plan.ts says why here and in what
 * order), and the account can be created again.
 */
import type { Ring } from '../../ring';
import type { RingDevice } from '../../ring/device';
import { Timestamp } from '../../common/timestamp';
import { hashPath } from '../../common/hash-path';
import { accountContainersRequestPath, accountsRequestPath, dbRequestPath } from '../../storage/replication/db-path';
import { storagePath, type DirectReply } from '../direct-client';
import { runBounded } from '../replicator/bounded-pool';
import { localDevices, sameDevice } from '../replicator/partition-jobs';
import type { PassStats, Worker } from '../worker';
import type { WorkerContext } from '../worker-definition';
import { containerDeleteSettled, objectDeleteSettled, reapDecision, type AccountSummary } from './reap-plan';
import { readReapedMark, removeReapedMark, writeReapedMark } from './reaped-marks';
import { leftoverRows, reclaimCutoff, reclaimDue, reclaimSettled, type DumpedContainerRow } from './reclaim-plan';

export interface ReaperSettings {
  /** Object DELETEs in flight at once. */
  concurrency: number;
  /** A reaped account's record is reclaimed once its DELETE is older than this (Swift's reclaim_age). */
  reclaimAgeMs: number;
  clock?: () => number;
}

export interface ReaperStats extends PassStats {
  deletedAccounts: number;
  accountsReaped: number;
  containersDeleted: number;
  objectsDeleted: number;
  accountsReclaimed: number;
  /** Reclaims a replica refused (not empty yet, say) or did not answer: tried again next pass. */
  reclaimsDeferred: number;
  /** Container rows of reaped accounts reported deleted by the reaper itself (their reports were missing). */
  leftoverRowsDeleted: number;
  failures: number;
}

const LISTING_LIMIT = 10_000;

interface Rings {
  account: Ring;
  container: Ring;
  object: Ring;
}

export class AccountReaper implements Worker {
  readonly name = 'reaper';

  constructor(
    private readonly ctx: WorkerContext,
    private readonly settings: ReaperSettings,
  ) {}

  async runOnce(signal: AbortSignal): Promise<ReaperStats> {
    const stats: ReaperStats = { deletedAccounts: 0, accountsReaped: 0, containersDeleted: 0, objectsDeleted: 0, accountsReclaimed: 0, reclaimsDeferred: 0, leftoverRowsDeleted: 0, failures: 0 };
    const rings: Rings = {
      account: (await this.ctx.ring('account')).ring,
      container: (await this.ctx.ring('container')).ring,
      object: (await this.ctx.ring('object')).ring,
    };
    const self = { ip: this.ctx.storageAddress.host, port: this.ctx.storageAddress.port };
    for (const device of localDevices(rings.account.devices, self)) {
      if (signal.aborted) break;
      let accounts: AccountSummary[];
      try {
        accounts = await this.json<AccountSummary[]>(device, accountsRequestPath(device.device), signal);
      } catch (err) {
        stats.failures++;
        this.ctx.logger.warn('reaper: cannot list accounts', { device: device.device, error: err });
        continue;
      }
      for (const a of accounts) {
        if (signal.aborted) break;
        if (a.deleted) stats.deletedAccounts++;
        const mark = await readReapedMark(this.ctx.devicesRoot, device.device, this.ctx.secret, a.account);
        const primaries = a.deleted ? rings.account.getNodes(a.account) : { partition: 0, nodes: [] };
        const decision = reapDecision(a, primaries.nodes, device, mark?.deleteTimestamp);
        if (decision === 'already-reaped') await this.reclaim(device, a, primaries, stats, signal);
        if (decision !== 'reap') continue;
        const failuresBefore = stats.failures;
        try {
          await this.reapAccount(rings, device, a.account, stats, signal);
        } catch (err) {
          stats.failures++;
          this.ctx.logger.warn('reaper: account failed', { account: a.account, error: err });
        }
        if (stats.failures === failuresBefore && !signal.aborted) {
          const reapedAt = Timestamp.now(this.settings.clock).internal;
          await writeReapedMark(this.ctx.devicesRoot, device.device, this.ctx.secret, { account: a.account, deleteTimestamp: a.deleteTimestamp, reapedAt }, this.ctx.fsync);
          stats.accountsReaped++;
          await this.reclaim(device, a, primaries, stats, signal);
        }
      }
    }
    return stats;
  }

  /**
   * Reclaims a reaped account's record on every replica once its DELETE is old enough: this
   * device's record is checked first (dry run), the others are reclaimed, then this one, then
   * the mark goes. Stops at the first refusal or silence; the next pass starts over. When this
   * device still counts containers (their deletion never reached it), they are reported deleted
   * to every replica first (deleteLeftoverRows).
   */
  private async reclaim(device: RingDevice, a: AccountSummary, primaries: { partition: number; nodes: readonly RingDevice[] }, stats: ReaperStats, signal: AbortSignal): Promise<void> {
    const nowMs = (this.settings.clock ?? Date.now)();
    if (signal.aborted || !reclaimDue(a.deleteTimestamp, nowMs, this.settings.reclaimAgeMs)) return;
    const headers = {
      'X-Backend-Storage-Layer': 'account',
      'X-Timestamp': Timestamp.fromMillis(nowMs).internal,
      'X-Backend-Reclaim-Before': reclaimCutoff(nowMs, this.settings.reclaimAgeMs).internal,
    };
    let refusal: string | undefined;
    const ask = async (node: RingDevice, dryRun: boolean): Promise<boolean> => {
      refusal = undefined;
      try {
        const r = await this.send(node, 'DELETE', storagePath(node.device, primaries.partition, a.account), dryRun ? { ...headers, 'X-Backend-Reclaim-Dry-Run': 'true' } : headers, signal);
        if (reclaimSettled(r.status)) return true;
        refusal = String(r.headers['x-backend-reclaim-refused'] ?? r.status);
        this.ctx.logger.info('reaper: reclaim refused', { account: a.account, node: `${node.ip}:${node.port}/${node.device}`, status: r.status, reason: refusal });
      } catch (err) {
        this.ctx.logger.warn('reaper: reclaim failed', { account: a.account, node: `${node.ip}:${node.port}/${node.device}`, error: err });
      }
      return false;
    };
    const others = primaries.nodes.filter((n) => !sameDevice(n, device));
    let settled = await ask(device, true);
    if (!settled && refusal === 'not_empty' && (await this.deleteLeftoverRows(device, a.account, primaries, stats, signal))) settled = await ask(device, true);
    for (const node of others) if (settled && !signal.aborted) settled = await ask(node, false);
    if (settled && !signal.aborted) settled = await ask(device, false);
    if (!settled || signal.aborted) {
      stats.reclaimsDeferred++;
      return;
    }
    await removeReapedMark(this.ctx.devicesRoot, device.device, this.ctx.secret, a.account);
    stats.accountsReclaimed++;
  }

  /**
   * Reports every container this device's copy of a reaped account still counts as live as
   * deleted, to every account replica (the reaper deleted those containers; only their reports
   * went missing). True when every report was answered 2xx or 404 (no record there).
   */
  private async deleteLeftoverRows(device: RingDevice, account: string, primaries: { partition: number; nodes: readonly RingDevice[] }, stats: ReaperStats, signal: AbortSignal): Promise<boolean> {
    const ref = { kind: 'account' as const, hash: hashPath(this.ctx.secret.prefix, this.ctx.secret.suffix, account) };
    const deletedAt = Timestamp.now(this.settings.clock).internal;
    let ok = true;
    let marker: string | undefined;
    try {
      do {
        const page = await this.json<{ rows: DumpedContainerRow[]; next?: string }>(device, dbRequestPath(device.device, ref, { rows: true, marker }), signal);
        for (const row of leftoverRows(page.rows)) {
          stats.leftoverRowsDeleted++;
          for (const n of primaries.nodes) {
            if (signal.aborted) return false;
            const headers = { 'X-Backend-Storage-Layer': 'account', 'X-Put-Timestamp': row.putTimestamp, 'X-Delete-Timestamp': deletedAt, 'X-Object-Count': '0', 'X-Bytes-Used': '0' };
            try {
              const r = await this.send(n, 'PUT', storagePath(n.device, primaries.partition, account, row.name), headers, signal);
              if ((r.status < 200 || r.status >= 300) && r.status !== 404) throw new Error(`status ${r.status}`);
            } catch (err) {
              ok = false;
              this.ctx.logger.warn('reaper: leftover container row not deleted', { account, container: row.name, node: `${n.ip}:${n.port}/${n.device}`, error: err });
            }
          }
        }
        marker = page.next;
      } while (marker !== undefined);
    } catch (err) {
      this.ctx.logger.warn('reaper: cannot read the account rows', { account, error: err });
      return false;
    }
    return ok;
  }

  private async send(node: Pick<RingDevice, 'ip' | 'port'>, method: string, path: string, headers: Record<string, string>, signal: AbortSignal): Promise<DirectReply> {
    return this.ctx.client.request({ host: node.ip, port: node.port, method, path, headers, signal });
  }

  private async json<T>(node: RingDevice, path: string, signal: AbortSignal, layer = 'replication'): Promise<T> {
    const r = await this.send(node, 'GET', path, { 'X-Backend-Storage-Layer': layer }, signal);
    if (r.status !== 200) throw new Error(`GET ${node.ip}:${node.port}${path}: ${r.status}`);
    return JSON.parse(r.body.toString('utf8')) as T;
  }

  private async reapAccount(rings: Rings, device: RingDevice, account: string, stats: ReaperStats, signal: AbortSignal): Promise<void> {
    const accountReplicas = rings.account.getNodes(account);
    // One timestamp for the whole account: every DELETE of this pass orders the same way.
    const timestamp = Timestamp.now(this.settings.clock).internal;
    let marker: string | undefined;
    for (;;) {
      const names = await this.json<string[]>(device, accountContainersRequestPath(device.device, account, marker), signal);
      if (names.length === 0) return;
      for (const container of names) {
        if (signal.aborted) return;
        await this.reapContainer(rings, accountReplicas, account, container, timestamp, stats, signal);
      }
      marker = names[names.length - 1];
    }
  }

  private async reapContainer(
    rings: Rings,
    accountReplicas: { partition: number; nodes: readonly RingDevice[] },
    account: string,
    container: string,
    timestamp: string,
    stats: ReaperStats,
    signal: AbortSignal,
  ): Promise<void> {
    const { partition: cpart, nodes: cnodes } = rings.container.getNodes(account, container);
    const objects = await this.listObjects(cnodes, cpart, account, container, stats, signal);
    await runBounded([...objects], this.settings.concurrency, signal, async (object) => {
      const { partition, nodes } = rings.object.getNodes(account, container, object);
      let settled = true;
      await Promise.all(
        nodes.map(async (node, i) => {
          const c = cnodes[i % cnodes.length];
          const headers: Record<string, string> = { 'X-Timestamp': timestamp };
          if (c) Object.assign(headers, { 'X-Container-Host': `${c.ip}:${c.port}`, 'X-Container-Device': c.device, 'X-Container-Partition': String(cpart) });
          try {
            const r = await this.send(node, 'DELETE', storagePath(node.device, partition, account, container, object), headers, signal);
            if (!objectDeleteSettled(r.status)) throw new Error(`status ${r.status}`);
          } catch (err) {
            settled = false;
            this.ctx.logger.warn('reaper: object DELETE failed', { account, container, object, node: `${node.ip}:${node.port}/${node.device}`, error: err });
          }
        }),
      );
      if (settled) stats.objectsDeleted++;
      else stats.failures++;
    });
    if (signal.aborted) return;
    let settled = true;
    for (const [i, c] of cnodes.entries()) {
      const headers: Record<string, string> = { 'X-Timestamp': timestamp, 'X-Backend-Storage-Layer': 'container' };
      const an = accountReplicas.nodes.length > 0 ? accountReplicas.nodes[i % accountReplicas.nodes.length] : undefined;
      if (an) Object.assign(headers, { 'X-Account-Host': `${an.ip}:${an.port}`, 'X-Account-Device': an.device, 'X-Account-Partition': String(accountReplicas.partition) });
      try {
        const r = await this.send(c, 'DELETE', storagePath(c.device, cpart, account, container), headers, signal);
        if (!containerDeleteSettled(r.status)) throw new Error(`status ${r.status}`);
      } catch (err) {
        settled = false;
        this.ctx.logger.warn('reaper: container DELETE failed', { account, container, node: `${c.ip}:${c.port}/${c.device}`, error: err });
      }
    }
    if (settled) stats.containersDeleted++;
    else stats.failures++;
  }

  /** The union of the object names every reachable container replica lists. */
  private async listObjects(cnodes: readonly RingDevice[], cpart: number, account: string, container: string, stats: ReaperStats, signal: AbortSignal): Promise<Set<string>> {
    const names = new Set<string>();
    let answered = 0;
    for (const c of cnodes) {
      let marker = '';
      try {
        for (;;) {
          const q = `?format=json&limit=${LISTING_LIMIT}${marker ? `&marker=${encodeURIComponent(marker)}` : ''}`;
          const r = await this.send(c, 'GET', storagePath(c.device, cpart, account, container) + q, { 'X-Backend-Storage-Layer': 'container' }, signal);
          if (r.status === 404) break;
          if (r.status !== 200) throw new Error(`status ${r.status}`);
          const page = JSON.parse(r.body.toString('utf8')) as { name?: string }[];
          for (const e of page) if (typeof e.name === 'string') names.add(e.name);
          if (page.length < LISTING_LIMIT) break;
          marker = page[page.length - 1].name ?? '';
          if (!marker) break;
        }
        answered++;
      } catch (err) {
        this.ctx.logger.warn('reaper: container listing failed', { account, container, node: `${c.ip}:${c.port}/${c.device}`, error: err });
      }
    }
    if (answered === 0 && cnodes.length > 0) {
      stats.failures++;
      throw new Error(`no replica of /${account}/${container} answered its listing`);
    }
    return names;
  }
}
