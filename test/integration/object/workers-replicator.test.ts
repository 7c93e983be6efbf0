/**
 * The object replicator against real storage server processes (workers-replicator-cluster.ts):
 * missed writes, tombstones, POST metadata and quarantined copies converge after one pass; an
 * older copy never replaces a newer one; handoff data moves to the primaries and leaves the
 * handoff; a primary whose device answers 507 is replaced by the handoff.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, renameSync, rmSync, truncateSync } from 'node:fs';
import * as path from 'node:path';
import { ObjectReplicator, type ReplicatorStats } from '../../../services/object/workers/replicator/object-replicator';
import { hashDirOf, objectPath, objectRequest, placement, putObject, runWorkersOnce, startCluster, type Cluster, type ObjectName } from './workers-replicator-cluster';

let cluster: Cluster;
let seq = 0;

beforeAll(async () => {
  cluster = await startCluster(4);
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

function name(): ObjectName {
  seq++;
  return { account: 'AUTH_rep', container: 'c', object: `obj-${seq}` };
}

/** One replicator pass (`workers/main.js --once --only replicator`) beside each given server. */
async function pass(servers = cluster.servers): Promise<ReplicatorStats[]> {
  const out: ReplicatorStats[] = [];
  for (const s of servers) out.push((await runWorkersOnce(cluster, s, ['replicator'])).replicator as ReplicatorStats);
  return out;
}

function total(stats: ReplicatorStats[], key: keyof ReplicatorStats): number {
  return stats.reduce((n, s) => n + s[key], 0);
}

test('a primary that missed a write gets it after one pass, with the same files', async () => {
  const o = name();
  const { primaries } = placement(cluster, o);
  for (const d of primaries.slice(0, 2)) expect((await putObject(cluster, d, o, 'hello replicas', '1700000001.00000', { 'X-Object-Meta-Color': 'blue' })).status).toBe(201);
  expect((await objectRequest(cluster, primaries[2], o, 'GET')).status).toBe(404);

  const stats = await pass();
  expect(total(stats, 'failures')).toBe(0);
  expect(total(stats, 'objectsPushed')).toBeGreaterThanOrEqual(1);

  const got = await objectRequest(cluster, primaries[2], o, 'GET');
  expect(got.status).toBe(200);
  expect(got.body.toString()).toBe('hello replicas');
  expect(got.headers['x-timestamp']).toBe('1700000001.00000');
  expect(got.headers['x-object-meta-color']).toBe('blue');
  expect(hashDirOf(cluster, primaries[2], o).files).toEqual(hashDirOf(cluster, primaries[0], o).files);

  // Converged: a second pass has nothing to push.
  const again = await pass();
  expect(total(again, 'objectsPushed')).toBe(0);
  expect(total(again, 'failures')).toBe(0);
});

test('a large body streams through intact', async () => {
  const o = name();
  const { primaries } = placement(cluster, o);
  const body = randomBytes(3 * 1024 * 1024 + 17);
  const partition = cluster.ring.partitionFor(o.account, o.container, o.object);
  const r = await cluster.serverOf(primaries[0]).request({
    method: 'PUT',
    path: objectPath(primaries[0], partition, o),
    headers: { 'X-Timestamp': '1700000012.00000', 'Content-Type': 'application/octet-stream', 'Content-Length': body.length },
    body,
  });
  expect(r.status).toBe(201);
  await pass([cluster.serverOf(primaries[0])]);
  for (const d of primaries.slice(1)) {
    const got = await objectRequest(cluster, d, o, 'GET');
    expect(got.status).toBe(200);
    expect(createHash('md5').update(got.body).digest('hex')).toBe(createHash('md5').update(body).digest('hex'));
  }
});

