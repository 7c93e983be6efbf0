import { createHash } from 'node:crypto';
import { existsSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { DiskFile } from '../../../../../services/object/storage/diskfile/disk-file';
import { ChecksumError, DestinationClosedError } from '../../../../../services/object/storage/diskfile/open-object';
import { StorageError } from '../../../../../services/object/storage/diskfile/storage-error';
import { ls, makeStore, put, readBody, Sink, T, type Fixture } from './store-fixture';

const md5 = (s: string | Buffer): string => createHash('md5').update(s).digest('hex');

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof StorageError) return err.code;
    throw err;
  }
  throw new Error('expected a StorageError');
}

describe('DiskFile', () => {
  let f: Fixture;
  beforeEach(() => (f = makeStore()));
  afterEach(() => f.cleanup());

  test('write then read: bytes, metadata, files on disk, nothing left in tmp', async () => {
    const file = f.store.object(f.ref('dir/obj'));
    await put(file, '1700000000.00001', 'hello world', {
      contentType: 'text/plain',
      headers: { 'x-object-meta-color': 'blue', 'x-object-sysmeta-k': 'v' },
      expectedLength: 11,
      expectedEtag: md5('hello world'),
    });
    expect(file.dir).toBe(path.join(f.root, 'sda', 'objects', '7', file.hash.slice(-3), file.hash));
    expect(ls(file.dir)).toEqual(['1700000000.00001.data', '1700000000.00001.meta.json']);
    expect(ls(path.join(f.root, 'sda', 'tmp'))).toEqual([]);
    const r = await file.read();
    if (r.kind !== 'found') throw new Error(r.kind);
    expect(r.object.metadata).toMatchObject({
      name: '/AUTH_a/c/dir/obj',
      contentLength: 11,
      etag: md5('hello world'),
      contentType: 'text/plain',
      headers: { 'x-object-meta-color': 'blue', 'x-object-sysmeta-k': 'v' },
    });
    expect(r.object.metadata.timestamp.internal).toBe('1700000000.00001');
    expect((await readBody(r.object)).toString()).toBe('hello world');
  });

  test('a device that disappeared is never recreated underneath: DEVICE_UNAVAILABLE, nothing written', async () => {
    await put(f.store.object(f.ref('first')), '1700000000.00001', 'x');
    rmSync(path.join(f.root, 'sda'), { recursive: true, force: true });
    expect(await codeOf(put(f.store.object(f.ref('second')), '1700000000.00002', 'y'))).toBe('DEVICE_UNAVAILABLE');
    expect(existsSync(path.join(f.root, 'sda'))).toBe(false);
    // A DELETE creates the hash directory for its tombstone: the same rule applies.
    expect(await codeOf(f.store.object(f.ref('third')).delete(T('1700000000.00003')))).toBe('DEVICE_UNAVAILABLE');
    expect(existsSync(path.join(f.root, 'sda'))).toBe(false);
  });

  test('byte ranges', async () => {
    const file = f.store.object(f.ref());
    await put(file, '1', '0123456789');
    const r = await file.read();
    if (r.kind !== 'found') throw new Error(r.kind);
    expect((await readBody(r.object, { start: 2, end: 4 })).toString()).toBe('234');
  });

  test('a large body arrives whole through the two reused buffers; a closed destination stops the copy', async () => {
    const file = f.store.object(f.ref());
    const body = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
    await put(file, '1', body);
    let r = await file.read();
    if (r.kind !== 'found') throw new Error(r.kind);
    expect((await readBody(r.object)).equals(body)).toBe(true);
    expect((await readBody(await reopen())).subarray(0, 5).equals(body.subarray(0, 5))).toBe(true);
    r = await file.read();
    if (r.kind !== 'found') throw new Error(r.kind);
    const sink = new Sink();
    setImmediate(() => sink.destroy());
    await expect(r.object.copyTo(sink)).rejects.toBeInstanceOf(DestinationClosedError);
    async function reopen() {
      const again = await file.read();
      if (again.kind !== 'found') throw new Error(again.kind);
      return again.object;
    }
  });

  test('empty objects', async () => {
    const file = f.store.object(f.ref());
    await put(file, '1', '', { expectedLength: 0, expectedEtag: md5('') });
    const r = await file.read();
    if (r.kind !== 'found') throw new Error(r.kind);
    expect((await readBody(r.object)).length).toBe(0);
  });

  test('a newer write replaces the older one and removes its files', async () => {
    const file = f.store.object(f.ref());
    await put(file, '1700000000.00001', 'v1');
    await put(file, '1700000000.00002', 'v2');
    expect(ls(file.dir)).toEqual(['1700000000.00002.data', '1700000000.00002.meta.json']);
    const r = await file.read();
    if (r.kind !== 'found') throw new Error(r.kind);
    expect((await readBody(r.object)).toString()).toBe('v2');
  });

  test('last writer wins by timestamp: an older or equal PUT arriving late is refused and changes nothing', async () => {
    const file = f.store.object(f.ref());
    await put(file, '1700000000.00002', 'new');
    const err = await file.create(T('1700000000.00001')).then(async (w) => {
      await w.write(Buffer.from('old'));
      return w.commit({ contentType: 'x', headers: {} }).catch((e: StorageError) => e);
    });
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).code).toBe('CONFLICT');
    expect((err as StorageError).timestamp?.internal).toBe('1700000000.00002');
    expect(await codeOf(put(file, '1700000000.00002', 'same time'))).toBe('CONFLICT');
    expect(ls(file.dir)).toEqual(['1700000000.00002.data', '1700000000.00002.meta.json']);
    expect(ls(path.join(f.root, 'sda', 'tmp'))).toEqual([]);
  });

  test('DELETE writes a tombstone; reads then say deleted with its timestamp', async () => {
    const file = f.store.object(f.ref());
    await put(file, '1700000000.00001', 'x');
    expect(await file.delete(T('1700000000.00002'))).toMatchObject({ previous: 'data' });
    expect(ls(file.dir)).toEqual(['1700000000.00002.ts']);
    const r = await file.read();
    expect(r.kind).toBe('deleted');
    if (r.kind === 'deleted') expect(r.timestamp.internal).toBe('1700000000.00002');
  });

  test('DELETE of nothing still records the tombstone, so the PUT it overrides loses when it arrives later', async () => {
    const file = f.store.object(f.ref());
    expect(await file.delete(T('1700000000.00005'))).toEqual({ previous: 'missing' });
    expect(await codeOf(put(file, '1700000000.00004', 'late'))).toBe('CONFLICT');
    expect((await file.read()).kind).toBe('deleted');
    expect(await file.delete(T('1700000000.00006'))).toMatchObject({ previous: 'tombstone' });
    expect(ls(file.dir)).toEqual(['1700000000.00006.ts']);
  });

  test('an older DELETE is refused and changes nothing', async () => {
    const file = f.store.object(f.ref());
    await put(file, '1700000000.00003', 'x');
    expect(await codeOf(file.delete(T('1700000000.00002')))).toBe('CONFLICT');
    expect(await codeOf(file.delete(T('1700000000.00003')))).toBe('CONFLICT');
    await expectFound(file);
  });

  test('POST replaces user metadata and content type as a .meta file; system metadata stays', async () => {
    const file = f.store.object(f.ref());
    await put(file, '1700000000.00001', 'x', { contentType: 'text/plain', headers: { 'x-object-meta-a': '1', 'x-object-sysmeta-s': 'keep' } });
    await file.post(T('1700000000.00002'), { contentType: 'image/png', headers: { 'x-object-meta-b': '2', 'x-object-sysmeta-s': 'forged' } });
    await file.post(T('1700000000.00003'), { headers: { 'x-object-meta-c': '3' } });
    expect(ls(file.dir)).toEqual(['1700000000.00001.data', '1700000000.00001.meta.json', '1700000000.00003.meta']);
    const r = await file.read();
    if (r.kind !== 'found') throw new Error(r.kind);
    expect(r.object.metadata.headers).toEqual({ 'x-object-meta-c': '3', 'x-object-sysmeta-s': 'keep' });
    // The content type of the POST at ...02 was replaced by the newest POST, which set none.
    expect(r.object.metadata.contentType).toBe('text/plain');
    expect(r.object.metadata.timestamp.internal).toBe('1700000000.00003');
    expect(r.object.metadata.dataTimestamp.internal).toBe('1700000000.00001');
    await r.object.close();
  });

  test('POST: older than the newest metadata → CONFLICT; missing or deleted → NOT_FOUND, nothing written', async () => {
    const file = f.store.object(f.ref());
    expect(await codeOf(file.post(T('1700000000.00001'), { headers: {} }))).toBe('NOT_FOUND');
    expect(ls(file.dir)).toEqual([]);
    await put(file, '1700000000.00002', 'x');
    await file.post(T('1700000000.00004'), { headers: { 'x-object-meta-a': '1' } });
    expect(await codeOf(file.post(T('1700000000.00003'), { headers: {} }))).toBe('CONFLICT');
    expect(await codeOf(file.post(T('1700000000.00002'), { headers: {} }))).toBe('CONFLICT');
    await file.delete(T('1700000000.00005'));
    expect(await codeOf(file.post(T('1700000000.00006'), { headers: {} }))).toBe('NOT_FOUND');
    expect(ls(file.dir)).toEqual(['1700000000.00005.ts']);
  });

  test('a DELETE older than a POST but newer than the data wins (by real-time order the POST hit a deleted object)', async () => {
    const file = f.store.object(f.ref());
    await put(file, '1700000000.00001', 'x');
    await file.post(T('1700000000.00003'), { headers: {} });
    expect(await file.delete(T('1700000000.00002'))).toMatchObject({ previous: 'data' });
    expect((await file.read()).kind).toBe('deleted');
    expect(ls(file.dir)).toEqual(['1700000000.00002.ts']);
  });

  test('an aborted upload (truncated body) leaves no trace', async () => {
    const file = f.store.object(f.ref());
    const w = await file.create(T('1'));
    await w.write(Buffer.alloc(3 << 20, 1));
    expect(ls(path.join(f.root, 'sda', 'tmp'))).toHaveLength(1);
    await w.abort();
    await w.abort();
    expect(ls(path.join(f.root, 'sda', 'tmp'))).toEqual([]);
    expect(existsSync(file.dir)).toBe(false);
    expect((await file.read()).kind).toBe('missing');
  });

  test('ETag or length mismatch: refused, nothing stored', async () => {
    const file = f.store.object(f.ref());
    expect(await codeOf(put(file, '1', 'abc', { expectedEtag: md5('abd') }))).toBe('ETAG_MISMATCH');
    expect(await codeOf(put(file, '2', 'abc', { expectedLength: 4 }))).toBe('LENGTH_MISMATCH');
    expect(ls(path.join(f.root, 'sda', 'tmp'))).toEqual([]);
    expect(existsSync(file.dir)).toBe(false);
  });

  test('concurrent writers: the newest timestamp ends up alone on disk whatever the commit order', async () => {
    const file = f.store.object(f.ref());
    const writers = await Promise.all(['1700000000.00003', '1700000000.00001', '1700000000.00002'].map((t) => file.create(T(t))));
    for (const w of writers) await w.write(Buffer.from(w.timestamp.internal));
    const results = await Promise.allSettled(writers.map((w) => w.commit({ contentType: 'x', headers: {} })));
    expect(results[0].status).toBe('fulfilled');
    expect(ls(file.dir)).toEqual(['1700000000.00003.data', '1700000000.00003.meta.json']);
    expect(ls(path.join(f.root, 'sda', 'tmp'))).toEqual([]);
  });

  test('a full read that finds corrupt bytes fails before the last chunk and quarantines the object', async () => {
    const file = f.store.object(f.ref());
    const body = Buffer.alloc(1 << 20, 7);
    await put(file, '1700000000.00001', body);
    const dataPath = path.join(file.dir, '1700000000.00001.data');
    const bad = Buffer.from(body);
    bad[bad.length - 1] = 8; // same size, different bytes: only the checksum can tell
    writeFileSync(dataPath, bad);
    const r = await file.read();
    if (r.kind !== 'found') throw new Error(r.kind);
    const sink = new Sink();
    await expect(r.object.copyTo(sink)).rejects.toBeInstanceOf(ChecksumError);
    expect(sink.body.length).toBeLessThan(body.length);
    expect(sink.body.equals(bad.subarray(0, sink.body.length))).toBe(true);
    await waitFor(() => f.quarantines.length === 1);
    const q = path.join(f.root, 'sda', 'quarantined', 'objects', file.hash);
    expect(f.quarantines[0]).toMatchObject({ device: 'sda', hash: file.hash, name: '/AUTH_a/c/o', destination: q });
    expect(ls(q)).toEqual(['1700000000.00001.data', '1700000000.00001.meta.json']);
    expect((await file.read()).kind).toBe('missing');
  });

  test('damage seen at open (size mismatch, missing or bad metadata) quarantines at once', async () => {
    const a = f.store.object(f.ref('a'));
    await put(a, '1', 'abc');
    writeFileSync(path.join(a.dir, '0000000001.00000.data'), 'ab');
    expect((await a.read()).kind).toBe('missing');
    const b = f.store.object(f.ref('b'));
    await put(b, '1', 'abc');
    writeFileSync(path.join(b.dir, '0000000001.00000.meta.json'), '{not json');
    expect((await b.read()).kind).toBe('missing');
    const c = f.store.object(f.ref('c'));
    await put(c, '1', 'abc');
    unlinkSync(path.join(c.dir, '0000000001.00000.meta.json'));
    expect((await c.read()).kind).toBe('missing');
    expect(f.quarantines.map((q) => q.name)).toEqual(['/AUTH_a/c/a', '/AUTH_a/c/b', '/AUTH_a/c/c']);
  });

  test('quarantining the same hash twice keeps both copies', async () => {
    const file = f.store.object(f.ref());
    await put(file, '1', 'abc');
    await file.quarantine('test');
    await put(file, '2', 'abc');
    await file.quarantine('test again');
    const qdir = path.join(f.root, 'sda', 'quarantined', 'objects');
    expect(ls(qdir)).toEqual([file.hash, expect.stringMatching(new RegExp(`^${file.hash}-id-\\d+$`))].sort());
  });

  test('quarantine does nothing when a newer version replaced the damaged one', async () => {
    const file = f.store.object(f.ref());
    await put(file, '1', 'old');
    await put(file, '2', 'new');
    expect(await file.quarantine('stale report', '0000000001.00000.data')).toBeUndefined();
    await expectFound(file);
  });
});

async function expectFound(file: DiskFile): Promise<void> {
  const r = await file.read();
  expect(r.kind).toBe('found');
  if (r.kind === 'found') await r.object.close();
}

async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}
