import { Readable } from 'node:stream';
import type { Handler, ProxyRequest, ProxyResponse } from '../../../../../services/object/proxy/app/types';
import { createQuotaMiddlewareWith, type QuotaAccountInfo, type QuotaContainerInfo } from '../../../../../services/object/proxy/middleware/quota';
import { checkAccountQuotaHeaders, checkContainerQuotaHeaders, uploadAllowance } from '../../../../../services/object/proxy/middleware/quota-rules';

describe('quota rules', () => {
  test.each<[Record<string, string>, string | undefined]>([
    [{}, undefined],
    [{ 'x-container-meta-quota-bytes': '100' }, undefined],
    [{ 'x-container-meta-quota-bytes': '' }, undefined],
    [{ 'x-container-meta-quota-bytes': '0' }, undefined],
    [{ 'x-container-meta-quota-bytes': '-1' }, 'Invalid bytes quota.'],
    [{ 'x-container-meta-quota-bytes': '1.5' }, 'Invalid bytes quota.'],
    [{ 'x-container-meta-quota-bytes': 'lots' }, 'Invalid bytes quota.'],
    [{ 'x-container-meta-quota-count': '10' }, undefined],
    [{ 'x-container-meta-quota-count': 'ten' }, 'Invalid count quota.'],
  ])('container headers %j → %s', (headers, message) => {
    expect(checkContainerQuotaHeaders(headers)?.message).toBe(message);
  });

  test('account quota: reseller admins only, whole numbers', () => {
    expect(checkAccountQuotaHeaders({ 'x-account-meta-color': 'red' }, false)).toBeUndefined();
    expect(checkAccountQuotaHeaders({ 'x-account-meta-quota-bytes': '10' }, false)?.status).toBe(403);
    expect(checkAccountQuotaHeaders({ 'x-remove-account-meta-quota-bytes': 'x' }, false)?.status).toBe(403);
    expect(checkAccountQuotaHeaders({ 'x-account-meta-quota-bytes': '10' }, true)).toBeUndefined();
    expect(checkAccountQuotaHeaders({ 'x-account-meta-quota-bytes': '' }, true)).toBeUndefined();
    expect(checkAccountQuotaHeaders({ 'x-account-meta-quota-bytes': 'x' }, true)?.status).toBe(400);
  });

  const c = (bytesUsed: number, objectCount: number, quota: { bytes?: number; count?: number }) => ({ container: { bytesUsed, objectCount, quota } });
  test.each<[string, ReturnType<typeof c> & { account?: { bytesUsed: number; quota: { bytes?: number } } }, number | undefined, boolean, number | undefined]>([
    ['no quota', c(100, 5, {}), 10, true, Infinity],
    ['fits', c(90, 5, { bytes: 100 }), 10, true, 10],
    ['exactly full is allowed', c(100, 5, { bytes: 100 }), 0, true, 0],
    ['one byte over', c(90, 5, { bytes: 100 }), 11, false, undefined],
    ['already over', c(101, 5, { bytes: 100 }), 0, false, undefined],
    ['unknown length: remaining', c(40, 5, { bytes: 100 }), undefined, true, 60],
    ['count reached', c(0, 2, { count: 2 }), 0, false, undefined],
    ['count not reached', c(0, 1, { count: 2 }), 0, true, Infinity],
    ['account quota', { ...c(0, 0, {}), account: { bytesUsed: 95, quota: { bytes: 100 } } }, 6, false, undefined],
    ['tighter of the two', { ...c(0, 0, { bytes: 50 }), account: { bytesUsed: 95, quota: { bytes: 100 } } }, undefined, true, 5],
  ])('%s', (_name, usage, length, ok, remaining) => {
    const r = uploadAllowance(usage, length);
    expect(r.ok).toBe(ok);
    if (r.ok) expect(r.remainingBytes).toBe(remaining);
    else expect(r.refusal).toEqual({ status: 413, message: 'Upload exceeds quota.' });
  });
});

