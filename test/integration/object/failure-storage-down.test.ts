/**
 * Issue 5, failure scenario: a storage server dies during a stream of PUTs.
 *
 *   test ──PUT×N (4 at a time)──▶ proxy ──▶ storage 0..3 (3 replicas, one device each: every
 *                                            partition has one handoff)
 *                          SIGKILL storage V after a few acknowledgements
 *
 * Proves: every acknowledged (201) object stays readable through the proxy with its bytes; the
 * objects written while V was down went to the handoff and not to V; after V restarts, one
 * replicator pass beside every server gives V every acknowledged object it is a primary of, and
 * the handoff copies are removed. V is checked to lack them right after the restart, so the test
 * fails if the replicator does nothing.
 */
import { randomBytes } from 'node:crypto';
import { type Cluster, type Reply, startCluster, type StorageNode, v1Path } from './cluster-harness';
import { dataFile, md5, objectLocation, type ObjectLocation, type ObjectRef, runWorkersEverywhere, total } from './cluster-workers';

const ACCOUNT = 'AUTH_stream';
const CONTAINER = 'stream';
const COUNT = 48;
const KILL_AFTER_ACKS = 12;
const CONCURRENCY = 4;

jest.setTimeout(180_000);

let cluster: Cluster | undefined;

afterAll(async () => {
  await cluster?.stop();
});

interface Written {
  ref: ObjectRef;
  body: Buffer;
  /** The PUT started once the victim was dead. */
  afterKill: boolean;
  status: number;
}

function objectPathOn(loc: ObjectLocation, o: ObjectRef): string {
  return `/${loc.device}/${loc.partition}/${encodeURIComponent(o.account)}/${encodeURIComponent(o.container)}/${encodeURIComponent(o.object)}`;
}

function directGet(loc: ObjectLocation, o: ObjectRef): Promise<Reply> {
  return loc.node.request({ method: 'GET', path: objectPathOn(loc, o) });
}

test('a storage server killed during PUTs: acknowledged objects stay readable; the replicator brings it back and empties the handoff', async () => {
  const c = (cluster = await startCluster({ storageCount: 4, replicas: 3 }));
  expect((await c.proxy.request({ method: 'PUT', path: v1Path(ACCOUNT, CONTAINER) })).status).toBe(201);
  const victim: StorageNode = c.storages[1]!;

  // The stream: CONCURRENCY writers; the victim dies once KILL_AFTER_ACKS PUTs were acknowledged.
  const written: Written[] = [];
  let next = 0;
  let acks = 0;
  let killed: Promise<void> | undefined;
  let dead = false;
  const writer = async (): Promise<void> => {
    while (next < COUNT) {
      const i = next++;
      const ref = { account: ACCOUNT, container: CONTAINER, object: `obj-${String(i).padStart(3, '0')}` };
      const body = randomBytes(1024 + ((i * 7919) % (48 * 1024)));
      const afterKill = dead;
      let status = 0;
      try {
        status = (await c.proxy.request({ method: 'PUT', path: v1Path(ACCOUNT, CONTAINER, ref.object), headers: { 'Content-Type': 'application/octet-stream' }, body })).status;
      } catch {
        status = 0;
      }
      written.push({ ref, body, afterKill, status });
      if (status === 201 && ++acks === KILL_AFTER_ACKS) {
        killed = victim.kill().then(() => {
          dead = true;
        });
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, writer));
  await killed;
  expect(dead).toBe(true);

  // A dead primary is not a failed PUT: everything sent after the kill was acknowledged.
  const acked = written.filter((w) => w.status === 201);
  expect(written.filter((w) => w.afterKill).map((w) => w.status)).toEqual(written.filter((w) => w.afterKill).map(() => 201));
  expect(acked.length).toBeGreaterThanOrEqual(COUNT - CONCURRENCY);

  // Readable through the proxy, byte-exact, while the victim is down.
  for (const w of acked) {
    const g = await c.proxy.request({ method: 'GET', path: v1Path(ACCOUNT, CONTAINER, w.ref.object) });
    expect({ name: w.ref.object, status: g.status }).toEqual({ name: w.ref.object, status: 200 });
    expect(g.body.equals(w.body)).toBe(true);
  }

  // Where each acknowledged object of the victim should be, and its handoff.
  const victimObjects = acked
    .map((w) => {
      const { partition, nodes } = c.nodesFor('object', w.ref.account, w.ref.container, w.ref.object);
      const mine = nodes.find((n) => n.port === victim.port);
      if (!mine) return undefined;
      const handoff = [...c.rings.object.getMoreNodes(partition)][0]!;
      return { w, at: objectLocation(c, victim, mine.device, w.ref), handoff: objectLocation(c, c.storageAt(handoff.port), handoff.device, w.ref) };
    })
    .filter((x): x is NonNullable<typeof x> => x !== undefined);
  const missed = victimObjects.filter((v) => v.w.afterKill);
  expect(missed.length).toBeGreaterThan(0);
  for (const m of missed) {
    // Not on the dead server; on its handoff instead.
    expect(dataFile(m.at)).toBeUndefined();
    expect(dataFile(m.handoff)).toBeDefined();
  }

  await victim.restart();
  for (const m of missed) expect((await directGet(m.at, m.w.ref)).status).toBe(404);

  const runs = await runWorkersEverywhere(c, ['replicator']);
  expect(total(runs, 'replicator', 'objectsPushed')).toBeGreaterThanOrEqual(missed.length);

  for (const v of victimObjects) {
    const g = await directGet(v.at, v.w.ref);
    expect({ name: v.w.ref.object, status: g.status }).toEqual({ name: v.w.ref.object, status: 200 });
    expect(md5(g.body)).toBe(md5(v.w.body));
  }
  // Handoff copies moved back, not merely copied.
  for (const m of missed) expect(dataFile(m.handoff)).toBeUndefined();
  expect(total(runs, 'replicator', 'handoffsRemoved')).toBeGreaterThan(0);

  // And the proxy still serves everything.
  for (const w of acked) expect(md5((await c.proxy.request({ method: 'GET', path: v1Path(ACCOUNT, CONTAINER, w.ref.object) })).body)).toBe(md5(w.body));
});
