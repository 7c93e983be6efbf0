/**
 * When the reaper has a deleted account's record reclaimed (pure), Swift's reclaim_age rule:
 * once the account's first primary has reaped it (every container and object deleted) and its
 * DELETE is older than the reclaim age, the record goes from every replica, so the account can
 * be created again.
 *
 * Why the reaper, and why the first primary for every replica: the reaper is what knows the
 * account was emptied (its reaped mark), and one server reclaiming all replicas in one step
 * keeps them in step, so a PUT meets the same answer everywhere. (Swift's account replicator
 * reclaims each replica on its own, by time; here the DB replicator only pushes, and the account
 * layer's reclaimed marker keeps a replica that has not reclaimed yet from bringing the record
 * back.) The order is: the first primary checks its own record (dry run), reclaims the other
 * replicas, then its own, then forgets its mark; anything refused or unanswered leaves the
 * first primary's record and mark in place, so the next pass tries again.
 */
import { Timestamp } from '../../common/timestamp';

export const DEFAULT_RECLAIM_AGE_MS = 7 * 86_400_000;

/** Whether a DELETE at `deleteTimestamp` is older than the reclaim age at `nowMs`. */
export function reclaimDue(deleteTimestamp: string, nowMs: number, reclaimAgeMs: number): boolean {
  const del = Timestamp.tryParse(deleteTimestamp);
  return del !== undefined && del.seconds * 1000 < nowMs - reclaimAgeMs;
}

/** The `X-Backend-Reclaim-Before` the account layer checks: now minus the reclaim age. */
export function reclaimCutoff(nowMs: number, reclaimAgeMs: number): Timestamp {
  return Timestamp.fromMillis(Math.max(0, nowMs - reclaimAgeMs));
}

/** A replica's answer to the reclaim: reclaimed (204) or holds no record (404). */
export function reclaimSettled(status: number): boolean {
  return status === 204 || status === 404;
}

/** An account container row as the replication dump holds it. */
export interface DumpedContainerRow {
  name?: unknown;
  put_timestamp?: unknown;
  delete_timestamp?: unknown;
}

/**
 * The rows a reaped account still counts as live: containers the reaper deleted whose deletion
 * never reached this account replica (a report lost in a crash, or refused before deleted
 * accounts took deletions). The reaper reports them deleted itself, at their own PUT timestamp.
 */
export function leftoverRows(rows: readonly DumpedContainerRow[]): { name: string; putTimestamp: string }[] {
  const out: { name: string; putTimestamp: string }[] = [];
  for (const r of rows) {
    if (typeof r.name !== 'string' || typeof r.put_timestamp !== 'string') continue;
    const put = Timestamp.tryParse(r.put_timestamp);
    if (!put) continue;
    const del = typeof r.delete_timestamp === 'string' ? Timestamp.tryParse(r.delete_timestamp) : undefined;
    if (del && del.isNewerThan(put)) continue;
    out.push({ name: r.name, putTimestamp: r.put_timestamp });
  }
  return out;
}
