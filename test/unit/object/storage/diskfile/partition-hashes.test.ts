import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync, mkdirSync, renameSync } from 'node:fs';
import * as path from 'node:path';
import { ls, makeStore, put, seedTwoFileForm, T, type Fixture } from './store-fixture';

describe('hashes.json (suffix hashes for the replicator)', () => {
  let f: Fixture;
  beforeEach(() => (f = makeStore(['sda', 'sdb'])));
  afterEach(() => f.cleanup());

  test('suffix → MD5 of the live file names under it', async () => {
    const file = f.store.object(f.ref());
    await put(file, '1700000000.00001', 'x');
    const hashes = await f.store.partitionHashes('sda', '7').get();
    // One file per version: the metadata lives in the .data's footer.
    const expected = createHash('md5').update(`${file.hash}/1700000000.00001.data\n`).digest('hex');
    expect(hashes).toEqual({ [file.suffix]: expected });
    expect(JSON.parse(readFileSync(path.join(file.partitionDir, 'hashes.json'), 'utf8'))).toEqual(hashes);
  });

  test('writes invalidate their suffix; get() recomputes it and clears hashes.invalid', async () => {
    const file = f.store.object(f.ref());
    const ph = f.store.partitionHashes('sda', '7');
    await put(file, '1700000000.00001', 'x');
    const h1 = await ph.get();
    expect(existsSync(path.join(file.partitionDir, 'hashes.invalid'))).toBe(false);
    expect(readdirSync(file.partitionDir).filter((n) => n.startsWith('hashes.invalid'))).toEqual([]);
    expect(await ph.get()).toEqual(h1);

    await file.post(T('1700000000.00002'), { headers: { 'x-object-meta-a': '1' } });
    expect(readFileSync(path.join(file.partitionDir, 'hashes.invalid'), 'utf8')).toContain(`${file.suffix}\n`);
    const h2 = await ph.get();
    expect(h2[file.suffix]).not.toBe(h1[file.suffix]);

    await file.delete(T('1700000000.00003'));
    const h3 = await ph.get();
    expect(h3[file.suffix]).not.toBe(h2[file.suffix]);

    await file.quarantine('test');
    expect(await ph.get()).toEqual({});
  });

  test('a stale hashes.json is only corrected through invalidation (that is the contract writers keep)', async () => {
    const file = f.store.object(f.ref());
    const ph = f.store.partitionHashes('sda', '7');
    await put(file, '1', 'x');
    await ph.get();
    writeFileSync(path.join(file.partitionDir, 'hashes.json'), JSON.stringify({ [file.suffix]: 'stale' }));
    expect((await ph.get())[file.suffix]).toBe('stale');
    expect((await ph.get([file.suffix]))[file.suffix]).not.toBe('stale');
  });

  test('a damaged hashes.json costs a full recompute', async () => {
    const file = f.store.object(f.ref());
    const ph = f.store.partitionHashes('sda', '7');
    await put(file, '1', 'x');
    const good = await ph.get();
    writeFileSync(path.join(file.partitionDir, 'hashes.json'), '{oops');
    expect(await ph.get()).toEqual(good);
  });

  test('replicas holding the same versions have equal hashes; a missing version shows', async () => {
    for (const dev of ['sda', 'sdb']) {
      await put(f.store.object(f.ref('one', dev)), '1700000000.00001', 'x');
      await put(f.store.object(f.ref('two', dev)), '1700000000.00001', 'y');
    }
    const a = await f.store.partitionHashes('sda', '7').get();
    expect(await f.store.partitionHashes('sdb', '7').get()).toEqual(a);
    await put(f.store.object(f.ref('two', 'sdb')), '1700000000.00002', 'y2');
    const b = await f.store.partitionHashes('sdb', '7').get();
    const differing = Object.keys(a).filter((s) => a[s] !== b[s]);
    expect(differing).toEqual([f.store.object(f.ref('two')).suffix]);
  });

  test('a replica still holding the two-file form of a version hashes like one holding its footer form', async () => {
    const fileA = f.store.object(f.ref('o', 'sda'));
    await put(fileA, '1700000000.00001', 'x');
    // Legacy form seeded by hand on sdb: `.data` (bare body) + `.meta.json`.
    const fileB = f.store.object(f.ref('o', 'sdb'));
    seedTwoFileForm(fileB, '1700000000.00001', 'x');
    const a = await f.store.partitionHashes('sda', '7').get();
    const b = await f.store.partitionHashes('sdb', '7').get([fileB.suffix]);
    expect(b[fileB.suffix]).toBe(a[fileA.suffix]);
    // A POST on either side is seen the same way.
    await fileA.post(T('1700000000.00002'), { headers: {} });
    await fileB.post(T('1700000000.00002'), { headers: {} });
    expect(await f.store.partitionHashes('sdb', '7').get()).toEqual(await f.store.partitionHashes('sda', '7').get());
    expect(ls(fileB.dir)).toEqual(['1700000000.00001.data', '1700000000.00001.meta.json', '1700000000.00002.meta']);
  });

  test('a partition that does not exist has no hashes and is not created', async () => {
    expect(await f.store.partitionHashes('sda', '99').get()).toEqual({});
    expect(ls(path.join(f.root, 'sda', 'objects'))).toEqual([]);
  });
});

