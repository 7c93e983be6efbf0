/**
 * The container layer's rows and their merge rules (pure; the LevelDB side is container-store.ts).
 *
 * - An object row (`c/<hash>/o/<name>`) says what the container knows about one object: its
 *   size, etag and content type as of `timestamp`, or that it was deleted then (`deleted`). A row
 *   is replaced only by one with a newer timestamp (last writer wins, like objects), so updates
 *   arriving out of order (retries, the updater, replication) converge on the same row. Deleted
 *   rows are kept as tombstones so that a late, older PUT cannot resurrect the object.
 * - The container record (`c/<hash>/stat`) holds the PUT and DELETE timestamps, the metadata
 *   (each item with its own timestamp, merged item by item; an empty value removes the item)
 *   and the object count and bytes used, kept in step with the rows in the same batch.
 */
import { Timestamp } from '../../common/timestamp';
import type { UpdateTarget } from '../http/update-target';

/** Timestamps are stored in their internal form, which sorts as text. */
export interface ObjectRow {
  name: string;
  timestamp: string;
  size: number;
  etag: string;
  content_type: string;
  deleted: boolean;
}

export interface MetadataItem {
  value: string;
  timestamp: string;
}

export interface ContainerRecord {
  account: string;
  container: string;
  /** When the container was first created (Swift's created_at). */
  created: string;
  /** Newest PUT. */
  putTimestamp: string;
  /** Newest DELETE, or '' when never deleted. */
  deleteTimestamp: string;
  /** Lower-case header name → value and timestamp; '' values are removals (kept for ordering). */
  metadata: Record<string, MetadataItem>;
  objectCount: number;
  bytesUsed: number;
  /** The account replica this container reports to (from its newest PUT/DELETE naming one). */
  accountTarget?: UpdateTarget;
}

const ts = (s: string): Timestamp => Timestamp.parse(s);

/** Whether `incoming` replaces `existing` (absent rows are always replaced). */
export function rowWins(existing: Pick<ObjectRow, 'timestamp'> | undefined, incoming: Pick<ObjectRow, 'timestamp'>): boolean {
  return existing === undefined || ts(incoming.timestamp).isNewerThan(ts(existing.timestamp));
}

/** What replacing `existing` by `incoming` does to the container's object count and bytes used. */
export function rowDelta(existing: ObjectRow | undefined, incoming: ObjectRow): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  if (existing && !existing.deleted) {
    count -= 1;
    bytes -= existing.size;
  }
  if (!incoming.deleted) {
    count += 1;
    bytes += incoming.size;
  }
  return { count, bytes };
}

/** A container is deleted when its newest DELETE is newer than its newest PUT. */
export function isDeleted(r: ContainerRecord): boolean {
  return r.deleteTimestamp !== '' && ts(r.deleteTimestamp).isNewerThan(ts(r.putTimestamp));
}

/** Merges metadata item by item: an item is replaced only by a newer one. Returns a new map. */
export function mergeMetadata(current: Record<string, MetadataItem>, updates: Record<string, string>, timestamp: Timestamp): Record<string, MetadataItem> {
  const out = { ...current };
  for (const [name, value] of Object.entries(updates)) {
    const old = out[name];
    if (!old || timestamp.isNewerThan(ts(old.timestamp))) out[name] = { value, timestamp: timestamp.internal };
  }
  return out;
}

/** The metadata items still set (removals, stored as '', are left out). */
export function liveMetadata(m: Record<string, MetadataItem>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, item] of Object.entries(m)) if (item.value !== '') out[name] = item.value;
  return out;
}
