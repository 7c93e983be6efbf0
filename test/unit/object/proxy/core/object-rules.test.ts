import {
  backendReadHeaders,
  backendWriteHeaders,
  clientObjectHeaders,
  contentTypeFor,
  deleteAtFrom,
  objectPathProblem,
  planPost,
  planPut,
  unquoteEtag,
} from '../../../../../services/object/proxy/controllers/object-rules';
import { copyPutHeaders, parseCopyTarget, planCopy } from '../../../../../services/object/proxy/controllers/object-copy';

const NOW = 1_700_000_000;
const opts = { maxObjectSize: 1000, nowSeconds: NOW + 0.5, objectName: 'photo.png' };

describe('planPut', () => {
  test('Content-Length or chunked framing', () => {
    expect(planPut({ 'content-length': '10' }, opts)).toEqual({ ok: true, plan: { framing: { kind: 'length', length: 10 }, contentType: 'image/png' } });
    expect(planPut({ 'transfer-encoding': 'chunked', 'content-type': 'a/b' }, opts)).toEqual({ ok: true, plan: { framing: { kind: 'chunked' }, contentType: 'a/b' } });
  });

  test.each([
    [{}, 411, 'Missing Content-Length header.'],
    [{ 'content-length': 'ten' }, 400, 'Invalid Content-Length'],
    [{ 'content-length': '-1' }, 400, 'Invalid Content-Length'],
    [{ 'content-length': '1001' }, 413, 'Your request is too large.'],
    [{ 'transfer-encoding': 'gzip' }, 501, 'Not Implemented: Transfer-Encoding'],
    [{ 'content-length': '1', 'x-object-meta-': 'v' }, 400, 'metadata name cannot be empty'],
    [{ 'content-length': '1', 'x-object-meta-k': 'v'.repeat(257) }, 400, 'metadata value for k longer than 256'],
    [{ 'content-length': '1', 'x-delete-after': 'x' }, 400, 'Non-integer X-Delete-After'],
    [{ 'content-length': '1', 'x-delete-after': '-3' }, 400, 'X-Delete-After in past'],
    [{ 'content-length': '1', 'x-delete-at': 'soon' }, 400, 'Non-integer X-Delete-At'],
    [{ 'content-length': '1', 'x-delete-at': String(NOW) }, 400, 'X-Delete-At in past'],
  ])('%j → %d %s', (headers, status, message) => {
    expect(planPut(headers as Record<string, string>, opts)).toEqual({ ok: false, refusal: { status, message } });
  });

  test('the announced ETag is normalized (quotes, case)', () => {
    const r = planPut({ 'content-length': '1', etag: '"ABCDEF0123456789ABCDEF0123456789"' }, opts);
    expect(r.ok && r.plan.etag).toBe('abcdef0123456789abcdef0123456789');
  });

  test('X-Delete-After wins over X-Delete-At and counts from now', () => {
    expect(deleteAtFrom({ 'x-delete-after': '60', 'x-delete-at': '5' }, NOW + 0.9)).toEqual({ ok: true, deleteAt: NOW + 60 });
    expect(deleteAtFrom({ 'x-delete-at': String(NOW + 10) }, NOW)).toEqual({ ok: true, deleteAt: NOW + 10 });
    expect(deleteAtFrom({}, NOW)).toEqual({ ok: true });
  });
});

describe('planPost', () => {
  test('metadata and expiry rules, no framing rules', () => {
    expect(planPost({ 'x-object-meta-a': 'b' }, NOW)).toEqual({ ok: true });
    expect(planPost({ 'x-delete-after': '5' }, NOW)).toEqual({ ok: true, deleteAt: NOW + 5 });
    expect(planPost({ 'x-object-meta-a': 'x'.repeat(300) }, NOW)).toMatchObject({ ok: false, refusal: { status: 400 } });
  });
});

describe('objectPathProblem', () => {
  test('valid names', () => {
    expect(objectPathProblem('AUTH_a', 'c', 'dir/o')).toBeUndefined();
    expect(objectPathProblem('AUTH_a', 'c'.repeat(256), 'o'.repeat(1024))).toBeUndefined();
  });
  test('lengths in UTF-8 bytes, with Swift messages', () => {
    expect(objectPathProblem('a', 'c', 'o'.repeat(1025))).toEqual({ status: 400, message: 'Object name length of 1025 longer than 1024' });
    expect(objectPathProblem('a', 'c', 'é'.repeat(513))).toEqual({ status: 400, message: 'Object name length of 1026 longer than 1024' });
    expect(objectPathProblem('a', 'c'.repeat(257), 'o')).toEqual({ status: 400, message: 'Container name length of 257 longer than 256' });
  });
  test('lone surrogates are refused', () => {
    expect(objectPathProblem('a', 'c', 'x\ud800')).toMatchObject({ status: 412 });
  });
});