describe('tmp sweep', () => {
  let f: Fixture;
  beforeEach(() => (f = makeStore()));
  afterEach(() => f.cleanup());

  test('removes only temp files nobody wrote to for a while', async () => {
    const tmp = path.join(f.root, 'sda', 'tmp');
    mkdirSync(tmp);
    writeFileSync(path.join(tmp, 'old'), 'x');
    writeFileSync(path.join(tmp, 'fresh'), 'x');
    const now = Date.now();
    utimesSync(path.join(tmp, 'old'), new Date(now - 3_600_000), new Date(now - 3_600_000));
    expect(await f.store.sweepTmp(600_000, now)).toBe(1);
    expect(ls(tmp)).toEqual(['fresh']);
  });

  test('a mark appended while a consolidation holds the file aside is not lost', async () => {
    const file = f.store.object(f.ref());
    const ph = f.store.partitionHashes('sda', '7');
    await put(file, '1700000000.00001', 'x');
    const h1 = await ph.get();
    // Another process's consolidation took hashes.invalid (renamed aside) and crashed before
    // removing it: the set-aside marks still count on the next get().
    await file.post(T('1700000000.00002'), { headers: { 'x-object-meta-a': '1' } });
    renameSync(path.join(file.partitionDir, 'hashes.invalid'), path.join(file.partitionDir, 'hashes.invalid.crashed.taken'));
    const h2 = await ph.get();
    expect(h2[file.suffix]).not.toBe(h1[file.suffix]);
    expect(readdirSync(file.partitionDir).filter((n) => n.startsWith('hashes.invalid'))).toEqual([]);
  });
});

describe('coalesced marks', () => {
  let f: Fixture;
  beforeEach(() => (f = makeStore()));
  afterEach(() => f.cleanup());

  test('concurrent writes and consolidations: the final hashes equal a full recompute', async () => {
    const ph = f.store.partitionHashes('sda', '7');
    const files = Array.from({ length: 40 }, (_, i) => f.store.object(f.ref(`obj-${i}`)));
    // Writes to many suffixes of one partition, with get() calls racing them.
    const writes = files.map((file, i) => put(file, `17000000${String(10 + i).padStart(2, '0')}.00000`, `body-${i}`));
    const gets = [ph.get(), new Promise((r) => setTimeout(r, 1)).then(() => ph.get()), new Promise((r) => setTimeout(r, 5)).then(() => ph.get())];
    await Promise.all([...writes, ...gets]);
    const incremental = await ph.get();
    // A full recompute from the disk (no hashes.json) is the truth.
    rmSync(path.join(files[0].partitionDir, 'hashes.json'));
    const full = await ph.get();
    expect(Object.keys(full).length).toBe(new Set(files.map((x) => x.suffix)).size);
    expect(incremental).toEqual(full);
  });

  test('marks that arrive together are written by one append, each once', async () => {
    const ph = f.store.partitionHashes('sda', '7');
    mkdirSync(path.join(f.root, 'sda', 'objects', '7'), { recursive: true });
    const gens = await Promise.all(['abc', 'def', 'abc', '123'].map((s) => ph.mark(s)));
    expect(new Set(gens).size).toBe(1);
    const lines = readFileSync(path.join(f.root, 'sda', 'objects', '7', 'hashes.invalid'), 'utf8').split('\n').filter(Boolean);
    expect(lines.sort()).toEqual(['123', 'abc', 'def']);
  });

  test('the first append after a consolidation adds to a hashes.invalid another process created meanwhile', async () => {
    const ph = f.store.partitionHashes('sda', '7');
    const dir = path.join(f.root, 'sda', 'objects', '7');
    mkdirSync(dir, { recursive: true });
    await ph.mark('abc');
    await ph.get();
    expect(existsSync(path.join(dir, 'hashes.invalid'))).toBe(false);
    // The auditor (another process) appends after a quarantine.
    writeFileSync(path.join(dir, 'hashes.invalid'), 'fed\n', { flag: 'a' });
    await ph.mark('123');
    await ph.mark('456');
    expect(readFileSync(path.join(dir, 'hashes.invalid'), 'utf8')).toBe('fed\n123\n456\n');
  });

  test('a consolidation bumps the generation, so a writer knows its mark was consumed', async () => {
    const ph = f.store.partitionHashes('sda', '7');
    mkdirSync(path.join(f.root, 'sda', 'objects', '7'), { recursive: true });
    const g = await ph.mark('abc');
    expect(ph.generation).toBe(g);
    await ph.get();
    expect(ph.generation).not.toBe(g);
  });
});