test('a tombstone replicates and removes the older copies', async () => {
  const o = name();
  const { primaries } = placement(cluster, o);
  for (const d of primaries) expect((await putObject(cluster, d, o, 'doomed', '1700000002.00000')).status).toBe(201);
  expect((await objectRequest(cluster, primaries[0], o, 'DELETE', { 'X-Timestamp': '1700000003.00000' })).status).toBe(204);

  await pass();
  for (const d of primaries) {
    const r = await objectRequest(cluster, d, o, 'HEAD');
    expect(r.status).toBe(404);
    expect(r.headers['x-backend-timestamp']).toBe('1700000003.00000');
    expect(hashDirOf(cluster, d, o).files).toEqual(['1700000003.00000.ts']);
  }
});

test('a POST (.meta) replicates', async () => {
  const o = name();
  const { primaries } = placement(cluster, o);
  for (const d of primaries) expect((await putObject(cluster, d, o, 'meta me', '1700000004.00000')).status).toBe(201);
  const post = await objectRequest(cluster, primaries[1], o, 'POST', { 'X-Timestamp': '1700000005.00000', 'X-Object-Meta-Shape': 'round' });
  expect(post.status).toBe(202);
  await pass();
  for (const d of primaries) {
    const r = await objectRequest(cluster, d, o, 'HEAD');
    expect(r.headers['x-object-meta-shape']).toBe('round');
    expect(r.headers['x-timestamp']).toBe('1700000005.00000');
  }
});

test('an older copy never replaces a newer one, in either direction', async () => {
  const o = name();
  const { primaries } = placement(cluster, o);
  const [newer, older, missing] = primaries;
  expect((await putObject(cluster, newer, o, 'NEW', '1700000007.00000')).status).toBe(201);
  expect((await putObject(cluster, older, o, 'old', '1700000006.00000')).status).toBe(201);

  // Only the server holding the older copy runs: it pushes, and the newer copy must stay.
  const stats = await pass([cluster.serverOf(older)]);
  expect(total(stats, 'failures')).toBe(0);
  expect((await objectRequest(cluster, newer, o, 'GET')).body.toString()).toBe('NEW');
  expect(hashDirOf(cluster, newer, o).files).toEqual(['1700000007.00000.data']);

  await pass();
  for (const d of [newer, older, missing]) {
    const r = await objectRequest(cluster, d, o, 'GET');
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('NEW');
  }
  expect(hashDirOf(cluster, older, o).files).toEqual(['1700000007.00000.data']);
});

test('an object on a handoff moves to every primary and leaves the handoff', async () => {
  const o = name();
  const { primaries, others } = placement(cluster, o);
  expect(others).toHaveLength(1);
  const handoff = others[0];
  expect((await putObject(cluster, handoff, o, 'handed off', '1700000008.00000')).status).toBe(201);
  expect(hashDirOf(cluster, handoff, o).files).toHaveLength(1);

  const [stats] = await pass([cluster.serverOf(handoff)]);
  expect(stats.failures).toBe(0);
  expect(stats.handoffPartitions).toBeGreaterThanOrEqual(1);
  expect(stats.handoffsRemoved).toBeGreaterThanOrEqual(1);
  for (const d of primaries) expect((await objectRequest(cluster, d, o, 'GET')).body.toString()).toBe('handed off');
  expect(hashDirOf(cluster, handoff, o).files).toEqual([]);
});

test('a handoff keeps its copy while a primary is unreachable', async () => {
  const o = name();
  const { partition, primaries, others } = placement(cluster, o);
  const handoff = others[0];
  expect((await putObject(cluster, handoff, o, 'wait for me', '1700000009.00000')).status).toBe(201);
  // A ring naming a dead port for one primary: the handoff cannot hand over everything.
  const dead = primaries[2];
  const ringView = {
    partitionCount: cluster.ring.partitionCount,
    devices: cluster.ring.devices,
    getPartNodes: (p: number) => cluster.ring.getPartNodes(p).map((d) => (p === partition && d.id === dead.id ? { ...d, port: 1 } : d)),
  };
  const s = cluster.serverOf(handoff);
  const worker = new ObjectReplicator({ devicesRoot: s.devicesRoot, self: { ip: '127.0.0.1', port: s.port }, ring: () => ringView, requestTimeoutMs: 2_000 });
  const stats = await worker.runOnce(new AbortController().signal);
  expect(stats.failures).toBeGreaterThanOrEqual(1);
  expect(hashDirOf(cluster, handoff, o).files).toHaveLength(1);
  for (const d of primaries.slice(0, 2)) expect((await objectRequest(cluster, d, o, 'GET')).status).toBe(200);
});

