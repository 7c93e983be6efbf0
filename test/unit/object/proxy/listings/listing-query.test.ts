import { ListingQueryError, isTrueValue, parseListingQuery, pathPrefix, storageListingQuery, type ListingQuery } from '../../../../../services/object/proxy/listing-query';

const LIMITS = { maxLimit: 10_000, maxNameBytes: 1024, allowPath: true };
const parse = (qs: string, limits = LIMITS): ListingQuery => parseListingQuery(new URLSearchParams(qs), limits);
function failure(qs: string, limits = LIMITS): [number, string] {
  try {
    parse(qs, limits);
  } catch (e) {
    if (e instanceof ListingQueryError) return [e.status, e.message];
    throw e;
  }
  throw new Error(`no error for ${qs}`);
}

describe('parseListingQuery', () => {
  test('defaults', () => {
    expect(parse('')).toEqual({ prefix: undefined, delimiter: undefined, marker: undefined, endMarker: undefined, limit: 10_000, reverse: false });
  });

  test.each<[string, number]>([
    ['limit=0', 0],
    ['limit=1', 1],
    ['limit=10000', 10_000],
    ['limit=abc', 10_000],
    ['limit=-1', 10_000],
    ['limit=', 10_000],
    ['limit=1.5', 10_000],
  ])('%s → limit %d', (qs, limit) => {
    expect(parse(qs).limit).toBe(limit);
  });

  test.each<[string, number, string]>([
    ['limit=10001', 412, 'Maximum limit is 10000'],
    ['limit=99999999999999999999', 412, 'Maximum limit is 10000'],
    ['delimiter=ab', 412, 'Bad delimiter'],
    ['prefix=a%00b', 400, 'prefix holds a NUL character'],
    ['marker=%00', 400, 'marker holds a NUL character'],
    ['end_marker=%FF', 400, 'end_marker is not valid UTF-8'],
    [`marker=${'m'.repeat(1025)}`, 400, 'marker is longer than 1024 bytes'],
    [`prefix=${'é'.repeat(513)}`, 400, 'prefix is longer than 1024 bytes'],
    [`path=${'p'.repeat(1025)}`, 400, 'path is longer than 1024 bytes'],
  ])('%s → %d', (qs, status, message) => {
    expect(failure(qs)).toEqual([status, message]);
  });

  test('limits from config', () => {
    expect(failure('limit=11', { ...LIMITS, maxLimit: 10 })).toEqual([412, 'Maximum limit is 10']);
    expect(failure(`marker=${'m'.repeat(257)}`, { ...LIMITS, maxNameBytes: 256 })[0]).toBe(400);
  });

  test('text parameters pass through', () => {
    expect(parse('prefix=a/b&delimiter=/&marker=m&end_marker=n&reverse=true')).toEqual({ prefix: 'a/b', delimiter: '/', marker: 'm', endMarker: 'n', limit: 10_000, reverse: true });
    expect(parse('delimiter=é').delimiter).toBe('é');
    expect(parse('delimiter=&marker=').delimiter).toBeUndefined();
    expect(parse('marker=').marker).toBeUndefined();
  });

  test('path derives prefix and delimiter, and beats them', () => {
    expect(parse('path=photos')).toMatchObject({ path: 'photos', prefix: 'photos/', delimiter: '/' });
    expect(parse('path=photos//&prefix=x&delimiter=-')).toMatchObject({ path: 'photos//', prefix: 'photos/', delimiter: '/' });
    expect(parse('path=')).toMatchObject({ path: '', prefix: '', delimiter: '/' });
  });

  test('path is ignored where it is not allowed (accounts)', () => {
    expect(parse('path=photos', { ...LIMITS, allowPath: false })).toEqual(parse(''));
  });
});

describe('helpers', () => {
  test.each<[string | null, boolean]>([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    ['on', true],
    ['t', true],
    ['y', true],
    ['false', false],
    ['0', false],
    ['', false],
    [null, false],
  ])('isTrueValue(%p) = %p', (v, expected) => {
    expect(isTrueValue(v)).toBe(expected);
  });

  test('pathPrefix', () => {
    expect(pathPrefix('')).toBe('');
    expect(pathPrefix('/')).toBe('');
    expect(pathPrefix('a')).toBe('a/');
    expect(pathPrefix('a/b//')).toBe('a/b/');
  });

  test('storageListingQuery sends only what is set, always json', () => {
    expect(storageListingQuery(parse(''))).toBe('format=json&limit=10000');
    const q = new URLSearchParams(storageListingQuery(parse('prefix=a b&delimiter=/&marker=é&end_marker=z&reverse=1&limit=5')));
    expect(Object.fromEntries(q)).toEqual({ format: 'json', limit: '5', prefix: 'a b', delimiter: '/', marker: 'é', end_marker: 'z', reverse: 'true' });
    expect(new URLSearchParams(storageListingQuery(parse('path=x')))).not.toContain('path');
    expect(Object.fromEntries(new URLSearchParams(storageListingQuery(parse('marker=a')), ))).toMatchObject({ marker: 'a' });
    expect(Object.fromEntries(new URLSearchParams(storageListingQuery(parse('marker=a'), { marker: 'b', limit: 3, delimiter: undefined })))).toEqual({ format: 'json', limit: '3', marker: 'b' });
  });
});
