/**
 * Container → account reports (Swift's container server `account_update` plus the container
 * updater's job, done as changes happen). A container whose record names its account replica
 * (`accountTarget`, stored from the X-Account-* headers of its PUT/DELETE) reports its PUT and
 * DELETE timestamps, object count and bytes used to that replica:
 *
 *   PUT /<adev>/<apart>/<account>/<container>  X-Backend-Storage-Layer: account
 *       X-Put-Timestamp, X-Delete-Timestamp, X-Object-Count, X-Bytes-Used
 *
 * Reports are coalesced per container: at most one in flight and one pending. A change while a
 * report is in flight only marks the pending one, which reads the record afresh when it starts,
 * so a burst of object PUTs costs two reports, and the last one always carries the counts as of
 * after the last change. A report that fails (no answer, timeout, non-2xx) is queued in
 * async_pending (`layer: 'account'`, named `<container hash>-<report time>`) for the updater;
 * a later successful report removes the queued ones of that container, since it supersedes them.
 *
 * Reports caused by object row changes are also paced per container by a token bucket: a few
 * (`burst`) go out at once, then one per `minIntervalMs`. Under a steady stream of object PUTs an
 * unpaced reporter sends a report (and the account server syncs a LevelDB batch) for nearly every
 * row, as soon as the previous report returns: that doubled the requests and syncs per object
 * write. Paced, a container that changes now and then reports at once, as before, and a busy one
 * reports its counts at most `minIntervalMs` (plus one report) late. Container PUT/DELETE
 * reports (report()) are never delayed: their callers wait for them.
 */
import { readdir, unlink } from 'node:fs/promises';
import * as path from 'node:path';
import { hashPath } from '../../common/hash-path';
import { Timestamp } from '../../common/timestamp';
import type { Logger } from '../../../runtime/log';
import type { HashSecret } from '../diskfile/disk-file';
import { asyncPendingPath } from '../diskfile/layout';
import type { PendingUpdate } from '../http/container-update';
import type { ContainerRef } from './container-store';
import type { ContainerRecord } from './rows';

export type ReportOutcome = 'sent' | 'queued' | 'none';

export interface AccountReporterOptions {
  devicesRoot: string;
  secret: HashSecret;
  /** The container's current record (read when a report starts, not when it was asked for). */
  record(ref: ContainerRef): Promise<ContainerRecord | undefined>;
  /** Sends one report; true on a 2xx. */
  send(u: PendingUpdate): Promise<boolean>;
  /** Queues a report in async_pending under the container's hash and the report's time. */
  queue(device: string, hash: string, u: PendingUpdate, timestamp: string): Promise<string>;
  logger?: Logger;
  clock?: () => number;
  /** Sustained row-change reports of one container start at least this far apart (ms); default 250. */
  minIntervalMs?: number;
  /** Row-change reports of one container that may go out at once after a quiet period; default 8. */
  burst?: number;
}

const DEFAULT_MIN_INTERVAL_MS = 250;
const DEFAULT_BURST = 8;
/** Past this many buckets, the full ones (they hold no state worth keeping) are dropped. */
const PRUNE_BUCKETS_AT = 4096;

interface Bucket {
  tokens: number;
  /** When `tokens` was computed (ms). */
  at: number;
}

/** The account report of a container record, or undefined when it names no account replica. */
export function accountReport(rec: ContainerRecord): PendingUpdate | undefined {
  if (!rec.accountTarget) return undefined;
  return {
    layer: 'account',
    method: 'PUT',
    path: `/${rec.account}/${rec.container}`,
    headers: {
      'X-Put-Timestamp': rec.putTimestamp,
      'X-Delete-Timestamp': rec.deleteTimestamp || '0',
      'X-Object-Count': String(rec.objectCount),
      'X-Bytes-Used': String(rec.bytesUsed),
    },
    target: rec.accountTarget,
  };
}

function reportKey(ref: ContainerRef): string {
  return `${ref.device}\u0000${ref.account}\u0000${ref.container}`;
}

interface Flight {
  again: boolean;
  done: Promise<ReportOutcome>;
}

