import { compareNames, listObjects, prefixEnd, type ListingEntry, type ListingParams } from '../../../../../services/object/storage/container/listing';
import type { ObjectRow } from '../../../../../services/object/storage/container/rows';
import { listingParams } from '../../../../../services/object/storage/container/container-http';

const row = (name: string, deleted = false): ObjectRow => ({ name, timestamp: '1700000000.00000', size: name.length, etag: 'e', content_type: 'text/plain', deleted });
const NAMES = ['a', 'a/1', 'a/2', 'a/b/1', 'ab', 'b', 'b/x', 'c', 'd/', 'e'];
const sorted = (names: string[]): ObjectRow[] => names.map((n) => row(n)).sort((x, y) => compareNames(x.name, y.name));

/** Lists NAMES (plus `extra` rows) like the store does: descending rows when reverse. */
async function list(p: Partial<ListingParams>, rows: ObjectRow[] = sorted(NAMES)): Promise<string[]> {
  const params: ListingParams = { limit: 10_000, reverse: false, ...p };
  const ordered = params.reverse ? [...rows].reverse() : rows;
  const out = await listObjects(ordered, params);
  return out.map((e: ListingEntry) => (e.kind === 'subdir' ? `dir:${e.subdir}` : e.row.name));
}

describe('container listing', () => {
  test('everything, in name order', async () => {
    expect(await list({})).toEqual(NAMES);
  });

  test('prefix', async () => {
    expect(await list({ prefix: 'a/' })).toEqual(['a/1', 'a/2', 'a/b/1']);
    expect(await list({ prefix: 'a' })).toEqual(['a', 'a/1', 'a/2', 'a/b/1', 'ab']);
    expect(await list({ prefix: 'zz' })).toEqual([]);
    expect(await list({ prefix: 'a/', reverse: true })).toEqual(['a/b/1', 'a/2', 'a/1']);
  });

  test('delimiter rolls names up into subdirs, listed once where their first name was', async () => {
    expect(await list({ delimiter: '/' })).toEqual(['a', 'dir:a/', 'ab', 'b', 'dir:b/', 'c', 'dir:d/', 'e']);
    expect(await list({ delimiter: '/', prefix: 'a/' })).toEqual(['a/1', 'a/2', 'dir:a/b/']);
    expect(await list({ delimiter: '/', reverse: true })).toEqual(['e', 'dir:d/', 'c', 'dir:b/', 'b', 'ab', 'dir:a/', 'a']);
  });

  test('marker and end_marker are exclusive', async () => {
    expect(await list({ marker: 'a/2' })).toEqual(['a/b/1', 'ab', 'b', 'b/x', 'c', 'd/', 'e']);
    expect(await list({ endMarker: 'ab' })).toEqual(['a', 'a/1', 'a/2', 'a/b/1']);
    expect(await list({ marker: 'a', endMarker: 'b' })).toEqual(['a/1', 'a/2', 'a/b/1', 'ab']);
    expect(await list({ marker: 'zzz' })).toEqual([]);
  });

  test('with reverse, marker bounds from above and end_marker from below', async () => {
    expect(await list({ reverse: true, marker: 'b' })).toEqual(['ab', 'a/b/1', 'a/2', 'a/1', 'a']);
    expect(await list({ reverse: true, endMarker: 'c' })).toEqual(['e', 'd/']);
    expect(await list({ reverse: true, marker: 'd/', endMarker: 'ab' })).toEqual(['c', 'b/x', 'b']);
  });

  test('a subdir equal to the marker is not repeated (the next page starts after it)', async () => {
    expect(await list({ delimiter: '/', marker: 'a/' })).toEqual(['ab', 'b', 'dir:b/', 'c', 'dir:d/', 'e']);
  });

  test('limit counts objects and subdirs; pages chain through the last entry', async () => {
    expect(await list({ limit: 3 })).toEqual(['a', 'a/1', 'a/2']);
    expect(await list({ limit: 3, delimiter: '/' })).toEqual(['a', 'dir:a/', 'ab']);
    expect(await list({ limit: 0 })).toEqual([]);
    const pages: string[] = [];
    let marker: string | undefined;
    for (;;) {
      const page = await list({ limit: 2, delimiter: '/', marker });
      if (page.length === 0) break;
      pages.push(...page);
      marker = page[page.length - 1].replace(/^dir:/, '');
    }
    expect(pages).toEqual(await list({ delimiter: '/' }));
  });

  test('deleted rows are not listed and make no subdir', async () => {
    const rows = [row('a'), row('x/1', true), row('x/2', true), row('y', true), row('z')];
    expect(await list({}, rows)).toEqual(['a', 'z']);
    expect(await list({ delimiter: '/' }, rows)).toEqual(['a', 'z']);
    expect(await list({ limit: 2 }, rows)).toEqual(['a', 'z']);
  });

  test('names order as UTF-8 bytes, not UTF-16 units', async () => {
    // U+FF5E sorts before U+1F600 in UTF-8 (EF.. < F0..) but after it in UTF-16 (FF5E > D83D).
    const rows = sorted(['\u{1F600}', '\uFF5E', 'z']);
    expect(rows.map((r) => r.name)).toEqual(['z', '\uFF5E', '\u{1F600}']);
    expect(await list({ marker: '\uFF5E' }, rows)).toEqual(['\u{1F600}']);
    expect(await list({ endMarker: '\u{1F600}' }, rows)).toEqual(['z', '\uFF5E']);
  });

  test('works over an async iterator too', async () => {
    async function* gen(): AsyncGenerator<ObjectRow> {
      for (const r of sorted(NAMES)) yield r;
    }
    expect((await listObjects(gen(), { limit: 2, reverse: false, prefix: 'b' })).map((e) => (e.kind === 'object' ? e.row.name : e.subdir))).toEqual(['b', 'b/x']);
  });
});

