/**
 * Token auth and ACLs through the real proxy process, with a real identity service:
 *
 *   test ──HTTP──▶ proxy ──▶ storage 0 / 1 / 2
 *                    │ keys dir + revocation feed
 *                    └──────▶ identity
 *
 * /auth/v1.0 login; project isolation (A's token cannot read, list or write B's account or
 * containers) until B's owner opens a container with ACLs; public read (.r:*) and listings
 * (.rlistings); readers; invalid ACLs refused; revoked tokens refused within the feed's latency.
 */
import { startCluster, v1Path, type Cluster, type Reply } from './cluster-harness';
import { IdentityFixture, until, type TestUser } from './proxy-auth-fixture';

let cluster: Cluster;
let ids: IdentityFixture;
let alice: TestUser; // member of project A: owner of A's account
let rita: TestUser; // reader on project A
let bob: TestUser; // member of project B
let carol: TestUser; // member of project C

function req(method: string, path: string, headers: Record<string, string | number> = {}, body?: string): Promise<Reply> {
  return cluster.proxy.request({ method, path, headers, body });
}
const as = (u: TestUser, extra: Record<string, string | number> = {}): Record<string, string | number> => ({ 'X-Auth-Token': u.token, ...extra });

beforeAll(async () => {
  cluster = await startCluster({ auth: 'token', proxyConfig: { containerInfoTtlMs: 300 } });
  ids = await IdentityFixture.open(cluster);
  alice = await ids.user('proj-a', 'alice', ['member']);
  rita = await ids.user('proj-a', 'rita', ['reader']);
  bob = await ids.user('proj-b', 'bob', ['member']);
  carol = await ids.user('proj-c', 'carol', ['member']);
  // The proxy refuses tokens (503) until it has the revocation list.
  const first = await until(() => req('PUT', v1Path(alice.account, 'private'), as(alice)), (r) => r.status !== 503);
  expect(first.status).toBe(201);
  expect((await req('PUT', v1Path(alice.account, 'private', 'secret.txt'), as(alice, { 'Content-Type': 'text/plain' }), 'top secret')).status).toBe(201);
}, 90_000);

afterAll(async () => {
  await cluster?.stop();
});

describe('/auth/v1.0', () => {
  test('logs in with project:user and password; the storage URL and token work', async () => {
    const res = await req('GET', '/auth/v1.0', { 'X-Auth-User': 'proj-a:alice', 'X-Auth-Key': alice.password });
    expect(res.status).toBe(200);
    const url = String(res.headers['x-storage-url']);
    expect(url).toBe(`http://127.0.0.1:${cluster.proxy.port}/v1/${alice.account}`);
    expect(res.headers['x-auth-token']).toBeTruthy();
    expect(res.headers['x-storage-token']).toBe(res.headers['x-auth-token']);
    expect(Number(res.headers['x-auth-token-expires'])).toBeGreaterThan(60);
    const head = await req('HEAD', new URL(url).pathname, { 'X-Auth-Token': String(res.headers['x-auth-token']) });
    expect(head.status).toBe(204);
  });

  test('X-Storage-User / X-Storage-Pass are accepted too', async () => {
    const res = await req('GET', '/auth/v1.0', { 'X-Storage-User': 'proj-b:bob', 'X-Storage-Pass': bob.password });
    expect(res.status).toBe(200);
    expect(String(res.headers['x-storage-url'])).toMatch(new RegExp(`/v1/${bob.account}$`));
  });

  test('wrong password, unknown user, no role on the project, missing headers → 401', async () => {
    expect((await req('GET', '/auth/v1.0', { 'X-Auth-User': 'proj-a:alice', 'X-Auth-Key': 'wrong' })).status).toBe(401);
    expect((await req('GET', '/auth/v1.0', { 'X-Auth-User': 'proj-a:nobody', 'X-Auth-Key': 'x' })).status).toBe(401);
    expect((await req('GET', '/auth/v1.0', { 'X-Auth-User': 'proj-b:alice', 'X-Auth-Key': alice.password })).status).toBe(401);
    expect((await req('GET', '/auth/v1.0', { 'X-Auth-User': 'proj-a:alice' })).status).toBe(401);
    expect((await req('GET', '/auth/v1.0', {})).status).toBe(401);
  });
});

