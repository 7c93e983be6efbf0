/**
 * The reaper's decisions (pure): which deleted accounts this server reaps, and what a storage
 * server's answer to one of its DELETEs means.
 *
 * Only the account's first primary reaps it (as in Swift), so one server does the work while
 * the other replicas hold the same DELETE. A reaped account is remembered with the DELETE's
 * timestamp: the same DELETE is not reaped twice, but an account recreated and deleted again is.
 */
import type { RingDevice } from '../../ring/device';

export interface AccountSummary {
  account: string;
  deleteTimestamp: string;
  deleted: boolean;
}

export type ReapDecision = 'reap' | 'live' | 'not-first-primary' | 'already-reaped';

export function reapDecision(a: AccountSummary, primaries: readonly RingDevice[], local: RingDevice, reapedDeleteTimestamp: string | undefined): ReapDecision {
  if (!a.deleted) return 'live';
  const first = primaries[0];
  if (!first || first.ip !== local.ip || first.port !== local.port || first.device !== local.device) return 'not-first-primary';
  if (reapedDeleteTimestamp === a.deleteTimestamp) return 'already-reaped';
  return 'reap';
}

/**
 * An object DELETE's answer: 204 (deleted), 404 (nothing there, the tombstone is written) and
 * 409 (a newer write is there: it is not the reaper's to remove, and the container DELETE will
 * say so) all settle the replica; anything else is retried next pass.
 */
export function objectDeleteSettled(status: number): boolean {
  return status === 204 || status === 404 || status === 409;
}

/** A container DELETE's answer: gone (204) or never there / already gone (404). */
export function containerDeleteSettled(status: number): boolean {
  return status === 204 || status === 404;
}
