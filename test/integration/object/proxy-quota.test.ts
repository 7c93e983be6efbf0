/**
 * Container and account quotas through the real proxy (token mode, real identity):
 *
 *   test ──HTTP──▶ proxy (auth → quota → ...) ──▶ storage 0 / 1 / 2
 *
 * An upload that would go over a quota is 413 "Upload exceeds quota." and leaves nothing behind
 * (not on the replicas, not in the listing); quota values are validated; the account quota is
 * for reseller admins only.
 */
import { startCluster, v1Path, type Cluster, type Reply } from './cluster-harness';
import { IdentityFixture, until, type TestUser } from './proxy-auth-fixture';

let cluster: Cluster;
let alice: TestUser;
let adminToken: string;

function req(method: string, path: string, headers: Record<string, string | number> = {}, body?: string | Buffer): Promise<Reply> {
  return cluster.proxy.request({ method, path, headers, body });
}
const as = (extra: Record<string, string | number> = {}): Record<string, string | number> => ({ 'X-Auth-Token': alice.token, ...extra });

/** The object on its replicas, straight from the storage servers (404 everywhere = not stored). */
async function replicaStatuses(account: string, container: string, object: string): Promise<number[]> {
  const { partition, nodes } = cluster.nodesFor('object', account, container, object);
  const res = await Promise.all(nodes.map((n) => cluster.storageAt(n.port).request({ method: 'HEAD', path: `/${n.device}/${partition}/${account}/${container}/${object}` })));
  return res.map((r) => r.status);
}

beforeAll(async () => {
  cluster = await startCluster({ auth: 'token', proxyConfig: { containerInfoTtlMs: 60_000 } });
  const ids = await IdentityFixture.open(cluster);
  alice = await ids.user('quota-a', 'qalice', ['member']);
  adminToken = await cluster.identity!.adminToken();
  const first = await until(() => req('PUT', v1Path(alice.account, 'bytes'), as({ 'X-Container-Meta-Quota-Bytes': 10 })), (r) => r.status !== 503);
  expect(first.status).toBe(201);
}, 90_000);

afterAll(async () => {
  await cluster?.stop();
});

