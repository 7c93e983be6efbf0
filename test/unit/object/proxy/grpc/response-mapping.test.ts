import {
  accountFromHeaders,
  containerFromHeaders,
  containerListing,
  getObjectHeader,
  listingDate,
  ListingFormatError,
  objectFromHeaders,
  objectListing,
  parseContentRange,
} from '../../../../../services/object/proxy/grpc/response-mapping';

const latin1 = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');
const path = { account: 'AUTH_p', container: 'c', name: 'o' };

describe('objects', () => {
  const headers = {
    'content-length': '11',
    etag: '"5eb63bbbe01eeed093cb22bb8f5acdc3"',
    'content-type': 'text/plain',
    'last-modified': 'Tue, 14 Nov 2023 22:13:20 GMT',
    'x-timestamp': '1700000000.12345',
    'x-object-meta-color': 'blue',
    'x-object-meta-note': latin1('café'),
    'x-delete-at': '1800000000',
    'content-encoding': 'gzip',
    'x-static-large-object': 'True',
    'x-trans-id': 'tx',
  };

  test('HEAD/GET headers → Object (Unicode metadata, unquoted ETag)', () => {
    expect(objectFromHeaders(headers, path)).toEqual({
      account: 'AUTH_p',
      container: 'c',
      name: 'o',
      size: 11,
      etag: '5eb63bbbe01eeed093cb22bb8f5acdc3',
      contentType: 'text/plain',
      lastModified: new Date(Date.UTC(2023, 10, 14, 22, 13, 20)),
      metadata: { color: 'blue', note: 'café' },
      timestamp: '1700000000.12345',
      deleteAt: 1800000000,
      headers: { 'content-encoding': 'gzip' },
      largeObject: true,
    });
  });

  test('missing or malformed values read as empty', () => {
    expect(objectFromHeaders({ 'content-length': 'x', 'last-modified': 'never' }, path)).toMatchObject({ size: 0, etag: '', lastModified: undefined, largeObject: false, metadata: {} });
  });

  test('a range response: the whole size from Content-Range, the range from its numbers', () => {
    const h = { ...headers, 'content-length': '5', 'content-range': 'bytes 3-7/11' };
    expect(getObjectHeader(h, path)).toMatchObject({ object: { size: 11 }, rangeOffset: 3, rangeLength: 5 });
    expect(getObjectHeader(headers, path)).toMatchObject({ object: { size: 11 }, rangeOffset: 0, rangeLength: 11 });
    expect(parseContentRange('bytes 0-0/1')).toEqual({ first: 0, last: 0, complete: 1 });
    expect(parseContentRange('bytes */1')).toBeUndefined();
    expect(parseContentRange(undefined)).toBeUndefined();
  });
});

test('containers: counts, ACLs, quotas kept out of the metadata', () => {
  const c = containerFromHeaders(
    {
      'x-container-object-count': '3',
      'x-container-bytes-used': '30',
      'x-container-meta-owner': latin1('zoë'),
      'x-container-meta-quota-bytes': '1000',
      'x-container-meta-quota-count': '10',
      'x-container-read': '.r:*',
      'x-timestamp': '1700000000.00000',
    },
    'AUTH_p',
    'c',
  );
  expect(c).toEqual({
    account: 'AUTH_p',
    name: 'c',
    objectCount: 3,
    bytesUsed: 30,
    metadata: { owner: 'zoë' },
    readAcl: '.r:*',
    writeAcl: '',
    quotaBytes: 1000,
    quotaCount: 10,
    timestamp: '1700000000.00000',
    lastModified: undefined,
  });
});

test('accounts', () => {
  expect(
    accountFromHeaders(
      { 'x-account-container-count': '2', 'x-account-object-count': '5', 'x-account-bytes-used': '50', 'x-account-meta-a': 'b', 'x-account-meta-quota-bytes': '9', 'x-timestamp': '1.00000' },
      'AUTH_p',
    ),
  ).toEqual({ name: 'AUTH_p', containerCount: 2, objectCount: 5, bytesUsed: 50, metadata: { a: 'b' }, quotaBytes: 9, timestamp: '1.00000' });
});

