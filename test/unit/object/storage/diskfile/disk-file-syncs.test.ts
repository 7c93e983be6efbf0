/**
 * What a write costs in syncs (fsync on): pinned so that a change adding syncs to the write path
 * is noticed. Directory syncs are counted by the DirSyncer; every fsync(2), file or directory,
 * goes through durable-fs's fsyncFd, which a spy counts.
 */
import * as durableFs from '../../../../../services/object/storage/diskfile/durable-fs';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { dirSyncer, makeDirsCounters } from '../../../../../services/object/storage/diskfile/durable-fs';
import { ls, makeStore, put, T, type Fixture } from './store-fixture';

let fx: Fixture;
beforeEach(() => (fx = makeStore()));
afterEach(() => {
  jest.restoreAllMocks();
  fx.cleanup();
});

async function dirSyncRequests(fn: () => Promise<unknown>): Promise<number> {
  const before = dirSyncer.counters.requests;
  await fn();
  return dirSyncer.counters.requests - before;
}

describe('directory syncs per write', () => {
  test('new object: its hash directory and the parent of each directory created; overwrite, DELETE, POST: the hash directory only', async () => {
    const a = fx.store.object(fx.ref('a'));
    // First object of the device: objects/, the partition, the suffix and the hash directory are
    // new, so their parents (device, objects/, partition, suffix) and the hash directory are synced.
    expect(await dirSyncRequests(() => put(a, '1700000001.00000', 'one'))).toBe(5);
    let other = fx.store.object(fx.ref('b'));
    for (let i = 0; other.suffix === a.suffix; i++) other = fx.store.object(fx.ref(`b${i}`));
    // Same partition, new suffix: partition, suffix, hash directory.
    expect(await dirSyncRequests(() => put(other, '1700000001.00000', 'two'))).toBe(3);
    expect(await dirSyncRequests(() => put(a, '1700000002.00000', 'one again'))).toBe(1);
    expect(await dirSyncRequests(() => a.post(T('1700000003.00000'), { headers: {} }))).toBe(1);
    expect(await dirSyncRequests(() => a.delete(T('1700000004.00000')))).toBe(1);
  });

  test('concurrent new objects in one partition share the syncs of the directories they have in common', async () => {
    await put(fx.store.object(fx.ref('seed')), '1700000001.00000', 'x');
    const before = dirSyncer.counters;
    await Promise.all(Array.from({ length: 24 }, (_, i) => put(fx.store.object(fx.ref(`o-${i}`)), '1700000002.00000', `body ${i}`)));
    const after = dirSyncer.counters;
    const requests = after.requests - before.requests;
    // Each new object asks for its hash directory, its suffix and (new suffix) the partition.
    expect(requests).toBeGreaterThanOrEqual(24 * 2);
    expect(after.syncs - before.syncs).toBeLessThan(requests);
    for (let i = 0; i < 24; i++) {
      const r = await fx.store.object(fx.ref(`o-${i}`)).read();
      expect(r.kind).toBe('found');
      if (r.kind === 'found') await r.object.close();
    }
  });
});

describe('directories created by a concurrent change', () => {
  test('two new objects in one new suffix: each PUT syncs the partition (the suffix entry) before it is acknowledged, whichever created the suffix', async () => {
    await put(fx.store.object(fx.ref('seed')), '1700000001.00000', 'x');
    const seed = fx.store.object(fx.ref('seed'));
    const a = fx.store.object(fx.ref('a'));
    let b = fx.store.object(fx.ref('b'));
    for (let i = 0; b.suffix !== a.suffix || b.hash === a.hash; i++) b = fx.store.object(fx.ref(`b${i}`));
    expect(a.suffix).not.toBe(seed.suffix);
    const partitionDir = a.partitionDir;
    const asked: string[] = [];
    const sync = dirSyncer.sync.bind(dirSyncer);
    // The partition's sync is held until both PUTs asked for it (or 300 ms passed: then the
    // count below fails): otherwise the suffix's creator could finish its sync and mark the
    // suffix durable before the other one looks, and that one would rightly not ask.
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
      setTimeout(r, 300);
    });
    jest.spyOn(dirSyncer, 'sync').mockImplementation(async (dir: string) => {
      asked.push(dir);
      if (dir !== partitionDir) return sync(dir);
      if (asked.filter((d) => d === partitionDir).length >= 2) release();
      await held;
      return sync(dir);
    });
    await Promise.all([put(a, '1700000002.00000', 'one'), put(b, '1700000002.00000', 'two')]);
    // Without the rule, only the PUT that created the suffix asks for the partition's sync, and
    // the other could be acknowledged while the suffix's entry is not yet on disk.
    expect(asked.filter((d) => d === partitionDir)).toHaveLength(2);
    // Once synced, later changes in that suffix ask for their hash directory (and its parent, the suffix) only.
    asked.length = 0;
    let c = fx.store.object(fx.ref('c'));
    for (let i = 0; c.suffix !== a.suffix || c.hash === a.hash || c.hash === b.hash; i++) c = fx.store.object(fx.ref(`c${i}`));
    await put(c, '1700000003.00000', 'three');
    expect(asked.sort()).toEqual([c.dir, path.dirname(c.dir)].sort());
  });
});

