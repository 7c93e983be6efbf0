/**
 * The reaper against real storage server processes: an account with two containers and objects
 * is deleted, one `workers/main.js --once --only reaper` beside each server runs, and every
 * object is gone from every server's disk (only tombstones left), the containers are deleted on
 * all replicas, every account replica's rows for them are deleted, only the account's first
 * primary did the work, and another account is untouched. The record stays, deleted, until its
 * DELETE is older than the reclaim age: then a pass removes it from every replica, with the mark.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { hashPath } from '../../../services/object/common/hash-path';
import { HASH, hashDirOf, objectRequest, putObject, runWorkersOnce, startCluster, type Cluster, type ObjectName } from './workers-replicator-cluster';

// The DELETEs below carry fixed 2023 timestamps: without a long reclaim age the pass that reaps
// would reclaim at once.
const KEEP = { reaper: { reclaimAgeMs: 3650 * 86_400_000 } };
const RECLAIM = { reaper: { reclaimAgeMs: 0 } };

let cluster: Cluster;

beforeAll(async () => {
  // 3 servers, 3 replicas: every server holds every partition of every ring.
  cluster = await startCluster(3);
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

function layer(name: string, extra: Record<string, string> = {}): Record<string, string> {
  return { 'X-Backend-Storage-Layer': name, ...extra };
}

async function createAccount(account: string, ts: string): Promise<void> {
  const { partition, nodes } = cluster.ring.getNodes(account);
  for (const n of nodes) {
    const r = await cluster.serverOf(n).request({ method: 'PUT', path: `/${n.device}/${partition}/${account}`, headers: layer('account', { 'X-Timestamp': ts }) });
    expect(r.status).toBe(201);
  }
}

async function createContainer(account: string, container: string, ts: string): Promise<void> {
  const c = cluster.ring.getNodes(account, container);
  for (const n of c.nodes) {
    const r = await cluster.serverOf(n).request({ method: 'PUT', path: `/${n.device}/${c.partition}/${account}/${container}`, headers: layer('container', { 'X-Timestamp': ts }) });
    expect(r.status).toBe(201);
  }
  // The account's row for it, as a container server reports it.
  const a = cluster.ring.getNodes(account);
  for (const n of a.nodes) {
    const r = await cluster.serverOf(n).request({
      method: 'PUT',
      path: `/${n.device}/${a.partition}/${account}/${container}`,
      headers: layer('account', { 'X-Put-Timestamp': ts, 'X-Delete-Timestamp': '0', 'X-Object-Count': '0', 'X-Bytes-Used': '0' }),
    });
    expect(r.status).toBe(201);
  }
}

async function createObject(o: ObjectName, body: string, ts: string): Promise<void> {
  const c = cluster.ring.getNodes(o.account, o.container);
  const { nodes } = cluster.ring.getNodes(o.account, o.container, o.object);
  for (const [i, n] of nodes.entries()) {
    const cn = c.nodes[i];
    const r = await putObject(cluster, n, o, body, ts, { 'X-Container-Host': `127.0.0.1:${cn.port}`, 'X-Container-Device': cn.device, 'X-Container-Partition': String(c.partition) });
    expect(r.status).toBe(201);
  }
}

interface AccountDbPage {
  record: { deleteTimestamp: string; containerCount: number };
  rows: { name: string; deleted: boolean }[];
}

/** Each account replica's record and rows as stored (undefined where there is none). */
async function accountDbs(account: string): Promise<(AccountDbPage | undefined)[]> {
  const a = cluster.ring.getNodes(account);
  const hash = hashPath(HASH.prefix, HASH.suffix, account);
  const out: (AccountDbPage | undefined)[] = [];
  for (const n of a.nodes) {
    const r = await cluster.serverOf(n).request({ method: 'GET', path: `/${n.device}/dbs/account/${hash}/rows`, headers: layer('replication') });
    expect([200, 404]).toContain(r.status);
    out.push(r.status === 200 ? (JSON.parse(r.body.toString()) as AccountDbPage) : undefined);
  }
  return out;
}

async function containerStatus(account: string, container: string): Promise<number[]> {
  const c = cluster.ring.getNodes(account, container);
  const out: number[] = [];
  for (const n of c.nodes) out.push((await cluster.serverOf(n).request({ method: 'HEAD', path: `/${n.device}/${c.partition}/${account}/${container}`, headers: layer('container') })).status);
  return out;
}

