/**
 * What a write costs in syncs when the device has an intent journal (fsync on): a small change
 * syncs no file and no directory itself, only its journal group; a large one, or one the journal
 * does not take, syncs as before. The journal's syncfs is counted, not run.
 */
import * as durableFs from '../../../../../services/object/storage/diskfile/durable-fs';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { dirSyncer } from '../../../../../services/object/storage/diskfile/durable-fs';
import { nodeJournalIo } from '../../../../../services/object/storage/diskfile/intent-journal';
import { decodeRecords } from '../../../../../services/object/storage/diskfile/journal-record';
import { ObjectStore } from '../../../../../services/object/storage/diskfile/object-store';
import { put, T } from './store-fixture';

let root: string;
let store: ObjectStore;
let syncfsCalls: number;
const errors: unknown[] = [];

function makeStore(maxSealedBytes = 64 * 1024 * 1024): ObjectStore {
  let n = 0;
  return new ObjectStore({
    devicesRoot: root,
    secret: { prefix: 'pre', suffix: 'suf' },
    fsync: true,
    newId: () => `id-${++n}`,
    journal: {
      checkpointMs: 3_600_000,
      checkpointBytes: 64 * 1024 * 1024,
      maxSealedBytes,
      io: {
        ...nodeJournalIo(async () => {
          syncfsCalls++;
        }),
      },
      onError: (_d, err) => errors.push(err),
    },
  });
}

const ref = (object: string): { device: string; partition: string; account: string; container: string; object: string } => ({ device: 'sda', partition: '7', account: 'AUTH_a', container: 'c', object });

beforeEach(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'weft-diskfile-journal-'));
  mkdirSync(path.join(root, 'sda'));
  syncfsCalls = 0;
  errors.length = 0;
  store = makeStore();
  await store.openJournals();
});
afterEach(async () => {
  jest.restoreAllMocks();
  await store.close();
  rmSync(root, { recursive: true, force: true });
});

/** fsync(2) calls (files and directories), of files only, and directory sync requests made by fn. */
async function syncs(fn: () => Promise<unknown>): Promise<{ fsyncs: number; fileSyncs: number; dirRequests: number }> {
  const spy = jest.spyOn(durableFs, 'fsyncFd');
  const before = dirSyncer.counters;
  await fn();
  const after = dirSyncer.counters;
  const fsyncs = spy.mock.calls.length;
  spy.mockRestore();
  return { fsyncs, fileSyncs: fsyncs - (after.syncs - before.syncs), dirRequests: after.requests - before.requests };
}

function journalRecords(): { dir: string; name: string; body: Buffer }[] {
  const dir = path.join(root, 'sda', 'journal');
  return readdirSync(dir)
    .filter((n) => n.endsWith('.jnl'))
    .sort()
    .flatMap((n) => decodeRecords(readFileSync(path.join(dir, n))).records);
}

test('a small PUT, POST and DELETE sync nothing themselves: each is one journal record holding the exact file', async () => {
  const a = store.object(ref('a'));
  expect(await syncs(() => put(a, '1700000001.00000', 'hello'))).toEqual({ fsyncs: 0, fileSyncs: 0, dirRequests: 0 });
  expect(await syncs(() => a.post(T('1700000002.00000'), { headers: { 'x-object-meta-k': 'v' } }))).toEqual({ fsyncs: 0, fileSyncs: 0, dirRequests: 0 });
  expect(await syncs(() => a.delete(T('1700000003.00000')))).toEqual({ fsyncs: 0, fileSyncs: 0, dirRequests: 0 });
  const records = journalRecords();
  const rel = path.relative(path.join(root, 'sda'), a.dir);
  expect(records.map((r) => [r.dir, r.name])).toEqual([
    [rel, '1700000001.00000.data'],
    [rel, '1700000002.00000.meta'],
    [rel, '1700000003.00000.ts'],
  ]);
  // The .data record is the file as written (body and footer), the .meta record the JSON.
  expect(records[0].body.subarray(0, 5).toString()).toBe('hello');
  expect(JSON.parse(records[1].body.toString()).headers).toEqual({ 'x-object-meta-k': 'v' });
  expect(records[2].body.length).toBe(0);
  expect(store.journalCounters()).toMatchObject({ appends: 3, groups: 3, failures: 0 });
});