describe('quota middleware', () => {
  let container: QuotaContainerInfo;
  let account: QuotaAccountInfo;
  let forgotten = 0;
  let stored: Buffer[] = [];
  beforeEach(() => {
    container = { exists: true, objectCount: 0, bytesUsed: 0, acl: {}, quota: {} };
    account = { exists: true, bytesUsed: 0, quota: {} };
    forgotten = 0;
    stored = [];
  });

  /** A fake object controller: stores the body unless it fails, like the real one aborts. */
  const app: Handler = async (req) => {
    if (req.method === 'PUT' && req.body) {
      const chunks: Buffer[] = [];
      try {
        for await (const ch of req.body) chunks.push(ch as Buffer);
      } catch {
        return { status: 499, headers: {} };
      }
      stored.push(Buffer.concat(chunks));
    }
    return { status: req.method === 'PUT' ? 201 : 204, headers: {} };
  };
  const handler = createQuotaMiddlewareWith({ containerInfo: async () => container, accountInfo: async () => account, forget: () => forgotten++ })(app);
  const put = (path: string, body?: Buffer, headers: Record<string, string> = {}, extra: Partial<ProxyRequest> = {}): Promise<ProxyResponse> => {
    const [acc, cont, obj] = path.split('/');
    return handler({ method: 'PUT', account: acc, container: cont, object: obj, query: new URLSearchParams(), headers: body && !headers['transfer-encoding'] ? { 'content-length': String(body.length), ...headers } : headers, body: body && Readable.from([body]), transId: 'tx', source: 'client', ...extra });
  };

  test('over the container bytes quota → 413 and nothing stored', async () => {
    container.quota = { bytes: 10 };
    container.bytesUsed = 5;
    const res = await put('AUTH_a/c/o', Buffer.alloc(6));
    expect(res.status).toBe(413);
    expect(String(res.body)).toContain('Upload exceeds quota.');
    expect(stored).toHaveLength(0);
    expect((await put('AUTH_a/c/o', Buffer.alloc(5))).status).toBe(201);
    expect(forgotten).toBe(1);
  });

  test('chunked bodies are counted as they stream', async () => {
    container.quota = { bytes: 10 };
    const res = await put('AUTH_a/c/o', Buffer.alloc(11), { 'transfer-encoding': 'chunked' });
    expect(res.status).toBe(413);
    expect(stored).toHaveLength(0);
    expect((await put('AUTH_a/c/o', Buffer.alloc(10), { 'transfer-encoding': 'chunked' })).status).toBe(201);
  });

  test('count quota and account quota', async () => {
    container.quota = { count: 1 };
    container.objectCount = 1;
    expect((await put('AUTH_a/c/o', Buffer.alloc(1))).status).toBe(413);
    container.quota = {};
    account.quota = { bytes: 3 };
    expect((await put('AUTH_a/c/o', Buffer.alloc(4))).status).toBe(413);
    expect((await put('AUTH_a/c/o', Buffer.alloc(3))).status).toBe(201);
  });

  test('no quota: untouched and not forgotten', async () => {
    expect((await put('AUTH_a/c/o', Buffer.alloc(100))).status).toBe(201);
    expect(forgotten).toBe(0);
  });

  test('a caller who may not write gets the authorize answer, not the quota', async () => {
    container.quota = { bytes: 0 };
    const res = await put('AUTH_a/c/o', Buffer.alloc(1), {}, { authorize: () => ({ status: 403, headers: {} }) });
    expect(res.status).toBe(403);
  });

  test('unreachable account servers do not fail uploads (no visible account quota)', async () => {
    container.quota = { bytes: 100 };
    const h = createQuotaMiddlewareWith({ containerInfo: async () => container, accountInfo: async () => Promise.reject(new Error('503')), forget: () => undefined })(app);
    const r = await h({ method: 'PUT', account: 'AUTH_a', container: 'c', object: 'o', query: new URLSearchParams(), headers: { 'content-length': '3' }, body: Readable.from([Buffer.from('abc')]), transId: 'tx', source: 'client' });
    expect(r.status).toBe(201);
  });

  test('missing container: passed on to the controller', async () => {
    container.exists = false;
    container.quota = { bytes: 0 };
    expect((await put('AUTH_a/c/o', Buffer.alloc(1))).status).toBe(201);
  });

  test('invalid quota metadata on containers → 400; account quota needs a reseller admin', async () => {
    expect((await put('AUTH_a/c', undefined, { 'x-container-meta-quota-bytes': 'x' })).status).toBe(400);
    expect((await put('AUTH_a/c', undefined, { 'x-container-meta-quota-count': '5' })).status).toBe(201);
    const authorize = (): undefined => undefined;
    const member = { projectId: 'a', userId: 'u', roles: ['member'], isResellerAdmin: false, token: 't' };
    const post = (caller: typeof member) => handler({ method: 'POST', account: 'AUTH_a', query: new URLSearchParams(), headers: { 'x-account-meta-quota-bytes': '5' }, transId: 'tx', source: 'client', caller, authorize });
    expect((await post(member)).status).toBe(403);
    expect((await post({ ...member, isResellerAdmin: true })).status).toBe(204);
  });
});
