/**
 * Container and account requests through the real proxy process in front of three real storage
 * servers (cluster-harness): lifecycle, metadata, counts after object writes, what reaches each
 * replica, account auto-create, account metadata and deletion, and bad input that must change
 * nothing.
 *
 *   test ──HTTP──▶ proxy ──▶ storage 0 / 1 / 2  (3 replicas of every ring)
 */
import { startCluster, v1Path, type Cluster, type Reply } from './cluster-harness';

let cluster: Cluster;
const ACCOUNT = 'AUTH_lists';

function req(method: string, path: string, headers: Record<string, string | number> = {}, body?: string): Promise<Reply> {
  return cluster.proxy.request({ method, path, headers, body });
}

/** HEAD on every container replica, straight to the storage servers. */
async function containerReplicas(account: string, container: string): Promise<Reply[]> {
  const { partition, nodes } = cluster.nodesFor('container', account, container);
  return Promise.all(
    nodes.map((n) =>
      cluster.storageAt(n.port).request({ method: 'HEAD', path: `/${n.device}/${partition}/${encodeURIComponent(account)}/${encodeURIComponent(container)}`, headers: { 'X-Backend-Storage-Layer': 'container' } }),
    ),
  );
}

async function accountReplicas(account: string): Promise<Reply[]> {
  const { partition, nodes } = cluster.nodesFor('account', account);
  return Promise.all(nodes.map((n) => cluster.storageAt(n.port).request({ method: 'HEAD', path: `/${n.device}/${partition}/${encodeURIComponent(account)}`, headers: { 'X-Backend-Storage-Layer': 'account' } })));
}

beforeAll(async () => {
  cluster = await startCluster({ proxyConfig: { containerInfoTtlMs: 60_000 } });
});

afterAll(async () => {
  await cluster?.stop();
});

