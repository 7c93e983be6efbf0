/**
 * Listing rows kept in LevelDB under `base` (a container's object rows, an account's container
 * rows): the iterator is narrowed to the prefix and marker range, and listObjects (listing.ts)
 * re-checks every bound and applies delimiter, limit and reverse.
 */
import type { Level } from 'level';
import { compareNames, listObjects, prefixEnd, type ListedRow, type ListingEntry, type ListingParams } from './listing';

export async function listStoredRows<R extends ListedRow>(db: Level<string, string>, base: string, p: ListingParams): Promise<ListingEntry<R>[]> {
  const prefix = p.prefix ?? '';
  let low = prefix;
  let lowExclusive = false;
  let high = prefixEnd(prefix);
  const lower = p.reverse ? p.endMarker : p.marker;
  const upper = p.reverse ? p.marker : p.endMarker;
  if (lower && compareNames(lower, low) >= 0) {
    low = lower;
    lowExclusive = true;
  }
  if (upper && (high === undefined || compareNames(upper, high) < 0)) high = upper;
  const range: { gt?: string; gte?: string; lt: string } = { lt: high === undefined ? base.slice(0, -1) + '0' : base + high };
  if (lowExclusive) range.gt = base + low;
  else range.gte = base + low;
  const it = db.iterator({ ...range, reverse: p.reverse });
  const rows = async function* (): AsyncGenerator<R> {
    for await (const [k, v] of it) yield { name: k.slice(base.length), ...(JSON.parse(v) as Omit<R, 'name'>) } as R;
  };
  try {
    return await listObjects(rows(), p);
  } finally {
    await it.close();
  }
}