test('a deleted account\'s objects and containers are removed from every server; the record stays, deleted, until the reclaim age has passed', async () => {
  const doomed = 'AUTH_doomed';
  const alive = 'AUTH_alive';
  await createAccount(doomed, '1700000100.00000');
  await createAccount(alive, '1700000100.00000');
  const objects: ObjectName[] = [];
  for (const container of ['c1', 'c2']) {
    await createContainer(doomed, container, '1700000101.00000');
    for (let i = 0; i < 3; i++) {
      const o = { account: doomed, container, object: `dir/obj-${i}` };
      await createObject(o, `body ${container} ${i}`, '1700000102.00000');
      objects.push(o);
    }
  }
  // A row whose container the container servers never had: the reaper's container DELETE finds
  // nothing there and nothing reports its deletion, so only the reclaim step can clear it.
  const a0 = cluster.ring.getNodes(doomed);
  for (const n of a0.nodes) {
    const r = await cluster.serverOf(n).request({
      method: 'PUT',
      path: `/${n.device}/${a0.partition}/${doomed}/phantom`,
      headers: layer('account', { 'X-Put-Timestamp': '1700000101.00000', 'X-Delete-Timestamp': '0', 'X-Object-Count': '0', 'X-Bytes-Used': '0' }),
    });
    expect(r.status).toBe(201);
  }
  await createContainer(alive, 'keep', '1700000101.00000');
  const kept = { account: alive, container: 'keep', object: 'precious' };
  await createObject(kept, 'still here', '1700000102.00000');

  const a = cluster.ring.getNodes(doomed);
  for (const n of a.nodes) {
    const r = await cluster.serverOf(n).request({ method: 'DELETE', path: `/${n.device}/${a.partition}/${doomed}`, headers: layer('account', { 'X-Timestamp': '1700000103.00000' }) });
    expect(r.status).toBe(204);
  }
  // Before the reaper: data still there.
  for (const o of objects) expect(hashDirOf(cluster, cluster.ring.getNodes(o.account, o.container, o.object).nodes[0], o).files.some((f) => f.endsWith('.data'))).toBe(true);

  const runs = [];
  for (const s of cluster.servers) runs.push((await runWorkersOnce(cluster, s, ['reaper'], KEEP)).reaper);
  // Only the account's first primary reaps; nobody fails.
  expect(runs.map((r) => r.failures)).toEqual([0, 0, 0]);
  expect(runs.reduce((n, r) => n + r.accountsReaped, 0)).toBe(1);
  const first = cluster.servers.indexOf(cluster.serverOf(a.nodes[0]));
  expect(runs[first]).toMatchObject({ accountsReaped: 1, containersDeleted: 3, objectsDeleted: 6 });

  for (const o of objects) {
    for (const n of cluster.ring.getNodes(o.account, o.container, o.object).nodes) {
      const files = hashDirOf(cluster, n, o).files;
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/\.ts$/);
      expect((await objectRequest(cluster, n, o, 'GET')).status).toBe(404);
    }
  }
  expect(await containerStatus(doomed, 'c1')).toEqual([404, 404, 404]);
  expect(await containerStatus(doomed, 'c2')).toEqual([404, 404, 404]);
  // The account record stays, deleted.
  const head = await cluster.serverOf(a.nodes[0]).request({ method: 'HEAD', path: `/${a.nodes[0].device}/${a.partition}/${doomed}`, headers: layer('account') });
  expect(head.status).toBe(404);
  expect(head.headers['x-account-status']).toBe('Deleted');
  // Every account replica heard of the containers' deletion: their rows are deleted (the
  // phantom one stays counted: nobody reported it).
  for (const db of await accountDbs(doomed)) {
    expect(db?.record).toMatchObject({ deleteTimestamp: '1700000103.00000', containerCount: 1 });
    expect(db?.rows.map((r) => [r.name, r.deleted])).toEqual([['c1', true], ['c2', true], ['phantom', false]]);
  }

  // The other account is untouched.
  for (const n of cluster.ring.getNodes(kept.account, kept.container, kept.object).nodes) expect((await objectRequest(cluster, n, kept, 'GET')).body.toString()).toBe('still here');
  expect(await containerStatus(alive, 'keep')).toEqual([204, 204, 204]);

  // Reaped once: the next pass does nothing.
  const again = (await runWorkersOnce(cluster, cluster.servers[first], ['reaper'], KEEP)).reaper;
  expect(again).toMatchObject({ accountsReaped: 0, objectsDeleted: 0, accountsReclaimed: 0, failures: 0 });
  const mark = path.join(cluster.servers[first].devicesRoot, a.nodes[0].device, 'reaper', `${hashPath(HASH.prefix, HASH.suffix, doomed)}.json`);
  expect(existsSync(mark)).toBe(true);

  // Past the reclaim age: the first primary has the record reclaimed everywhere; only once.
  const others = cluster.servers.filter((_s, i) => i !== first);
  for (const s of others) expect((await runWorkersOnce(cluster, s, ['reaper'], RECLAIM)).reaper).toMatchObject({ accountsReclaimed: 0 });
  expect(await accountDbs(doomed)).toEqual([expect.anything(), expect.anything(), expect.anything()]);
  expect((await runWorkersOnce(cluster, cluster.servers[first], ['reaper'], RECLAIM)).reaper).toMatchObject({ accountsReclaimed: 1, reclaimsDeferred: 0, leftoverRowsDeleted: 1, failures: 0 });
  expect(await accountDbs(doomed)).toEqual([undefined, undefined, undefined]);
  expect(existsSync(mark)).toBe(false);
  expect((await runWorkersOnce(cluster, cluster.servers[first], ['reaper'], RECLAIM)).reaper).toMatchObject({ deletedAccounts: 0, accountsReclaimed: 0 });
  for (const n of a.nodes) {
    const h = await cluster.serverOf(n).request({ method: 'HEAD', path: `/${n.device}/${a.partition}/${doomed}`, headers: layer('account') });
    expect(h.status).toBe(404);
    expect(h.headers['x-account-status']).toBeUndefined();
  }
  // The other account is whole.
  for (const db of await accountDbs(alive)) expect(db?.record).toMatchObject({ deleteTimestamp: '', containerCount: 1 });
});
