/**
 * The replication receiver on a real temp directory (no server): what it installs, what it
 * refuses, and that a refused push leaves nothing behind. It stores a `.data` in the footer form
 * (body, metadata JSON, trailer: data-footer.ts), whatever form the frame's sender had; tests
 * that seed a `<ts>.meta.json` beside a `.data` seed the older two-file form, which receivers
 * must still read and compare correctly.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { encodeFooter, FOOTER_FIRST_READ_BYTES, parseFooterTail } from '../../../../../services/object/storage/diskfile/data-footer';
import { KeyedMutex } from '../../../../../services/object/storage/diskfile/keyed-mutex';
import type { HashDirAccess } from '../../../../../services/object/storage/replication/hash-dir-access';
import { openHashDir } from '../../../../../services/object/storage/replication/hash-dir-reader';
import { receiveHashDir } from '../../../../../services/object/storage/replication/hash-dir-receiver';
import { parseDataMetadata, type DataMetadataFile } from '../../../../../services/object/storage/diskfile/object-metadata';
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

function frame(parts: { name: string; content: string | Buffer }[], trailer = ''): Buffer[] {
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

function seed(names: Record<string, string | Buffer>): void {
  mkdirSync(dir(), { recursive: true });
  for (const [n, c] of Object.entries(names)) writeFileSync(path.join(dir(), n), c);
}

/** A `.data` in the footer form, as the object layer writes it. */
function footerData(ts: string, body: string, headers: Record<string, string> = {}, name = '/a/c/o'): Buffer {
  return Buffer.concat([Buffer.from(body), encodeFooter(parseDataMetadata(dataMeta(ts, body, undefined, headers, name))!)]);
}

/** A stored `.data` split by its footer; fails the test unless the footer is whole. */
function readStored(file: string): { body: Buffer; meta: DataMetadataFile } {
  const bytes = readFileSync(file);
  const footer = parseFooterTail(bytes, bytes.length);
  if (footer.ok !== true) throw new Error(`${file}: no whole footer (${JSON.stringify(footer)})`);
  return { body: bytes.subarray(0, footer.meta.contentLength), meta: footer.meta };
}

test('installs a new object as one footer-form .data holding the pushed body and metadata, and invalidates its suffix', async () => {
  const pushed = object('1700000001.00000', 'hello');
  const r = await receiveHashDir(access, TARGET, stream(frame(pushed)));
  expect(r.installed).toEqual(['1700000001.00000.data']);
  expect(files()).toEqual(['1700000001.00000.data']);
  const stored = readStored(path.join(dir(), '1700000001.00000.data'));
  expect(stored.body.toString()).toBe('hello');
  expect(stored.meta).toEqual(JSON.parse(pushed[1]!.content));
  expect(invalidated).toEqual(['abc', 'abc']);
  expect(tmpFiles()).toEqual([]);
});

test('a body that looks like a footer itself is stored and read back by its length', async () => {
  // The stored file's end is the real footer; the body's fake one must stay plain body bytes.
  const body = footerData('1700000009.00000', 'decoy');
  const meta = { version: 1, name: '/a/c/o', timestamp: '1700000001.00000', contentLength: body.length, etag: createHash('md5').update(body).digest('hex'), contentType: 'x', headers: {} };
  await receiveHashDir(access, TARGET, stream(frame([{ name: '1700000001.00000.data', content: body }, { name: '1700000001.00000.meta.json', content: JSON.stringify(meta) }])));
  const stored = readStored(path.join(dir(), '1700000001.00000.data'));
  expect(stored.meta).toEqual(meta);
  expect(stored.body.equals(body)).toBe(true);
});

test('a push of a .data over an orphan .meta.json of the same timestamp removes the orphan', async () => {
  // Left by a crash of the two-file form; kept beside the new .data it would make readers take
  // the footer-form file for a bare body.
  seed({ '1700000001.00000.meta.json': dataMeta('1700000001.00000', 'stale metadata') });
  const r = await receiveHashDir(access, TARGET, stream(frame(object('1700000001.00000', 'hello'))));
  expect(r.installed).toEqual(['1700000001.00000.data']);
  expect(files()).toEqual(['1700000001.00000.data']);
  expect(readStored(path.join(dir(), '1700000001.00000.data')).body.toString()).toBe('hello');
});

test('a push of the version the directory already holds installs nothing, in either form', async () => {
  // The two-file form (legacy layout) and the footer form of the same version are the same object.
  seed({ '1700000001.00000.data': 'hello', '1700000001.00000.meta.json': dataMeta('1700000001.00000', 'hello') });
  expect((await receiveHashDir(access, TARGET, stream(frame(object('1700000001.00000', 'hello'))))).installed).toEqual([]);
  expect(files()).toEqual(['1700000001.00000.data', '1700000001.00000.meta.json']);
  expect(readFileSync(path.join(dir(), '1700000001.00000.data'), 'utf8')).toBe('hello');

  rmSync(dir(), { recursive: true });
  const footerForm = footerData('1700000001.00000', 'hello');
  seed({ '1700000001.00000.data': footerForm });
  expect((await receiveHashDir(access, TARGET, stream(frame(object('1700000001.00000', 'hello'))))).installed).toEqual([]);
  expect(files()).toEqual(['1700000001.00000.data']);
  expect(readFileSync(path.join(dir(), '1700000001.00000.data')).equals(footerForm)).toBe(true);
  expect(invalidated).toEqual([]);
  expect(tmpFiles()).toEqual([]);
});