describe('prefixEnd', () => {
  test('the smallest string above every string with the prefix', () => {
    expect(prefixEnd('ab')).toBe('ac');
    expect(prefixEnd('a/')).toBe('a0');
    expect(prefixEnd('')).toBeUndefined();
    expect(prefixEnd('a\u{10FFFF}')).toBe('b');
    expect(prefixEnd('\u{10FFFF}')).toBeUndefined();
    expect(prefixEnd('\uD7FF')).toBe('\uE000');
    expect(compareNames('ab\u{10FFFF}\u{10FFFF}', prefixEnd('ab')!)).toBeLessThan(0);
  });

  test('path: the direct children of a pseudo-directory, as objects, without subdirs (Swift)', async () => {
    const rows = sorted([...NAMES, 'a/', 'a/b/', 'a/c/']);
    const byPath = (path: string, extra: Partial<ListingParams> = {}): Promise<string[]> => list({ ...listingParams(`/x?path=${encodeURIComponent(path)}`), ...extra }, rows);
    expect(listingParams('/x?path=a')).toEqual(expect.objectContaining({ prefix: 'a/', delimiter: '/', path: 'a/' }));
    expect(listingParams('/x?path=a//&prefix=zz&delimiter=-')).toEqual(expect.objectContaining({ prefix: 'a/', delimiter: '/', path: 'a/' }));
    // 'a/' itself is left out; 'a/b/1' is below a child; 'a/b/' and 'a/c/' end at the delimiter.
    expect(await byPath('a')).toEqual(['a/1', 'a/2', 'a/b/', 'a/c/']);
    expect(await byPath('a/')).toEqual(['a/1', 'a/2', 'a/b/', 'a/c/']);
    expect(await byPath('a', { reverse: true })).toEqual(['a/c/', 'a/b/', 'a/2', 'a/1']);
    expect(await byPath('a', { limit: 2 })).toEqual(['a/1', 'a/2']);
    expect(await byPath('a', { marker: 'a/2' })).toEqual(['a/b/', 'a/c/']);
    expect(await byPath('')).toEqual(['a', 'a/', 'ab', 'b', 'c', 'd/', 'e']);
    expect(await byPath('zz')).toEqual([]);
  });
});
