import { WeftError } from '../../../../../services/runtime/errors';
import {
  DEFAULT_PAGE_SIZE,
  isConditional,
  planDeleteObject,
  planGetObject,
  planHeadAccount,
  planHeadContainer,
  planHeadObject,
  planListContainers,
  planListObjects,
  plannedLimit,
  planPostAccount,
  planPostContainer,
  planPostObject,
  planPutContainer,
  planPutObject,
} from '../../../../../services/object/proxy/grpc/request-mapping';
import {
  CreateContainerRequest,
  GetObjectRequest,
  ListContainersRequest,
  ListObjectsRequest,
  PutObjectHeader,
  UpdateAccountRequest,
  UpdateContainerRequest,
  UpdateObjectMetadataRequest,
} from '../../../../../proto/gen/weft/object/v1/object_service';

/** The field violations a plan function throws (fails the test when it does not throw). */
function violations(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WeftError);
    return ((err as WeftError).details.fieldViolations ?? []).map((v) => v.field);
  }
  throw new Error('expected the plan to be refused');
}

const put = (p: Partial<PutObjectHeader>): PutObjectHeader => PutObjectHeader.fromPartial({ container: 'c', object: 'o', ...p });

describe('planPutObject', () => {
  test('maps the header to a Swift PUT: type, metadata, allowed headers, ETag, expiry, length', () => {
    const plan = planPutObject(
      put({
        account: 'AUTH_p',
        object: 'dir/ñ.txt',
        contentType: 'text/plain',
        metadata: { Color: 'blue', note: 'café' },
        headers: { 'Content-Encoding': 'gzip' },
        etag: 'D41D8CD98F00B204E9800998ECF8427E',
        deleteAfter: 60,
        contentLength: 10,
      }),
    );
    expect(plan).toMatchObject({ method: 'PUT', account: 'AUTH_p', container: 'c', object: 'dir/ñ.txt' });
    expect(plan.headers).toEqual({
      'content-type': 'text/plain',
      'x-object-meta-color': 'blue',
      // UTF-8 bytes as latin1, as Node's HTTP parser would have handed them over.
      'x-object-meta-note': Buffer.from('café', 'utf8').toString('latin1'),
      'content-encoding': 'gzip',
      etag: 'd41d8cd98f00b204e9800998ecf8427e',
      'x-delete-after': '60',
      'content-length': '10',
    });
  });

  test('no declared length → chunked; empty account stays empty (the caller’s own)', () => {
    const plan = planPutObject(put({}));
    expect(plan.account).toBe('');
    expect(plan.headers).toEqual({ 'transfer-encoding': 'chunked' });
    expect(planPutObject(put({ contentLength: 0 })).headers['content-length']).toBe('0');
  });

  test('refuses what only gRPC can get wrong, naming every field under header.', () => {
    expect(violations(() => planPutObject(put({ container: '', object: '' })))).toEqual(['header.container', 'header.object']);
    expect(violations(() => planPutObject(put({ container: 'a/b' })))).toEqual(['header.container']);
    expect(violations(() => planPutObject(put({ account: 'AUTH_a/b' })))).toEqual(['header.account']);
    expect(violations(() => planPutObject(put({ metadata: { 'bad key': 'x', '': 'y' } })))).toEqual(['header.metadata["bad key"]', 'header.metadata[""]']);
    expect(violations(() => planPutObject(put({ headers: { 'x-object-sysmeta-slo': 'x' } })))).toEqual(['header.headers["x-object-sysmeta-slo"]']);
    expect(violations(() => planPutObject(put({ etag: 'abc' })))).toEqual(['header.etag']);
    expect(violations(() => planPutObject(put({ deleteAt: -1 })))).toEqual(['header.delete_at']);
    expect(violations(() => planPutObject(put({ deleteAt: 5, deleteAfter: 5 })))).toEqual(['header.delete_after']);
    expect(violations(() => planPutObject(put({ contentLength: -1 })))).toEqual(['header.content_length']);
  });
});

describe('planGetObject', () => {
  const get = (p: Partial<GetObjectRequest>): GetObjectRequest => GetObjectRequest.fromPartial({ container: 'c', object: 'o', ...p });

  test('ranges: from offset, bounded, suffix', () => {
    expect(planGetObject(get({ range: { offset: 5, length: 0 } })).headers.range).toBe('bytes=5-');
    expect(planGetObject(get({ range: { offset: 5, length: 10 } })).headers.range).toBe('bytes=5-14');
    expect(planGetObject(get({ range: { offset: -100, length: 0 } })).headers.range).toBe('bytes=-100');
    expect(planGetObject(get({})).headers.range).toBeUndefined();
    expect(violations(() => planGetObject(get({ range: { offset: -1, length: 3 } })))).toEqual(['range.length']);
    expect(violations(() => planGetObject(get({ range: { offset: 0, length: -3 } })))).toEqual(['range.length']);
  });

  test('conditions: ETags quoted unless * or already quoted; dates as HTTP dates', () => {
    const d = new Date(Date.UTC(2023, 10, 14, 22, 13, 20));
    const plan = planGetObject(get({ ifMatch: 'abc', ifNoneMatch: '*', ifModifiedSince: d, ifUnmodifiedSince: d }));
    expect(plan.headers).toEqual({
      'if-match': '"abc"',
      'if-none-match': '*',
      'if-modified-since': 'Tue, 14 Nov 2023 22:13:20 GMT',
      'if-unmodified-since': 'Tue, 14 Nov 2023 22:13:20 GMT',
    });
    expect(planGetObject(get({ ifMatch: '"abc"' })).headers['if-match']).toBe('"abc"');
    expect(isConditional(get({}))).toBe(false);
    expect(isConditional(get({ ifNoneMatch: 'x' }))).toBe(true);
    expect(isConditional(get({ ifModifiedSince: d }))).toBe(true);
  });

  test('an empty object name is refused (it would address the container)', () => {
    expect(violations(() => planGetObject(get({ object: '' })))).toEqual(['object']);
    expect(violations(() => planHeadObject({ account: '', container: 'c', object: '' }))).toEqual(['object']);
    expect(violations(() => planDeleteObject({ account: '', container: '', object: '' }))).toEqual(['container', 'object']);
  });
});

