/**
 * `slo_etag` in container listings (Swift's SLO middleware): a manifest's row hash is
 * `<manifest MD5>; slo_etag=<SLO ETag>`; JSON listings show `hash` = the MD5 and `slo_etag` =
 * the SLO ETag quoted; XML shows the plain hash only (Swift's container_to_xml writes five
 * fields); plain listings are names. Rows without the parameter are untouched, and the
 * storage servers' JSON is passed on byte for byte unless a row changes.
 */
import { containerListingJson, renderListing, splitSloEtag, withListingParams, withSloEtag, type ListingItem, type ObjectListingItem } from '../../../../../services/object/proxy/listing-format';
import { sloEtagOverride } from '../../../../../services/object/common/object-headers';

const MD5 = 'd41d8cd98f00b204e9800998ecf8427e';
const SLO = '0123456789abcdef0123456789abcdef';
const row = (hash: string, extra: Partial<ObjectListingItem> = {}): ObjectListingItem => ({ name: 'big', hash, bytes: 321, content_type: 'a/b', last_modified: '2026-11-25T18:00:00.123450', ...extra });

describe('splitSloEtag', () => {
  test.each<[string, ReturnType<typeof splitSloEtag>]>([
    [`${MD5}; slo_etag=${SLO}`, { hash: MD5, sloEtag: SLO }],
    [`${MD5};slo_etag=${SLO}`, { hash: MD5, sloEtag: SLO }],
    [`${MD5} ;  slo_etag = ${SLO} `, { hash: MD5, sloEtag: SLO }],
    [` ${MD5} ;slo_etag=${SLO}`, { hash: MD5, sloEtag: SLO }],
    [`${MD5}; slo_etag="${SLO}"`, { hash: MD5, sloEtag: SLO }],
    // Other parameters stay, rewritten as Swift rewrites them (`; name=value`, names lower case).
    [`${MD5}; x=y; slo_etag=${SLO}`, { hash: `${MD5}; x=y`, sloEtag: SLO }],
    [`${MD5};slo_etag=${SLO};Symlink_Target="c/o"`, { hash: `${MD5}; symlink_target=c/o`, sloEtag: SLO }],
    // A piece without `=` is not a parameter (dropped once the hash is rewritten).
    [`${MD5}; junk; slo_etag=${SLO}`, { hash: MD5, sloEtag: SLO }],
    // Repeated: the last value wins, none stays in the hash.
    [`${MD5}; slo_etag=aaa; slo_etag=${SLO}`, { hash: MD5, sloEtag: SLO }],
    // Missing value: the parameter goes, no SLO ETag is claimed.
    [`${MD5}; slo_etag=`, { hash: MD5 }],
    [`${MD5}; slo_etag=""`, { hash: MD5 }],
    // No slo_etag parameter: not split at all.
    [MD5, undefined],
    [`${MD5}; x=y`, undefined],
    [`${MD5}; not_slo_etags=5`, undefined],
    [`${MD5}; slo_etag`, undefined],
    // Only the lower-case name the proxy writes is looked for (one cheap scan per listing).
    [`${MD5}; SLO_ETAG=${SLO}`, undefined],
    ['', undefined],
  ])('%j', (raw, expected) => {
    expect(splitSloEtag(raw)).toEqual(expected);
  });

  test('reads what the SLO middleware writes', () => {
    expect(splitSloEtag(sloEtagOverride(MD5, SLO))).toEqual({ hash: MD5, sloEtag: SLO });
  });
});

describe('withSloEtag', () => {
  test('a manifest row: plain hash, quoted slo_etag last (as Swift appends it)', () => {
    const out = withSloEtag(row(`${MD5}; slo_etag=${SLO}`));
    expect(out).toEqual({ ...row(MD5), slo_etag: `"${SLO}"` });
    expect(Object.keys(out)).toEqual(['name', 'hash', 'bytes', 'content_type', 'last_modified', 'slo_etag']);
  });

  test('an empty value: only the hash changes', () => {
    expect(withSloEtag(row(`${MD5}; slo_etag=`))).toEqual(row(MD5));
  });

  test('a row without the parameter is the same object (no copy per row)', () => {
    for (const r of [row(MD5), row(`${MD5}; x=y`), row('')]) expect(withSloEtag(r)).toBe(r);
  });

  test('swift_bytes and slo_etag together', () => {
    expect(withListingParams(row(`${MD5}; slo_etag=${SLO}`, { content_type: 'application/x-big;swift_bytes=212345' }))).toEqual({ ...row(MD5, { content_type: 'application/x-big', bytes: 212345 }), slo_etag: `"${SLO}"` });
  });
});

