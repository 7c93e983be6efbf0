/**
 * Ranged SLO segments (Swift's `"range": "M-N" | "M-" | "-N"` in manifest entries), pure parts:
 * parsing and validating the client's ranges, checking them against the segments' real sizes,
 * the stored form, the SLO ETag (`<etag>:<a-b>;` for ranged entries) and total size, and how a
 * client Range over the whole maps into the selected sub-ranges of the segments.
 */
import { createHash } from 'node:crypto';
import {
  checkSegments,
  entryLength,
  entrySpan,
  narrowEntries,
  parseManifestInput,
  parseRangeSpec,
  parseStoredManifest,
  planPieces,
  resolveRangeSpec,
  type SegmentHead,
  type StoredSegment,
} from '../../../../../services/object/proxy/middleware/slo-manifest';

const LIMITS = { maxManifestSegments: 10, maxManifestSize: 4096, minSegmentSize: 1 };
const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
const parse = (v: unknown) => parseManifestInput(Buffer.from(JSON.stringify(v)), LIMITS);

describe('parseRangeSpec: the forms Swift accepts', () => {
  test.each<[string, ReturnType<typeof parseRangeSpec>]>([
    ['0-9', { kind: 'bounded', start: 0, end: 9 }],
    ['5-5', { kind: 'bounded', start: 5, end: 5 }],
    [' 3 - 7 ', { kind: 'bounded', start: 3, end: 7 }],
    ['100-', { kind: 'from', start: 100 }],
    ['-20', { kind: 'suffix', length: 20 }],
    ['-0', { kind: 'suffix', length: 0 }],
    ['9-3', 'invalid'],
    ['-', 'invalid'],
    ['', 'invalid'],
    ['abc', 'invalid'],
    ['1-x', 'invalid'],
    ['+1-2', 'invalid'],
    ['1.5-2', 'invalid'],
    ['bytes=1-2', 'invalid'],
    ['0-1,3-4', 'multiple'],
    ['0-1,x', 'invalid'],
  ])('%j', (text, expected) => {
    expect(parseRangeSpec(text)).toEqual(expected);
  });
});

describe('resolveRangeSpec against a size (unsatisfiable = undefined)', () => {
  test.each<[string, number, ReturnType<typeof resolveRangeSpec>]>([
    ['0-9', 100, { start: 0, end: 9 }],
    ['90-200', 100, { start: 90, end: 99 }],
    ['99-', 100, { start: 99, end: 99 }],
    ['100-', 100, undefined],
    ['100-200', 100, undefined],
    ['-10', 100, { start: 90, end: 99 }],
    ['-1000', 100, { start: 0, end: 99 }],
    ['-0', 100, undefined],
    ['0-0', 0, undefined],
    ['-5', 0, undefined],
  ])('%s of %d', (text, size, expected) => {
    const spec = parseRangeSpec(text);
    if (spec === 'invalid' || spec === 'multiple') throw new Error('bad fixture');
    expect(resolveRangeSpec(spec, size)).toEqual(expected);
  });
});

describe('manifest input with ranges', () => {
  test('ranges are kept as specs; empty or null range means the whole segment', () => {
    const r = parse([{ path: '/c/a', range: '1-2' }, { path: '/c/b', range: '-3', size_bytes: 10 }, { path: '/c/c', range: '' }, { path: '/c/d', range: null }]);
    expect(r).toEqual({
      ok: true,
      segments: [
        { index: 0, container: 'c', object: 'a', range: { kind: 'bounded', start: 1, end: 2 } },
        { index: 1, container: 'c', object: 'b', sizeBytes: 10, range: { kind: 'suffix', length: 3 } },
        { index: 2, container: 'c', object: 'c' },
        { index: 3, container: 'c', object: 'd' },
      ],
    });
  });
  test('every bad range is listed by its index', () => {
    const r = parse([{ path: '/c/a', range: '5-1' }, { path: '/c/b', range: '1-2,4-5' }, { path: '/c/ok', range: '0-1' }, { path: '/c/c', range: 7 }, { path: '/c/d', range: '10-', size_bytes: 10 }, { path: '/c/e', range: '-0', size_bytes: 10 }]);
    expect(r).toEqual({
      ok: false,
      status: 400,
      errors: ['Index 0: invalid range', 'Index 1: multiple ranges (only one allowed)', 'Index 3: invalid range', 'Index 4: unsatisfiable range', 'Index 5: unsatisfiable range'],
    });
  });
});