describe('object HEAD / DELETE / POST', () => {
  test('HEAD and DELETE carry no headers', () => {
    expect(planHeadObject({ account: 'A', container: 'c', object: 'o' })).toMatchObject({ method: 'HEAD', account: 'A', container: 'c', object: 'o', headers: {} });
    expect(planDeleteObject({ account: '', container: 'c', object: 'o' })).toMatchObject({ method: 'DELETE', headers: {} });
  });

  test('POST replaces metadata: the whole new set, type when given, expiry', () => {
    const plan = planPostObject(UpdateObjectMetadataRequest.fromPartial({ container: 'c', object: 'o', metadata: { a: '1' }, contentType: 'image/png', deleteAt: 1700000000 }));
    expect(plan).toMatchObject({ method: 'POST', container: 'c', object: 'o' });
    expect(plan.headers).toEqual({ 'x-object-meta-a': '1', 'content-type': 'image/png', 'x-delete-at': '1700000000' });
    expect(planPostObject(UpdateObjectMetadataRequest.fromPartial({ container: 'c', object: 'o' })).headers).toEqual({});
  });
});

describe('listings', () => {
  test('objects: JSON, default page size, marker from the page token, all filters', () => {
    const plan = planListObjects(ListObjectsRequest.fromPartial({ container: 'c', pageToken: 'm', prefix: 'p/', delimiter: '/', endMarker: 'z', reverse: true }));
    expect(plan).toMatchObject({ method: 'GET', container: 'c' });
    expect(plan.object).toBeUndefined();
    expect(Object.fromEntries(plan.query)).toEqual({ format: 'json', limit: String(DEFAULT_PAGE_SIZE), marker: 'm', prefix: 'p/', delimiter: '/', end_marker: 'z', reverse: 'true' });
    expect(plannedLimit(plan)).toBe(DEFAULT_PAGE_SIZE);
    const small = planListObjects(ListObjectsRequest.fromPartial({ container: 'c', pageSize: 7 }));
    expect(Object.fromEntries(small.query)).toEqual({ format: 'json', limit: '7' });
    expect(plannedLimit(small)).toBe(7);
    expect(violations(() => planListObjects(ListObjectsRequest.fromPartial({ container: '' })))).toEqual(['container']);
    expect(violations(() => planListObjects(ListObjectsRequest.fromPartial({ container: 'c', pageSize: -1 })))).toEqual(['page_size']);
  });

  test('containers: account GET', () => {
    const plan = planListContainers(ListContainersRequest.fromPartial({ account: 'AUTH_x', pageSize: 2, prefix: 'a' }));
    expect(plan).toMatchObject({ method: 'GET', account: 'AUTH_x' });
    expect(plan.container).toBeUndefined();
    expect(Object.fromEntries(plan.query)).toEqual({ format: 'json', limit: '2', prefix: 'a' });
  });
});

describe('containers and accounts', () => {
  test('create: metadata, ACLs and quotas only when given', () => {
    const plan = planPutContainer(CreateContainerRequest.fromPartial({ container: 'c', metadata: { k: 'v' }, readAcl: '.r:*', quotaBytes: 100 }));
    expect(plan).toMatchObject({ method: 'PUT', container: 'c' });
    expect(plan.headers).toEqual({ 'x-container-meta-k': 'v', 'x-container-read': '.r:*', 'x-container-meta-quota-bytes': '100' });
    expect(planPutContainer(CreateContainerRequest.fromPartial({ container: 'c' })).headers).toEqual({});
    expect(violations(() => planPutContainer(CreateContainerRequest.fromPartial({ container: 'c', quotaCount: -2 })))).toEqual(['quota_count']);
  });

  test('update: unset = unchanged, empty = removed, quota 0 = removed', () => {
    const plan = planPostContainer(UpdateContainerRequest.fromPartial({ container: 'c', metadata: { gone: '', k: 'v' }, readAcl: '', writeAcl: 'p:*', quotaBytes: 0 }));
    expect(plan.headers).toEqual({ 'x-container-meta-gone': '', 'x-container-meta-k': 'v', 'x-container-read': '', 'x-container-write': 'p:*', 'x-container-meta-quota-bytes': '' });
    expect(planPostContainer(UpdateContainerRequest.fromPartial({ container: 'c' })).headers).toEqual({});
  });

  test('get / delete container; get / update account', () => {
    expect(planHeadContainer({ account: '', container: 'c' })).toMatchObject({ method: 'HEAD', container: 'c' });
    expect(planHeadContainer({ account: '', container: 'c' }, 'DELETE')).toMatchObject({ method: 'DELETE', container: 'c' });
    expect(violations(() => planHeadContainer({ account: '', container: '' }))).toEqual(['container']);
    expect(planHeadAccount({ account: 'AUTH_a' })).toMatchObject({ method: 'HEAD', account: 'AUTH_a' });
    expect(violations(() => planHeadAccount({ account: 'a/b' }))).toEqual(['account']);
    const post = planPostAccount(UpdateAccountRequest.fromPartial({ metadata: { x: 'y' }, quotaBytes: 5 }));
    expect(post).toMatchObject({ method: 'POST', account: '' });
    expect(post.headers).toEqual({ 'x-account-meta-x': 'y', 'x-account-meta-quota-bytes': '5' });
  });
});
