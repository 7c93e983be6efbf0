/**
 * The intent journal of a real storage server process (fsync on): small PUTs, DELETEs and POSTs
 * are acknowledged once their records are synced in `<device>/journal`, and a crash that loses
 * their unsynced files loses nothing acknowledged: the restarted server replays the journal
 * before it serves. The "power loss" is simulated after a SIGKILL by removing or truncating the
 * files the journal covers (the page cache survives a process kill, so they would otherwise still
 * be there).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import * as path from 'node:path';
import { hashPath } from '../../../services/object/common/hash-path';
import { decodeRecords } from '../../../services/object/storage/diskfile/journal-record';
import { startStorage, waitFor, type StorageHandle } from './storage-harness';

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
const obj = (name: string): string => `/sda/5/AUTH_test/cont/${name}`;
const body = (i: number): Buffer => Buffer.from(`object ${i} `.repeat(300 + i));

let clock = 1_700_000_000;
const ts = (): string => `${++clock}.00000`;

function hashDir(root: string, name: string): string {
  const h = hashPath('it-prefix', 'it-suffix', 'AUTH_test', 'cont', name);
  return path.join(root, 'sda', 'objects', '5', h.slice(-3), h);
}
const journalDir = (root: string): string => path.join(root, 'sda', 'journal');
const segments = (root: string): string[] => (existsSync(journalDir(root)) ? readdirSync(journalDir(root)).filter((n) => n.endsWith('.jnl')).sort() : []);
const journalRecords = (root: string): number =>
  segments(root).reduce((n, s) => n + decodeRecords(readFileSync(path.join(journalDir(root), s))).records.length, 0);

interface Recon {
  journal: { appends: number; groups: number; checkpoints: number; filesystemSyncs: number; replays: { records: number; restored: number; unchanged: number; superseded: number }[] };
}
async function recon(s: StorageHandle): Promise<Recon> {
  return JSON.parse((await s.request({ method: 'GET', path: '/recon/stats' })).body.toString()) as Recon;
}

async function put(s: StorageHandle, name: string, data: Buffer, headers: Record<string, string> = {}): Promise<number> {
  const r = await s.request({ method: 'PUT', path: obj(name), headers: { 'X-Timestamp': ts(), 'Content-Type': 'text/plain', 'Content-Length': String(data.length), ETag: md5(data), ...headers }, body: data });
  return r.status;
}

const servers: StorageHandle[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

/** Checkpoints so rare that nothing is checkpointed during a test. */
const NO_CHECKPOINT = { journal: { checkpointMs: 3_600_000, checkpointBytes: 1024 * 1024 * 1024 } };

