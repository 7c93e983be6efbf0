import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Timestamp } from '../../../../../services/object/common/timestamp';
import { ContainerStore } from '../../../../../services/object/storage/container/container-store';
import { isDeleted, liveMetadata, mergeMetadata, rowDelta, rowWins, type ObjectRow } from '../../../../../services/object/storage/container/rows';

const T = (s: string): Timestamp => Timestamp.parse(s);
const put = (name: string, timestamp: string, size: number): ObjectRow => ({ name, timestamp, size, etag: 'e', content_type: 'text/plain', deleted: false });
const del = (name: string, timestamp: string): ObjectRow => ({ name, timestamp, size: 0, etag: '', content_type: '', deleted: true });

describe('row merge rules (pure)', () => {
  test('a row is replaced only by a strictly newer timestamp, offsets included', () => {
    expect(rowWins(undefined, put('o', '1700000000.00000', 1))).toBe(true);
    expect(rowWins(put('o', '1700000000.00000', 1), put('o', '1700000001.00000', 1))).toBe(true);
    expect(rowWins(put('o', '1700000001.00000', 1), put('o', '1700000000.00000', 1))).toBe(false);
    expect(rowWins(put('o', '1700000000.00000', 1), del('o', '1700000000.00000'))).toBe(false);
    expect(rowWins(put('o', '1700000000.00000', 1), del('o', '1700000000.00000_0000000000000001'))).toBe(true);
  });

  test('count and bytes deltas', () => {
    expect(rowDelta(undefined, put('o', '1', 10))).toEqual({ count: 1, bytes: 10 });
    expect(rowDelta(put('o', '1', 10), put('o', '2', 4))).toEqual({ count: 0, bytes: -6 });
    expect(rowDelta(put('o', '1', 10), del('o', '2'))).toEqual({ count: -1, bytes: -10 });
    expect(rowDelta(del('o', '1'), del('o', '2'))).toEqual({ count: 0, bytes: 0 });
    expect(rowDelta(undefined, del('o', '2'))).toEqual({ count: 0, bytes: 0 });
  });

  test('metadata merges item by item by timestamp; empty values remove', () => {
    let m = mergeMetadata({}, { 'x-container-meta-a': '1', 'x-container-meta-b': '2' }, T('10'));
    m = mergeMetadata(m, { 'x-container-meta-a': 'old' }, T('5'));
    m = mergeMetadata(m, { 'x-container-meta-b': '' }, T('11'));
    expect(liveMetadata(m)).toEqual({ 'x-container-meta-a': '1' });
    // The removal is kept with its timestamp, so an older set cannot bring it back.
    expect(liveMetadata(mergeMetadata(m, { 'x-container-meta-b': 'late' }, T('10.5')))).toEqual({ 'x-container-meta-a': '1' });
  });

  test('deleted means the DELETE is newer than the PUT', () => {
    const r = { account: 'a', container: 'c', created: '1', putTimestamp: '0000000002.00000', deleteTimestamp: '', metadata: {}, objectCount: 0, bytesUsed: 0 };
    expect(isDeleted(r)).toBe(false);
    expect(isDeleted({ ...r, deleteTimestamp: '0000000003.00000' })).toBe(true);
    expect(isDeleted({ ...r, deleteTimestamp: '0000000001.00000' })).toBe(false);
  });
});

describe('ContainerStore (LevelDB)', () => {
  let dir: string;
  let store: ContainerStore;
  const ref = { device: 'sda', account: 'AUTH_t', container: 'c' };
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'weft-container-'));
    mkdirSync(path.join(dir, 'sda'));
    store = new ContainerStore({ devicesRoot: dir, secret: { prefix: 'p', suffix: 's' }, fsync: false });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('rows are last-writer-wins whatever the arrival order; counts follow the winners', async () => {
    expect(await store.updateRow(ref, put('o', '0000000001.00000', 1))).toBe('no_container');
    expect(await store.putContainer(ref, T('1'), {})).toBe('created');
    expect(await store.updateRow(ref, put('o', '0000000005.00000', 50))).toBe('applied');
    expect(await store.updateRow(ref, put('o', '0000000003.00000', 30))).toBe('stale');
    expect(await store.updateRow(ref, del('o', '0000000004.00000'))).toBe('stale');
    expect(await store.updateRow(ref, put('p', '0000000002.00000', 7))).toBe('applied');
    expect(await store.record(ref)).toMatchObject({ objectCount: 2, bytesUsed: 57 });
    expect(await store.updateRow(ref, del('o', '0000000006.00000'))).toBe('applied');
    // The tombstone keeps a late, older PUT from resurrecting the object.
    expect(await store.updateRow(ref, put('o', '0000000005.50000', 1))).toBe('stale');
    expect(await store.record(ref)).toMatchObject({ objectCount: 1, bytesUsed: 7 });
    const names = (await store.list(ref, { limit: 100, reverse: false })).map((e) => (e.kind === 'object' ? e.row.name : e.subdir));
    expect(names).toEqual(['p']);
  });

  test('delete needs an empty container, and a newer PUT recreates it', async () => {
    await store.putContainer(ref, T('1'), { 'x-container-meta-k': 'v' });
    expect(await store.putContainer(ref, T('2'), {})).toBe('accepted');
    await store.updateRow(ref, put('o', '0000000003.00000', 1));
    expect(await store.deleteContainer(ref, T('4'))).toBe('not_empty');
    await store.updateRow(ref, del('o', '0000000005.00000'));
    expect(await store.deleteContainer(ref, T('1.5'))).toBe('conflict');
    expect(await store.deleteContainer(ref, T('6'))).toBe('deleted');
    expect(await store.deleteContainer(ref, T('7'))).toBe('not_found');
    expect(await store.postContainer(ref, T('7'), {})).toBe(false);
    expect(await store.putContainer(ref, T('5.5'), {})).toBe('conflict');
    expect(await store.putContainer(ref, T('8'), {})).toBe('created');
    expect(await store.record(ref)).toMatchObject({ created: '0000000008.00000', objectCount: 0 });
  });

  test('concurrent updates to one container keep the counts exact', async () => {
    await store.putContainer(ref, T('1'), {});
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.updateRow(ref, put(`o${i}`, '0000000002.00000', i))));
    expect(await store.record(ref)).toMatchObject({ objectCount: 50, bytesUsed: (49 * 50) / 2 });
    const page = await store.list(ref, { limit: 5, reverse: true, prefix: 'o1', marker: 'o15' });
    expect(page.map((e) => (e.kind === 'object' ? e.row.name : e.subdir))).toEqual(['o14', 'o13', 'o12', 'o11', 'o10']);
  });
});