test('a newer version replaces an older footer-form one; its orphan-free directory holds one file', async () => {
  seed({ '1700000001.00000.data': footerData('1700000001.00000', 'old') });
  expect((await receiveHashDir(access, TARGET, stream(frame(object('1700000002.00000', 'new'))))).installed).toEqual(['1700000002.00000.data']);
  expect(files()).toEqual(['1700000002.00000.data']);
  expect(readStored(path.join(dir(), '1700000002.00000.data')).body.toString()).toBe('new');
});

test('a newer version replaces the older files; an older one changes nothing', async () => {
  // The newer version on disk is in the two-file form (legacy layout).
  seed({ '1700000005.00000.data': 'newer', '1700000005.00000.meta.json': dataMeta('1700000005.00000', 'newer') });
  expect((await receiveHashDir(access, TARGET, stream(frame(object('1700000001.00000', 'older'))))).installed).toEqual([]);
  expect(files()).toEqual(['1700000005.00000.data', '1700000005.00000.meta.json']);
  expect(tmpFiles()).toEqual([]);

  await receiveHashDir(access, TARGET, stream(frame([{ name: '1700000009.00000.ts', content: '' }])));
  expect(files()).toEqual(['1700000009.00000.ts']);
});

test('a POST newer than the local data is installed alone', async () => {
  // The local data is in the two-file form (legacy layout); the footer form is below.
  seed({ '1700000001.00000.data': 'x', '1700000001.00000.meta.json': dataMeta('1700000001.00000', 'x') });
  const post = JSON.stringify({ version: 1, timestamp: '1700000002.00000', headers: { 'x-object-meta-a': '1' } });
  const r = await receiveHashDir(access, TARGET, stream(frame([...object('1700000001.00000', 'x'), { name: '1700000002.00000.meta', content: post }])));
  expect(r.installed).toEqual(['1700000002.00000.meta']);
  expect(files()).toEqual(['1700000001.00000.data', '1700000001.00000.meta.json', '1700000002.00000.meta']);
});

test('a POST newer than local footer-form data is installed alone, leaving the .data as it was', async () => {
  const local = footerData('1700000001.00000', 'x');
  seed({ '1700000001.00000.data': local });
  const post = JSON.stringify({ version: 1, timestamp: '1700000002.00000', headers: { 'x-object-meta-a': '1' } });
  const r = await receiveHashDir(access, TARGET, stream(frame([...object('1700000001.00000', 'x'), { name: '1700000002.00000.meta', content: post }])));
  expect(r.installed).toEqual(['1700000002.00000.meta']);
  expect(files()).toEqual(['1700000001.00000.data', '1700000002.00000.meta']);
  expect(readFileSync(path.join(dir(), '1700000001.00000.data')).equals(local)).toBe(true);
  expect(readFileSync(path.join(dir(), '1700000002.00000.meta'), 'utf8')).toBe(post);
});