export class AccountReporter {
  private readonly flights = new Map<string, Flight>();
  /** Pacing of row-change reports, per container. */
  private readonly buckets = new Map<string, Bucket>();
  /** Paced reports waiting for their time. */
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; ref: ContainerRef }>();
  /** Containers changed after their in-flight report read the record. */
  private readonly dirty = new Map<string, ContainerRef>();
  private closed = false;
  /** Counters for /recon and tests. */
  readonly counters = { sent: 0, queued: 0, failed: 0 };

  constructor(private readonly opts: AccountReporterOptions) {}

  private get minIntervalMs(): number {
    return this.opts.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS;
  }

  private get burst(): number {
    return this.opts.burst ?? DEFAULT_BURST;
  }

  private now(): number {
    return (this.opts.clock ?? Date.now)();
  }

  /** Something in the container changed: report soon (coalesced and paced; never rejects). */
  changed(ref: ContainerRef): void {
    if (this.closed) return;
    const key = reportKey(ref);
    if (this.flights.has(key)) {
      this.dirty.set(key, ref);
      return;
    }
    if (this.timers.has(key)) return;
    const wait = this.takeToken(key);
    if (wait <= 0) {
      void this.report(ref);
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(key);
      if (!this.closed) void this.report(ref);
    }, wait);
    timer.unref();
    this.timers.set(key, { timer, ref });
  }

  /**
   * Reports the container's state as of now (or later), waiting for it: a report already in
   * flight read the record too early, so the pending one is marked and awaited instead.
   */
  report(ref: ContainerRef): Promise<ReportOutcome> {
    const key = reportKey(ref);
    const flight = this.flights.get(key);
    if (flight) {
      flight.again = true;
      return flight.done;
    }
    const paced = this.timers.get(key);
    if (paced) {
      // This report covers what the paced one was for.
      clearTimeout(paced.timer);
      this.timers.delete(key);
    }
    const f: Flight = { again: false, done: Promise.resolve('none') };
    f.done = (async () => {
      let outcome: ReportOutcome = 'none';
      try {
        do {
          f.again = false;
          // This report reads the record after every change so far.
          this.dirty.delete(key);
          outcome = await this.reportOnce(ref);
        } while (f.again);
      } finally {
        this.flights.delete(key);
      }
      // Changes that came after the last read get their own (paced) report.
      const changedRef = this.dirty.get(key);
      if (changedRef) {
        this.dirty.delete(key);
        this.changed(changedRef);
      }
      return outcome;
    })();
    this.flights.set(key, f);
    return f.done;
  }

  /**
   * Server stop: the paced reports go out now instead of later, and every report in flight is
   * awaited (each is bounded by its own timeout; one that fails is queued for the updater as
   * always), so no change the account has not heard of is forgotten. Later changes are ignored.
   */
  async close(): Promise<void> {
    const pending = [...this.timers.values()];
    this.timers.clear();
    for (const p of pending) clearTimeout(p.timer);
    const dirty = [...this.dirty.values()];
    this.dirty.clear();
    this.closed = true;
    const reports = [...pending, ...dirty.map((ref) => ({ ref }))].map((p) => this.report(p.ref));
    await Promise.all([...reports, ...[...this.flights.values()].map((f) => f.done)]);
  }

  /**
   * Takes a token from the container's bucket: 0 when one was there (report now), else how long
   * (ms) until there is one (the report then waits that long and takes it).
   */
  private takeToken(key: string): number {
    const now = this.now();
    const interval = this.minIntervalMs;
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= PRUNE_BUCKETS_AT) {
        for (const [k, old] of this.buckets) if (old.tokens + (now - old.at) / interval >= this.burst) this.buckets.delete(k);
      }
      b = { tokens: this.burst, at: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(this.burst, b.tokens + (now - b.at) / interval);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    // The timer's report uses the token that accrues meanwhile.
    const wait = Math.ceil((1 - b.tokens) * interval);
    b.tokens -= 1;
    return wait;
  }

  private async reportOnce(ref: ContainerRef): Promise<ReportOutcome> {
    const hash = hashPath(this.opts.secret.prefix, this.opts.secret.suffix, ref.account, ref.container);
    try {
      const rec = await this.opts.record(ref);
      const u = rec && accountReport(rec);
      if (!u) return 'none';
      const at = Timestamp.now(this.opts.clock).internal;
      if (await this.opts.send(u)) {
        this.counters.sent++;
        await this.dropQueued(ref.device, hash);
        return 'sent';
      }
      await this.opts.queue(ref.device, hash, u, at);
      this.counters.queued++;
      this.opts.logger?.warn('account update queued', { device: ref.device, path: u.path, target: `${u.target.host}:${u.target.port}/${u.target.device}` });
      return 'queued';
    } catch (err) {
      // A report that could be neither sent nor queued is retried by the next change.
      this.counters.failed++;
      this.opts.logger?.error('account update failed', { device: ref.device, account: ref.account, container: ref.container, error: err });
      return 'none';
    }
  }

  /** Removes queued reports of this container: the one just sent is newer than all of them. */
  private async dropQueued(device: string, hash: string): Promise<void> {
    const dir = path.dirname(asyncPendingPath(this.opts.devicesRoot, device, hash, '0'));
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    for (const n of names) if (n.startsWith(`${hash}-`)) await unlink(path.join(dir, n)).catch(() => undefined);
  }
}
