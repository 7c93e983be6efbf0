/**
 * What to do with one async_pending suffix directory (pure). Files are `<hash>-<timestamp>`
 * (an object's hash and version for container updates, a container's hash and report time for
 * account updates). For each hash only the newest file matters: a newer update for the same
 * object (or report for the same container) supersedes the older ones, which are removed
 * without being sent, as Swift's object updater does. Names that are not ours are left alone.
 */
import { Timestamp } from '../common/timestamp';

export interface PendingFile {
  name: string;
  hash: string;
  timestamp: Timestamp;
}

export interface PendingPlan {
  /** Newest file per hash, in name order. */
  replay: PendingFile[];
  /** Older files of a hash that has a newer one. */
  superseded: string[];
}

export function parsePendingName(name: string): PendingFile | undefined {
  const m = /^([0-9a-f]{32})-(.+)$/.exec(name);
  if (!m) return undefined;
  const timestamp = Timestamp.tryParse(m[2]);
  return timestamp ? { name, hash: m[1], timestamp } : undefined;
}

export function planPending(names: readonly string[]): PendingPlan {
  const newest = new Map<string, PendingFile>();
  const superseded: string[] = [];
  for (const f of names.map(parsePendingName)) {
    if (!f) continue;
    const held = newest.get(f.hash);
    if (!held) newest.set(f.hash, f);
    else if (f.timestamp.isNewerThan(held.timestamp)) {
      superseded.push(held.name);
      newest.set(f.hash, f);
    } else superseded.push(f.name);
  }
  return { replay: [...newest.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)), superseded: superseded.sort() };
}
