/**
 * Container listings (Swift's GET on a container), pure over rows in listing order: ascending by
 * name, or descending when `reverse`. The store passes a LevelDB iterator already narrowed to the
 * range (container-store.ts); this function applies every rule again, so it is also correct over
 * a plain sorted array (the unit tests).
 *
 * Names compare as UTF-8 bytes (LevelDB's order, and SQLite's in Swift), not as UTF-16 units.
 *
 * Rules (Swift's): only live rows are listed. `prefix` keeps names starting with it; `marker` and
 * `end_marker` are exclusive bounds in listing order (with `reverse`, `marker` is the upper
 * bound and `end_marker` the lower, so paging works the same way in both directions).
 * With a `delimiter`, a name holding the delimiter after the prefix is rolled up into one
 * `{subdir}` entry (prefix + text up to and including the delimiter), listed once, at the place
 * its first name would have been; a subdir equal to `marker` is not repeated (the previous page
 * ended with it). `limit` counts objects and subdirs together. `path` (Swift's, prefix and
 * delimiter '/' set from it) lists only the direct children of a pseudo-directory, as objects.
 */
import type { ObjectRow } from './rows';

export const DEFAULT_LISTING_LIMIT = 10_000;

export interface ListingParams {
  prefix?: string;
  delimiter?: string;
  marker?: string;
  endMarker?: string;
  limit: number;
  reverse: boolean;
  /**
   * Swift's `path`: the prefix (already `path` + '/', see listingParams) whose direct children
   * are listed, without subdirs: deeper names are left out, not rolled up.
   */
  path?: string;
}

/** Anything listed: a name and whether it is deleted (object rows; the account layer's container rows). */
export interface ListedRow {
  name: string;
  deleted: boolean;
}

export type ListingEntry<R extends ListedRow = ObjectRow> = { kind: 'object'; row: R } | { kind: 'subdir'; subdir: string };

/** Compares two names as their UTF-8 bytes. */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * The smallest string greater than every string starting with `prefix` (in code point order,
 * which UTF-8 byte order follows), or undefined when there is none ('' or all U+10FFFF).
 */
export function prefixEnd(prefix: string): string | undefined {
  const cps = Array.from(prefix);
  while (cps.length > 0) {
    const last = cps.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return cps.join('') + String.fromCodePoint(next);
    }
  }
  return undefined;
}

export async function listObjects<R extends ListedRow = ObjectRow>(rows: Iterable<R> | AsyncIterable<R>, p: ListingParams): Promise<ListingEntry<R>[]> {
  const out: ListingEntry<R>[] = [];
  if (p.limit <= 0) return out;
  const prefix = p.prefix ?? '';
  // In listing order: `after` is where listing starts (exclusive), `before` where it stops.
  const after = p.marker || undefined;
  const before = p.endMarker || undefined;
  const dir = p.reverse ? -1 : 1;
  const ahead = (a: string, b: string): boolean => compareNames(a, b) * dir > 0;
  let skipDir: string | undefined;
  for await (const row of rows) {
    const name = row.name;
    if (after !== undefined && !ahead(name, after)) continue;
    if (before !== undefined && !ahead(before, name)) break;
    if (!name.startsWith(prefix)) {
      // Names with the prefix are one contiguous range: past it in listing order, stop.
      if (ahead(name, prefix)) break;
      continue;
    }
    if (row.deleted) continue;
    if (p.path !== undefined) {
      // Swift: the pseudo-directory's own marker object and anything below a child are left out.
      const at = name.indexOf('/', prefix.length);
      if (name === p.path || (at >= 0 && name.length > at + 1)) continue;
      out.push({ kind: 'object', row });
      if (out.length >= p.limit) break;
      continue;
    }
    if (skipDir !== undefined && name.startsWith(skipDir)) continue;
    skipDir = undefined;
    if (p.delimiter) {
      const at = name.indexOf(p.delimiter, prefix.length);
      if (at >= 0) {
        const subdir = name.slice(0, at + p.delimiter.length);
        skipDir = subdir;
        if (subdir === p.marker) continue;
        out.push({ kind: 'subdir', subdir });
        if (out.length >= p.limit) break;
        continue;
      }
    }
    out.push({ kind: 'object', row });
    if (out.length >= p.limit) break;
  }
  return out;
}