describe('expirer index entries for what it installs', () => {
  test('an object with X-Delete-At gets its entry before its files appear', async () => {
    const parts = [
      { name: '1700000001.00000.data', content: 'bye' },
      { name: '1700000001.00000.meta.json', content: dataMeta('1700000001.00000', 'bye', undefined, { 'x-delete-at': '1800000000' }, '/AUTH_a/c/dir/o') },
    ];
    await receiveHashDir(access, TARGET, stream(frame(parts)));
    expect(expiries).toEqual([{ device: 'sda', hash: HASH, entry: { account: 'AUTH_a', container: 'c', object: 'dir/o', partition: '3', deleteAt: 1800000000 }, filesThen: [] }]);
    expect(files()).toEqual(['1700000001.00000.data']);
    expect(readStored(path.join(dir(), '1700000001.00000.data')).meta.headers).toEqual({ 'x-delete-at': '1800000000' });
  });

  test('a POST carrying X-Delete-At installed alone takes the name from the local two-file metadata', async () => {
    // The legacy layout: the name comes from the `.meta.json`.
    seed({ '1700000001.00000.data': 'x', '1700000001.00000.meta.json': dataMeta('1700000001.00000', 'x') });
    const post = JSON.stringify({ version: 1, timestamp: '1700000002.00000', headers: { 'x-delete-at': '1800000005' } });
    await receiveHashDir(access, TARGET, stream(frame([{ name: '1700000002.00000.meta', content: post }])));
    expect(expiries.map((e) => e.entry)).toEqual([{ account: 'a', container: 'c', object: 'o', partition: '3', deleteAt: 1800000005 }]);
    expect(expiries[0]!.filesThen).not.toContain('1700000002.00000.meta');
  });

  test('a POST carrying X-Delete-At installed alone takes the name from the local .data\'s footer', async () => {
    seed({ '1700000001.00000.data': footerData('1700000001.00000', 'x', {}, '/AUTH_f/cont/deep/name') });
    const post = JSON.stringify({ version: 1, timestamp: '1700000002.00000', headers: { 'x-delete-at': '1800000007' } });
    await receiveHashDir(access, TARGET, stream(frame([{ name: '1700000002.00000.meta', content: post }])));
    expect(expiries.map((e) => e.entry)).toEqual([{ account: 'AUTH_f', container: 'cont', object: 'deep/name', partition: '3', deleteAt: 1800000007 }]);
    expect(files()).toEqual(['1700000001.00000.data', '1700000002.00000.meta']);
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

/** What the reader would send: the manifest, then each file's first `size` bytes. */
async function readFrame(d: string): Promise<Buffer[]> {
  const opened = await openHashDir(d);
  expect(opened).toBeDefined();
  const chunks: Buffer[] = [encodeManifest(opened!.files)];
  for (const f of opened!.files) {
    const src = opened!.sources.get(f.name)!;
    chunks.push(src.kind === 'bytes' ? src.bytes : (await src.fh.readFile()).subarray(0, f.size));
  }
  await opened!.close();
  return chunks;
}

test('the reader sends what the receiver takes: a round trip stores the footer form, and sends it on unchanged', async () => {
  seed({ '1700000001.00000.data': 'round trip', '1700000001.00000.meta.json': dataMeta('1700000001.00000', 'round trip'), 'junk.tmp': 'ignored' });
  const r = await receiveHashDir(access, { ...TARGET, partition: '4' }, stream(await readFrame(dir())));
  expect(r.installed).toEqual(['1700000001.00000.data']);
  const second = access.hashDir('sda', '4', HASH);
  expect(readdirSync(second)).toEqual(['1700000001.00000.data']);
  const stored = readFileSync(path.join(second, '1700000001.00000.data'));
  expect(stored.subarray(0, 10).toString()).toBe('round trip');
  expect(stored.length).toBeGreaterThan(10);
  // From the footer form, the reader sends the same frame as from the two-file form.
  const again = Buffer.concat(await readFrame(second));
  expect(again.equals(Buffer.concat(await readFrame(dir())))).toBe(true);
  const r2 = await receiveHashDir(access, { ...TARGET, partition: '5' }, stream([again]));
  expect(r2.installed).toEqual(['1700000001.00000.data']);
  expect(readFileSync(path.join(access.hashDir('sda', '5', HASH), '1700000001.00000.data')).equals(stored)).toBe(true);
});

test('metadata longer than the reader\'s first tail read still round-trips', async () => {
  const headers = { 'x-object-meta-big': 'm'.repeat(FOOTER_FIRST_READ_BYTES * 2) };
  seed({ '1700000001.00000.data': footerData('1700000001.00000', 'small body', headers) });
  await receiveHashDir(access, { ...TARGET, partition: '4' }, stream(await readFrame(dir())));
  const stored = readStored(path.join(access.hashDir('sda', '4', HASH), '1700000001.00000.data'));
  expect(stored.body.toString()).toBe('small body');
  expect(stored.meta.headers).toEqual(headers);
});

test('the reader skips a damaged directory (data without a footer or metadata)', async () => {
  seed({ '1700000001.00000.data': 'x' });
  expect(await openHashDir(dir())).toBeUndefined();
  const bad = footerData('1700000001.00000', 'body');
  bad[6] ^= 0x01; // inside the footer's JSON: its CRC-32 fails
  seed({ '1700000001.00000.data': bad });
  expect(await openHashDir(dir())).toBeUndefined();
  seed({ '1700000001.00000.data': footerData('1700000001.00000', 'body') });
  const good = await openHashDir(dir());
  expect(good?.files).toEqual([{ name: '1700000001.00000.meta.json', size: expect.any(Number) }, { name: '1700000001.00000.data', size: 4 }]);
  await good?.close();
  expect(await openHashDir(path.join(root, 'missing'))).toBeUndefined();
});

test('removal takes exactly the named files, and the directory once empty', async () => {
  seed({ '1700000001.00000.ts': '', '1700000002.00000.ts': '' });
  expect(await removeHashFiles(access, TARGET, ['1700000001.00000.ts', 'not-ours'])).toEqual({ removed: 1, dirRemoved: false });
  expect(files()).toEqual(['1700000002.00000.ts']);
  expect(await removeHashFiles(access, TARGET, ['1700000002.00000.ts'])).toEqual({ removed: 1, dirRemoved: true });
  expect(existsSync(dir())).toBe(false);
});
