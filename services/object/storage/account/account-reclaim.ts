/**
 * Reclaiming a deleted account (pure rules; account-store.ts applies them): Swift's account
 * replicator removes a deleted account's database once the DELETE is older than `reclaim_age`
 * and the account holds no container any more. Until then the record stays, deleted, and a PUT
 * of the account is refused ("Recently deleted"), so an account cannot be recreated over data
 * the reaper has not removed yet.
 *
 * Reclaiming removes the record and its container rows, and leaves a small marker
 * (`ReclaimedMarker`) in their place: a replica that has not reclaimed yet still pushes the
 * deleted record (with its old PUT timestamp) through replication, and without the marker that
 * merge would bring the record back on the replicas that had reclaimed it. A client PUT carries
 * a newer timestamp than the DELETE, passes the marker and removes it; a PUT as old as the
 * DELETE or older (the replicator's copy of the deleted record among them) is refused.
 */
import { Timestamp } from '../../common/timestamp';

/** What reclaiming an account's record decides, given the record and the cutoff. */
export type ReclaimDecision = 'reclaim' | 'live' | 'too_recent' | 'not_empty';

/** The parts of an account record the decision reads. */
export interface ReclaimableRecord {
  putTimestamp: string;
  /** '' when never deleted. */
  deleteTimestamp: string;
  containerCount: number;
}

/** Left in the record's place once reclaimed (`a/<hash>/reclaimed`). */
export interface ReclaimedMarker {
  account: string;
  putTimestamp: string;
  deleteTimestamp: string;
  reclaimedAt: string;
}

/**
 * A record may go when it is deleted (its DELETE newer than its PUT), the DELETE is older than
 * `cutoff` (now minus the reclaim age, from the caller's clock), and it counts no live container
 * (the reaper deleted them and their containers reported it).
 */
export function reclaimDecision(rec: ReclaimableRecord, cutoff: Timestamp): ReclaimDecision {
  const del = Timestamp.tryParse(rec.deleteTimestamp);
  const put = Timestamp.tryParse(rec.putTimestamp);
  if (!del || (put && !del.isNewerThan(put))) return 'live';
  if (!cutoff.isNewerThan(del)) return 'too_recent';
  if (rec.containerCount > 0) return 'not_empty';
  return 'reclaim';
}

/**
 * Whether a PUT at `timestamp` may create the account where `marker` says a record was
 * reclaimed: only a PUT newer than the DELETE that was reclaimed.
 */
export function putPassesMarker(marker: ReclaimedMarker | undefined, timestamp: Timestamp): boolean {
  if (!marker) return true;
  const del = Timestamp.tryParse(marker.deleteTimestamp);
  return !del || timestamp.isNewerThan(del);
}

/** The marker as stored, or undefined when it does not parse (then it guards nothing). */
export function parseReclaimedMarker(raw: string | undefined): ReclaimedMarker | undefined {
  if (raw === undefined) return undefined;
  try {
    const v = JSON.parse(raw) as Partial<ReclaimedMarker>;
    if (typeof v.account !== 'string' || typeof v.deleteTimestamp !== 'string') return undefined;
    return { account: v.account, putTimestamp: String(v.putTimestamp ?? ''), deleteTimestamp: v.deleteTimestamp, reclaimedAt: String(v.reclaimedAt ?? '') };
  } catch {
    return undefined;
  }
}