test('the .data record equals the installed file byte for byte', async () => {
  const a = store.object(ref('b'));
  await put(a, '1700000001.00000', Buffer.alloc(70 * 1024, 3));
  const [rec] = journalRecords();
  expect(rec.body.equals(readFileSync(path.join(a.dir, '1700000001.00000.data')))).toBe(true);
});

test('concurrent small PUTs share journal groups', async () => {
  await Promise.all(Array.from({ length: 30 }, (_, i) => put(store.object(ref(`c${i}`)), '1700000001.00000', `body ${i}`)));
  const c = store.journalCounters();
  expect(c.appends).toBe(30);
  expect(c.groups).toBeLessThan(30);
});

test('a file too large for the journal is synced file by file, as without one', async () => {
  const a = store.object(ref('big'));
  const s = await syncs(() => put(a, '1700000001.00000', Buffer.alloc(200 * 1024, 1)));
  expect(s.fileSyncs).toBe(1);
  expect(s.dirRequests).toBeGreaterThanOrEqual(1);
  expect(store.journalCounters().appends).toBe(0);
});

test('a journal that stopped taking changes between the upload and its commit: the file is synced before it is installed', async () => {
  const a = store.object(ref('late'));
  const w = await a.create(T('1700000001.00000'));
  await w.write(Buffer.from('late body'));
  await store.close();
  const s = await syncs(() => w.commit({ contentType: 'text/plain', headers: {} }));
  // The file (the writer left it unsynced for the journal) and the directories.
  expect(s.fileSyncs).toBe(1);
  expect(s.dirRequests).toBeGreaterThanOrEqual(1);
  expect(readdirSync(a.dir)).toEqual(['1700000001.00000.data']);
});

test('checkpoints behind (sealed bytes over the limit): changes sync file by file', async () => {
  await store.close();
  store = makeStore(0);
  await store.openJournals();
  const s = await syncs(() => put(store.object(ref('x')), '1700000001.00000', 'x'));
  expect(s.fileSyncs).toBe(1);
  expect(store.journalCounters().appends).toBe(0);
});

test('a device seen for the first time: its journal opens in the background, meanwhile changes sync file by file', async () => {
  mkdirSync(path.join(root, 'sdb'));
  const first = store.object({ ...ref('n1'), device: 'sdb' });
  expect((await syncs(() => put(first, '1700000001.00000', 'one'))).fileSyncs).toBe(1);
  // The open started by that write has finished by now or soon.
  for (let i = 0; i < 100 && store.journalCounters().appends === 0; i++) {
    await put(store.object({ ...ref(`n${i + 2}`), device: 'sdb' }), '1700000001.00000', 'more');
  }
  expect(store.journalCounters().appends).toBeGreaterThan(0);
  expect(readdirSync(path.join(root, 'sdb', 'journal')).some((n) => n.endsWith('.jnl'))).toBe(true);
});

test('close() checkpoints: one syncfs, no segment left', async () => {
  await put(store.object(ref('k')), '1700000001.00000', 'k');
  expect(syncfsCalls).toBe(0);
  await store.close();
  expect(syncfsCalls).toBe(1);
  expect(readdirSync(path.join(root, 'sda', 'journal')).filter((n) => n.endsWith('.jnl'))).toEqual([]);
  expect(errors).toEqual([]);
});

test('a device that comes back as another directory (a new disk) gets a new journal there: the old one takes nothing more', async () => {
  await put(store.object(ref('before')), '1700000001.00000', 'before');
  expect(await store.deviceAvailable('sda')).toBe(true);
  const oldDevice = path.join(root, 'sda-old');
  renameSync(path.join(root, 'sda'), oldDevice);
  mkdirSync(path.join(root, 'sda'));
  const oldRecords = (): number =>
    readdirSync(path.join(oldDevice, 'journal'))
      .filter((n) => n.endsWith('.jnl'))
      .reduce((sum, n) => sum + decodeRecords(readFileSync(path.join(oldDevice, 'journal', n))).records.length, 0);
  expect(oldRecords()).toBe(1);
  // The availability check (cached for a second) sees another directory.
  await new Promise((r) => setTimeout(r, 1100));
  expect(await store.deviceAvailable('sda')).toBe(true);
  for (let i = 0; i < 50 && !readdirSync(path.join(root, 'sda')).includes('journal'); i++) {
    await put(store.object(ref(`after${i}`)), '1700000002.00000', 'after');
  }
  await put(store.object(ref('last')), '1700000002.00000', 'last');
  expect(oldRecords()).toBe(1);
  expect(journalRecords().map((r) => r.name)).toContain('1700000002.00000.data');
});
