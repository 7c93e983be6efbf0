/**
 * The replication receiver on a real temp directory (no server): what it installs, what it
 * refuses, and that a refused push leaves nothing behind.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { KeyedMutex } from '../../../../../services/object/storage/diskfile/keyed-mutex';
import type { HashDirAccess } from '../../../../../services/object/storage/replication/hash-dir-access';
import { openHashDir } from '../../../../../services/object/storage/replication/hash-dir-reader';
import { receiveHashDir } from '../../../../../services/object/storage/replication/hash-dir-receiver';
import { removeHashFiles } from '../../../../../services/object/storage/replication/hash-dir-remover';
import { encodeManifest, SyncFrameError } from '../../../../../services/object/storage/replication/sync-frame';

const HASH = '0123456789abcdef0123456789abcabc';
const TARGET = { device: 'sda', partition: '3', hash: HASH };

let root: string;
let invalidated: string[];
let access: HashDirAccess;
let ids = 0;
/** Expirer index entries added, with what the directory held at that moment. */
let expiries: { device: string; hash: string; entry: unknown; filesThen: string[] }[];

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'weft-receiver-'));
  invalidated = [];
  expiries = [];
  const locks = new KeyedMutex();
  access = {
    fsync: false,
    partitionDir: (d, p) => path.join(root, d, 'objects', p),
    hashDir: (d, p, h) => path.join(root, d, 'objects', p, h.slice(-3), h),
    tmpDir: (d) => path.join(root, d, 'tmp'),
    lock: (dir, fn) => locks.run(dir, fn),
    invalidate: async (_d, _p, s) => void invalidated.push(s),
    newId: () => `id${++ids}`,
    addExpiry: async (device, hash, entry) => void expiries.push({ device, hash, entry, filesThen: files() }),
  };
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const dir = (): string => access.hashDir('sda', '3', HASH);
const files = (): string[] => (existsSync(dir()) ? readdirSync(dir()).sort() : []);
const tmpFiles = (): string[] => (existsSync(access.tmpDir('sda')) ? readdirSync(access.tmpDir('sda')) : []);

function dataMeta(ts: string, body: string, etag = createHash('md5').update(body).digest('hex'), headers: Record<string, string> = {}, name = '/a/c/o'): string {
  return JSON.stringify({ version: 1, name, timestamp: ts, contentLength: Buffer.byteLength(body), etag, contentType: 'text/plain', headers });
}

function frame(parts: { name: string; content: string }[], trailer = ''): Buffer[] {
  const manifest = encodeManifest(parts.map((p) => ({ name: p.name, size: Buffer.byteLength(p.content) })));
  const sorted = JSON.parse(manifest.toString()).files as { name: string }[];
  const bodies = sorted.map((f) => parts.find((p) => p.name === f.name)!.content);
  // Split into small chunks so chunk borders fall inside files.
  const all = Buffer.concat([manifest, ...bodies.map((b) => Buffer.from(b)), Buffer.from(trailer)]);
  const out: Buffer[] = [];
  for (let i = 0; i < all.length; i += 7) out.push(all.subarray(i, i + 7));
  return out;
}

async function* stream(chunks: Buffer[]): AsyncGenerator<Buffer> {
  for (const c of chunks) yield c;
}

function object(ts: string, body: string): { name: string; content: string }[] {
  return [
    { name: `${ts}.data`, content: body },
    { name: `${ts}.meta.json`, content: dataMeta(ts, body) },
  ];
}

function seed(names: Record<string, string>): void {
  mkdirSync(dir(), { recursive: true });
  for (const [n, c] of Object.entries(names)) writeFileSync(path.join(dir(), n), c);
}

test('installs a new object, metadata and body, and invalidates its suffix', async () => {
  const r = await receiveHashDir(access, TARGET, stream(frame(object('1700000001.00000', 'hello'))));
  expect(r.installed.sort()).toEqual(['1700000001.00000.data', '1700000001.00000.meta.json']);
  expect(files()).toEqual(['1700000001.00000.data', '1700000001.00000.meta.json']);
  expect(readFileSync(path.join(dir(), '1700000001.00000.data'), 'utf8')).toBe('hello');
  expect(invalidated).toEqual(['abc', 'abc']);
  expect(tmpFiles()).toEqual([]);
});

test('a newer version replaces the older files; an older one changes nothing', async () => {
  seed({ '1700000005.00000.data': 'newer', '1700000005.00000.meta.json': dataMeta('1700000005.00000', 'newer') });
  expect((await receiveHashDir(access, TARGET, stream(frame(object('1700000001.00000', 'older'))))).installed).toEqual([]);
  expect(files()).toEqual(['1700000005.00000.data', '1700000005.00000.meta.json']);
  expect(tmpFiles()).toEqual([]);

  await receiveHashDir(access, TARGET, stream(frame([{ name: '1700000009.00000.ts', content: '' }])));
  expect(files()).toEqual(['1700000009.00000.ts']);
});

test('a POST newer than the local data is installed alone', async () => {
  seed({ '1700000001.00000.data': 'x', '1700000001.00000.meta.json': dataMeta('1700000001.00000', 'x') });
  const post = JSON.stringify({ version: 1, timestamp: '1700000002.00000', headers: { 'x-object-meta-a': '1' } });
  const r = await receiveHashDir(access, TARGET, stream(frame([...object('1700000001.00000', 'x'), { name: '1700000002.00000.meta', content: post }])));
  expect(r.installed).toEqual(['1700000002.00000.meta']);
  expect(files()).toEqual(['1700000001.00000.data', '1700000001.00000.meta.json', '1700000002.00000.meta']);
});