const found = (etag: string, size: number, subSlo = false): SegmentHead => ({ found: true, etag, size, contentType: 'x/y', lastModified: '2026-01-01T00:00:00.000000', subSlo });
const input = (v: unknown) => {
  const r = parse(v);
  if (!r.ok) throw new Error(r.errors.join());
  return r.segments;
};

describe('checkSegments with ranges', () => {
  test('stored form keeps bytes = segment size and an absolute range; ETag and size follow Swift', () => {
    const segs = input([{ path: '/c/a', range: '2-5', etag: 'e1', size_bytes: 10 }, { path: '/c/b', range: '-3' }, { path: '/c/c', range: '7-' }, { path: '/c/d' }]);
    const r = checkSegments(segs, [found('e1', 10), found('e2', 8), found('e3', 9), found('e4', 4)], LIMITS, '/c/m');
    if (!r.ok) throw new Error(r.errors.join());
    expect(r.stored.map((s) => [s.name, s.bytes, s.range])).toEqual([
      ['/c/a', 10, '2-5'],
      ['/c/b', 8, '5-7'],
      ['/c/c', 9, '7-8'],
      ['/c/d', 4, undefined],
    ]);
    expect(r.size).toBe(4 + 3 + 2 + 4);
    expect(r.etag).toBe(md5('e1:2-5;e2:5-7;e3:7-8;e4'));
    // The stored form is what parseStoredManifest reads back.
    expect(parseStoredManifest(Buffer.from(JSON.stringify(r.stored)))).toEqual(r.stored);
  });

  test('a range that selects the whole segment is dropped (plain ETag)', () => {
    const segs = input([{ path: '/c/a', range: '0-' }, { path: '/c/b', range: '0-100' }, { path: '/c/c', range: '-100' }]);
    const r = checkSegments(segs, [found('e1', 5), found('e2', 6), found('e3', 7)], LIMITS, '/c/m');
    if (!r.ok) throw new Error(r.errors.join());
    expect(r.stored.map((s) => s.range)).toEqual([undefined, undefined, undefined]);
    expect(r.etag).toBe(md5('e1e2e3'));
    expect(r.size).toBe(18);
  });

  test('ranges are judged against the real size: unsatisfiable, and listed with other problems', () => {
    const segs = input([{ path: '/c/a', range: '10-' }, { path: '/c/b', range: '3-4', etag: 'nope' }, { path: '/c/c', range: '0-1' }]);
    const r = checkSegments(segs, [found('e1', 10), found('e2', 10), found('e3', 0)], LIMITS, '/c/m');
    expect(r).toEqual({ ok: false, errors: ['/c/a, Unsatisfiable Range', '/c/b, Etag Mismatch', '/c/c, Unsatisfiable Range'] });
  });

  test('the minimum segment size applies to what an entry contributes (all but the last)', () => {
    const limits = { ...LIMITS, minSegmentSize: 4 };
    const segs = input([{ path: '/c/big', range: '0-2' }, { path: '/c/big', range: '10-13' }, { path: '/c/small', range: '0-0' }]);
    const r = checkSegments(segs, [found('e1', 100), found('e1', 100), found('e2', 2)], limits, '/c/m');
    expect(r).toEqual({ ok: false, errors: ['/c/big, Too small; each segment must be at least 4 bytes.'] });
    // A small object is fine as the last entry; a 4-byte range of a big one anywhere.
    const ok = checkSegments(segs.slice(1), [found('e1', 100), found('e2', 2)], limits, '/c/m');
    expect(ok.ok && ok.size).toBe(5);
  });

  test('a nested SLO may be ranged too (against its SLO size)', () => {
    const segs = input([{ path: '/c/inner', range: '1-3' }]);
    const r = checkSegments(segs, [found('sloetag', 10, true)], LIMITS, '/c/m');
    expect(r.ok && r.stored).toEqual([{ name: '/c/inner', hash: 'sloetag', bytes: 10, content_type: 'x/y', last_modified: '2026-01-01T00:00:00.000000', range: '1-3', sub_slo: true }]);
  });
});