describe('container quotas', () => {
  test('bytes: uploads up to the quota pass, the one that would go over is 413 and not stored', async () => {
    const c = v1Path(alice.account, 'bytes');
    expect((await req('PUT', `${c}/a`, as(), Buffer.alloc(6, 'a'))).status).toBe(201);
    const over = await req('PUT', `${c}/b`, as(), Buffer.alloc(5, 'b'));
    expect(over.status).toBe(413);
    expect(over.body.toString()).toContain('Upload exceeds quota.');
    expect(await replicaStatuses(alice.account, 'bytes', 'b')).toEqual([404, 404, 404]);
    expect((await req('GET', `${c}/b`, as())).status).toBe(404);
    // Exactly reaching the quota is allowed.
    expect((await req('PUT', `${c}/c`, as(), Buffer.alloc(4, 'c'))).status).toBe(201);
    expect((await req('GET', c, as())).body.toString()).toBe('a\nc\n');
    // Full: one more byte does not fit.
    expect((await req('PUT', `${c}/d`, as(), Buffer.alloc(1))).status).toBe(413);
  });

  test('bytes, chunked upload: counted while streaming, 413 and not stored', async () => {
    const c = v1Path(alice.account, 'chunked');
    expect((await req('PUT', c, as({ 'X-Container-Meta-Quota-Bytes': 8 }))).status).toBe(201);
    const res = await new Promise<Reply>((resolve, reject) => {
      const r = cluster.proxy.open({ method: 'PUT', path: `${c}/big`, headers: as({ 'Transfer-Encoding': 'chunked' }) });
      r.on('response', (m) => {
        const chunks: Buffer[] = [];
        m.on('data', (d: Buffer) => chunks.push(d));
        m.on('end', () => resolve({ status: m.statusCode ?? 0, headers: m.headers, body: Buffer.concat(chunks) }));
      });
      r.on('error', reject);
      r.write(Buffer.alloc(5, 'x'));
      setTimeout(() => r.end(Buffer.alloc(5, 'y')), 50);
    });
    expect(res.status).toBe(413);
    expect(await replicaStatuses(alice.account, 'chunked', 'big')).toEqual([404, 404, 404]);
  });

  test('server-side copies count against the destination: COPY and X-Copy-From over the quota are 413 and not stored', async () => {
    const src = v1Path(alice.account, 'copy-src');
    const dst = v1Path(alice.account, 'copy-dst');
    expect((await req('PUT', src, as())).status).toBe(201);
    expect((await req('PUT', dst, as({ 'X-Container-Meta-Quota-Bytes': 10 }))).status).toBe(201);
    expect((await req('PUT', `${src}/big`, as(), Buffer.alloc(20, 'x'))).status).toBe(201);
    expect((await req('PUT', `${src}/small`, as(), Buffer.alloc(5, 'y'))).status).toBe(201);

    const copy = await req('COPY', `${src}/big`, as({ Destination: 'copy-dst/big' }));
    expect(copy.status).toBe(413);
    expect(copy.body.toString()).toContain('Upload exceeds quota.');
    const copyFrom = await req('PUT', `${dst}/big-too`, as({ 'X-Copy-From': 'copy-src/big', 'Content-Length': 0 }));
    expect(copyFrom.status).toBe(413);
    expect(await replicaStatuses(alice.account, 'copy-dst', 'big')).toEqual([404, 404, 404]);
    expect(await replicaStatuses(alice.account, 'copy-dst', 'big-too')).toEqual([404, 404, 404]);

    // What fits is copied, and then counts: the same copy again no longer fits.
    expect((await req('COPY', `${src}/small`, as({ Destination: 'copy-dst/small' }))).status).toBe(201);
    expect((await req('GET', `${dst}/small`, as())).body.toString()).toBe('yyyyy');
    expect((await req('PUT', `${dst}/small-2`, as({ 'X-Copy-From': 'copy-src/small', 'Content-Length': 0 }))).status).toBe(201);
    expect((await req('COPY', `${src}/small`, as({ Destination: 'copy-dst/small-3' }))).status).toBe(413);
  });

  test('count quota', async () => {
    const c = v1Path(alice.account, 'count');
    expect((await req('PUT', c, as({ 'X-Container-Meta-Quota-Count': 1 }))).status).toBe(201);
    expect((await req('PUT', `${c}/one`, as(), 'x')).status).toBe(201);
    expect((await req('PUT', `${c}/two`, as(), 'x')).status).toBe(413);
    expect(await replicaStatuses(alice.account, 'count', 'two')).toEqual([404, 404, 404]);
    // Raising the quota lets it through.
    expect((await req('POST', c, as({ 'X-Container-Meta-Quota-Count': 2 }))).status).toBe(204);
    expect((await req('PUT', `${c}/two`, as(), 'x')).status).toBe(201);
  });

  test('invalid quota values → 400, nothing changed', async () => {
    const c = v1Path(alice.account, 'count');
    expect((await req('POST', c, as({ 'X-Container-Meta-Quota-Bytes': 'lots' }))).status).toBe(400);
    expect((await req('POST', c, as({ 'X-Container-Meta-Quota-Count': '-1' }))).status).toBe(400);
    expect((await req('PUT', v1Path(alice.account, 'badq'), as({ 'X-Container-Meta-Quota-Bytes': '1.5' }))).status).toBe(400);
    expect((await req('HEAD', v1Path(alice.account, 'badq'), as())).status).toBe(404);
    const head = await req('HEAD', c, as());
    expect(head.headers['x-container-meta-quota-count']).toBe('2');
    expect(head.headers['x-container-meta-quota-bytes']).toBeUndefined();
  });
});

describe('account quota', () => {
  test('owners cannot set it; the reseller admin can; uploads over it are 413', async () => {
    const a = v1Path(alice.account);
    expect((await req('POST', a, as({ 'X-Account-Meta-Quota-Bytes': 1000 }))).status).toBe(403);
    expect((await req('POST', a, { 'X-Auth-Token': adminToken, 'X-Account-Meta-Quota-Bytes': 'x' })).status).toBe(400);
    expect((await req('POST', a, { 'X-Auth-Token': adminToken, 'X-Account-Meta-Quota-Bytes': 50 })).status).toBe(204);
    const c = v1Path(alice.account, 'acct');
    expect((await req('PUT', c, as())).status).toBe(201);
    const over = await req('PUT', `${c}/big`, as(), Buffer.alloc(100));
    expect(over.status).toBe(413);
    expect(await replicaStatuses(alice.account, 'acct', 'big')).toEqual([404, 404, 404]);
    expect((await req('POST', a, { 'X-Auth-Token': adminToken, 'X-Remove-Account-Meta-Quota-Bytes': 'x' })).status).toBe(204);
    const after = await until(() => req('PUT', `${c}/big`, as(), Buffer.alloc(100)), (r) => r.status === 201, 3000);
    expect(after.status).toBe(201);
  });
});