describe('expirer index entries for what it installs', () => {
  test('an object with X-Delete-At gets its entry before its files appear', async () => {
    const parts = [
      { name: '1700000001.00000.data', content: 'bye' },
      { name: '1700000001.00000.meta.json', content: dataMeta('1700000001.00000', 'bye', undefined, { 'x-delete-at': '1800000000' }, '/AUTH_a/c/dir/o') },
    ];
    await receiveHashDir(access, TARGET, stream(frame(parts)));
    expect(expiries).toEqual([{ device: 'sda', hash: HASH, entry: { account: 'AUTH_a', container: 'c', object: 'dir/o', partition: '3', deleteAt: 1800000000 }, filesThen: [] }]);
    expect(files()).toEqual(['1700000001.00000.data', '1700000001.00000.meta.json']);
  });

  test('a POST carrying X-Delete-At installed alone takes the name from the local metadata', async () => {
    seed({ '1700000001.00000.data': 'x', '1700000001.00000.meta.json': dataMeta('1700000001.00000', 'x') });
    const post = JSON.stringify({ version: 1, timestamp: '1700000002.00000', headers: { 'x-delete-at': '1800000005' } });
    await receiveHashDir(access, TARGET, stream(frame([{ name: '1700000002.00000.meta', content: post }])));
    expect(expiries.map((e) => e.entry)).toEqual([{ account: 'a', container: 'c', object: 'o', partition: '3', deleteAt: 1800000005 }]);
    expect(expiries[0]!.filesThen).not.toContain('1700000002.00000.meta');
  });

  test('nothing for objects without X-Delete-At, nor for files that are not installed', async () => {
    await receiveHashDir(access, TARGET, stream(frame(object('1700000001.00000', 'x'))));
    const older = [
      { name: '1700000000.00000.data', content: 'old' },
      { name: '1700000000.00000.meta.json', content: dataMeta('1700000000.00000', 'old', undefined, { 'x-delete-at': '1800000000' }) },
    ];
    await receiveHashDir(access, TARGET, stream(frame(older)));
    expect(expiries).toEqual([]);
  });
});

test.each([
  ['a body whose MD5 differs from its metadata', () => [{ name: '1700000001.00000.data', content: 'evil!' }, { name: '1700000001.00000.meta.json', content: dataMeta('1700000001.00000', 'good!') }]],
  ['a body whose size differs from its metadata', () => [{ name: '1700000001.00000.data', content: 'longer body' }, { name: '1700000001.00000.meta.json', content: dataMeta('1700000001.00000', 'short') }]],
  ['a .data without its .meta.json', () => [{ name: '1700000001.00000.data', content: 'x' }]],
  ['unreadable metadata', () => [{ name: '1700000001.00000.data', content: 'x' }, { name: '1700000001.00000.meta.json', content: '{nope' }]],
  ['metadata of another timestamp', () => [{ name: '1700000001.00000.data', content: 'x' }, { name: '1700000001.00000.meta.json', content: dataMeta('1700000002.00000', 'x') }]],
  ['a tombstone with content', () => [{ name: '1700000001.00000.ts', content: 'x' }]],
])('refuses %s and leaves nothing behind', async (_what, parts) => {
  await expect(receiveHashDir(access, TARGET, stream(frame(parts())))).rejects.toThrow(SyncFrameError);
  expect(files()).toEqual([]);
  expect(tmpFiles()).toEqual([]);
});

test('refuses a truncated body and trailing bytes', async () => {
  const chunks = frame(object('1700000001.00000', 'hello world'));
  const all = Buffer.concat(chunks);
  await expect(receiveHashDir(access, TARGET, stream([all.subarray(0, all.length - 3)]))).rejects.toThrow(SyncFrameError);
  await expect(receiveHashDir(access, TARGET, stream(frame(object('1700000001.00000', 'hello'), 'junk')))).rejects.toThrow(SyncFrameError);
  expect(files()).toEqual([]);
  expect(tmpFiles()).toEqual([]);
});

test('the reader sends what the receiver takes: a round trip reproduces the directory', async () => {
  seed({ '1700000001.00000.data': 'round trip', '1700000001.00000.meta.json': dataMeta('1700000001.00000', 'round trip'), 'junk.tmp': 'ignored' });
  const opened = await openHashDir(dir());
  expect(opened).toBeDefined();
  const chunks: Buffer[] = [encodeManifest(opened!.files)];
  for (const f of opened!.files) chunks.push(await opened!.handles.get(f.name)!.readFile());
  await opened!.close();
  const other = { ...TARGET, partition: '4' };
  const r = await receiveHashDir(access, other, stream(chunks));
  expect(r.installed.sort()).toEqual(['1700000001.00000.data', '1700000001.00000.meta.json']);
  expect(readdirSync(access.hashDir('sda', '4', HASH)).sort()).toEqual(['1700000001.00000.data', '1700000001.00000.meta.json']);
});

test('the reader skips a damaged directory (data without metadata)', async () => {
  seed({ '1700000001.00000.data': 'x' });
  expect(await openHashDir(dir())).toBeUndefined();
  expect(await openHashDir(path.join(root, 'missing'))).toBeUndefined();
});

test('removal takes exactly the named files, and the directory once empty', async () => {
  seed({ '1700000001.00000.ts': '', '1700000002.00000.ts': '' });
  expect(await removeHashFiles(access, TARGET, ['1700000001.00000.ts', 'not-ours'])).toEqual({ removed: 1, dirRemoved: false });
  expect(files()).toEqual(['1700000002.00000.ts']);
  expect(await removeHashFiles(access, TARGET, ['1700000002.00000.ts'])).toEqual({ removed: 1, dirRemoved: true });
  expect(existsSync(dir())).toBe(false);
});