test('acknowledged small changes survive losing their files: the restarted server replays the journal before serving', async () => {
  const s = await startStorage({ config: NO_CHECKPOINT });
  servers.push(s);
  const N = 40;
  expect((await Promise.all(Array.from({ length: N }, (_, i) => put(s, `o${i}`, body(i), { 'X-Object-Meta-N': String(i) })))).every((st) => st === 201)).toBe(true);
  // 5 DELETEs (tombstones) and 5 POSTs (.meta files), all journaled too.
  for (let i = 0; i < 5; i++) expect((await s.request({ method: 'DELETE', path: obj(`o${i}`), headers: { 'X-Timestamp': ts() } })).status).toBe(204);
  for (let i = 5; i < 10; i++) expect((await s.request({ method: 'POST', path: obj(`o${i}`), headers: { 'X-Timestamp': ts(), 'X-Object-Meta-Posted': `p${i}` } })).status).toBe(202);
  // Too large for the journal: synced file by file, as before.
  const big = Buffer.alloc(200 * 1024, 7);
  expect(await put(s, 'big', big)).toBe(201);

  const before = await recon(s);
  expect(before.journal.appends).toBe(N + 10);
  // The 40 concurrent PUTs shared syncs.
  expect(before.journal.groups).toBeLessThan(N + 10);
  expect(journalRecords(s.devicesRoot)).toBe(N + 10);

  await s.crash();
  // The files the journal covers are lost or torn; the big object was synced and stays.
  for (let i = 0; i < N; i++) {
    const dir = hashDir(s.devicesRoot, `o${i}`);
    if (i % 4 === 3) {
      const data = readdirSync(dir).find((n) => n.endsWith('.data'));
      if (data) truncateSync(path.join(dir, data), 0);
    } else rmSync(dir, { recursive: true, force: true });
  }

  const s2 = await startStorage({ config: NO_CHECKPOINT, reuse: s.dir });
  servers.push(s2);
  for (let i = 0; i < N; i++) {
    const r = await s2.request({ method: 'GET', path: obj(`o${i}`) });
    if (i < 5) {
      expect(r.status).toBe(404);
      expect(readdirSync(hashDir(s2.devicesRoot, `o${i}`)).some((n) => n.endsWith('.ts'))).toBe(true);
      continue;
    }
    expect(r.status).toBe(200);
    expect(r.body.equals(body(i))).toBe(true);
    expect(r.headers.etag).toBe(`"${md5(body(i))}"`);
    if (i < 10) expect(r.headers['x-object-meta-posted']).toBe(`p${i}`);
    else expect(r.headers['x-object-meta-n']).toBe(String(i));
  }
  const b = await s2.request({ method: 'GET', path: obj('big') });
  expect(b.status).toBe(200);
  expect(b.body.equals(big)).toBe(true);

  const replay = (await recon(s2)).journal.replays;
  expect(replay).toHaveLength(1);
  expect(replay[0].records).toBe(N + 10);
  // Lost: the 30 directories of i % 4 != 3, with their 30 .data, 4 tombstones (o0-o2, o4) and
  // 4 .meta (o5, o6, o8, o9). Torn: the 9 .data of o7, o11, ..., o39, rewritten. Intact: o3's
  // tombstone and o7's .meta. Superseded: o3's .data (its DELETE removed it and the tombstone
  // survived), so it is not brought back.
  expect(replay[0]).toMatchObject({ restored: 38 + 9, unchanged: 2, superseded: 1 });
  expect(readdirSync(hashDir(s2.devicesRoot, 'o3')).filter((n) => n.endsWith('.data'))).toEqual([]);
  // The replayed segment is gone; the new one is empty.
  expect(journalRecords(s2.devicesRoot)).toBe(0);
}, 60_000);

test('checkpoints: a sealed segment is made durable with one syncfs and deleted, so the journal stays small', async () => {
  const s = await startStorage({ config: { journal: { checkpointMs: 200 } } });
  servers.push(s);
  for (let round = 0; round < 3; round++) {
    expect((await Promise.all(Array.from({ length: 10 }, (_, i) => put(s, `r${round}-${i}`, body(i))))).every((st) => st === 201)).toBe(true);
  }
  await waitFor(async () => (await recon(s)).journal.checkpoints >= 1 && journalRecords(s.devicesRoot) === 0, 'a checkpoint that empties the journal', 10_000);
  const r = await recon(s);
  expect(r.journal.appends).toBe(30);
  expect(r.journal.filesystemSyncs).toBeGreaterThanOrEqual(1);
  expect(r.journal.filesystemSyncs).toBeLessThanOrEqual(r.journal.checkpoints);
  for (let i = 0; i < 10; i++) expect((await s.request({ method: 'GET', path: obj(`r2-${i}`) })).body.equals(body(i))).toBe(true);
}, 30_000);

test('a clean stop checkpoints everything: nothing is left to replay', async () => {
  const s = await startStorage({ config: NO_CHECKPOINT });
  servers.push(s);
  expect((await Promise.all(Array.from({ length: 8 }, (_, i) => put(s, `c${i}`, body(i))))).every((st) => st === 201)).toBe(true);
  expect(journalRecords(s.devicesRoot)).toBe(8);
  const exited = new Promise<number | null>((resolve) => s.proc.once('exit', (code) => resolve(code)));
  s.proc.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(segments(s.devicesRoot)).toEqual([]);
  const s2 = await startStorage({ config: NO_CHECKPOINT, reuse: s.dir });
  servers.push(s2);
  expect((await recon(s2)).journal.replays).toEqual([]);
  expect((await s2.request({ method: 'GET', path: obj('c7') })).body.equals(body(7))).toBe(true);
}, 30_000);

test('with the journal disabled, nothing goes through it', async () => {
  const s = await startStorage({ config: { journal: { enabled: false } } });
  servers.push(s);
  expect(await put(s, 'plain', body(1))).toBe(201);
  expect((await recon(s)).journal.appends ?? 0).toBe(0);
  expect(segments(s.devicesRoot)).toEqual([]);
}, 30_000);