describe('tokens', () => {
  test('no token → 401; a garbage token → 401; a valid one works', async () => {
    expect((await req('GET', v1Path(alice.account))).status).toBe(401);
    expect((await req('GET', v1Path(alice.account, 'private', 'secret.txt'), { 'X-Auth-Token': 'garbage' })).status).toBe(401);
    const own = await req('GET', v1Path(alice.account, 'private', 'secret.txt'), as(alice));
    expect(own.status).toBe(200);
    expect(own.body.toString()).toBe('top secret');
  });

  test('a revoked token is refused (401) within the feed latency', async () => {
    const token = await ids.token('bob', bob.password, bob.projectId);
    const user = { ...bob, token };
    expect((await req('HEAD', v1Path(bob.account), as(user))).status).toBe(204);
    await ids.revoke(token);
    const after = await until(() => req('HEAD', v1Path(bob.account), as(user)), (r) => r.status === 401, 5000);
    expect(after.status).toBe(401);
    // Bob's other tokens still work.
    expect((await req('HEAD', v1Path(bob.account), as(bob))).status).toBe(204);
  });
});

describe('isolation between projects', () => {
  test("B's token cannot read, list or write A's account, containers or objects", async () => {
    expect((await req('HEAD', v1Path(alice.account), as(bob))).status).toBe(403);
    expect((await req('GET', v1Path(alice.account), as(bob))).status).toBe(403);
    expect((await req('POST', v1Path(alice.account), as(bob, { 'X-Account-Meta-X': '1' }))).status).toBe(403);
    expect((await req('GET', v1Path(alice.account, 'private'), as(bob))).status).toBe(403);
    expect((await req('HEAD', v1Path(alice.account, 'private'), as(bob))).status).toBe(403);
    expect((await req('GET', v1Path(alice.account, 'private', 'secret.txt'), as(bob))).status).toBe(403);
    expect((await req('PUT', v1Path(alice.account, 'private', 'evil.txt'), as(bob), 'x')).status).toBe(403);
    expect((await req('DELETE', v1Path(alice.account, 'private', 'secret.txt'), as(bob))).status).toBe(403);
    expect((await req('PUT', v1Path(alice.account, 'bobs'), as(bob))).status).toBe(403);
    expect((await req('DELETE', v1Path(alice.account, 'private'), as(bob))).status).toBe(403);
    // A container that does not exist looks the same as one that does.
    expect((await req('GET', v1Path(alice.account, 'nothing-here', 'o'), as(bob))).status).toBe(403);
    // Anonymous: 401 everywhere.
    expect((await req('GET', v1Path(alice.account, 'private', 'secret.txt'))).status).toBe(401);
    // Nothing was written.
    expect((await req('GET', v1Path(alice.account, 'private', 'evil.txt'), as(alice))).status).toBe(404);
    expect((await req('HEAD', v1Path(alice.account, 'bobs'), as(alice))).status).toBe(404);
  });

  test('a read ACL naming B opens GET and listing, not PUT; a write ACL then opens PUT', async () => {
    const c = v1Path(alice.account, 'shared');
    expect((await req('PUT', c, as(alice))).status).toBe(201);
    expect((await req('PUT', `${c}/doc`, as(alice), 'shared doc')).status).toBe(201);
    expect((await req('GET', `${c}/doc`, as(bob))).status).toBe(403);

    expect((await req('POST', c, as(alice, { 'X-Container-Read': `${bob.projectId}:*` }))).status).toBe(204);
    const got = await until(() => req('GET', `${c}/doc`, as(bob)), (r) => r.status === 200, 3000);
    expect(got.status).toBe(200);
    expect(got.body.toString()).toBe('shared doc');
    const listing = await req('GET', c, as(bob));
    expect(listing.status).toBe(200);
    expect(listing.body.toString()).toBe('doc\n');
    // Owner-only headers stay hidden from ACL readers.
    expect(listing.headers['x-container-read']).toBeUndefined();
    expect((await req('HEAD', c, as(alice))).headers['x-container-read']).toBe(`${bob.projectId}:*`);
    // Other projects still out; no writing.
    expect((await req('GET', `${c}/doc`, as(carol))).status).toBe(403);
    expect((await req('PUT', `${c}/bobs`, as(bob), 'x')).status).toBe(403);
    // Still no account access, no container changes.
    expect((await req('GET', v1Path(alice.account), as(bob))).status).toBe(403);
    expect((await req('POST', c, as(bob, { 'X-Container-Read': '.r:*' }))).status).toBe(403);

    expect((await req('POST', c, as(alice, { 'X-Container-Write': `${bob.projectId}:${bob.userId}` }))).status).toBe(204);
    const put = await until(() => req('PUT', `${c}/bobs`, as(bob), 'from bob'), (r) => r.status === 201, 3000);
    expect(put.status).toBe(201);
    expect((await req('GET', `${c}/bobs`, as(alice))).body.toString()).toBe('from bob');
    expect((await req('DELETE', `${c}/bobs`, as(bob))).status).toBe(204);
    expect((await req('DELETE', c, as(bob))).status).toBe(403);
  });

  test('readers of A may read, not write', async () => {
    expect((await req('GET', v1Path(alice.account, 'private', 'secret.txt'), as(rita))).status).toBe(200);
    expect((await req('GET', v1Path(alice.account), as(rita))).status).toBe(200);
    expect((await req('PUT', v1Path(alice.account, 'private', 'r.txt'), as(rita), 'x')).status).toBe(403);
    expect((await req('POST', v1Path(alice.account, 'private'), as(rita, { 'X-Container-Meta-A': '1' }))).status).toBe(403);
  });
});

