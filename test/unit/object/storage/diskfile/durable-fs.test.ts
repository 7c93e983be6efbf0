import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { dirSyncer, fsyncDirs, makeDirs, mkdirDurable, parentsOf } from '../../../../../services/object/storage/diskfile/durable-fs';
import { StorageError } from '../../../../../services/object/storage/diskfile/storage-error';

let root: string;
beforeEach(() => (root = mkdtempSync(path.join(tmpdir(), 'weft-durable-'))));
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('makeDirs', () => {
  test('creates the missing chain and returns what it created, outermost first', async () => {
    const dev = path.join(root, 'sda');
    mkdirSync(dev);
    const leaf = path.join(dev, 'objects', '7', 'abc', 'hash');
    expect(await makeDirs(leaf, dev)).toEqual([path.join(dev, 'objects'), path.join(dev, 'objects', '7'), path.join(dev, 'objects', '7', 'abc'), leaf]);
    expect(existsSync(leaf)).toBe(true);
    // The parents to sync: each created directory's entry lives in its parent.
    expect(parentsOf([path.join(dev, 'objects'), leaf])).toEqual([dev, path.join(dev, 'objects', '7', 'abc')]);
    expect(await makeDirs(leaf, dev)).toEqual([]);
    expect(await makeDirs(path.join(dev, 'objects', '7', 'abc', 'other'), dev)).toEqual([path.join(dev, 'objects', '7', 'abc', 'other')]);
  });

  test('a missing device is never recreated: DEVICE_UNAVAILABLE and nothing created', async () => {
    const dev = path.join(root, 'gone');
    let err: unknown;
    try {
      await makeDirs(path.join(dev, 'objects', '1'), dev);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).code).toBe('DEVICE_UNAVAILABLE');
    expect(existsSync(dev)).toBe(false);
  });

  test('without a device, creates up from the nearest existing ancestor', async () => {
    const leaf = path.join(root, 'a', 'b');
    expect(await makeDirs(leaf)).toEqual([path.join(root, 'a'), leaf]);
  });
});

describe('durable directory steps', () => {
  test('mkdirDurable syncs the parent of every directory it created, and nothing when none was', async () => {
    const before = dirSyncer.counters;
    await mkdirDurable(path.join(root, 'x', 'y'), true);
    expect(dirSyncer.counters.requests - before.requests).toBe(2);
    await mkdirDurable(path.join(root, 'x', 'y'), true);
    await mkdirDurable(path.join(root, 'x', 'z'), false);
    expect(dirSyncer.counters.requests - before.requests).toBe(2);
  });

  test('fsyncDirs syncs each distinct directory once; concurrent callers share syncs', async () => {
    const before = dirSyncer.counters;
    await fsyncDirs([root, root, path.join(root)]);
    expect(dirSyncer.counters.requests - before.requests).toBe(1);
    const mid = dirSyncer.counters;
    await Promise.all(Array.from({ length: 20 }, () => fsyncDirs([root])));
    const after = dirSyncer.counters;
    expect(after.requests - mid.requests).toBe(20);
    expect(after.syncs - mid.syncs).toBeLessThanOrEqual(2);
  });
});
