import { compareNames } from '../../../../../services/object/storage/container/listing';
import { filterPathPage } from '../../../../../services/object/proxy/listing-path';

const NAMES = ['a', 'p/', 'p/1', 'p/2', 'p/d/', 'p/d/x', 'p/d/y', 'p/e/z', 'p/f', 'q'].sort(compareNames);
const item = (name: string): { name: string } => ({ name });

/**
 * Runs the controller's loop over an in-memory sorted list: pages of `pageSize` after the
 * exclusive marker, filtered, until `limit` items or the end.
 */
function listPath(prefix: string, opts: { reverse?: boolean; pageSize?: number; limit?: number; names?: string[] } = {}): { names: string[]; pages: number } {
  const { reverse = false, pageSize = 100, limit = 1000 } = opts;
  const ordered = [...(opts.names ?? NAMES)].sort(compareNames);
  if (reverse) ordered.reverse();
  const out: string[] = [];
  let marker: string | undefined;
  let pages = 0;
  while (out.length < limit && pages < 100) {
    const after = ordered.filter((n) => n.startsWith(prefix) && (marker === undefined || (reverse ? compareNames(n, marker) < 0 : compareNames(n, marker) > 0)));
    const requested = Math.min(pageSize, limit - out.length);
    const page = after.slice(0, requested).map(item);
    pages += 1;
    if (page.length === 0) break;
    const r = filterPathPage(page, prefix, reverse);
    out.push(...r.kept.map((i) => i.name));
    if (r.resumeMarker !== undefined) marker = r.resumeMarker;
    else if (page.length < requested) break;
    else marker = page[page.length - 1]!.name;
  }
  return { names: out.slice(0, limit), pages };
}

describe('path= listings', () => {
  test('only names directly under the path, directory markers included, the path itself not', () => {
    expect(listPath('p/').names).toEqual(['p/1', 'p/2', 'p/d/', 'p/f']);
  });
  test('top level', () => {
    expect(listPath('').names).toEqual(['a', 'p/', 'q']);
  });
  test('reverse gives the same names backwards', () => {
    expect(listPath('p/', { reverse: true }).names).toEqual(['p/f', 'p/d/', 'p/2', 'p/1']);
    expect(listPath('', { reverse: true }).names).toEqual(['q', 'p/', 'a']);
  });
  test('small pages give the same answer', () => {
    for (const pageSize of [1, 2, 3]) {
      expect(listPath('p/', { pageSize }).names).toEqual(['p/1', 'p/2', 'p/d/', 'p/f']);
      expect(listPath('p/', { pageSize, reverse: true }).names).toEqual(['p/f', 'p/d/', 'p/2', 'p/1']);
    }
  });
  test('a large subtree is jumped over, not read', () => {
    const names = ['p/a', ...Array.from({ length: 500 }, (_, i) => `p/big/${String(i).padStart(4, '0')}`), 'p/z'];
    const r = listPath('p/', { names, pageSize: 10 });
    expect(r.names).toEqual(['p/a', 'p/z']);
    expect(r.pages).toBeLessThanOrEqual(3);
    const rr = listPath('p/', { names, pageSize: 10, reverse: true });
    expect(rr.names).toEqual(['p/z', 'p/a']);
    expect(rr.pages).toBeLessThanOrEqual(3);
  });
  test('a name with the maximum length under the jumped dir is still skipped', () => {
    const long = `p/d/${'\u{10ffff}'.repeat(255)}`;
    expect(listPath('p/', { names: ['p/d/x', long, 'p/e'], pageSize: 1 }).names).toEqual(['p/e']);
  });
  test('limit', () => {
    expect(listPath('p/', { limit: 2 }).names).toEqual(['p/1', 'p/2']);
  });
  test('filterPathPage keeps order and stops at the first nested name', () => {
    const r = filterPathPage(['p/1', 'p/d/x', 'p/f'].map(item), 'p/', false);
    expect(r.kept.map((i) => i.name)).toEqual(['p/1']);
    expect(r.resumeMarker!.startsWith('p/d/\u{10ffff}')).toBe(true);
    expect(filterPathPage(['p/f', 'p/d/x'].map(item), 'p/', true).resumeMarker).toBe('p/d/\u0001');
    expect(filterPathPage(['p/1'].map(item), 'p/', false)).toEqual({ kept: [item('p/1')] });
  });
});
