/**
 * Issue 5, X-Delete-After through the proxy, end to end with the expirer.
 *
 *   test ──PUT X-Delete-After: 4──▶ proxy ──▶ storage 0..2 (3 replicas)
 *   … time passes …  workers --once --only expirer beside every server
 *
 * Proves: the object reads until its time; once the time passed, GET and HEAD answer 404 at once
 * although the listing still shows it (nothing removed it yet); after one expirer pass beside
 * every server it is gone from the listing and every replica holds a tombstone instead of its
 * body, while an object without expiry is untouched. And a copy that reaches a replica through
 * the replicator (that replica was down during the PUT) is indexed there too, so the expirer
 * beside that server expires it.
 */
import { type Cluster, startCluster, v1Path } from './cluster-harness';
import { dataFile, expiryIndex, filesIn, objectLocation, runWorkers, runWorkersEverywhere, total } from './cluster-workers';

const ACCOUNT = 'AUTH_expiry';
const CONTAINER = 'ttl';

jest.setTimeout(120_000);

let cluster: Cluster | undefined;

afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function listing(c: Cluster): Promise<string[]> {
  const r = await c.proxy.request({ method: 'GET', path: `${v1Path(ACCOUNT, CONTAINER)}?format=json` });
  expect(r.status).toBe(200);
  return (JSON.parse(r.body.toString()) as { name: string }[]).map((o) => o.name);
}

test('X-Delete-After: 404 as soon as it expires, gone from the listing after an expirer pass', async () => {
  const c = (cluster = await startCluster({ storageCount: 3, replicas: 3 }));
  expect((await c.proxy.request({ method: 'PUT', path: v1Path(ACCOUNT, CONTAINER) })).status).toBe(201);
  const put = (name: string, headers: Record<string, string>): Promise<number> =>
    c.proxy.request({ method: 'PUT', path: v1Path(ACCOUNT, CONTAINER, name), headers: { 'Content-Type': 'text/plain', ...headers }, body: `body of ${name}` }).then((r) => r.status);
  expect(await put('short-lived', { 'X-Delete-After': '4' })).toBe(201);
  expect(await put('forever', {})).toBe(201);

  const head = await c.proxy.request({ method: 'HEAD', path: v1Path(ACCOUNT, CONTAINER, 'short-lived') });
  expect(head.status).toBe(200);
  const deleteAt = Number(head.headers['x-delete-at']);
  expect(deleteAt).toBeGreaterThan(Date.now() / 1000);
  expect(deleteAt).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 5);
  // Nothing expires before its time (no pass may remove it early either).
  expect(total(await runWorkersEverywhere(c, ['expirer']), 'expirer', 'expired')).toBe(0);
  expect((await c.proxy.request({ method: 'GET', path: v1Path(ACCOUNT, CONTAINER, 'short-lived') })).body.toString()).toBe('body of short-lived');

  // Wait (bounded) until the delete-at second is over.
  const waitMs = (deleteAt + 1) * 1000 - Date.now();
  expect(waitMs).toBeLessThan(7000);
  await new Promise((r) => setTimeout(r, Math.max(0, waitMs) + 50));

  expect((await c.proxy.request({ method: 'GET', path: v1Path(ACCOUNT, CONTAINER, 'short-lived') })).status).toBe(404);
  expect((await c.proxy.request({ method: 'HEAD', path: v1Path(ACCOUNT, CONTAINER, 'short-lived') })).status).toBe(404);
  // Only the expirer removes it: until then the listing (and the disk) still have it.
  expect(await listing(c)).toEqual(['forever', 'short-lived']);

  const runs = await runWorkersEverywhere(c, ['expirer']);
  // Each replica's server expires its own copy.
  expect(total(runs, 'expirer', 'expired')).toBe(3);
  expect(total(runs, 'expirer', 'failures') + total(runs, 'expirer', 'errors')).toBe(0);

  expect(await listing(c)).toEqual(['forever']);
  for (const n of c.nodesFor('object', ACCOUNT, CONTAINER, 'short-lived').nodes) {
    const loc = objectLocation(c, c.storageAt(n.port), n.device, { account: ACCOUNT, container: CONTAINER, object: 'short-lived' });
    expect(dataFile(loc)).toBeUndefined();
    expect(filesIn(loc.dir).filter((f) => f.endsWith('.ts'))).toHaveLength(1);
  }
  const kept = await c.proxy.request({ method: 'GET', path: v1Path(ACCOUNT, CONTAINER, 'forever') });
  expect(kept.status).toBe(200);
  expect(kept.body.toString()).toBe('body of forever');
});

test('a copy installed by the replicator is in that server\'s expirer index, and its expirer removes it', async () => {
  const c = (cluster = await startCluster({ storageCount: 4, replicas: 3 }));
  expect((await c.proxy.request({ method: 'PUT', path: v1Path(ACCOUNT, CONTAINER) })).status).toBe(201);
  const ref = { account: ACCOUNT, container: CONTAINER, object: 'replicated-ttl' };
  const primary = c.nodesFor('object', ACCOUNT, CONTAINER, ref.object).nodes[2]!;
  const late = c.storageAt(primary.port);
  const loc = objectLocation(c, late, primary.device, ref);

  await late.kill();
  const put = await c.proxy.request({ method: 'PUT', path: v1Path(ACCOUNT, CONTAINER, ref.object), headers: { 'Content-Type': 'text/plain', 'X-Delete-After': '5' }, body: 'short' });
  expect(put.status).toBe(201);
  await late.restart();
  expect(dataFile(loc)).toBeUndefined();
  expect(expiryIndex(late)).toEqual([]);

  await runWorkersEverywhere(c, ['replicator']);
  expect(dataFile(loc)).toBeDefined();
  const entries = expiryIndex(late);
  expect(entries).toHaveLength(1);
  expect(entries[0]).toMatch(new RegExp(`-${loc.hash}$`));
  const deleteAt = Number(entries[0]!.split('-')[0]);

  const waitMs = (deleteAt + 1) * 1000 - Date.now();
  expect(waitMs).toBeLessThan(8000);
  await new Promise((r) => setTimeout(r, Math.max(0, waitMs) + 50));
  const run = await runWorkers(c, late, ['expirer']);
  expect(run.expirer!.expired).toBe(1);
  expect(dataFile(loc)).toBeUndefined();
  expect(filesIn(loc.dir).filter((f) => f.endsWith('.ts'))).toHaveLength(1);
});