describe('public containers', () => {
  test('.r:* allows anonymous object GET; listing needs .rlistings', async () => {
    const c = v1Path(alice.account, 'public');
    expect((await req('PUT', c, as(alice, { 'X-Container-Read': '.r:*' }))).status).toBe(201);
    expect((await req('PUT', `${c}/index.html`, as(alice, { 'Content-Type': 'text/html' }), '<p>hi</p>')).status).toBe(201);
    const anon = await until(() => req('GET', `${c}/index.html`), (r) => r.status === 200, 3000);
    expect(anon.status).toBe(200);
    expect(anon.body.toString()).toBe('<p>hi</p>');
    expect((await req('GET', `${c}/missing`)).status).toBe(404);
    expect((await req('GET', c)).status).toBe(401);
    expect((await req('PUT', `${c}/x`, {}, 'x')).status).toBe(401);
    expect((await req('POST', c, as(alice, { 'X-Container-Read': '.r:*,.rlistings' }))).status).toBe(204);
    const list = await until(() => req('GET', c), (r) => r.status === 200, 3000);
    expect(list.body.toString()).toBe('index.html\n');
  });

  test('invalid ACLs → 400 and the old ACL stays', async () => {
    const c = v1Path(alice.account, 'public');
    const bad = await req('POST', c, as(alice, { 'X-Container-Write': '.r:*' }));
    expect(bad.status).toBe(400);
    expect(bad.body.toString()).toMatch(/referrers are not allowed/);
    expect((await req('POST', c, as(alice, { 'X-Container-Read': '.bogus:x' }))).status).toBe(400);
    expect((await req('PUT', v1Path(alice.account, 'never'), as(alice, { 'X-Container-Read': '.r:' }))).status).toBe(400);
    expect((await req('HEAD', v1Path(alice.account, 'never'), as(alice))).status).toBe(404);
    const head = await req('HEAD', c, as(alice));
    expect(head.headers['x-container-read']).toBe('.r:*,.rlistings');
    expect(head.headers['x-container-write']).toBeUndefined();
  });
});