describe('rendered listings', () => {
  const slo = row(`${MD5}; slo_etag=${SLO}`, { content_type: 'application/x-big;swift_bytes=212345' });
  const plain = row(MD5, { name: 'small', bytes: 3, content_type: 'text/plain' });
  const items: ListingItem[] = [slo, { subdir: 'd/' }, plain];

  test('JSON: hash and slo_etag; a plain row has no slo_etag', () => {
    const parsed = JSON.parse(renderListing({ kind: 'container', name: 'c', contentType: 'application/json', items }).body.toString()) as Array<Record<string, unknown>>;
    expect(parsed).toEqual([{ ...row(MD5, { content_type: 'application/x-big', bytes: 212345 }), slo_etag: `"${SLO}"` }, { subdir: 'd/' }, plain]);
    expect('slo_etag' in parsed[2]).toBe(false);
  });

  test('XML: the plain hash, no slo_etag element, never the raw parameter', () => {
    for (const contentType of ['application/xml', 'text/xml'] as const) {
      const xml = renderListing({ kind: 'container', name: 'c', contentType, items }).body.toString();
      expect(xml).toContain(`<object><name>big</name><hash>${MD5}</hash><bytes>212345</bytes><content_type>application/x-big</content_type><last_modified>2026-11-25T18:00:00.123450</last_modified></object>`);
      expect(xml).not.toContain('slo_etag');
      expect(xml).not.toContain(SLO);
    }
  });

  test('plain: names only', () => {
    expect(renderListing({ kind: 'container', name: 'c', contentType: 'text/plain', items }).body.toString()).toBe('big\nd/\nsmall\n');
  });
});

describe('the storage servers JSON, passed on', () => {
  test('no marker: the very same buffer', () => {
    const b = Buffer.from(JSON.stringify([row(MD5), { subdir: 'x/' }]));
    expect(containerListingJson(b)).toBe(b);
  });

  test('a name holding the marker but no row to change: the very same buffer', () => {
    // Re-encoding would change bytes (escapes, spacing) for nothing.
    const b = Buffer.from(`[{"name":"slo_etag=\\u00e9","hash":"${MD5}","bytes":1,"content_type":"a/b","last_modified":"x"}]`);
    expect(containerListingJson(b)).toBe(b);
  });

  test('a manifest row: split; other rows as they were', () => {
    const b = Buffer.from(JSON.stringify([row(`${MD5}; slo_etag=${SLO}`), { subdir: 'x/' }, row(MD5, { name: 'p' })]));
    const out = JSON.parse(containerListingJson(b).toString()) as unknown;
    expect(out).toEqual([{ ...row(MD5), slo_etag: `"${SLO}"` }, { subdir: 'x/' }, row(MD5, { name: 'p' })]);
    expect(containerListingJson(b).toString()).not.toContain('; slo_etag=');
  });

  test('swift_bytes and slo_etag in the same row', () => {
    const b = Buffer.from(JSON.stringify([row(`${MD5};slo_etag=${SLO}`, { content_type: 'a/b;swift_bytes=99' })]));
    expect(JSON.parse(containerListingJson(b).toString())).toEqual([{ ...row(MD5, { bytes: 99 }), slo_etag: `"${SLO}"` }]);
  });

  test('not a listing: passed on as it is', () => {
    for (const text of ['{"slo_etag=": 1}', '[null, "slo_etag="]', 'slo_etag= not json', '[{"hash": 5, "content_type": "slo_etag"}]']) {
      const b = Buffer.from(text);
      expect(containerListingJson(b)).toBe(b);
    }
  });
});
