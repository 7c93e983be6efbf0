/**
 * Issue 5: a deleted account cannot be recreated until its record is reclaimed (Swift's
 * "Recently deleted"), and the reaper has it reclaimed on every replica once the DELETE is older
 * than the reclaim age.
 *
 *   identity ◀── tokens ── test ──▶ proxy (auth: token) ──▶ storage 0..2 (3 replicas each ring)
 *                                    workers --once --only reaper|replicator|updater beside a server
 *
 * 1. alice's account (proj-gone) is deleted by the reseller admin and reaped: a PUT of it is 403
 *    "Recently deleted" and changes nothing on any replica; once the reclaim age has passed, a
 *    reaper pass removes the record from every replica and a PUT creates a fresh, empty account
 *    (no container of the old one comes back, even after the updater replays what was queued).
 *    bob's account is untouched throughout.
 * 2. carol's account: a replica is down while the record is reclaimed, so the first primary
 *    keeps its copy (and mark) and tries again later; its replicator pushing that deleted copy
 *    does not bring the record back on the replica that did reclaim; once the server is back, the
 *    next reaper pass finishes the job.
 */
import { type Cluster, type Reply, type StorageNode, startCluster, v1Path } from './cluster-harness';
import { type PassCounters, runWorkers, runWorkersEverywhere, total } from './cluster-workers';
import { IdentityFixture, type TestUser } from './proxy-auth-fixture';
import { hashPath } from '../../../services/object/common/hash-path';
import { HASH_PREFIX, HASH_SUFFIX } from './cluster-harness';

jest.setTimeout(180_000);

/** Long enough that the pass right after the DELETE is well inside it on a loaded machine. */
const RECLAIM_AGE_MS = 8_000;
const REAPER = { settings: { reaper: { reclaimAgeMs: RECLAIM_AGE_MS } } };
const REAPER_NOW = { settings: { reaper: { reclaimAgeMs: 0 } } };
const REAPER_NEVER = { settings: { reaper: { reclaimAgeMs: 3650 * 86_400_000 } } };

let cluster: Cluster | undefined;
let ids: IdentityFixture;
let admin: TestUser;