describe('container lifecycle through the proxy', () => {
  test('PUT 201 then 202, on every replica with one timestamp; HEAD; DELETE; 404 after', async () => {
    const c = v1Path(ACCOUNT, 'life');
    expect((await req('HEAD', c)).status).toBe(404);
    const put = await req('PUT', c, { 'X-Container-Meta-Color': 'blue' });
    expect(put.status).toBe(201);
    expect(put.headers['x-trans-id']).toMatch(/^tx/);
    expect(put.headers['x-openstack-request-id']).toBe(put.headers['x-trans-id']);
    expect((await req('PUT', c)).status).toBe(202);

    const replicas = await containerReplicas(ACCOUNT, 'life');
    expect(replicas.map((r) => r.status)).toEqual([204, 204, 204]);
    expect(new Set(replicas.map((r) => r.headers['x-backend-timestamp'])).size).toBe(1);
    expect(replicas.map((r) => r.headers['x-container-meta-color'])).toEqual(['blue', 'blue', 'blue']);

    const head = await req('HEAD', c);
    expect(head.status).toBe(204);
    expect(head.headers['x-container-object-count']).toBe('0');
    expect(head.headers['x-container-bytes-used']).toBe('0');
    expect(head.headers['x-container-meta-color']).toBe('blue');
    expect(head.headers['x-timestamp']).toMatch(/^\d{10}\.\d{5}$/);
    expect(head.headers['last-modified']).toBeDefined();
    expect(head.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(Object.keys(head.headers).filter((h) => h.startsWith('x-backend-'))).toEqual([]);

    expect((await req('DELETE', c)).status).toBe(204);
    expect((await req('HEAD', c)).status).toBe(404);
    expect((await req('GET', c)).status).toBe(404);
    expect((await req('DELETE', c)).status).toBe(404);
    expect((await req('POST', c, { 'X-Container-Meta-A': '1' })).status).toBe(404);
    expect((await containerReplicas(ACCOUNT, 'life')).map((r) => r.status)).toEqual([404, 404, 404]);
  });

  test('POST sets, replaces and removes metadata and ACLs', async () => {
    const c = v1Path(ACCOUNT, 'meta');
    expect((await req('PUT', c, { 'X-Container-Meta-A': '1', 'X-Container-Meta-B': '2' })).status).toBe(201);
    expect((await req('POST', c, { 'X-Container-Meta-A': 'one', 'X-Remove-Container-Meta-B': 'x', 'X-Container-Read': '.r:*,.rlistings' })).status).toBe(204);
    const head = await req('HEAD', c);
    expect(head.headers['x-container-meta-a']).toBe('one');
    expect(head.headers['x-container-meta-b']).toBeUndefined();
    // Auth is off in this cluster: everyone is an owner, so the ACL is shown.
    expect(head.headers['x-container-read']).toBe('.r:*,.rlistings');
    expect((await req('POST', c, { 'X-Container-Meta-A': '' })).status).toBe(204);
    expect((await req('HEAD', c)).headers['x-container-meta-a']).toBeUndefined();
  });

  test('counts follow object PUTs and DELETEs; a non-empty container cannot be deleted', async () => {
    const c = v1Path(ACCOUNT, 'counted');
    expect((await req('PUT', c)).status).toBe(201);
    expect((await req('PUT', v1Path(ACCOUNT, 'counted', 'a'), { 'Content-Type': 'text/plain' }, 'hello')).status).toBe(201);
    expect((await req('PUT', v1Path(ACCOUNT, 'counted', 'dir/b'), {}, 'world!!')).status).toBe(201);
    let head = await req('HEAD', c);
    expect(head.headers['x-container-object-count']).toBe('2');
    expect(head.headers['x-container-bytes-used']).toBe('12');

    expect((await req('DELETE', c)).status).toBe(409);
    expect((await req('HEAD', c)).status).toBe(204);

    expect((await req('DELETE', v1Path(ACCOUNT, 'counted', 'a'))).status).toBe(204);
    head = await req('HEAD', c);
    expect(head.headers['x-container-object-count']).toBe('1');
    expect(head.headers['x-container-bytes-used']).toBe('7');
    expect((await req('DELETE', v1Path(ACCOUNT, 'counted', 'dir/b'))).status).toBe(204);
    expect((await req('DELETE', c)).status).toBe(204);
  });

  test('an object PUT into a container deleted through this proxy is refused (info cache invalidated)', async () => {
    const c = v1Path(ACCOUNT, 'gone');
    expect((await req('PUT', c)).status).toBe(201);
    expect((await req('PUT', v1Path(ACCOUNT, 'gone', 'x'), {}, 'x')).status).toBe(201);
    expect((await req('DELETE', v1Path(ACCOUNT, 'gone', 'x'))).status).toBe(204);
    expect((await req('DELETE', c)).status).toBe(204);
    expect((await req('PUT', v1Path(ACCOUNT, 'gone', 'y'), {}, 'y')).status).toBe(404);
  });
});

describe('info cache', () => {
  test('a container another proxy created is seen by POST and DELETE at once, despite a cached 404', async () => {
    const name = 'elsewhere';
    expect((await req('HEAD', v1Path(ACCOUNT, name))).status).toBe(404);
    // "Another proxy": create it straight on the replicas, with a timestamp of now.
    const { partition, nodes } = cluster.nodesFor('container', ACCOUNT, name);
    const ts = (Date.now() / 1000).toFixed(5);
    for (const n of nodes) {
      const r = await cluster.storageAt(n.port).request({ method: 'PUT', path: `/${n.device}/${partition}/${ACCOUNT}/${name}`, headers: { 'X-Backend-Storage-Layer': 'container', 'X-Timestamp': ts } });
      expect(r.status).toBe(201);
    }
    expect((await req('POST', v1Path(ACCOUNT, name), { 'X-Container-Meta-Seen': 'yes' })).status).toBe(204);
    expect((await req('HEAD', v1Path(ACCOUNT, name))).headers['x-container-meta-seen']).toBe('yes');
    expect((await req('DELETE', v1Path(ACCOUNT, name))).status).toBe(204);
  });
});

describe('bad input changes nothing', () => {
  test('container name too long → 400, nothing created', async () => {
    const long = 'n'.repeat(257);
    const r = await req('PUT', v1Path(ACCOUNT, long));
    expect(r.status).toBe(400);
    expect(r.body.toString()).toContain('Container name length of 257 longer than 256');
    // The storage servers refuse the name too (400), so "not there" is any 4xx.
    expect((await containerReplicas(ACCOUNT, long)).every((x) => x.status >= 400 && x.status < 500)).toBe(true);
    expect((await req('GET', `${v1Path(ACCOUNT)}?prefix=nnn`)).status).toBe(204);
    // 256 bytes (multi-byte characters count as bytes) is fine.
    expect((await req('PUT', v1Path(ACCOUNT, 'é'.repeat(128)))).status).toBe(201);
    expect((await req('PUT', v1Path(ACCOUNT, `${'é'.repeat(128)}x`))).status).toBe(400);
  });

  test('oversized metadata on PUT → 400 and no container; on POST → 400 and metadata unchanged', async () => {
    const c = v1Path(ACCOUNT, 'bigmeta');
    expect((await req('PUT', c, { 'X-Container-Meta-Big': 'v'.repeat(257) })).status).toBe(400);
    expect((await req('PUT', c, { [`X-Container-Meta-${'n'.repeat(129)}`]: 'v' })).status).toBe(400);
    expect((await containerReplicas(ACCOUNT, 'bigmeta')).map((x) => x.status)).toEqual([404, 404, 404]);
    expect((await req('PUT', c, { 'X-Container-Meta-Keep': 'me' })).status).toBe(201);
    const many = Object.fromEntries(Array.from({ length: 20 }, (_v, i) => [`X-Container-Meta-M${i}`, 'v'.repeat(250)]));
    const r = await req('POST', c, many);
    expect(r.status).toBe(400);
    expect(r.body.toString()).toContain('total metadata too large');
    const head = await req('HEAD', c);
    expect(head.headers['x-container-meta-keep']).toBe('me');
    expect(head.headers['x-container-meta-m0']).toBeUndefined();
  });

  test('clients cannot set container sysmeta', async () => {
    const c = v1Path(ACCOUNT, 'sys');
    expect((await req('PUT', c, { 'X-Container-Sysmeta-Forged': 'yes' })).status).toBe(201);
    const replicas = await containerReplicas(ACCOUNT, 'sys');
    expect(replicas.map((r) => r.headers['x-container-sysmeta-forged'])).toEqual([undefined, undefined, undefined]);
  });

  test('unsupported method → 405 with Allow', async () => {
    const r = await req('PATCH', v1Path(ACCOUNT, 'sys'));
    expect(r.status).toBe(405);
    expect(r.headers['allow']).toBe('GET, HEAD, PUT, POST, DELETE');
  });
});

describe('accounts through the proxy', () => {
  test('a missing account answers as an empty one; the first container PUT creates it on every replica', async () => {
    const a = 'AUTH_fresh';
    const head = await req('HEAD', v1Path(a));
    expect(head.status).toBe(204);
    expect(head.headers['x-account-container-count']).toBe('0');
    expect(head.headers['x-account-object-count']).toBe('0');
    expect(head.headers['x-account-bytes-used']).toBe('0');
    const get = await req('GET', `${v1Path(a)}?format=json`);
    expect(get.status).toBe(200);
    expect(get.body.toString()).toBe('[]');
    expect((await req('GET', v1Path(a))).status).toBe(204);
    expect((await accountReplicas(a)).map((r) => r.status)).toEqual([404, 404, 404]);

    expect((await req('PUT', v1Path(a, 'first'))).status).toBe(201);
    expect((await accountReplicas(a)).map((r) => r.status)).toEqual([204, 204, 204]);
  });

  test('account POST sets metadata (auto-creating the account), HEAD shows it, limits apply', async () => {
    const a = v1Path('AUTH_posted');
    expect((await req('POST', a, { 'X-Account-Meta-Team': 'storage' })).status).toBe(204);
    expect((await req('HEAD', a)).headers['x-account-meta-team']).toBe('storage');
    expect((await req('POST', a, { 'X-Account-Meta-Team': 'v'.repeat(257) })).status).toBe(400);
    expect((await req('HEAD', a)).headers['x-account-meta-team']).toBe('storage');
    expect((await req('POST', a, { 'X-Remove-Account-Meta-Team': 'x' })).status).toBe(204);
    expect((await req('HEAD', a)).headers['x-account-meta-team']).toBeUndefined();
  });

  test('account PUT and DELETE (auth off: allowed); a deleted account is 410 and takes no containers', async () => {
    const a = v1Path('AUTH_doomed');
    expect((await req('PUT', a)).status).toBe(201);
    expect((await req('PUT', a)).status).toBe(202);
    expect((await req('DELETE', a)).status).toBe(204);
    expect((await req('HEAD', a)).status).toBe(410);
    expect((await req('GET', a)).status).toBe(410);
    expect((await req('PUT', v1Path('AUTH_doomed', 'c'))).status).toBe(404);
    // A POST does not auto-create it back.
    expect((await req('POST', a, { 'X-Account-Meta-Back': '1' })).status).toBe(404);
    expect((await req('HEAD', a)).status).toBe(410);
    expect((await accountReplicas('AUTH_doomed')).map((r) => r.headers['x-account-status'])).toEqual(['Deleted', 'Deleted', 'Deleted']);
    expect((await req('DELETE', a)).status).toBe(404);
  });

  // The container servers report to the account replica named by X-Account-Host/-Device/-Partition.
  test('container PUTs and object writes show up in the account counts', async () => {
    const a = 'AUTH_counted';
    expect((await req('PUT', v1Path(a, 'c1'))).status).toBe(201);
    expect((await req('PUT', v1Path(a, 'c2'))).status).toBe(201);
    expect((await req('PUT', v1Path(a, 'c1', 'o'), {}, 'abc')).status).toBe(201);
    const deadline = Date.now() + 5000;
    let head: Reply;
    do {
      head = await req('HEAD', v1Path(a));
      if (head.headers['x-account-object-count'] === '1') break;
      await new Promise((r) => setTimeout(r, 100));
    } while (Date.now() < deadline);
    expect(head.headers['x-account-container-count']).toBe('2');
    expect(head.headers['x-account-object-count']).toBe('1');
    expect(head.headers['x-account-bytes-used']).toBe('3');
    expect((await req('GET', v1Path(a))).body.toString()).toBe('c1\nc2\n');
  });
});

describe('quorum with storage servers down (last: kills and restarts servers)', () => {
  test('one of three down: writes and reads still work; two down: writes are 503, reads still find a replica', async () => {
    const c = v1Path(ACCOUNT, 'quorum');
    expect((await req('PUT', c, { 'X-Container-Meta-Before': '1' })).status).toBe(201);
    const [first, second] = cluster.storages;
    await first!.kill();
    try {
      expect((await req('POST', c, { 'X-Container-Meta-During': '1' })).status).toBe(204);
      expect((await req('PUT', v1Path(ACCOUNT, 'quorum2'))).status).toBe(201);
      const head = await req('HEAD', c);
      expect(head.status).toBe(204);
      expect(head.headers['x-container-meta-during']).toBe('1');
      expect((await req('GET', `${c}?format=json`)).status).toBe(200);
      expect((await req('HEAD', v1Path(ACCOUNT))).status).toBe(204);

      await second!.kill();
      expect((await req('PUT', v1Path(ACCOUNT, 'quorum3'))).status).toBe(503);
      expect((await req('POST', c, { 'X-Container-Meta-Late': '1' })).status).toBe(503);
      expect((await req('DELETE', v1Path(ACCOUNT, 'quorum2'))).status).toBe(503);
      const lone = await req('HEAD', c);
      expect(lone.status).toBe(204);
      expect(lone.headers['x-container-meta-before']).toBe('1');
    } finally {
      if (!first!.running()) await first!.restart();
      if (!second!.running()) await second!.restart();
    }
    // Back up: every replica answers again, and writes reach a quorum.
    expect((await req('PUT', v1Path(ACCOUNT, 'quorum4'))).status).toBe(201);
  });
});
