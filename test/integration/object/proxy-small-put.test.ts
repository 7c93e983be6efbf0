/**
 * The proxy's small-object PUT path against a real cluster (4 storage servers, so a 3-replica
 * ring has handoffs; the proxy; all on loopback). Bodies up to OBJECT_BATCH_MAX_BODY with a
 * Content-Length are read whole and checked before any storage server sees them, then sent per
 * device alone or in `object-batch` POSTs; a slot without a pooled connection makes the PUT take
 * the streaming path instead.
 *
 * What reached the storage servers is read from their `/recon/stats` and from their request log
 * lines (log level info): an object batch is a `request` line with `layer: "object-batch"` and
 * its entry count. Recon alone cannot tell them apart: container row updates are `PUT 201` when
 * sent alone and `POST 200` when batched, like object PUTs and object batches.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, renameSync } from 'node:fs';
import * as path from 'node:path';
import { hashPath, hashSuffix } from '../../../services/object/common/hash-path';
import { OBJECT_BATCH_MAX_BODY } from '../../../services/object/common/object-batch';
import { type Cluster, HASH_PREFIX, HASH_SUFFIX, type Reply, type StorageNode, startCluster, v1Path } from './cluster-harness';

const ACCOUNT = 'AUTH_small';
const CONTAINER = 'smallc';
const REPLICAS = 3;
let cluster: Cluster;
let warmCount = 0;

const md5 = (b: Buffer | string): string => createHash('md5').update(b).digest('hex');
const obj = (name: string): string => v1Path(ACCOUNT, CONTAINER, name);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Distinct bytes per object, so a mix-up between concurrent PUTs shows. */
const bodyOf = (name: string, size: number): Buffer => {
  const seed = createHash('sha256').update(name).digest();
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = seed[i % seed.length]! ^ (i & 0xff);
  return b;
};

