/**
 * Swift's `path=` container listing: only the names directly under a pseudo-directory. Given
 * prefix P (path + '/'), a name is listed when nothing follows P except one segment, optionally
 * ending with '/' (a directory marker object such as `P/sub/`); names deeper down (`P/sub/x`)
 * are skipped, and so is `P` itself. No subdir entries are produced.
 *
 * The storage servers do not know `path`, so the proxy asks for plain prefix pages and filters.
 * To avoid reading a large subtree only to drop it, a page stops at the first nested name and
 * says where to resume: past the whole subtree in listing order. This module is that pure step;
 * the controller runs the loop over pages.
 */
import { MAX_OBJECT_NAME_LENGTH } from '../common/names';

/** Sorts after every valid object name starting with `dir` (names are at most 1024 bytes). */
function afterSubtree(dir: string): string {
  return dir + '\u{10ffff}'.repeat(Math.floor(MAX_OBJECT_NAME_LENGTH / 4) + 1);
}

export interface PathPageResult<T extends { name: string }> {
  /** Items of this page that belong to the listing, in order. */
  kept: T[];
  /**
   * Where the next page starts (exclusive marker), when this page stopped at a nested name;
   * undefined = the page was consumed entirely (continue after its last item if it was full).
   */
  resumeMarker?: string;
}

/**
 * Filters one page (listing order; ascending unless `reverse`) for the pseudo-directory whose
 * prefix is `prefix` ('' for the top level).
 */
export function filterPathPage<T extends { name: string }>(page: readonly T[], prefix: string, reverse: boolean): PathPageResult<T> {
  const kept: T[] = [];
  for (const item of page) {
    const name = item.name;
    if (!name.startsWith(prefix) || name === prefix) continue;
    const slash = name.indexOf('/', prefix.length);
    if (slash >= 0 && name.length > slash + 1) {
      const dir = name.slice(0, slash + 1);
      // Ascending: jump past every name under dir. Descending: continue just above dir itself
      // (its own directory marker, if any, is still to be listed); \u0001 because no name holds NUL.
      return { kept, resumeMarker: reverse ? `${dir}\u0001` : afterSubtree(dir) };
    }
    kept.push(item);
  }
  return { kept };
}