test('a primary answering 507 is replaced by the handoff; the copy moves to it once the device is back', async () => {
  const o = name();
  const { primaries, others } = placement(cluster, o);
  const [source, unmounted, other] = primaries as [(typeof primaries)[number], (typeof primaries)[number], (typeof primaries)[number]];
  const handoff = others[0];
  expect((await putObject(cluster, source, o, 'keep three copies', '1700000010.00000')).status).toBe(201);
  // The device's directory gone: its server answers 507 for it, as for an unmounted disk.
  const devDir = path.join(cluster.serverOf(unmounted).devicesRoot, unmounted.device);
  renameSync(devDir, `${devDir}.off`);
  // The storage server may trust a device check for up to a second (object-store.ts).
  await new Promise((r) => setTimeout(r, 1200));
  try {
    const [stats] = await pass([cluster.serverOf(source)]);
    expect(stats.handoffsForUnmounted).toBeGreaterThanOrEqual(1);
    expect((await objectRequest(cluster, other, o, 'GET')).body.toString()).toBe('keep three copies');
    expect(hashDirOf(cluster, handoff, o).files).toHaveLength(1);
  } finally {
    // Anything written under the missing device meanwhile must not keep the test's data from coming back.
    if (existsSync(devDir)) rmSync(devDir, { recursive: true, force: true });
    renameSync(`${devDir}.off`, devDir);
  }
  // Back: the handoff's own pass hands its copy to the device and drops it.
  const [back] = await pass([cluster.serverOf(handoff)]);
  expect(back.handoffsRemoved).toBeGreaterThanOrEqual(1);
  expect((await objectRequest(cluster, unmounted, o, 'GET')).body.toString()).toBe('keep three copies');
  expect(hashDirOf(cluster, handoff, o).files).toEqual([]);
});

test('a quarantined copy is restored from a peer', async () => {
  const o = name();
  const { primaries } = placement(cluster, o);
  for (const d of primaries) expect((await putObject(cluster, d, o, 'precious bytes', '1700000010.00000')).status).toBe(201);
  const victim = primaries[0];
  const { dir } = hashDirOf(cluster, victim, o);
  truncateSync(path.join(dir, '1700000010.00000.data'), 3);
  // The server sees the damage on read and quarantines the hash directory.
  expect((await objectRequest(cluster, victim, o, 'GET')).status).toBe(404);
  expect(hashDirOf(cluster, victim, o).files).toEqual([]);

  await pass();
  const r = await objectRequest(cluster, victim, o, 'GET');
  expect(r.status).toBe(200);
  expect(r.body.toString()).toBe('precious bytes');
});

test('a corrupt body is refused by the receiver and never spreads', async () => {
  const o = name();
  const { primaries } = placement(cluster, o);
  const [bad, target] = primaries;
  expect((await putObject(cluster, bad, o, 'good body', '1700000011.00000')).status).toBe(201);
  const { dir } = hashDirOf(cluster, bad, o);
  // Same size, different body bytes, the metadata footer intact: only an MD5 check can tell.
  const { readFileSync, writeFileSync } = await import('node:fs');
  const file = path.join(dir, '1700000011.00000.data');
  const bytes = readFileSync(file);
  bytes.write('evil body', 0);
  writeFileSync(file, bytes);
  const stats = await pass([cluster.serverOf(bad)]);
  expect(stats[0].failures).toBeGreaterThanOrEqual(1);
  expect(hashDirOf(cluster, target, o).files).toEqual([]);
});
