/**
 * Issue 5, failure scenario: a container server is down while objects are written into it.
 *
 *   test ──PUT×n──▶ proxy ──▶ storage 0..3 (3 replicas, every layer; one has a container replica
 *                             of the container and is killed before the PUTs)
 *
 * Proves: the PUTs still succeed, and the listing through the proxy has them at once (from the
 * live replicas); the restarted replica lacks them and updates are queued in async_pending; one
 * updater pass beside every server brings every container replica up to date and empties
 * async_pending everywhere.
 */
import { type Cluster, type Reply, startCluster, v1Path } from './cluster-harness';
import { asyncPending, runWorkersEverywhere, total } from './cluster-workers';

const ACCOUNT = 'AUTH_cdown';
const CONTAINER = 'queued';
const COUNT = 10;

jest.setTimeout(180_000);

let cluster: Cluster | undefined;

afterAll(async () => {
  await cluster?.stop();
});

async function replicaListings(c: Cluster): Promise<{ port: number; status: number; names: string[] }[]> {
  const { partition, nodes } = c.nodesFor('container', ACCOUNT, CONTAINER);
  return Promise.all(
    nodes.map(async (n) => {
      const r: Reply = await c.storageAt(n.port).request({ method: 'GET', path: `/${n.device}/${partition}/${ACCOUNT}/${CONTAINER}`, headers: { 'X-Backend-Storage-Layer': 'container' } });
      const names = r.status === 200 ? (JSON.parse(r.body.toString()) as { name: string }[]).map((o) => o.name) : [];
      return { port: n.port, status: r.status, names };
    }),
  );
}

async function proxyListing(c: Cluster): Promise<string[]> {
  const r = await c.proxy.request({ method: 'GET', path: `${v1Path(ACCOUNT, CONTAINER)}?format=json` });
  expect(r.status).toBe(200);
  return (JSON.parse(r.body.toString()) as { name: string }[]).map((o) => o.name);
}

test('a container replica down during PUTs: PUTs succeed; after restart one updater pass fixes every listing and empties async_pending', async () => {
  const c = (cluster = await startCluster({ storageCount: 4, replicas: 3 }));
  expect((await c.proxy.request({ method: 'PUT', path: v1Path(ACCOUNT, CONTAINER) })).status).toBe(201);
  const victim = c.storageAt(c.nodesFor('container', ACCOUNT, CONTAINER).nodes[1]!.port);
  await victim.kill();

  const names = Array.from({ length: COUNT }, (_v, i) => `while-down/${String(i).padStart(2, '0')}`);
  for (const name of names) {
    const r = await c.proxy.request({ method: 'PUT', path: v1Path(ACCOUNT, CONTAINER, name), headers: { 'Content-Type': 'text/plain' }, body: `body of ${name}` });
    expect({ name, status: r.status }).toEqual({ name, status: 201 });
  }
  expect(await proxyListing(c)).toEqual(names);

  await victim.restart();
  const before = await replicaListings(c);
  const stale = before.find((l) => l.port === victim.port)!;
  expect(stale.status).toBe(200);
  expect(stale.names).toEqual([]);
  const queued = c.storages.flatMap((s) => asyncPending(s));
  expect(queued.length).toBeGreaterThanOrEqual(COUNT);

  const runs = await runWorkersEverywhere(c, ['updater']);
  expect(total(runs, 'updater', 'failures') + total(runs, 'updater', 'errors')).toBe(0);

  for (const l of await replicaListings(c)) expect({ port: l.port, status: l.status, names: l.names }).toEqual({ port: l.port, status: 200, names });
  expect(await proxyListing(c)).toEqual(names);
  for (const s of c.storages) expect({ server: s.index, pending: asyncPending(s) }).toEqual({ server: s.index, pending: [] });
  // The counts followed the rows (the HEAD goes to the replicas, not a cache).
  const head = await c.proxy.request({ method: 'HEAD', path: v1Path(ACCOUNT, CONTAINER) });
  expect(head.headers['x-container-object-count']).toBe(String(COUNT));
});