describe('stored manifests with ranges', () => {
  const entry = (range: unknown, bytes = 10) => Buffer.from(JSON.stringify([{ name: '/c/a', hash: 'h', bytes, range }]));
  test('a well-formed range is kept', () => {
    expect(parseStoredManifest(entry('0-9'))?.[0].range).toBe('0-9');
  });
  test.each<[unknown]>([['0-10'], ['5-4'], ['-3'], ['3-'], [5], ['a-b']])('a bad range %j is not trusted', (range) => {
    expect(parseStoredManifest(entry(range))).toBeUndefined();
  });
});

describe('planning a Range of the whole over ranged entries', () => {
  const seg = (name: string, bytes: number, range?: string): StoredSegment => ({ name, hash: 'h', bytes, content_type: '', last_modified: '', ...(range ? { range } : {}) });
  // Whole = a[2..4] (3) + b[0..3] (4) + c[10..11] (2) + d[] (0) + e[5..5] (1) = 10 bytes.
  const segs = [seg('a', 10, '2-4'), seg('b', 4), seg('c', 20, '10-11'), seg('d', 0), seg('e', 6, '5-5')];
  const plan = (range?: { start: number; end: number }) => planPieces(segs, range).map((p) => [p.segment.name, p.start, p.end]);

  test('spans and lengths', () => {
    expect(segs.map(entrySpan)).toEqual([{ start: 2, end: 4 }, { start: 0, end: 3 }, { start: 10, end: 11 }, { start: 0, end: -1 }, { start: 5, end: 5 }]);
    expect(segs.map(entryLength)).toEqual([3, 4, 2, 0, 1]);
  });
  test('the whole: each entry its selected bytes', () => {
    expect(plan()).toEqual([['a', 2, 4], ['b', 0, 3], ['c', 10, 11], ['e', 5, 5]]);
  });
  test('ranges map into the selected sub-ranges', () => {
    expect(plan({ start: 0, end: 0 })).toEqual([['a', 2, 2]]);
    expect(plan({ start: 1, end: 3 })).toEqual([['a', 3, 4], ['b', 0, 0]]);
    expect(plan({ start: 6, end: 7 })).toEqual([['b', 3, 3], ['c', 10, 10]]);
    expect(plan({ start: 8, end: 9 })).toEqual([['c', 11, 11], ['e', 5, 5]]);
    expect(plan({ start: 9, end: 9 })).toEqual([['e', 5, 5]]);
  });
  test('every single byte of the whole maps to exactly one byte of one segment', () => {
    const expected = [['a', 2], ['a', 3], ['a', 4], ['b', 0], ['b', 1], ['b', 2], ['b', 3], ['c', 10], ['c', 11], ['e', 5]];
    for (let i = 0; i < 10; i++) expect(plan({ start: i, end: i })).toEqual([[expected[i][0], expected[i][1], expected[i][1]]]);
  });

  test('narrowEntries: a ranged entry over a nested SLO becomes the nested entries it covers', () => {
    expect(narrowEntries(segs, { start: 1, end: 7 })).toEqual([seg('a', 10, '3-4'), seg('b', 4), seg('c', 20, '10-10')]);
    expect(narrowEntries(segs, { start: 3, end: 6 })).toEqual([seg('b', 4)]);
    expect(narrowEntries([seg('x', 5)], { start: 0, end: 4 })).toEqual([seg('x', 5)]);
  });
});
