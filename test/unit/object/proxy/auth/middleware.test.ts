import type { Handler, ObjectCaller, ProxyRequest, ProxyResponse } from '../../../../../services/object/proxy/app/types';
import { DEFAULT_AUTHORIZE_RULES as RULES } from '../../../../../services/object/proxy/auth/authorize';
import { callerFromToken, createAuthMiddleware, type AuthFailure } from '../../../../../services/object/proxy/auth/middleware';

/** Tokens the fake authenticator knows: `tok-<project>-<role>`; `revoked` and `early` fail. */
function authenticate(token: string): ObjectCaller | AuthFailure {
  if (token === 'revoked') return { status: 401, message: 'token revoked' };
  if (token === 'early') return { status: 503, message: 'revocation list not loaded yet' };
  const m = /^tok-(\w+)-(\w+)$/.exec(token);
  if (!m) return { status: 401, message: 'invalid token' };
  return callerFromToken({ projectId: m[1], userId: `u-${m[1]}`, roles: [m[2]] }, token, RULES);
}

/** A fake app: a container with an ACL; it calls authorize like the controllers do. */
function fakeApp(acl: { read?: string; write?: string } | undefined, seen: ProxyRequest[]): Handler {
  return async (req) => {
    seen.push(req);
    const denied = req.authorize?.(req, { containerAcl: acl });
    if (denied) return denied;
    const headers: ProxyResponse['headers'] = { 'X-Trans-Id': req.transId };
    if (req.container && !req.object) {
      if (acl?.read) headers['X-Container-Read'] = acl.read;
      if (acl?.write) headers['X-Container-Write'] = acl.write;
      headers['X-Container-Object-Count'] = 0;
    }
    return { status: req.method === 'PUT' ? 201 : 200, headers, body: 'ok' };
  };
}

function request(method: string, path: string, headers: Record<string, string> = {}, source = 'client'): ProxyRequest {
  const [account, container, object] = path.split('/');
  return { method, account, container, object, query: new URLSearchParams(), headers, transId: 'tx1', source };
}

async function run(acl: { read?: string; write?: string } | undefined, req: ProxyRequest): Promise<{ res: ProxyResponse; seen: ProxyRequest[] }> {
  const seen: ProxyRequest[] = [];
  const handler = createAuthMiddleware({ rules: RULES, authenticate })(fakeApp(acl, seen));
  return { res: await handler(req), seen };
}