describe('listings', () => {
  const objects = JSON.stringify([
    { name: 'a', hash: 'h1', bytes: 1, content_type: 'text/plain', last_modified: '2016-12-21T14:47:20.123450' },
    { subdir: 'd/' },
    { name: 'é', hash: 'h2', bytes: 2, content_type: 'x/y', last_modified: '2016-12-21T14:47:21Z' },
  ]);

  test('objects and subdirs; a full page gets a next token (the last entry, subdir or not)', () => {
    const page = objectListing(objects, { 'x-container-object-count': '10', 'x-container-bytes-used': '99' }, 'A', 'c', 3);
    expect(page.objects.map((o) => [o.name, o.size, o.etag, o.contentType, o.container])).toEqual([
      ['a', 1, 'h1', 'text/plain', 'c'],
      ['é', 2, 'h2', 'x/y', 'c'],
    ]);
    expect(page.objects[0].lastModified).toEqual(new Date(Date.UTC(2016, 11, 21, 14, 47, 20, 123)));
    expect(page.subdirs).toEqual(['d/']);
    expect(page.nextPageToken).toBe('é');
    expect([page.objectCount, page.bytesUsed]).toEqual([10, 99]);
    expect(objectListing(objects, {}, 'A', 'c', 4).nextPageToken).toBe('');
    // A static large object: the ETag its GET answers with, flagged as large.
    const slo = objectListing(JSON.stringify([{ name: 's', bytes: 5, hash: 'm5', slo_etag: '"e5"', content_type: 'x/y', last_modified: '2016-12-21T14:47:20.123450' }]), {}, 'A', 'c', 5);
    expect([slo.objects[0].etag, slo.objects[0].largeObject, page.objects[0].largeObject]).toEqual(['e5', true, false]);
    const endsInSubdir = JSON.stringify([{ name: 'a' }, { subdir: 'b/' }]);
    expect(objectListing(endsInSubdir, {}, 'A', 'c', 2).nextPageToken).toBe('b/');
  });

  test('an empty body (204) is an empty last page', () => {
    expect(objectListing('', {}, 'A', 'c', 1)).toMatchObject({ objects: [], subdirs: [], nextPageToken: '' });
    expect(containerListing('[]', {}, 'A', 1)).toMatchObject({ containers: [], nextPageToken: '' });
  });

  test('containers', () => {
    const page = containerListing(JSON.stringify([{ name: 'c1', count: 2, bytes: 20, last_modified: '2020-01-01T00:00:00.000000' }, { subdir: 'x-' }]), { 'x-account-container-count': '2' }, 'A', 2);
    expect(page.containers).toEqual([
      { account: 'A', name: 'c1', objectCount: 2, bytesUsed: 20, metadata: {}, readAcl: '', writeAcl: '', quotaBytes: 0, quotaCount: 0, timestamp: '', lastModified: new Date(Date.UTC(2020, 0, 1)) },
    ]);
    expect(page.subdirs).toEqual(['x-']);
    expect(page.nextPageToken).toBe('x-');
    expect(page.containerCount).toBe(2);
  });

  test('anything but a JSON array of objects is a format error', () => {
    expect(() => objectListing('not json', {}, 'A', 'c', 1)).toThrow(ListingFormatError);
    expect(() => objectListing('{}', {}, 'A', 'c', 1)).toThrow(ListingFormatError);
    expect(() => containerListing('[1]', {}, 'A', 1)).toThrow(ListingFormatError);
  });

  test('listingDate', () => {
    expect(listingDate('2020-01-01T00:00:00+01:00')).toEqual(new Date(Date.UTC(2019, 11, 31, 23)));
    expect(listingDate('garbage')).toBeUndefined();
    expect(listingDate(5)).toBeUndefined();
  });
});
