import { status as Code } from '@grpc/grpc-js';
import { errorForResponse, errorText, fieldFromMessage, isSuccess, type FailedResponse, type RpcKind } from '../../../../../services/object/proxy/grpc/status-mapping';

const base: FailedResponse = { rpc: 'GetObject', status: 500, body: '', conditional: false, fieldPrefix: '', transId: 'tx1', target: 'c/o' };
const map = (p: Partial<FailedResponse>) => errorForResponse({ ...base, ...p });
const fields = (p: Partial<FailedResponse>) => (map(p).details.fieldViolations ?? []).map((v) => v.field);

describe('errorForResponse: status → gRPC code', () => {
  test.each([
    [304, Code.FAILED_PRECONDITION, 'NOT_MODIFIED'],
    [400, Code.INVALID_ARGUMENT, 'INVALID_ARGUMENT'],
    [401, Code.UNAUTHENTICATED, 'UNAUTHENTICATED'],
    [403, Code.PERMISSION_DENIED, 'PERMISSION_DENIED'],
    [404, Code.NOT_FOUND, 'NOT_FOUND'],
    [405, Code.UNIMPLEMENTED, 'NOT_SUPPORTED'],
    [408, Code.DEADLINE_EXCEEDED, 'TIMEOUT'],
    [409, Code.FAILED_PRECONDITION, 'CONFLICT'],
    [411, Code.INVALID_ARGUMENT, 'LENGTH_REQUIRED'],
    [412, Code.INVALID_ARGUMENT, 'INVALID_ARGUMENT'],
    [413, Code.RESOURCE_EXHAUSTED, 'TOO_LARGE'],
    [416, Code.OUT_OF_RANGE, 'RANGE_NOT_SATISFIABLE'],
    [422, Code.INVALID_ARGUMENT, 'ETAG_MISMATCH'],
    [429, Code.UNAVAILABLE, 'UNAVAILABLE'],
    [499, Code.CANCELLED, 'CANCELLED'],
    [418, Code.INVALID_ARGUMENT, 'INVALID_ARGUMENT'],
    [500, Code.INTERNAL, 'INTERNAL'],
    [501, Code.UNIMPLEMENTED, 'NOT_SUPPORTED'],
    [502, Code.INTERNAL, 'INTERNAL'],
    [503, Code.UNAVAILABLE, 'UNAVAILABLE'],
    [504, Code.UNAVAILABLE, 'UNAVAILABLE'],
    [507, Code.UNAVAILABLE, 'UNAVAILABLE'],
    [302, Code.INTERNAL, 'INTERNAL'],
  ])('%d → %s', (status, code, reason) => {
    const err = map({ status });
    expect(err.code).toBe(code);
    expect(err.details.reason).toBe(reason);
  });

  test('409 depends on the call: not empty, newer write, other conflicts', () => {
    expect(map({ status: 409, rpc: 'DeleteContainer' })).toMatchObject({ code: Code.FAILED_PRECONDITION, details: { reason: 'CONTAINER_NOT_EMPTY' } });
    expect(map({ status: 409, rpc: 'PutObject' }).code).toBe(Code.ALREADY_EXISTS);
    expect(map({ status: 409, rpc: 'CreateContainer' }).code).toBe(Code.ALREADY_EXISTS);
    expect(map({ status: 409, rpc: 'UpdateContainer' }).code).toBe(Code.FAILED_PRECONDITION);
  });

  test('412: a failed condition is FAILED_PRECONDITION; otherwise a bad argument (listing limit)', () => {
    expect(map({ status: 412, conditional: true })).toMatchObject({ code: Code.FAILED_PRECONDITION, details: { reason: 'CONDITION_NOT_MET' } });
    expect(map({ status: 412, rpc: 'ListObjects', body: 'Maximum limit is 10000' }).code).toBe(Code.INVALID_ARGUMENT);
    expect(fields({ status: 412, rpc: 'ListObjects', body: 'Maximum limit is 10000' })).toEqual(['page_size']);
  });

  test('413: quota vs size', () => {
    expect(map({ status: 413, rpc: 'PutObject', body: 'Upload exceeds quota.' })).toMatchObject({ code: Code.RESOURCE_EXHAUSTED, details: { reason: 'QUOTA_EXCEEDED' }, message: 'Upload exceeds quota.' });
    expect(map({ status: 413, rpc: 'PutObject', body: 'Your request is too large.' }).details.reason).toBe('TOO_LARGE');
  });

  test('field violations where the cause is known, under the RPC’s prefix', () => {
    expect(fields({ status: 422, rpc: 'PutObject', fieldPrefix: 'header.' })).toEqual(['header.etag']);
    expect(fields({ status: 411, rpc: 'PutObject', fieldPrefix: 'header.' })).toEqual(['header.content_length']);
    expect(fields({ status: 416 })).toEqual(['range']);
    expect(fields({ status: 400, rpc: 'PutObject', fieldPrefix: 'header.', body: '<html><h1>Bad Request</h1><p>Object name length of 2000 longer than 1024</p></html>' })).toEqual(['header.object']);
    expect(fields({ status: 400, rpc: 'CreateContainer', body: 'Container name length of 300 longer than 256' })).toEqual(['container']);
    expect(fields({ status: 400, body: 'Metadata value longer than 256' })).toEqual(['metadata']);
    expect(fields({ status: 400, body: 'something else entirely' })).toEqual([]);
  });

  test('messages: the error page’s words; INTERNAL names only the transaction', () => {
    expect(map({ status: 400, body: '<html><h1>Bad Request</h1>\n<p>Invalid   UTF8</p></html>' }).message).toBe('Bad Request Invalid UTF8');
    expect(map({ status: 400 }).message).toBe('bad request');
    expect(map({ status: 500, body: 'Traceback: secret internals' }).message).toBe('internal error (transaction tx1)');
    expect(map({ status: 404, rpc: 'GetObject', target: 'c/o' })).toMatchObject({ message: 'object c/o not found', details: { resource: { type: 'object', name: 'c/o' } } });
    expect(map({ status: 404, rpc: 'ListObjects', target: 'c' }).message).toBe('container c not found');
  });
});

describe('helpers', () => {
  test('errorText strips markup and bounds the length', () => {
    expect(errorText('<p>a</p>\n\n<b>b</b>')).toBe('a b');
    expect(errorText('x'.repeat(1000)).length).toBe(301);
  });

  test('fieldFromMessage', () => {
    expect(fieldFromMessage('Invalid X-Delete-At')).toBe('delete_at');
    expect(fieldFromMessage('Invalid X-Delete-After')).toBe('delete_after');
    expect(fieldFromMessage('X-Container-Read: bad referrer')).toBe('read_acl');
    expect(fieldFromMessage('Invalid Content-Length')).toBe('content_length');
    expect(fieldFromMessage('nothing')).toBeUndefined();
  });

  test('isSuccess per RPC', () => {
    const ok: [RpcKind, number, boolean][] = [
      ['GetObject', 200, true],
      ['GetObject', 206, true],
      ['GetObject', 204, false],
      ['ListObjects', 204, true],
      ['ListContainers', 200, true],
      ['PutObject', 201, true],
      ['UpdateObjectMetadata', 202, true],
      ['DeleteContainer', 204, true],
      ['DeleteObject', 404, false],
      ['GetContainer', 304, false],
    ];
    for (const [rpc, status, expected] of ok) expect([rpc, status, isSuccess(rpc, status)]).toEqual([rpc, status, expected]);
  });
});