beforeAll(async () => {
  cluster = await startCluster({ storageCount: 3, replicas: 3, auth: 'token' });
  ids = await IdentityFixture.open(cluster);
  admin = await ids.user('ops', 'root', ['admin']);
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

function c(): Cluster {
  if (!cluster) throw new Error('no cluster');
  return cluster;
}

function req(method: string, p: string, who: TestUser, body?: string): Promise<Reply> {
  return c().proxy.request({ method, path: p, headers: { 'X-Auth-Token': who.token, 'Content-Type': 'text/plain' }, body });
}

async function fill(who: TestUser, container: string, objects: number): Promise<void> {
  expect((await req('PUT', v1Path(who.account, container), who)).status).toBe(201);
  for (let i = 0; i < objects; i++) expect((await req('PUT', v1Path(who.account, container, `o${i}`), who, `${who.userName} ${i}`)).status).toBe(201);
}

/** Each account replica's record and rows as stored, straight from its device (null = none). */
async function accountReplicas(account: string): Promise<(Record<string, unknown> | null)[]> {
  const { nodes } = c().nodesFor('account', account);
  const hash = hashPath(HASH_PREFIX, HASH_SUFFIX, account);
  return Promise.all(
    nodes.map(async (n) => {
      const r = await c().storageAt(n.port).request({ method: 'GET', path: `/${n.device}/dbs/account/${hash}/rows`, headers: { 'X-Backend-Storage-Layer': 'replication' } });
      if (r.status === 404) return null;
      expect(r.status).toBe(200);
      return JSON.parse(r.body.toString()) as Record<string, unknown>;
    }),
  );
}

function serverOf(account: string, replica: number): StorageNode {
  return c().storageAt(c().nodesFor('account', account).nodes[replica]!.port);
}

async function containerNames(who: TestUser, as: TestUser = who): Promise<string[]> {
  const r = await req('GET', `${v1Path(who.account)}?format=json`, as);
  expect(r.status).toBe(200);
  return (JSON.parse(r.body.toString()) as { name: string }[]).map((e) => e.name);
}

const reaperTotal = (runs: PassCounters[], counter: string): number => total(runs, 'reaper', counter);

test('PUT of a recently deleted account is 403 and changes nothing; after the reclaim age and a reaper pass it is gone everywhere and PUT creates it afresh', async () => {
  const alice = await ids.user('proj-gone', 'alice', ['member']);
  const bob = await ids.user('proj-kept', 'bob', ['member']);
  await fill(alice, 'photos', 3);
  await fill(bob, 'keep', 2);
  // Container servers report to the account asynchronously: wait until every account replica
  // counts both of bob's objects, or the snapshot could catch a report in flight.
  let bobBefore = await accountReplicas(bob.account);
  for (let i = 0; i < 100 && !bobBefore.every((r) => (r?.record as { objectCount?: number } | undefined)?.objectCount === 2); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    bobBefore = await accountReplicas(bob.account);
  }
  expect(bobBefore.map((r) => (r?.record as { objectCount?: number } | undefined)?.objectCount)).toEqual([2, 2, 2]);

  const deletedAt = Date.now();
  expect((await req('DELETE', v1Path(alice.account), admin)).status).toBe(204);
  const reaped = await runWorkersEverywhere(c(), ['reaper'], REAPER);
  expect(reaperTotal(reaped, 'accountsReaped')).toBe(1);
  expect(reaperTotal(reaped, 'failures')).toBe(0);
  // The pass ran inside the reclaim age: nothing reclaimed, so the refusals below are meaningful.
  expect(Date.now() - deletedAt).toBeLessThan(RECLAIM_AGE_MS);
  expect(reaperTotal(reaped, 'accountsReclaimed')).toBe(0);

  const held = await accountReplicas(alice.account);
  for (const db of held) expect(db).toMatchObject({ record: { account: alice.account, containerCount: 0, deleteTimestamp: expect.stringMatching(/^\d{10}\.\d{5}/) } });
  // Recently deleted: the reseller admin cannot recreate it, the owner cannot write into it.
  const refused = await req('PUT', v1Path(alice.account), admin);
  expect(refused.status).toBe(403);
  expect(refused.body.toString()).toBe('Recently deleted');
  expect((await req('PUT', v1Path(alice.account, 'again'), alice)).status).toBe(404);
  expect((await req('POST', v1Path(alice.account), admin)).status).toBe(404);
  expect((await req('HEAD', v1Path(alice.account), admin)).status).toBe(410);
  expect(await accountReplicas(alice.account)).toEqual(held);

  // Past the reclaim age, one more pass everywhere: reclaimed once, on every replica.
  const wait = deletedAt + RECLAIM_AGE_MS + 200 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const reclaimed = await runWorkersEverywhere(c(), ['reaper'], REAPER);
  expect(reaperTotal(reclaimed, 'accountsReclaimed')).toBe(1);
  expect(reaperTotal(reclaimed, 'reclaimsDeferred')).toBe(0);
  expect(await accountReplicas(alice.account)).toEqual([null, null, null]);
  const head = await req('HEAD', v1Path(alice.account), admin);
  expect(head.status).toBe(204);
  expect(head.headers['x-account-container-count']).toBe('0');

  const created = await req('PUT', v1Path(alice.account), admin);
  expect(created.status).toBe(201);
  for (const db of await accountReplicas(alice.account)) expect(db).toMatchObject({ record: { deleteTimestamp: '', containerCount: 0 }, rows: [] });
  expect(await containerNames(alice)).toEqual([]);
  await fill(alice, 'fresh', 1);
  // Whatever the container servers queued while the account was deleted cannot bring 'photos' back.
  await runWorkersEverywhere(c(), ['updater']);
  expect(await containerNames(alice)).toEqual(['fresh']);
  const after = await req('HEAD', v1Path(alice.account), alice);
  expect(after.headers).toMatchObject({ 'x-account-container-count': '1', 'x-account-object-count': '1' });

  // bob's account is as it was.
  expect(await accountReplicas(bob.account)).toEqual(bobBefore);
  expect(await containerNames(bob)).toEqual(['keep']);
  expect((await req('GET', v1Path(bob.account, 'keep', 'o1'), bob)).body.toString()).toBe('bob 1');
});

test('a replica down at reclaim time: the reclaimed replicas stay reclaimed under replication, and the next pass finishes', async () => {
  const carol = await ids.user('proj-down', 'carol', ['member']);
  await fill(carol, 'docs', 2);
  expect((await req('DELETE', v1Path(carol.account), admin)).status).toBe(204);
  const first = serverOf(carol.account, 0);
  const reclaimedEarly = serverOf(carol.account, 1);
  const down = serverOf(carol.account, 2);
  expect(new Set([first, reclaimedEarly, down]).size).toBe(3);
  expect((await runWorkers(c(), first, ['reaper'], REAPER_NEVER)).reaper).toMatchObject({ accountsReaped: 1, failures: 0 });

  await down.kill();
  try {
    expect((await runWorkers(c(), first, ['reaper'], REAPER_NOW)).reaper).toMatchObject({ accountsReclaimed: 0, reclaimsDeferred: 1 });
    const partial = await Promise.all(
      [first, reclaimedEarly].map(async (s) => {
        const n = c().nodesFor('account', carol.account).nodes.find((d) => d.port === s.port)!;
        const r = await s.request({ method: 'GET', path: `/${n.device}/dbs/account/${hashPath(HASH_PREFIX, HASH_SUFFIX, carol.account)}/rows`, headers: { 'X-Backend-Storage-Layer': 'replication' } });
        return r.status;
      }),
    );
    // The first primary keeps its copy for the retry; the other live replica reclaimed its own.
    expect(partial).toEqual([200, 404]);
    // The first primary's replicator pushes its deleted copy: it must not come back.
    const rep = await runWorkers(c(), first, ['replicator']);
    expect(rep.replicator?.dbs).toBeGreaterThan(0);
    const [, again] = await Promise.all(
      [first, reclaimedEarly].map(async (s) => {
        const n = c().nodesFor('account', carol.account).nodes.find((d) => d.port === s.port)!;
        return (await s.request({ method: 'GET', path: `/${n.device}/dbs/account/${hashPath(HASH_PREFIX, HASH_SUFFIX, carol.account)}/rows`, headers: { 'X-Backend-Storage-Layer': 'replication' } })).status;
      }),
    );
    expect(again).toBe(404);
  } finally {
    if (!down.running()) await down.restart();
  }
  expect((await runWorkers(c(), first, ['reaper'], REAPER_NOW)).reaper).toMatchObject({ accountsReclaimed: 1, reclaimsDeferred: 0 });
  expect(await accountReplicas(carol.account)).toEqual([null, null, null]);
  expect((await req('PUT', v1Path(carol.account), admin)).status).toBe(201);
  expect(await containerNames(carol)).toEqual([]);
});
