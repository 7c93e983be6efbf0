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

interface Flight {
  again: boolean;
  done: Promise<ReportOutcome>;
}

export class AccountReporter {
  private readonly flights = new Map<string, Flight>();
  /** Counters for /recon and tests. */
  readonly counters = { sent: 0, queued: 0, failed: 0 };

  constructor(private readonly opts: AccountReporterOptions) {}

  /** Something in the container changed: report soon (coalesced; never rejects). */
  changed(ref: ContainerRef): void {
    void this.report(ref);
  }

  /**
   * Reports the container's state as of now (or later), waiting for it: a report already in
   * flight read the record too early, so the pending one is marked and awaited instead.
   */
  report(ref: ContainerRef): Promise<ReportOutcome> {
    const key = `${ref.device}\u0000${ref.account}\u0000${ref.container}`;
    const flight = this.flights.get(key);
    if (flight) {
      flight.again = true;
      return flight.done;
    }
    const f: Flight = { again: false, done: Promise.resolve('none') };
    f.done = (async () => {
      let outcome: ReportOutcome = 'none';
      try {
        do {
          f.again = false;
          outcome = await this.reportOnce(ref);
        } while (f.again);
      } finally {
        this.flights.delete(key);
      }
      return outcome;
    })();
    this.flights.set(key, f);
    return f.done;
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