async function waitFor(cond: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function put(name: string, body: Buffer, headers: Record<string, string | number> = {}): Promise<Reply> {
  return cluster.proxy.request({ method: 'PUT', path: obj(name), headers: { 'Content-Length': body.length, 'Content-Type': 'application/x-small', ...headers }, body });
}

/** Every `.data` file of the object on any device of any server. */
function dataFiles(name: string): string[] {
  const hash = hashPath(HASH_PREFIX, HASH_SUFFIX, ACCOUNT, CONTAINER, name);
  const { partition } = cluster.nodesFor('object', ACCOUNT, CONTAINER, name);
  const found: string[] = [];
  for (const s of cluster.storages) {
    for (const d of s.devices) {
      const dir = path.join(s.devicesRoot, d, 'objects', String(partition), hashSuffix(hash), hash);
      if (existsSync(dir)) for (const f of readdirSync(dir)) if (f.endsWith('.data')) found.push(path.join(dir, f));
    }
  }
  return found;
}

interface Row {
  name: string;
  bytes: number;
  hash: string;
}

/** The container's rows on every running container replica. */
async function replicaListings(): Promise<Row[][]> {
  const { partition, nodes } = cluster.nodesFor('container', ACCOUNT, CONTAINER);
  const out: Row[][] = [];
  for (const n of nodes) {
    const s = cluster.storageAt(n.port);
    if (!s.running()) continue;
    const r = await s.request({ method: 'GET', path: `/${n.device}/${partition}/${ACCOUNT}/${CONTAINER}`, headers: { 'X-Backend-Storage-Layer': 'container' } });
    expect(r.status).toBe(200);
    out.push(JSON.parse(r.body.toString('utf8')) as Row[]);
  }
  return out;
}

async function readBack(name: string, body: Buffer): Promise<void> {
  const g = await cluster.proxy.request({ method: 'GET', path: obj(name) });
  expect([name, g.status, g.headers.etag]).toEqual([name, 200, md5(body)]);
  expect(g.body.equals(body)).toBe(true);
}

type Counters = { requests: Record<string, number>; bytesReceived: number };

async function recon(s: StorageNode): Promise<Counters> {
  const r = await s.request({ method: 'GET', path: '/recon/stats' });
  return JSON.parse(r.body.toString()) as Counters;
}
/** Recon of every running server, by index. */
async function reconAll(): Promise<(Counters | undefined)[]> {
  return Promise.all(cluster.storages.map((s) => (s.running() ? recon(s) : undefined)));
}
/** Growth of the PUT and POST counters (reads are the test's own) summed over servers, and of bytes received. */
function writeDelta(before: (Counters | undefined)[], after: (Counters | undefined)[]): { requests: Record<string, number>; bytesReceived: number } {
  const requests: Record<string, number> = {};
  let bytesReceived = 0;
  after.forEach((a, i) => {
    const b = before[i];
    if (!a) return;
    bytesReceived += a.bytesReceived - (b?.bytesReceived ?? 0);
    for (const [k, v] of Object.entries(a.requests)) {
      if (!k.startsWith('PUT ') && !k.startsWith('POST ')) continue;
      const d = v - (b?.requests[k] ?? 0);
      if (d !== 0) requests[k] = (requests[k] ?? 0) + d;
    }
  });
  return { requests, bytesReceived };
}

/** A storage server's request log line (log level info): an object PUT has no `layer`. */
interface RequestLine {
  method: string;
  path: string;
  status: number;
  layer?: string;
  entries?: number;
  statuses?: string;
  txId?: string;
  /** A batch's entries' transaction ids, comma-separated. */
  txIds?: string;
}
function requestLines(s: StorageNode, from = 0): RequestLine[] {
  const out: RequestLine[] = [];
  for (const line of s.logs.slice(from)) {
    if (!line.startsWith('{') || !line.includes('"msg":"request"')) continue;
    const f = JSON.parse(line) as { msg?: string } & RequestLine;
    if (f.msg === 'request') out.push(f);
  }
  return out;
}

interface BatchLine {
  status: number;
  entries: number;
  statuses: string;
}
/** The object-batch exchanges a server logged from line `from` on. */
function objectBatches(s: StorageNode, from = 0): BatchLine[] {
  return requestLines(s, from)
    .filter((l) => l.layer === 'object-batch')
    .map((l) => ({ status: l.status, entries: l.entries ?? 0, statuses: l.statuses ?? '' }));
}
const logMarks = (): number[] => cluster.storages.map((s) => s.logs.length);
const batchesSince = (marks: number[]): BatchLine[] => cluster.storages.flatMap((s, i) => objectBatches(s, marks[i]));

/**
 * Gives the proxy a pooled connection to every running storage server (the small path is taken
 * only then): sequential PUTs of objects whose primaries together cover every server.
 */
async function warm(): Promise<void> {
  const covered = new Set<number>();
  const want = cluster.storages.filter((s) => s.running()).map((s) => s.port);
  const written: string[] = [];
  for (let i = 0; covered.size < want.length && i < 200; i++) {
    const name = `warm/${++warmCount}`;
    const ports = cluster.nodesFor('object', ACCOUNT, CONTAINER, name).nodes.map((n) => n.port);
    if (ports.every((p) => covered.has(p))) continue;
    expect((await put(name, Buffer.from('w'))).status).toBe(201);
    written.push(name);
    for (const p of ports) covered.add(p);
  }
  expect(covered.size).toBe(want.length);
  // Its last replica writes land before the test counts anything.
  await waitFor(() => written.every((n) => dataFiles(n).length === REPLICAS), 'the warm-up replicas');
}

/** `count` concurrent PUTs of `size` bytes; all must be 201. `txId`: the proxy's X-Trans-Id. */
async function burst(prefix: string, count: number, size: number): Promise<{ name: string; body: Buffer; txId: string }[]> {
  const objects = Array.from({ length: count }, (_, i) => {
    const name = `${prefix}/${String(i).padStart(3, '0')}`;
    return { name, body: bodyOf(name, size) };
  });
  const replies = await Promise.all(objects.map((o) => put(o.name, o.body)));
  expect(replies.map((r, i) => [objects[i]!.name, r.status, r.headers.etag])).toEqual(objects.map((o) => [o.name, 201, md5(o.body)]));
  return objects.map((o, i) => ({ ...o, txId: String(replies[i]!.headers['x-trans-id']) }));
}

beforeAll(async () => {
  cluster = await startCluster({ storageCount: 4, replicas: REPLICAS, storageConfig: { log: { level: 'info' } } });
  expect((await cluster.proxy.request({ method: 'PUT', path: v1Path(ACCOUNT, CONTAINER) })).status).toBe(201);
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});


/**
 * PUTs 4 KiB to every name at once (all must answer 201), then reads each back and waits until
 * all its replicas are on disk (one on a handoff); `check` runs for each name after that.
 */
async function putAllOnHandoffs(names: readonly string[], check: (name: string) => void = () => undefined): Promise<void> {
  const bodies = names.map((n) => bodyOf(n, 4096));
  const replies = await Promise.all(names.map((n, i) => put(n, bodies[i]!)));
  expect(replies.map((r) => r.status)).toEqual(names.map(() => 201));
  for (const [i, n] of names.entries()) {
    await readBack(n, bodies[i]!);
    await waitFor(() => dataFiles(n).length === REPLICAS, `${n} on a handoff`);
    check(n);
  }
}

describe('small-object PUTs through the proxy', () => {
  /** Objects (prefix/i) whose primaries include `victim`: with it down, one replica needs a handoff. */
  const namesOn = (victim: StorageNode, prefix: string, count: number): string[] => {
    const names: string[] = [];
    for (let i = 0; names.length < count && i < 1000; i++) {
      const n = `${prefix}/${i}`;
      if (cluster.nodesFor('object', ACCOUNT, CONTAINER, n).nodes.some((x) => x.port === victim.port)) names.push(n);
    }
    expect(names).toHaveLength(count);
    return names;
  };

  /** Runs `body` with `victim` killed (the proxy had a warm connection to it), restarting it after. */
  async function withServerDown(victim: StorageNode, body: () => Promise<void>): Promise<void> {
    await warm();
    await victim.kill();
    try {
      // The proxy drops its pooled connections to the victim as their sockets close.
      await sleep(200);
      await body();
    } finally {
      await victim.restart();
    }
  }

  test('a device that answers 507 (its directory gone): each small PUT moves that slot to a handoff', async () => {
    const victim = cluster.storages[0]!;
    const device = victim.devices[0]!;
    const dir = path.join(victim.devicesRoot, device);
    await warm();
    renameSync(dir, `${dir}.off`);
    try {
      // The server re-checks a device it saw available after 1 s.
      await sleep(1100);
      const names = namesOn(victim, 'unmounted', 12);
      const marks = logMarks();
      await putAllOnHandoffs(names);
      // The server is up and connected, so the small path went there and was told 507: alone
      // (an object PUT line) or as a whole-batch refusal.
      const refused = requestLines(victim, marks[0]).filter((l) => l.status === 507 && ((l.method === 'PUT' && l.layer === undefined) || l.layer === 'object-batch'));
      expect(refused.length).toBeGreaterThan(0);
      expect(requestLines(victim, marks[0]).filter((l) => l.layer === undefined && l.method === 'PUT' && l.status === 201)).toEqual([]);
    } finally {
      renameSync(`${dir}.off`, dir);
    }
  });

  test('48 concurrent 4 KiB PUTs: all 201, byte-identical reads, listed, and sent in batches', async () => {
    await warm();
    const before = await reconAll();
    const marks = logMarks();
    const objects = await burst('burst48', 48, 4096);
    // The proxy answers after a quorum; wait (bounded) for the last replica of each.
    await waitFor(() => objects.every((o) => dataFiles(o.name).length === REPLICAS), 'every replica written');
    for (const o of objects) await readBack(o.name, o.body);
    await waitFor(async () => (await replicaListings()).every((l) => objects.every((o) => l.some((r) => r.name === o.name))), 'every row on every container replica');
    for (const l of await replicaListings()) {
      const rows = l.filter((r) => r.name.startsWith('burst48/'));
      expect(rows.map((r) => [r.name, r.bytes, r.hash])).toEqual(objects.map((o) => [o.name, 4096, md5(o.body)]));
    }

    // Every replica write is in the servers' logs: alone (an object PUT line) or as a batch entry.
    const lines = (): RequestLine[] => cluster.storages.flatMap((s, i) => requestLines(s, marks[i]));
    const objectWrites = (): { alone: number; batched: number } => ({
      alone: lines().filter((l) => l.method === 'PUT' && l.layer === undefined && l.path.includes('/burst48/')).length,
      batched: lines()
        .filter((l) => l.layer === 'object-batch')
        .reduce((n, l) => n + (l.entries ?? 0), 0),
    });
    await waitFor(() => objectWrites().alone + objectWrites().batched >= 48 * REPLICAS, 'every replica write in the logs');
    const { alone, batched } = objectWrites();
    expect(alone + batched).toBe(48 * REPLICAS);
    // Each replica write carries its client request's transaction id, alone or in a batch.
    const writeTxIds = lines().flatMap((l) => (l.layer === 'object-batch' ? (l.txIds ?? '').split(',') : l.method === 'PUT' && l.layer === undefined && l.path.includes('/burst48/') ? [l.txId ?? ''] : []));
    expect(writeTxIds.sort()).toEqual(objects.flatMap((o) => Array.from({ length: REPLICAS }, () => o.txId)).sort());

    // Each replica write counted as one PUT 201, alone or as a batch entry; the other PUT 201s
    // are container rows and account reports. (An exact comparison with the rows in the logs
    // races with the log pipe: a row counted before `before` may be read from the pipe after
    // the marks. The bodies received below are exact.)
    await waitFor(async () => (writeDelta(before, await reconAll()).requests['PUT 201'] ?? 0) >= 48 * REPLICAS, 'every replica write counted');
    const d = writeDelta(before, await reconAll());
    // Each replica's body was received exactly once (no retries, no extra copies).
    expect(d.bytesReceived).toBe(48 * REPLICAS * 4096);
    expect(Object.keys(d.requests).filter((k) => k !== 'PUT 201' && k !== 'POST 200')).toEqual([]);
    // At least one object batch (the small path under load), each answered 200 with a 201 per entry.
    const batches = batchesSince(marks);
    expect(batches.length).toBeGreaterThan(0);
    expect(batched).toBeGreaterThan(batches.length);
    for (const b of batches) {
      expect(b.status).toBe(200);
      expect(b.statuses.split(',')).toEqual(Array.from({ length: b.entries }, () => '201'));
    }
    const batching = cluster.storages.find((s, i) => objectBatches(s, marks[i]).length > 0)!;
    expect((await recon(batching)).requests['POST 200']).toBeGreaterThan(0);
  });

  test('an ETag mismatch (422) and a truncated upload (499) reach no storage server and leave nothing', async () => {
    await warm();
    const before = await reconAll();
    const body = bodyOf('etag-bad', 4096);
    const bad = await put('small/etag-bad', body, { ETag: md5('other') });
    expect(bad.status).toBe(422);

    // Cut short after 100 of 4096 bytes, plain and after a 100 Continue.
    const truncated = async (name: string, expect100: boolean): Promise<number> => {
      const headers: Record<string, string | number> = { 'Content-Length': 4096, 'Content-Type': 'application/x-small' };
      if (expect100) headers.Expect = '100-continue';
      const req = cluster.proxy.open({ method: 'PUT', path: obj(name), headers });
      const answered = new Promise<number>((resolve) => {
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', () => resolve(-1));
      });
      if (expect100) {
        req.flushHeaders();
        await Promise.race([new Promise((r) => req.once('continue', r)), sleep(3000)]);
      }
      req.write(Buffer.alloc(100, 1));
      await sleep(200);
      req.destroy();
      return answered;
    };
    // The client is gone, so it sees no status; the proxy must not store what it got.
    expect(await truncated('small/truncated', false)).toBe(-1);
    expect(await truncated('small/truncated-100', true)).toBe(-1);
    await sleep(500);

    // Had either gone to the storage servers (the streaming path), they would have counted a
    // PUT 422 / 499 each: the small path refuses before any backend sees a byte.
    const d = writeDelta(before, await reconAll());
    expect([d.requests['PUT 422'], d.requests['PUT 499'], d.bytesReceived]).toEqual([undefined, undefined, 0]);
    for (const n of ['small/etag-bad', 'small/truncated', 'small/truncated-100']) {
      expect([n, dataFiles(n)]).toEqual([n, []]);
      expect((await cluster.proxy.request({ method: 'HEAD', path: obj(n) })).status).toBe(404);
    }
    for (const l of await replicaListings()) expect(l.map((r) => r.name).filter((n) => n.startsWith('small/'))).toEqual([]);
    // A matching ETag on the same path is taken.
    expect((await put('small/etag-good', body, { ETag: md5(body) })).status).toBe(201);
    await readBack('small/etag-good', body);
  });

  test('a small PUT keeps metadata and answers with the same headers as a streamed one', async () => {
    await warm();
    const meta = { 'Content-Type': 'text/x-meta', 'X-Object-Meta-Color': 'blue', 'Content-Disposition': 'inline', 'X-Delete-After': 3600 };
    const smallBody = bodyOf('meta-small', 1000);
    const bigBody = bodyOf('meta-big', OBJECT_BATCH_MAX_BODY + 1);
    const small = await put('meta/small', smallBody, meta);
    const big = await put('meta/big', bigBody, meta);
    expect([small.status, big.status]).toEqual([201, 201]);
    const names = (r: Reply): string[] => Object.keys(r.headers).sort();
    expect(names(small)).toEqual(names(big));
    for (const h of ['content-type', 'content-length']) expect([h, small.headers[h]]).toEqual([h, big.headers[h]]);
    expect(small.headers.etag).toBe(md5(smallBody));
    for (const [name, body] of [
      ['meta/small', smallBody],
      ['meta/big', bigBody],
    ] as const) {
      const g = await cluster.proxy.request({ method: 'GET', path: obj(name) });
      expect([name, g.status, g.headers['content-type'], g.headers['x-object-meta-color'], g.headers['content-disposition']]).toEqual([name, 200, 'text/x-meta', 'blue', 'inline']);
      expect(Number(g.headers['x-delete-at'])).toBeGreaterThan(Date.now() / 1000 + 3500);
      expect(g.body.equals(body)).toBe(true);
    }
  });

  test('a small PUT with Expect: 100-continue gets its 100, then 201', async () => {
    await warm();
    const name = 'small/expect';
    const body = bodyOf(name, 2048);
    const req = cluster.proxy.open({ method: 'PUT', path: obj(name), headers: { 'Content-Length': body.length, 'Content-Type': 'application/x-small', Expect: '100-continue' } });
    const events: string[] = [];
    const status = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer in 5 s (${events.join(',')})`)), 5000);
      req.on('continue', () => {
        events.push('continue');
        req.end(body);
      });
      req.on('response', (res) => {
        clearTimeout(timer);
        events.push('response');
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.flushHeaders();
    });
    expect([status, events]).toEqual([201, ['continue', 'response']]);
    await readBack(name, body);
  });

  test('a 0-byte and a 64 KiB body go in batches; one byte more streams on its own', async () => {
    await warm();
    for (const [prefix, size, batchedExpected] of [
      ['zero', 0, true],
      ['max', OBJECT_BATCH_MAX_BODY, true],
      ['over', OBJECT_BATCH_MAX_BODY + 1, false],
    ] as const) {
      const before = await reconAll();
      const marks = logMarks();
      const objects = await burst(`size-${prefix}`, 16, size);
      await waitFor(() => objects.every((o) => dataFiles(o.name).length === REPLICAS), `every replica of size-${prefix}`);
      for (const o of objects) await readBack(o.name, o.body);
      expect(writeDelta(before, await reconAll()).bytesReceived).toBe(16 * REPLICAS * size);
      const batches = batchesSince(marks);
      if (batchedExpected) expect([prefix, batches.length > 0]).toEqual([prefix, true]);
      else expect([prefix, batches]).toEqual([prefix, []]);
      for (const b of batches) expect(b.statuses.split(',')).toEqual(Array.from({ length: b.entries }, () => '201'));
      await warm();
    }
  });

  test('a stopped storage server: concurrent PUTs still answer 201, a handoff holds the third replica', async () => {
    const victim = cluster.storages[1]!;
    await withServerDown(victim, async () => {
      const names = namesOn(victim, 'down', 12);
      await putAllOnHandoffs(names, (n) => {
        // Written while the victim was down, so none of them is on it.
        expect(dataFiles(n).filter((f) => f.startsWith(victim.dir + path.sep))).toEqual([]);
      });
    });
  });

  // With a storage server down, the first PUT of a burst finds no connection and streams; its
  // connection attempt sits in the agent's sockets until refused (for a silent host, until
  // connTimeoutMs). hasConnection counts only established sockets, so the PUTs arriving
  // meanwhile stream too (counting the connecting one sent them into batches: found by this test).
  test('a stopped storage server: PUTs that need it take the streaming path, none goes in an object batch', async () => {
    const victim = cluster.storages[2]!;
    await withServerDown(victim, async () => {
      const names = namesOn(victim, 'down-stream', 12);
      const marks = logMarks();
      const replies = await Promise.all(names.map((n) => put(n, bodyOf(n, 4096))));
      expect(replies.map((r) => r.status)).toEqual(names.map(() => 201));
      expect(batchesSince(marks)).toEqual([]);
    });
  });

  test('after a restart, the small path is used for the restarted server again', async () => {
    const victim = cluster.storages[3]!;
    await withServerDown(victim, async () => {
      expect((await put('restart/while-down', Buffer.from('x'))).status).toBe(201);
    });
    // Back: the first PUTs that need it stream (and connect); then it takes small PUTs again.
    await warm();
    const mark = victim.logs.length;
    const before = await recon(victim);
    const back = namesOn(victim, 'back', 24);
    const bodies = back.map((n) => bodyOf(n, 4096));
    const replies = await Promise.all(back.map((n, i) => put(n, bodies[i]!)));
    expect(replies.map((r) => r.status)).toEqual(back.map(() => 201));
    for (const [i, n] of back.entries()) await readBack(n, bodies[i]!);
    await waitFor(() => back.every((n) => dataFiles(n).some((f) => f.startsWith(victim.dir + path.sep))), 'the restarted server to hold its replicas');
    const batches = objectBatches(victim, mark);
    expect(batches.length).toBeGreaterThan(0);
    for (const b of batches) expect(b.statuses.split(',')).toEqual(Array.from({ length: b.entries }, () => '201'));
    expect((await recon(victim)).requests['POST 200'] ?? 0).toBeGreaterThan(before.requests['POST 200'] ?? 0);
  });
});
