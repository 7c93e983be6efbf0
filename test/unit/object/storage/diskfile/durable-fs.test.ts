import { closeSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  createFd,
  creationGate,
  dirSyncer,
  fsyncDirs,
  makeDirs,
  makeDirsCounters,
  mkdirDurable,
  parentsOf,
  planMakeDirs,
  type DirProbe,
  type MakeDirsCounters,
} from '../../../../../services/object/storage/diskfile/durable-fs';
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

describe('planMakeDirs (where to start creating, from synchronous probes)', () => {
  const dev = '/srv/sda';
  const part = `${dev}/objects/7`;
  /** A probe over a fixed tree that records what it was asked. */
  function tree(dirs: string[], files: string[] = []): { probe: (d: string) => DirProbe; asked: string[] } {
    const asked: string[] = [];
    const all = new Set(['/', '/srv', ...dirs]);
    return {
      asked,
      probe: (d) => {
        asked.push(d);
        return all.has(d) ? 'dir' : files.includes(d) ? 'other' : 'missing';
      },
    };
  }
  const existing = [dev, `${dev}/objects`, part];

  test('an existing directory needs nothing, after one probe', () => {
    const t = tree([...existing, `${part}/abc`, `${part}/abc/hash`]);
    expect(planMakeDirs(`${part}/abc/hash`, t.probe, { device: dev })).toEqual({ kind: 'exists' });
    expect(t.asked).toEqual([`${part}/abc/hash`]);
  });

  test('a new hash directory in an existing suffix: one level, found with two probes (one when the caller saw it missing)', () => {
    const t = tree([...existing, `${part}/abc`]);
    expect(planMakeDirs(`${part}/abc/hash`, t.probe, { device: dev })).toEqual({ kind: 'create', dirs: [`${part}/abc/hash`] });
    expect(t.asked).toEqual([`${part}/abc/hash`, `${part}/abc`]);
    const again = tree([...existing, `${part}/abc`]);
    expect(planMakeDirs(`${part}/abc/hash`, again.probe, { device: dev, leafMissing: true })).toEqual({ kind: 'create', dirs: [`${part}/abc/hash`] });
    expect(again.asked).toEqual([`${part}/abc`]);
  });

  test('a new suffix, a new partition: outermost first, up to the level limit; more is left to the recursive mkdir', () => {
    expect(planMakeDirs(`${part}/abc/hash`, tree(existing).probe, { device: dev })).toEqual({ kind: 'create', dirs: [`${part}/abc`, `${part}/abc/hash`] });
    expect(planMakeDirs(`${part}/abc/hash`, tree([dev, `${dev}/objects`]).probe, { device: dev })).toEqual({
      kind: 'create',
      dirs: [part, `${part}/abc`, `${part}/abc/hash`],
    });
    expect(planMakeDirs(`${part}/abc/hash`, tree([dev]).probe, { device: dev })).toEqual({ kind: 'recursive' });
    expect(planMakeDirs(`${part}/abc/hash`, tree([dev]).probe, { device: dev, maxNew: 4 })).toEqual({
      kind: 'create',
      dirs: [`${dev}/objects`, part, `${part}/abc`, `${part}/abc/hash`],
    });
    expect(planMakeDirs(`${part}/abc/hash`, tree(existing).probe, { device: dev, maxNew: 1 })).toEqual({ kind: 'recursive' });
  });

  test('a missing device is never planned for (the recursive mkdir refuses it); the device itself may be the parent', () => {
    expect(planMakeDirs(`${dev}/tmp`, tree([]).probe, { device: dev })).toEqual({ kind: 'recursive' });
    expect(planMakeDirs(`${dev}/objects/7`, tree([]).probe, { device: dev })).toEqual({ kind: 'recursive' });
    expect(planMakeDirs(`${dev}/tmp`, tree([dev]).probe, { device: dev })).toEqual({ kind: 'create', dirs: [`${dev}/tmp`] });
    expect(planMakeDirs(`${dev}/tmp`, tree([dev]).probe, { device: `${dev}/` })).toEqual({ kind: 'create', dirs: [`${dev}/tmp`] });
    // A sibling whose name starts like the device's is not under it.
    expect(planMakeDirs(`${dev}x/tmp`, tree([`${dev}x`]).probe, { device: dev })).toEqual({ kind: 'recursive' });
    // Without a device, any existing ancestor will do.
    expect(planMakeDirs(`${dev}/tmp`, tree([]).probe)).toEqual({ kind: 'create', dirs: [dev, `${dev}/tmp`] });
  });

  test('anything but a directory on the way (or at the leaf) is left to the recursive mkdir, which reports it', () => {
    expect(planMakeDirs(`${part}/abc/hash`, tree(existing, [`${part}/abc`]).probe, { device: dev })).toEqual({ kind: 'recursive' });
    expect(planMakeDirs(`${part}/abc`, tree(existing, [`${part}/abc`]).probe, { device: dev })).toEqual({ kind: 'recursive' });
  });

  test('relative paths are resolved; nothing missing up to the root plans nothing', () => {
    const t = tree([process.cwd()]);
    expect(planMakeDirs('a', t.probe)).toEqual({ kind: 'create', dirs: [path.resolve('a')] });
    const nothing: (d: string) => DirProbe = () => 'missing';
    expect(planMakeDirs('/a/b', nothing, { maxNew: 10 })).toEqual({ kind: 'recursive' });
  });
});