describe('file syncs per write', () => {
  /** fsync(2) calls on files: all fsyncs minus the directory syncs. */
  async function fileSyncs(fn: () => Promise<unknown>): Promise<number> {
    const spy = jest.spyOn(durableFs, 'fsyncFd');
    const dirsBefore = dirSyncer.counters.syncs;
    try {
      await fn();
      return spy.mock.calls.length - (dirSyncer.counters.syncs - dirsBefore);
    } finally {
      spy.mockRestore();
    }
  }

  test('a PUT syncs one file (the .data with its metadata footer); a POST its .meta; a DELETE its tombstone', async () => {
    const a = fx.store.object(fx.ref('a'));
    expect(await fileSyncs(() => put(a, '1700000001.00000', 'one'))).toBe(1);
    expect(await fileSyncs(() => put(a, '1700000002.00000', 'one again'))).toBe(1);
    expect(await fileSyncs(() => a.post(T('1700000003.00000'), { headers: {} }))).toBe(1);
    expect(await fileSyncs(() => a.delete(T('1700000004.00000')))).toBe(1);
  });

  test('a refused PUT syncs nothing', async () => {
    const a = fx.store.object(fx.ref('a'));
    await put(a, '1700000002.00000', 'x');
    const spy = jest.spyOn(durableFs, 'fsyncFd');
    await expect(put(a, '1700000003.00000', 'abc', { expectedLength: 4 })).rejects.toThrow();
    expect(spy).not.toHaveBeenCalled();
  });
});

describe('directory creations per write', () => {
  async function creations(fn: () => Promise<unknown>): Promise<{ levels: number; recursive: number }> {
    const before = makeDirsCounters();
    await fn();
    const after = makeDirsCounters();
    return { levels: after.levels - before.levels, recursive: after.recursive - before.recursive };
  }

  test('a new object in a new suffix: its suffix and hash directories, one mkdir each; an overwrite or a DELETE: none', async () => {
    const seed = fx.store.object(fx.ref('seed'));
    await put(seed, '1700000001.00000', 'x');
    let a = fx.store.object(fx.ref('a'));
    for (let i = 0; a.suffix === seed.suffix; i++) a = fx.store.object(fx.ref(`a${i}`));
    expect(await creations(() => put(a, '1700000001.00000', 'one'))).toEqual({ levels: 2, recursive: 0 });
    expect(await creations(() => put(a, '1700000002.00000', 'two'))).toEqual({ levels: 0, recursive: 0 });
    expect(await creations(() => a.delete(T('1700000003.00000')))).toEqual({ levels: 0, recursive: 0 });
    // A DELETE of an object never written creates its directory like a PUT does.
    let b = fx.store.object(fx.ref('b'));
    for (let i = 0; b.suffix === seed.suffix || b.suffix === a.suffix; i++) b = fx.store.object(fx.ref(`b${i}`));
    expect(await creations(() => b.delete(T('1700000004.00000')))).toEqual({ levels: 2, recursive: 0 });
    expect(ls(b.dir)).toEqual(['1700000004.00000.ts']);
  });

  test('an empty hash directory already there (a crash leftover) is used as it is: nothing created, only it synced', async () => {
    await put(fx.store.object(fx.ref('seed')), '1700000001.00000', 'x');
    const a = fx.store.object(fx.ref('a'));
    mkdirSync(a.dir, { recursive: true });
    let syncs = 0;
    expect(
      await creations(async () => {
        syncs = await dirSyncRequests(() => put(a, '1700000002.00000', 'one'));
      }),
    ).toEqual({ levels: 0, recursive: 0 });
    expect(syncs).toBe(1);
    const r = await a.read();
    expect(r.kind).toBe('found');
    if (r.kind === 'found') await r.object.close();
  });
});
