import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import { encodeFooter, FOOTER_FIRST_READ_BYTES, FOOTER_MAGIC, FOOTER_TRAILER_BYTES } from '../../../../../services/object/storage/diskfile/data-footer';
import type { DiskFile } from '../../../../../services/object/storage/diskfile/disk-file';
import { readFooter } from '../../../../../services/object/storage/diskfile/footer-reader';
import type { DataMetadataFile } from '../../../../../services/object/storage/diskfile/object-metadata';
import { ChecksumError, DestinationClosedError } from '../../../../../services/object/storage/diskfile/open-object';
import { StorageError } from '../../../../../services/object/storage/diskfile/storage-error';
import { dataPath, editData, ls, makeStore, put, readBody, seedTwoFileForm, Sink, T, type Fixture } from './store-fixture';

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

  test('write then read: bytes, metadata, one file on disk (body then footer), nothing left in tmp', async () => {
    const file = f.store.object(f.ref('dir/obj'));
    await put(file, '1700000000.00001', 'hello world', {
      contentType: 'text/plain',
      headers: { 'x-object-meta-color': 'blue', 'x-object-sysmeta-k': 'v' },
      expectedLength: 11,
      expectedEtag: md5('hello world'),
    });
    expect(file.dir).toBe(path.join(f.root, 'sda', 'objects', '7', file.hash.slice(-3), file.hash));
    expect(ls(file.dir)).toEqual(['1700000000.00001.data']);
    expect(ls(path.join(f.root, 'sda', 'tmp'))).toEqual([]);
    const onDisk = readFileSync(dataPath(file, '1700000000.00001'));
    expect(onDisk.subarray(0, 11).toString()).toBe('hello world');
    expect(onDisk.subarray(onDisk.length - FOOTER_MAGIC.length).equals(FOOTER_MAGIC)).toBe(true);
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
    // The last bytes of the body, right before the footer: nothing of the footer leaks in.
    const again = await file.read();
    if (again.kind !== 'found') throw new Error(again.kind);
    expect((await readBody(again.object, { start: 7, end: 9 })).toString()).toBe('789');
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
    expect(ls(file.dir)).toEqual(['1700000000.00002.data']);
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
    expect(ls(file.dir)).toEqual(['1700000000.00002.data']);
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
    expect(ls(file.dir)).toEqual(['1700000000.00001.data', '1700000000.00003.meta']);
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
    expect(ls(file.dir)).toEqual(['1700000000.00003.data']);
    expect(ls(path.join(f.root, 'sda', 'tmp'))).toEqual([]);
  });

  test('a full read that finds corrupt bytes fails before the last chunk and quarantines the object', async () => {
    const file = f.store.object(f.ref());
    const body = Buffer.alloc(1 << 20, 7);
    await put(file, '1700000000.00001', body);
    const bad = Buffer.from(body);
    bad[bad.length - 1] = 8; // same size, different bytes, footer intact: only the checksum can tell
    editData(file, '1700000000.00001', (bytes) => Buffer.concat([bad, bytes.subarray(body.length)]));
    const r = await file.read();
    if (r.kind !== 'found') throw new Error(r.kind);
    const sink = new Sink();
    await expect(r.object.copyTo(sink)).rejects.toBeInstanceOf(ChecksumError);
    expect(sink.body.length).toBeLessThan(body.length);
    expect(sink.body.equals(bad.subarray(0, sink.body.length))).toBe(true);
    await waitFor(() => f.quarantines.length === 1);
    const q = path.join(f.root, 'sda', 'quarantined', 'objects', file.hash);
    expect(f.quarantines[0]).toMatchObject({ device: 'sda', hash: file.hash, name: '/AUTH_a/c/o', destination: q });
    expect(ls(q)).toEqual(['1700000000.00001.data']);
    expect((await file.read()).kind).toBe('missing');
  });

  // Each way a footer-form `.data` can be damaged; `edit` maps the file's bytes (body "abc",
  // then the footer) to the damaged ones.
  const footerDamage: Array<{ what: string; edit: (b: Buffer) => Buffer; reason: RegExp }> = [
    { what: 'no footer at all (a bare body)', edit: (b) => b.subarray(0, 3), reason: /no metadata footer/ },
    { what: 'an empty file', edit: () => Buffer.alloc(0), reason: /no metadata footer/ },
    { what: 'a bad magic', edit: (b) => withByte(b, b.length - 1, 0x30), reason: /no metadata footer/ },
    { what: 'bytes appended after the footer', edit: (b) => Buffer.concat([b, Buffer.from('x')]), reason: /no metadata footer/ },
    { what: 'a flipped byte in the JSON', edit: (b) => withByte(b, 3 + 10, b[3 + 10] ^ 1), reason: /CRC-32/ },
    { what: 'a wrong CRC field', edit: (b) => withU32(b, b.length - 12, b.readUInt32BE(b.length - 12) ^ 1), reason: /CRC-32/ },
    { what: 'a JSON length pointing inside the JSON', edit: (b) => withU32(b, b.length - 16, b.readUInt32BE(b.length - 16) - 1), reason: /CRC-32/ },
    { what: 'a JSON length longer than the file', edit: (b) => withU32(b, b.length - 16, b.length), reason: /claims/ },
    { what: 'a JSON length over the limit', edit: (b) => withU32(b, b.length - 16, 0xffffffff), reason: /claims/ },
    { what: 'a JSON whose CRC holds but is not metadata', edit: (b) => Buffer.concat([b.subarray(0, 3), rawFooter(Buffer.from('{"version":1}'))]), reason: /unreadable metadata footer/ },
    { what: 'a body byte missing (size mismatch)', edit: (b) => b.subarray(1), reason: /holds \d+ bytes, metadata says 3/ },
    { what: 'an extra body byte (size mismatch)', edit: (b) => Buffer.concat([Buffer.from('a'), b]), reason: /holds \d+ bytes, metadata says 3/ },
    { what: 'the footer of another timestamp', edit: (b) => Buffer.concat([b.subarray(0, 3), encodeFooter({ ...footerOf(b), timestamp: T('2').internal })]), reason: /^unreadable metadata$/ },
  ];

  test.each(footerDamage)('footer form: $what is quarantined at open and the object reads as missing', async ({ edit, reason }) => {
    const file = f.store.object(f.ref());
    await put(file, '1', 'abc');
    editData(file, '1', edit);
    expect((await file.read()).kind).toBe('missing');
    expect(f.quarantines).toHaveLength(1);
    expect(f.quarantines[0].name).toBe('/AUTH_a/c/o');
    expect(f.quarantines[0].reason).toMatch(reason);
    expect(ls(f.quarantines[0].destination)).toEqual(['0000000001.00000.data']);
    expect(existsSync(file.dir)).toBe(false);
  });

  test('footer form, objects read through the thread pool (large body) or with metadata longer than the first tail read: damage is quarantined too', async () => {
    const big = f.store.object(f.ref('big'));
    await put(big, '1', Buffer.alloc(1 << 20, 3));
    editData(big, '1', (b) => withU32(b, b.length - 12, b.readUInt32BE(b.length - 12) ^ 1));
    expect((await big.read()).kind).toBe('missing');
    const longMeta = f.store.object(f.ref('long-meta'));
    await put(longMeta, '1', 'abc', { headers: { 'x-object-meta-long': 'y'.repeat(2 * FOOTER_FIRST_READ_BYTES) } });
    // A byte of the JSON outside the first tail read: only the second read sees it.
    editData(longMeta, '1', (b) => withByte(b, 3 + 20, b[3 + 20] ^ 1));
    expect((await longMeta.read()).kind).toBe('missing');
    expect(f.quarantines.map((q) => [q.name, q.reason])).toEqual([
      ['/AUTH_a/c/big', expect.stringMatching(/CRC-32/)],
      ['/AUTH_a/c/long-meta', expect.stringMatching(/CRC-32/)],
    ]);
  });

  // The legacy read path: two-file form seeded by hand.
  test('two-file form: a size mismatch or a bad .meta.json quarantines at open', async () => {
    const a = f.store.object(f.ref('a'));
    seedTwoFileForm(a, '1', 'ab', { contentLength: 3 });
    expect((await a.read()).kind).toBe('missing');
    const b = f.store.object(f.ref('b'));
    seedTwoFileForm(b, '1', 'abc');
    writeFileSync(path.join(b.dir, '0000000001.00000.meta.json'), '{not json');
    expect((await b.read()).kind).toBe('missing');
    const c = f.store.object(f.ref('c'));
    seedTwoFileForm(c, '1', 'abc', { timestamp: T('2').internal });
    expect((await c.read()).kind).toBe('missing');
    // The reasons say the .meta.json was read (a footer reader would find no footer at all).
    expect(f.quarantines.map((q) => [q.name, q.reason])).toEqual([
      ['/AUTH_a/c/a', expect.stringMatching(/holds 2 bytes, metadata says 3$/)],
      ['/AUTH_a/c/b', 'unreadable metadata'],
      ['/AUTH_a/c/c', 'unreadable metadata'],
    ]);
    expect(ls(f.quarantines[0].destination)).toEqual(['0000000001.00000.data', '0000000001.00000.meta.json']);
  });

  // The legacy read path: two-file form seeded by hand, as PUTs wrote it before the footer.
  test('two-file form: bytes, ranges and metadata read from the .meta.json; a POST on it works; a newer PUT replaces both files', async () => {
    const file = f.store.object(f.ref());
    const body = 'legacy body bytes';
    seedTwoFileForm(file, '1700000000.00001', body, { contentType: 'text/csv', headers: { 'x-object-meta-a': '1', 'x-object-sysmeta-s': 'keep' } });
    let r = await file.read();
    if (r.kind !== 'found') throw new Error(r.kind);
    expect(r.object.metadata).toMatchObject({ name: '/AUTH_a/c/o', contentLength: body.length, etag: md5(body), contentType: 'text/csv', headers: { 'x-object-meta-a': '1', 'x-object-sysmeta-s': 'keep' } });
    expect((await readBody(r.object)).toString()).toBe(body);
    r = await file.read();
    if (r.kind !== 'found') throw new Error(r.kind);
    expect((await readBody(r.object, { start: 7, end: 10 })).toString()).toBe('body');

    await file.post(T('1700000000.00002'), { contentType: 'image/png', headers: { 'x-object-meta-b': '2' } });
    expect(ls(file.dir)).toEqual(['1700000000.00001.data', '1700000000.00001.meta.json', '1700000000.00002.meta']);
    r = await file.read();
    if (r.kind !== 'found') throw new Error(r.kind);
    expect(r.object.metadata).toMatchObject({ contentType: 'image/png', contentLength: body.length, headers: { 'x-object-meta-b': '2', 'x-object-sysmeta-s': 'keep' } });
    expect(r.object.metadata.timestamp.internal).toBe('1700000000.00002');
    expect(r.object.metadata.dataTimestamp.internal).toBe('1700000000.00001');
    expect((await readBody(r.object)).toString()).toBe(body);
    expect(await codeOf(put(file, '1700000000.00001', 'same time as the legacy version'))).toBe('CONFLICT');

    await put(file, '1700000000.00003', 'v3');
    expect(ls(file.dir)).toEqual(['1700000000.00003.data']);
    r = await file.read();
    if (r.kind !== 'found') throw new Error(r.kind);
    expect((await readBody(r.object)).toString()).toBe('v3');
    expect(f.quarantines).toEqual([]);
  });

  // The legacy form seeded by hand: a DELETE leaves only its tombstone.
  test('two-file form: a DELETE removes both files', async () => {
    const file = f.store.object(f.ref());
    seedTwoFileForm(file, '1700000000.00001', 'legacy');
    expect(await file.delete(T('1700000000.00002'))).toMatchObject({ previous: 'data' });
    expect(ls(file.dir)).toEqual(['1700000000.00002.ts']);
  });

  test('a PUT at the timestamp of an orphan .meta.json (crash leftover, no .data) removes it first and reads from its footer', async () => {
    // With an older winner beside the orphan: the PUT is newer than the winner, so accepted.
    const withOlder = f.store.object(f.ref('with-older'));
    await put(withOlder, '1700000000.00001', 'old');
    writeOrphanMetaJson(withOlder, '1700000000.00002');
    await put(withOlder, '1700000000.00002', 'new body');
    expect(ls(withOlder.dir)).toEqual(['1700000000.00002.data']);
    // Alone in its directory: nothing is a winner, so no timestamp is refused.
    const alone = f.store.object(f.ref('alone'));
    writeOrphanMetaJson(alone, '1700000000.00002');
    await put(alone, '1700000000.00002', 'new body');
    expect(ls(alone.dir)).toEqual(['1700000000.00002.data']);
    for (const file of [withOlder, alone]) {
      const r = await file.read();
      if (r.kind !== 'found') throw new Error(r.kind);
      // The orphan claimed 999 bytes and another ETag: none of it may leak into the new version.
      expect(r.object.metadata).toMatchObject({ contentLength: 8, etag: md5('new body') });
      expect((await readBody(r.object)).toString()).toBe('new body');
    }
    expect(f.quarantines).toEqual([]);
  });

  test('readFooter on the written file gives the metadata commit() returned; the footer is exactly encodeFooter of it', async () => {
    for (const [object, headers] of [
      ['short', { 'x-object-meta-a': '1' }],
      ['long', { 'x-object-meta-long': 'z'.repeat(2 * FOOTER_FIRST_READ_BYTES) }],
    ] as const) {
      const file = f.store.object(f.ref(object));
      const w = await file.create(T('1700000000.00001'));
      await w.write(Buffer.from('body!'));
      const committed = await w.commit({ contentType: 'text/plain', headers });
      const p = dataPath(file, '1700000000.00001');
      const size = statSync(p).size;
      const footer = encodeFooter(committed);
      expect(size).toBe(5 + footer.length);
      expect(footer.length).toBe(Buffer.byteLength(JSON.stringify(committed)) + FOOTER_TRAILER_BYTES);
      const fh = await open(p, 'r');
      try {
        const read = await readFooter(fh, size);
        if (!read.ok) throw new Error(read.reason);
        expect(read.meta).toEqual(committed);
      } finally {
        await fh.close();
      }
      const bytes = readFileSync(p);
      expect(bytes.subarray(5).equals(footer)).toBe(true);
      expect(bytes.subarray(0, 5).toString()).toBe('body!');
      const r = await file.read();
      if (r.kind !== 'found') throw new Error(r.kind);
      expect(r.object.metadata.headers).toEqual(headers);
      expect((await readBody(r.object)).toString()).toBe('body!');
    }
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

  test('a missing hash directory (or a file in its place) reads as missing; a PUT into a missing one creates it', async () => {
    const file = f.store.object(f.ref('new'));
    expect((await file.state()).winner).toBeUndefined();
    expect((await file.read()).kind).toBe('missing');
    // A file where the suffix directory should be: ENOTDIR, which also means "nothing there".
    mkdirSync(path.dirname(path.dirname(file.dir)), { recursive: true });
    writeFileSync(path.dirname(file.dir), 'not a directory');
    expect((await file.state()).winner).toBeUndefined();
    expect((await file.read()).kind).toBe('missing');
    rmSync(path.dirname(file.dir));
    await put(file, '1700000000.00001', 'x');
    expect(ls(file.dir)).toEqual(['1700000000.00001.data']);
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

function withByte(b: Buffer, at: number, value: number): Buffer {
  const c = Buffer.from(b);
  c[at] = value;
  return c;
}

function withU32(b: Buffer, at: number, value: number): Buffer {
  const c = Buffer.from(b);
  c.writeUInt32BE(value >>> 0, at);
  return c;
}

/** A footer around arbitrary JSON bytes, with a correct length and CRC. */
function rawFooter(json: Buffer): Buffer {
  const trailer = Buffer.alloc(FOOTER_TRAILER_BYTES);
  trailer.writeUInt32BE(json.length, 0);
  trailer.writeUInt32BE(crc32(json), 4);
  FOOTER_MAGIC.copy(trailer, 8);
  return Buffer.concat([json, trailer]);
}

/** The metadata in the footer of a whole `.data`. */
function footerOf(b: Buffer): DataMetadataFile {
  const m = b.readUInt32BE(b.length - FOOTER_TRAILER_BYTES);
  return JSON.parse(b.subarray(b.length - FOOTER_TRAILER_BYTES - m, b.length - FOOTER_TRAILER_BYTES).toString('utf8')) as DataMetadataFile;
}

/** A `.meta.json` left without its `.data` (a crash of the two-file form's PUT), claiming another body. */
function writeOrphanMetaJson(file: DiskFile, ts: string): void {
  const meta: DataMetadataFile = { version: 1, name: file.name, timestamp: T(ts).internal, contentLength: 999, etag: md5('other'), contentType: 'x/orphan', headers: {} };
  mkdirSync(file.dir, { recursive: true });
  writeFileSync(path.join(file.dir, `${T(ts).internal}.meta.json`), JSON.stringify(meta));
}