describe('makeDirs on disk: planned creations and hand-overs', () => {
  function delta(before: MakeDirsCounters): MakeDirsCounters {
    const now = makeDirsCounters();
    return { levels: now.levels - before.levels, recursive: now.recursive - before.recursive };
  }

  test('a new hash directory in a new suffix: two single mkdirs, no recursive one; an existing directory: none at all', async () => {
    const dev = path.join(root, 'sda');
    mkdirSync(path.join(dev, 'objects', '7'), { recursive: true });
    const leaf = path.join(dev, 'objects', '7', 'abc', 'hash');
    let before = makeDirsCounters();
    expect(await makeDirs(leaf, dev)).toEqual([path.join(dev, 'objects', '7', 'abc'), leaf]);
    expect(delta(before)).toEqual({ levels: 2, recursive: 0 });
    expect(existsSync(leaf)).toBe(true);
    before = makeDirsCounters();
    expect(await makeDirs(leaf, dev)).toEqual([]);
    expect(await mkdirDurable(leaf, true, dev)).toBeUndefined();
    expect(delta(before)).toEqual({ levels: 0, recursive: 0 });
  });

  test('told the leaf is missing when it was created meanwhile: the recursive mkdir finds it, nothing reported created', async () => {
    const leaf = path.join(root, 'x');
    mkdirSync(leaf);
    const before = makeDirsCounters();
    expect(await makeDirs(leaf, undefined, { leafMissing: true })).toEqual([]);
    expect(delta(before)).toEqual({ levels: 1, recursive: 1 });
  });

  test('a file where a directory should be: the same errors as mkdir -p', async () => {
    writeFileSync(path.join(root, 'f'), 'x');
    await expect(makeDirs(path.join(root, 'f'))).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(makeDirs(path.join(root, 'f'), undefined, { leafMissing: true })).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(makeDirs(path.join(root, 'f', 'g'))).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  test('a device missing one level up is not recreated either', async () => {
    const dev = path.join(root, 'gone');
    await expect(makeDirs(path.join(dev, 'tmp'), dev)).rejects.toMatchObject({ code: 'DEVICE_UNAVAILABLE' });
    expect(existsSync(dev)).toBe(false);
  });

  test('concurrent creators of one new suffix: every leaf made, each directory reported by exactly one of them', async () => {
    const part = path.join(root, 'p');
    mkdirSync(part);
    const leaves = Array.from({ length: 8 }, (_, i) => path.join(part, 'abc', `h${i}`));
    const results = await Promise.all(leaves.map((l) => makeDirs(l, root)));
    for (const l of leaves) expect(existsSync(l)).toBe(true);
    const reported = results.flat().sort();
    expect(reported).toEqual([path.join(part, 'abc'), ...leaves].sort());
  });
});

describe('inode creations inline and in the pool (creation gate)', () => {
  afterEach(() => creationGate.setMode('auto'));

  for (const mode of ['inline', 'pool'] as const) {
    test(`${mode}: makeDirs and createFd create the same things, and the gate counts them there`, async () => {
      creationGate.setMode(mode);
      const before = creationGate.counters();
      const dev = path.join(root, 'sda');
      mkdirSync(path.join(dev, 'objects'), { recursive: true });
      const leaf = path.join(dev, 'objects', '7', 'abc', 'hash');
      expect(await makeDirs(leaf, dev)).toEqual([path.join(dev, 'objects', '7'), path.join(dev, 'objects', '7', 'abc'), leaf]);
      const file = path.join(leaf, 'f');
      const fd = await createFd(file, 'wx');
      writeSync(fd, 'x');
      closeSync(fd);
      expect(readFileSync(file, 'utf8')).toBe('x');
      // `wx` refuses an existing file on both paths, with the same error.
      await expect(createFd(file, 'wx')).rejects.toMatchObject({ code: 'EEXIST' });
      // `a` opens an existing file for appending.
      const fd2 = await createFd(file, 'a');
      writeSync(fd2, 'y');
      closeSync(fd2);
      expect(readFileSync(file, 'utf8')).toBe('xy');
      const after = creationGate.counters();
      const moved = mode === 'inline' ? after.inline - before.inline : after.pooled - before.pooled;
      const other = mode === 'inline' ? after.pooled - before.pooled : after.inline - before.inline;
      expect(moved).toBe(3 + 3); // three mkdirs, three opens
      expect(other).toBe(0);
    });
  }
});
