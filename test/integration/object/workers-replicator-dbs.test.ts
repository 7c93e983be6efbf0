/**
 * Container and account database replication between real storage server processes: replicas
 * that missed a container, rows, metadata, a row's DELETE or the container's DELETE converge
 * after one `replicator` pass on each server; a second pass sends nothing (equal digests); the
 * replicated tombstone still refuses a late, older row. A database on a handoff moves to the
 * primaries and leaves the handoff.
 */
import { runWorkersOnce, startCluster, type Cluster } from './workers-replicator-cluster';
import type { Reply } from './storage-harness';
import type { RingDevice } from '../../../services/object/ring/device';

let cluster: Cluster;

beforeAll(async () => {
  // 4 servers, 3 replicas: every database has 3 primaries and one handoff server.
  cluster = await startCluster(4);
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

const ETAG = 'd41d8cd98f00b204e9800998ecf8427e';

function send(n: RingDevice, method: string, path: string, layer: string, headers: Record<string, string> = {}): Promise<Reply> {
  return cluster.serverOf(n).request({ method, path, headers: { 'X-Backend-Storage-Layer': layer, ...headers } });
}

function containerNodes(a: string, c: string): { partition: number; nodes: readonly RingDevice[] } {
  return cluster.ring.getNodes(a, c);
}

async function passAll(): Promise<Record<string, number>[]> {
  const out: Record<string, number>[] = [];
  for (const s of cluster.servers) out.push((await runWorkersOnce(cluster, s, ['replicator'])).replicator);
  return out;
}

async function listing(n: RingDevice, part: number, a: string, c: string): Promise<string[]> {
  const r = await send(n, 'GET', `/${n.device}/${part}/${a}/${c}`, 'container');
  expect(r.status).toBe(200);
  return (JSON.parse(r.body.toString()) as { name: string }[]).map((e) => e.name);
}

test('container and account databases converge: rows, tombstones, metadata, deletes', async () => {
  const a = 'AUTH_dbs';
  const c = 'photos';
  const { partition: cp, nodes: cn } = containerNodes(a, c);
  const [n0, n1, n2] = cn;
  const cpath = (n: RingDevice, o?: string): string => `/${n.device}/${cp}/${a}/${c}${o ? `/${o}` : ''}`;
  // The container exists on two replicas; n2 missed it. Metadata only on n0.
  expect((await send(n0, 'PUT', cpath(n0), 'container', { 'X-Timestamp': '1700000200.00000', 'X-Container-Meta-Color': 'red' })).status).toBe(201);
  expect((await send(n1, 'PUT', cpath(n1), 'container', { 'X-Timestamp': '1700000200.00000' })).status).toBe(201);
  const row = (ts: string, size = '5'): Record<string, string> => ({ 'X-Timestamp': ts, 'X-Size': size, 'X-Etag': ETAG, 'X-Content-Type': 'text/plain' });
  expect((await send(n0, 'PUT', cpath(n0, 'only-on-0'), 'container', row('1700000201.00000'))).status).toBe(201);
  expect((await send(n1, 'PUT', cpath(n1, 'only-on-1'), 'container', row('1700000202.00000', '7'))).status).toBe(201);
  for (const n of [n0, n1]) expect((await send(n, 'PUT', cpath(n, 'deleted-later'), 'container', row('1700000203.00000'))).status).toBe(201);
  expect((await send(n1, 'DELETE', cpath(n1, 'deleted-later'), 'container', { 'X-Timestamp': '1700000204.00000' })).status).toBe(204);

  // A second container, deleted on one replica only.
  const g = containerNodes(a, 'gone');
  for (const n of g.nodes) expect((await send(n, 'PUT', `/${n.device}/${g.partition}/${a}/gone`, 'container', { 'X-Timestamp': '1700000205.00000' })).status).toBe(201);
  const g2 = g.nodes[2];
  expect((await send(g2, 'DELETE', `/${g2.device}/${g.partition}/${a}/gone`, 'container', { 'X-Timestamp': '1700000206.00000' })).status).toBe(204);

  // The account exists on one replica only, with metadata and a container row.
  const acct = cluster.ring.getNodes(a);
  const a0 = acct.nodes[0];
  expect((await send(a0, 'PUT', `/${a0.device}/${acct.partition}/${a}`, 'account', { 'X-Timestamp': '1700000200.00000', 'X-Account-Meta-Owner': 'ada' })).status).toBe(201);
  expect(
    (await send(a0, 'PUT', `/${a0.device}/${acct.partition}/${a}/${c}`, 'account', { 'X-Put-Timestamp': '1700000200.00000', 'X-Delete-Timestamp': '0', 'X-Object-Count': '2', 'X-Bytes-Used': '12' })).status,
  ).toBe(201);

  // Before the pass: n2 has no container, and the other account replicas no account.
  expect((await send(n2, 'HEAD', cpath(n2), 'container')).status).toBe(404);
  expect(await listing(n0, cp, a, c)).toEqual(['deleted-later', 'only-on-0']);
  expect((await send(acct.nodes[1], 'HEAD', `/${acct.nodes[1].device}/${acct.partition}/${a}`, 'account')).status).toBe(404);

  const first = await passAll();
  expect(first.map((s) => s.dbFailures)).toEqual([0, 0, 0, 0]);
  expect(first.reduce((n, s) => n + s.dbRowsSent, 0)).toBeGreaterThan(0);

  for (const n of cn) {
    expect(await listing(n, cp, a, c)).toEqual(['only-on-0', 'only-on-1']);
    const head = await send(n, 'HEAD', cpath(n), 'container');
    expect(head.headers['x-container-object-count']).toBe('2');
    expect(head.headers['x-container-bytes-used']).toBe('12');
    expect(head.headers['x-container-meta-color']).toBe('red');
    // The replicated tombstone refuses an older row.
    expect((await send(n, 'PUT', cpath(n, 'deleted-later'), 'container', row('1700000203.50000'))).status).toBe(202);
  }
  for (const n of g.nodes) expect((await send(n, 'HEAD', `/${n.device}/${g.partition}/${a}/gone`, 'container')).status).toBe(404);
  for (const n of acct.nodes) {
    const head = await send(n, 'HEAD', `/${n.device}/${acct.partition}/${a}`, 'account');
    expect(head.status).toBe(204);
    expect(head.headers['x-account-meta-owner']).toBe('ada');
    expect(head.headers['x-account-container-count']).toBe('1');
    expect(head.headers['x-account-object-count']).toBe('2');
  }

  // Converged: equal digests everywhere, nothing sent.
  const second = await passAll();
  expect(second.map((s) => s.dbRowsSent)).toEqual([0, 0, 0, 0]);
  expect(second.map((s) => s.dbsSynced)).toEqual([0, 0, 0, 0]);
});

test('a container database on a handoff moves to its primaries and leaves the handoff', async () => {
  const a = 'AUTH_handoff';
  const c = 'misplaced';
  const { partition, nodes } = containerNodes(a, c);
  const handoff = cluster.ring.devices.find((d) => !nodes.some((n) => n.id === d.id))!;
  const path = (n: RingDevice, o?: string): string => `/${n.device}/${partition}/${a}/${c}${o ? `/${o}` : ''}`;
  expect((await send(handoff, 'PUT', path(handoff), 'container', { 'X-Timestamp': '1700000300.00000' })).status).toBe(201);
  expect(
    (await send(handoff, 'PUT', path(handoff, 'o1'), 'container', { 'X-Timestamp': '1700000301.00000', 'X-Size': '3', 'X-Etag': ETAG, 'X-Content-Type': 'text/plain' })).status,
  ).toBe(201);
  for (const n of nodes) expect((await send(n, 'HEAD', path(n), 'container')).status).toBe(404);

  const stats = (await runWorkersOnce(cluster, cluster.serverOf(handoff), ['replicator'])).replicator;
  expect(stats).toMatchObject({ dbFailures: 0, dbHandoffsRemoved: 1 });
  for (const n of nodes) expect(await listing(n, partition, a, c)).toEqual(['o1']);
  // Gone from the handoff: no record at all (not even a deleted one).
  expect((await send(handoff, 'HEAD', path(handoff), 'container')).status).toBe(404);
  expect((await send(handoff, 'PUT', path(handoff, 'o2'), 'container', { 'X-Timestamp': '1700000302.00000', 'X-Size': '3', 'X-Etag': ETAG, 'X-Content-Type': 'text/plain' })).status).toBe(404);
});