describe('auth middleware', () => {
  test('a valid token becomes req.caller; X-Storage-Token works too', async () => {
    const { res, seen } = await run(undefined, request('GET', 'AUTH_pa/c/o', { 'x-auth-token': 'tok-pa-member' }));
    expect(res.status).toBe(200);
    expect(seen[0].caller).toMatchObject({ projectId: 'pa', userId: 'u-pa', roles: ['member'], isResellerAdmin: false, token: 'tok-pa-member' });
    const r2 = await run(undefined, request('GET', 'AUTH_pa/c/o', { 'x-storage-token': 'tok-pa-member' }));
    expect(r2.res.status).toBe(200);
  });

  test('admin role makes a reseller admin', () => {
    expect(callerFromToken({ projectId: 'p', userId: 'u', roles: ['Admin'] }, 't', RULES)).toMatchObject({ roles: ['admin'], isResellerAdmin: true });
  });

  test('bad, expired or revoked tokens → 401 before the app runs; revocations not loaded → 503', async () => {
    for (const token of ['revoked', 'garbage']) {
      const { res, seen } = await run({ read: '.r:*' }, request('GET', 'AUTH_pa/c/o', { 'x-auth-token': token }));
      expect(res.status).toBe(401);
      expect(seen).toHaveLength(0);
    }
    const early = await run(undefined, request('GET', 'AUTH_pa/c/o', { 'x-auth-token': 'early' }));
    expect(early.res.status).toBe(503);
  });

  test('no token = anonymous: 401 unless an ACL allows', async () => {
    expect((await run(undefined, request('GET', 'AUTH_pa/c/o'))).res.status).toBe(401);
    expect((await run({ read: '.r:*' }, request('GET', 'AUTH_pa/c/o'))).res.status).toBe(200);
  });

  test('account requests and container changes are refused before reaching the app', async () => {
    for (const [method, path] of [
      ['GET', 'AUTH_pa'],
      ['PUT', 'AUTH_pa/c'],
      ['POST', 'AUTH_pa/c'],
      ['DELETE', 'AUTH_pa/c'],
    ]) {
      const { res, seen } = await run({ write: '*:*', read: '*:*' }, request(method, path, { 'x-auth-token': 'tok-pb-member' }));
      expect(res.status).toBe(403);
      expect(seen).toHaveLength(0);
      const anon = await run(undefined, request(method, path));
      expect(anon.res.status).toBe(401);
      expect(anon.seen).toHaveLength(0);
    }
  });

  test('project A cannot read B; a read ACL opens GET but not PUT; a write ACL opens PUT', async () => {
    const a = { 'x-auth-token': 'tok-pa-member' };
    expect((await run(undefined, request('GET', 'AUTH_pb/c/o', a))).res.status).toBe(403);
    expect((await run(undefined, request('GET', 'AUTH_pb/c', a))).res.status).toBe(403);
    expect((await run({ read: 'pa:*' }, request('GET', 'AUTH_pb/c/o', a))).res.status).toBe(200);
    expect((await run({ read: 'pa:*' }, request('PUT', 'AUTH_pb/c/o', a))).res.status).toBe(403);
    expect((await run({ read: 'pa:*', write: 'pa:*' }, request('PUT', 'AUTH_pb/c/o', a))).res.status).toBe(201);
  });

  test('ACL headers on container PUT/POST: validated (400) and normalized', async () => {
    const owner = { 'x-auth-token': 'tok-pa-member' };
    const bad = await run(undefined, request('PUT', 'AUTH_pa/c', { ...owner, 'x-container-write': '.r:*' }));
    expect(bad.res.status).toBe(400);
    expect(String(bad.res.body)).toMatch(/X-Container-Write: referrers are not allowed/);
    expect(bad.seen).toHaveLength(0);
    const bad2 = await run(undefined, request('POST', 'AUTH_pa/c', { ...owner, 'x-container-read': '.bogus:x' }));
    expect(bad2.res.status).toBe(400);
    const good = await run(undefined, request('POST', 'AUTH_pa/c', { ...owner, 'x-container-read': ' .referrer:*.example.com , .rlistings' }));
    expect(good.res.status).toBe(200);
    expect(good.seen[0].headers['x-container-read']).toBe('.r:.example.com,.rlistings');
  });

  test('a non-owner may not set ACLs (403 before validation)', async () => {
    const { res } = await run(undefined, request('POST', 'AUTH_pa/c', { 'x-auth-token': 'tok-pb-member', 'x-container-read': '.r:*' }));
    expect(res.status).toBe(403);
  });

  test('container ACL headers are shown to owners only', async () => {
    const acl = { read: 'pb:*', write: 'pb:*' };
    const own = await run(acl, request('HEAD', 'AUTH_pa/c', { 'x-auth-token': 'tok-pa-member' }));
    expect(own.res.headers['X-Container-Read']).toBe('pb:*');
    const other = await run(acl, request('HEAD', 'AUTH_pa/c', { 'x-auth-token': 'tok-pb-member' }));
    expect(other.res.status).toBe(200);
    expect(other.res.headers['X-Container-Read']).toBeUndefined();
    expect(other.res.headers['X-Container-Write']).toBeUndefined();
    expect(other.res.headers['X-Container-Object-Count']).toBe(0);
  });

  test("an empty account (gRPC's own account) becomes the token's project's account", async () => {
    const { res, seen } = await run(undefined, { ...request('HEAD', 'x/c'), account: '', headers: { 'x-auth-token': 'tok-pa-member' } });
    expect(res.status).toBe(200);
    expect(seen[0].account).toBe('AUTH_pa');
    const anon = await run(undefined, { ...request('HEAD', 'x/c'), account: '' });
    expect(anon.res.status).toBe(401);
    expect(anon.seen).toHaveLength(0);
  });

  test('sub-requests of other middleware pass through untouched', async () => {
    const sub = request('GET', 'AUTH_pa/c/o', { 'x-auth-token': 'revoked' }, 'slo');
    const { res, seen } = await run(undefined, sub);
    expect(res.status).toBe(200);
    expect(seen[0]).toBe(sub);
  });
});
