/**
 * Issue 5, failure scenario: an object file rots on one replica's disk.
 *
 *   test ──GET×n──▶ proxy ──▶ storage 0..2 (3 replicas)
 *                              replica R of object A and of object B: .data bytes flipped, same size
 *
 * Proves: no complete body a client receives through the proxy ever has the wrong bytes (each is
 * checked against the original MD5; a cut connection is allowed, it is how a streaming server
 * says "this was bad"); an auditor pass quarantines the damaged copy (B is never read, so only the
 * auditor can find it); a replicator pass beside every server puts a good copy back on R.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseFooterTail } from '../../../services/object/storage/diskfile/data-footer';
import { type Cluster, startCluster, v1Path } from './cluster-harness';
import { dataFile, md5, objectLocation, type ObjectLocation, type ObjectRef, runWorkers, runWorkersEverywhere } from './cluster-workers';

const ACCOUNT = 'AUTH_rot';
const CONTAINER = 'rot';
const READS = 12;

jest.setTimeout(180_000);

let cluster: Cluster | undefined;

afterAll(async () => {
  await cluster?.stop();
});

/** Flips bytes in the middle of the replica's `.data` (its body: the footer is a few hundred bytes at the end), keeping its size. */
function corrupt(loc: ObjectLocation): void {
  const file = dataFile(loc);
  if (!file) throw new Error(`no .data in ${loc.dir}`);
  const bytes = readFileSync(file);
  for (let i = bytes.length >> 1; i < Math.min(bytes.length, (bytes.length >> 1) + 16); i++) bytes[i]! ^= 0xa5;
  writeFileSync(file, bytes);
}

interface GetOutcome {
  status: number;
  complete: boolean;
  body: Buffer;
}

/** A GET through the proxy that tells a complete body from a cut one (bounded in time). */
function getThroughProxy(c: Cluster, o: ObjectRef): Promise<GetOutcome> {
  return new Promise((resolve, reject) => {
    const req = c.proxy.open({ method: 'GET', path: v1Path(o.account, o.container, o.object) });
    const timer = setTimeout(() => req.destroy(new Error('GET did not finish in 20 s')), 20_000);
    req.on('error', (err) => {
      clearTimeout(timer);
      // A connection cut before the answer's head: no body at all, nothing wrong delivered.
      if ((err as NodeJS.ErrnoException).code === 'ECONNRESET') resolve({ status: 0, complete: false, body: Buffer.alloc(0) });
      else reject(err);
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      const declared = Number(res.headers['content-length']);
      const done = (complete: boolean): void => {
        clearTimeout(timer);
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, complete: complete && (Number.isNaN(declared) || body.length === declared), body });
      };
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => done(!res.readableAborted));
      res.on('aborted', () => done(false));
      res.on('error', () => done(false));
    });
    req.end();
  });
}

test('a corrupt replica: clients never get its bytes; the auditor quarantines it; the replicator restores it', async () => {
  const c = (cluster = await startCluster({ storageCount: 3, replicas: 3 }));
  expect((await c.proxy.request({ method: 'PUT', path: v1Path(ACCOUNT, CONTAINER) })).status).toBe(201);
  const objects = ['read-me.bin', 'never-read.bin'].map((name) => ({ ref: { account: ACCOUNT, container: CONTAINER, object: name }, body: randomBytes(300 * 1024 + 5) }));
  for (const o of objects) {
    const r = await c.proxy.request({ method: 'PUT', path: v1Path(ACCOUNT, CONTAINER, o.ref.object), headers: { 'Content-Type': 'application/octet-stream' }, body: o.body });
    expect(r.status).toBe(201);
  }
  // The first primary is the replica a GET reads first: rot that one.
  const damaged = objects.map((o) => {
    const first = c.nodesFor('object', ACCOUNT, CONTAINER, o.ref.object).nodes[0]!;
    const loc = objectLocation(c, c.storageAt(first.port), first.device, o.ref);
    corrupt(loc);
    expect(md5(readFileSync(dataFile(loc)!))).not.toBe(md5(o.body));
    return { ...o, loc, version: path.basename(dataFile(loc)!) };
  });
  const [readMe, neverRead] = damaged as [(typeof damaged)[number], (typeof damaged)[number]];

  const outcomes: GetOutcome[] = [];
  for (let i = 0; i < READS; i++) outcomes.push(await getThroughProxy(c, readMe.ref));
  for (const o of outcomes.filter((x) => x.complete)) {
    expect(o.status).toBe(200);
    expect(md5(o.body)).toBe(md5(readMe.body));
  }
  // Most reads must succeed at all (a good replica is there), not merely "never wrong".
  expect(outcomes.filter((o) => o.complete).length).toBeGreaterThanOrEqual(READS - 1);

  // The auditor beside the damaged server: the never-read copy is found by it alone.
  const audit = await runWorkers(c, neverRead.loc.node, ['auditor'], { settings: { auditor: { bytesPerSecond: 1024 * 1024 * 1024 } } });
  expect(audit.auditor!.quarantined).toBeGreaterThanOrEqual(1);
  for (const d of damaged) {
    expect(dataFile(d.loc)).toBeUndefined();
    const qdir = path.join(d.loc.node.devicesRoot, d.loc.device, 'quarantined', 'objects');
    // `<hash>`, or `<hash>-<id>` when an earlier quarantine of the same hash is there.
    expect(existsSync(qdir) ? readdirSync(qdir).filter((n) => n.startsWith(d.loc.hash)) : []).not.toEqual([]);
  }

  await runWorkersEverywhere(c, ['replicator']);
  for (const d of damaged) {
    const file = dataFile(d.loc);
    expect(file).toBeDefined();
    // The same version (timestamp), with the original bytes.
    expect(path.basename(file!)).toBe(d.version);
    const stored = readFileSync(file!);
    expect(md5(stored.subarray(0, d.body.length))).toBe(md5(d.body));
    expect(parseFooterTail(stored, stored.length)).toMatchObject({ ok: true, meta: { contentLength: d.body.length, etag: md5(d.body) } });
  }
  for (let i = 0; i < 3; i++) {
    const o = await getThroughProxy(c, neverRead.ref);
    expect(o.complete).toBe(true);
    expect(md5(o.body)).toBe(md5(neverRead.body));
  }
});
