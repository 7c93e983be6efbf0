/**
 * `swift_bytes` in container listings (Swift's override_bytes_from_content_type): an SLO
 * manifest's row carries `<type>;swift_bytes=<SLO size>`; listings show that size as `bytes` and
 * the type without the parameter, in JSON and XML alike. Plain rows are untouched.
 */
import { applyListingParams, containerListingJson, renderListing, withSwiftBytes, type ListingItem, type ObjectListingItem } from '../../../../../services/object/proxy/listing-format';

const row = (content_type: string, bytes = 321): ObjectListingItem => ({ name: 'big', hash: 'd41d8cd98f00b204e9800998ecf8427e', bytes, content_type, last_modified: '2026-11-25T18:00:00.123450' });

describe('withSwiftBytes', () => {
  test.each<[string, string, number]>([
    ['application/x-big;swift_bytes=212345', 'application/x-big', 212345],
    ['application/x-big; swift_bytes=7', 'application/x-big', 7],
    ['text/plain; charset=utf-8;swift_bytes=17', 'text/plain; charset=utf-8', 17],
    ['a/b;swift_bytes=17; x=y', 'a/b; x=y', 17],
    ['a/b;swift_bytes=0', 'a/b', 0],
    // Not a size: the parameter is still hidden, the row's own size stays.
    ['a/b;swift_bytes=lots', 'a/b', 321],
    ['a/b;swift_bytes=', 'a/b', 321],
    // No parameter (or only something like it): untouched.
    ['a/b', 'a/b', 321],
    ['a/b; not_swift_bytes=5', 'a/b; not_swift_bytes=5', 321],
  ])('%j → %j, %d', (type, wantType, wantBytes) => {
    expect(withSwiftBytes(row(type))).toEqual({ ...row(wantType), bytes: wantBytes });
  });

  test('a row without the parameter is the same object (no copy per row)', () => {
    const r = row('a/b');
    expect(withSwiftBytes(r)).toBe(r);
  });
});

describe('rendered listings', () => {
  const items: ListingItem[] = [row('application/x-big;swift_bytes=212345'), { subdir: 'd/' }, { ...row('text/plain'), name: 'small', bytes: 3 }];

  test('applyListingParams leaves subdirs and plain rows alone', () => {
    expect(applyListingParams(items)).toEqual([{ ...row('application/x-big'), bytes: 212345 }, { subdir: 'd/' }, { ...row('text/plain'), name: 'small', bytes: 3 }]);
  });

  test('JSON', () => {
    const r = renderListing({ kind: 'container', name: 'c', contentType: 'application/json', items });
    const parsed = JSON.parse(r.body.toString()) as Array<{ bytes?: number; content_type?: string }>;
    expect(parsed[0]).toMatchObject({ bytes: 212345, content_type: 'application/x-big' });
    expect(parsed[2]).toMatchObject({ bytes: 3, content_type: 'text/plain' });
  });

  test('XML', () => {
    const xml = renderListing({ kind: 'container', name: 'c', contentType: 'application/xml', items }).body.toString();
    expect(xml).toContain('<object><name>big</name><hash>d41d8cd98f00b204e9800998ecf8427e</hash><bytes>212345</bytes><content_type>application/x-big</content_type>');
    expect(xml).not.toContain('swift_bytes');
  });

  test('the storage servers JSON, passed on: unchanged bytes unless a row has swift_bytes', () => {
    const plain = Buffer.from(JSON.stringify([row('a/b'), { subdir: 'x/' }]));
    expect(containerListingJson(plain)).toBe(plain);
    const slo = Buffer.from(JSON.stringify([row('a/b;swift_bytes=99'), { subdir: 'x/' }]));
    expect(JSON.parse(containerListingJson(slo).toString())).toEqual([{ ...row('a/b'), bytes: 99 }, { subdir: 'x/' }]);
    // Not a listing: passed on as it is.
    const odd = Buffer.from('{"swift_bytes=": 1}');
    expect(containerListingJson(odd)).toBe(odd);
  });
});