describe('headers', () => {
  test('write headers carry stored headers, timestamp, type and expiry; nothing else', () => {
    const h = backendWriteHeaders(
      { 'x-object-meta-color': 'blue', 'content-disposition': 'inline', 'x-object-sysmeta-slo': '1', authorization: 'secret', 'x-auth-token': 't', 'x-delete-at': '99', host: 'h' },
      { timestamp: '1700000000.00000', contentType: 'text/plain', deleteAt: 1800000000 },
    );
    expect(h).toEqual({
      'x-object-meta-color': 'blue',
      'content-disposition': 'inline',
      'x-object-sysmeta-slo': '1',
      'x-timestamp': '1700000000.00000',
      'content-type': 'text/plain',
      'x-delete-at': '1800000000',
    });
  });

  test('read headers: only ranges and conditions', () => {
    expect(backendReadHeaders({ range: 'bytes=1-2', 'if-match': '"x"', 'x-auth-token': 't', 'if-none-match': '*' })).toEqual({ range: 'bytes=1-2', 'if-match': '"x"', 'if-none-match': '*' });
  });

  test('client headers: internal and hop-by-hop headers dropped, names in Swift case, ETag unquoted', () => {
    expect(
      clientObjectHeaders({ 'x-backend-timestamp': '1', connection: 'keep-alive', etag: '"e"', 'x-object-meta-color': 'blue', 'content-length': '3', 'last-modified': 'x', 'x-trans-id': 'tx' }),
    ).toEqual({ Etag: 'e', 'X-Object-Meta-Color': 'blue', 'Content-Length': '3', 'Last-Modified': 'x' });
  });

  test('content type from the request, else guessed from the name', () => {
    expect(contentTypeFor(' text/x ', 'a.png')).toBe('text/x');
    expect(contentTypeFor(undefined, 'dir/a.JPG')).toBe('image/jpeg');
    expect(contentTypeFor('', 'noext')).toBe('application/octet-stream');
  });

  test('unquoteEtag', () => {
    expect(unquoteEtag('"ABC"')).toBe('abc');
    expect(unquoteEtag(' abc ')).toBe('abc');
    expect(unquoteEtag(undefined)).toBeUndefined();
    expect(unquoteEtag('')).toBeUndefined();
  });
});

describe('copy planning', () => {
  const req = (method: string, headers: Record<string, string>) => ({ method, account: 'AUTH_a', container: 'c', object: 'o', headers, query: new URLSearchParams(), transId: 'tx', source: 'client' });

  test('parseCopyTarget', () => {
    expect(parseCopyTarget('/c2/dir/o%20x', 'X-Copy-From')).toEqual({ container: 'c2', object: 'dir/o x' });
    expect(parseCopyTarget('c2/o', 'X-Copy-From')).toEqual({ container: 'c2', object: 'o' });
    for (const bad of ['c2', '/c2/', '/', '//o', '%FF/o']) {
      expect(parseCopyTarget(bad, 'Destination')).toEqual({ status: 412, message: 'Destination header must be of the form <container name>/<object name>' });
    }
  });

  test('planCopy for PUT X-Copy-From, COPY Destination, and plain requests', () => {
    expect(planCopy(req('PUT', {}))).toBeUndefined();
    expect(planCopy(req('GET', { 'x-copy-from': 'c/o' }))).toBeUndefined();
    expect(planCopy(req('PUT', { 'x-copy-from': 'src/x', 'x-copy-from-account': 'AUTH_b' }))).toEqual({
      source: { account: 'AUTH_b', container: 'src', object: 'x' },
      destination: { account: 'AUTH_a', container: 'c', object: 'o' },
    });
    expect(planCopy(req('COPY', { destination: 'd/y' }))).toEqual({
      source: { account: 'AUTH_a', container: 'c', object: 'o' },
      destination: { account: 'AUTH_a', container: 'd', object: 'y' },
    });
    expect(planCopy(req('COPY', {}))).toEqual({ status: 412, message: 'Destination header required' });
  });

  test('copyPutHeaders keeps source metadata unless fresh, request wins', () => {
    const src = { 'Content-Type': 'text/a', 'X-Object-Meta-A': '1', 'X-Object-Meta-B': '2', Etag: '"e"', 'Last-Modified': 'x', 'X-Static-Large-Object': 'True' };
    expect(copyPutHeaders(src, { 'x-object-meta-b': 'new', 'x-auth-token': 't' }, 5)).toEqual({
      'content-type': 'text/a',
      'x-object-meta-a': '1',
      'x-object-meta-b': 'new',
      'content-length': '5',
      etag: '"e"',
    });
    expect(copyPutHeaders(src, { 'x-fresh-metadata': 'true', 'content-type': 'text/b' }, 0)).toEqual({ 'content-type': 'text/b', 'content-length': '0', etag: '"e"' });
  });
});
