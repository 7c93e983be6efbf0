/**
 * Replay of a device's intent journal after a crash (journal-replay.ts), on real temp device
 * directories: segments are written with the record codec (as the journal writes them) or by a
 * real DeviceJournal whose renames were "lost", and the hash directories are checked file by file.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DeviceJournal, JOURNAL_DIR, nodeJournalIo, segmentName } from '../../../../../services/object/storage/diskfile/intent-journal';
import { encodeRecord, type JournalRecord } from '../../../../../services/object/storage/diskfile/journal-record';
import { replayJournal, type ReplayHooks, type ReplayReport } from '../../../../../services/object/storage/diskfile/journal-replay';
import { TMP_DIR } from '../../../../../services/object/storage/diskfile/layout';

const HASH_A = 'd41d8cd98f00b204e9800998ecf8427e';
const DIR_A = `objects/7/27e/${HASH_A}`;
const HASH_B = '0123456789abcdef0123456789abcabc';
const DIR_B = `objects/12/abc/${HASH_B}`;

let root: string;
let device: string;
let invalidated: string[];
let ids: number;
let syncedFs: Array<{ dir: string; segmentsLeft: string[] }>;
const hooks: ReplayHooks = {
  invalidate: async (partition, suffix) => void invalidated.push(`${partition}/${suffix}`),
  newId: () => `replay-${++ids}`,
  syncFilesystem: async (dir) => void syncedFs.push({ dir, segmentsLeft: segmentsLeft() }),
};

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'weft-replay-'));
  device = path.join(root, 'sda');
  mkdirSync(device);
  invalidated = [];
  syncedFs = [];
  ids = 0;
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const data = (dir: string, ts: string, body: string | Buffer[]): JournalRecord => ({
  dir,
  name: `${ts}.data`,
  body: typeof body === 'string' ? [Buffer.from(body)] : body,
});
const tombstone = (dir: string, ts: string): JournalRecord => ({ dir, name: `${ts}.ts`, body: [] });
const meta = (dir: string, ts: string, body: string): JournalRecord => ({ dir, name: `${ts}.meta`, body: [Buffer.from(body)] });

function segmentBytes(records: readonly JournalRecord[]): Buffer {
  return Buffer.concat(records.flatMap((r) => encodeRecord(r)));
}

function writeSegment(seq: number, content: Buffer | readonly JournalRecord[]): string {
  const dir = path.join(device, JOURNAL_DIR);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, segmentName(seq));
  writeFileSync(file, Buffer.isBuffer(content) ? content : segmentBytes(content as readonly JournalRecord[]));
  return file;
}

/** Puts a file into a hash directory (as a change did before the crash). */
function put(dir: string, name: string, content: string | Buffer): string {
  const d = path.join(device, dir);
  mkdirSync(d, { recursive: true });
  writeFileSync(path.join(d, name), content);
  return path.join(d, name);
}

const ls = (dir: string): string[] => (existsSync(path.join(device, dir)) ? readdirSync(path.join(device, dir)).sort() : []);
const read = (dir: string, name: string): Buffer => readFileSync(path.join(device, dir, name));

function report(r: Partial<ReplayReport>): ReplayReport {
  return { segments: 0, records: 0, restored: 0, unchanged: 0, superseded: 0, torn: 0, lastSeq: 0, ...r };
}

function segmentsLeft(): string[] {
  const dir = path.join(device, JOURNAL_DIR);
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe('restoring files', () => {
  test('a missing file is written with exactly its content, its directories (objects/, partition, suffix, hash) created, its suffix invalidated', async () => {
    const body = [Buffer.from('small '), Buffer.from('object '), Buffer.from([0, 255, 10])];
    writeSegment(1, [data(DIR_A, '1700000001.00000', body)]);
    expect(existsSync(path.join(device, 'objects'))).toBe(false);
    expect(await replayJournal(device, hooks)).toEqual(report({ segments: 1, records: 1, restored: 1, lastSeq: 1 }));
    expect(ls(DIR_A)).toEqual(['1700000001.00000.data']);
    expect(read(DIR_A, '1700000001.00000.data').equals(Buffer.concat(body))).toBe(true);
    expect(invalidated).toEqual(['7/27e']);
    // Written through a temp file that is gone now.
    expect(readdirSync(path.join(device, TMP_DIR))).toEqual([]);
    expect(segmentsLeft()).toEqual([]);
  });

  test('a truncated file and a zero-length file are rewritten', async () => {
    const full = 'the whole body and its footer';
    put(DIR_A, '1700000001.00000.data', full.slice(0, 7));
    put(DIR_B, '1700000002.00000.meta', '');
    writeSegment(1, [data(DIR_A, '1700000001.00000', full), meta(DIR_B, '1700000002.00000', '{"X-Object-Meta-K":"v"}')]);
    expect(await replayJournal(device, hooks)).toEqual(report({ segments: 1, records: 2, restored: 2, lastSeq: 1 }));
    expect(read(DIR_A, '1700000001.00000.data').toString()).toBe(full);
    expect(read(DIR_B, '1700000002.00000.meta').toString()).toBe('{"X-Object-Meta-K":"v"}');
    expect(invalidated).toEqual(['7/27e', '12/abc']);
  });

  test('a file of the same length with other bytes is rewritten', async () => {
    put(DIR_A, '1700000001.00000.data', 'AAAA');
    writeSegment(1, [data(DIR_A, '1700000001.00000', 'BBBB')]);
    expect((await replayJournal(device, hooks)).restored).toBe(1);
    expect(read(DIR_A, '1700000001.00000.data').toString()).toBe('BBBB');
  });

  test('an identical file is left in place (same inode), its suffix marked, and the file system synced before the segment goes', async () => {
    const file = put(DIR_A, '1700000001.00000.data', 'intact');
    const tomb = put(DIR_A, '1700000000.00000.ts', '');
    const before = [statSync(file).ino, statSync(tomb).ino];
    writeSegment(1, [tombstone(DIR_A, '1700000000.00000'), data(DIR_A, '1700000001.00000', 'intact')]);
    expect(await replayJournal(device, hooks)).toEqual(report({ segments: 1, records: 2, unchanged: 2, lastSeq: 1 }));
    expect([statSync(file).ino, statSync(tomb).ino]).toEqual(before);
    // The marks appended before the renames were not synced: the crash may have lost them.
    expect(invalidated).toEqual(['7/27e', '7/27e']);
    // Intact may mean "in the page cache" (only the process crashed): synced while the segment still exists.
    expect(syncedFs).toEqual([{ dir: device, segmentsLeft: [expect.stringMatching(/^0+1\.jnl$/)] }]);
    expect(segmentsLeft()).toEqual([]);
  });

  test('a failing file-system sync keeps the segment for the next replay', async () => {
    put(DIR_A, '1700000001.00000.data', 'intact');
    writeSegment(1, [data(DIR_A, '1700000001.00000', 'intact')]);
    const failing: ReplayHooks = { ...hooks, syncFilesystem: async () => Promise.reject(new Error('EIO')) };
    await expect(replayJournal(device, failing)).rejects.toThrow('EIO');
    expect(segmentsLeft()).toHaveLength(1);
  });

  test('an empty tombstone that is missing is restored empty', async () => {
    mkdirSync(path.join(device, DIR_A), { recursive: true });
    writeSegment(1, [tombstone(DIR_A, '1700000005.00000_0000000000000002')]);
    expect((await replayJournal(device, hooks)).restored).toBe(1);
    expect(ls(DIR_A)).toEqual(['1700000005.00000_0000000000000002.ts']);
    expect(read(DIR_A, '1700000005.00000_0000000000000002.ts')).toHaveLength(0);
  });
});

describe('superseded records', () => {
  test.each([
    ['a newer tombstone', '1700000005.00000.ts', data(DIR_A, '1700000003.00000', 'old')],
    ['a newer .data', '1700000005.00000.data', data(DIR_A, '1700000003.00000', 'old')],
    ['a tombstone of the same time (the tombstone wins)', '1700000003.00000.ts', data(DIR_A, '1700000003.00000', 'same time')],
    ['a newer .data (for a tombstone)', '1700000005.00000.data', tombstone(DIR_A, '1700000003.00000')],
    ['a .data newer than the POST', '1700000005.00000.data', meta(DIR_A, '1700000003.00000', '{}')],
    ['a tombstone (for a POST)', '1700000001.00000.ts', meta(DIR_A, '1700000003.00000', '{}')],
  ])('a missing file superseded by %s is skipped: no file created, nothing invalidated', async (_what, newer, record) => {
    put(DIR_A, newer, 'newer');
    writeSegment(1, [record]);
    expect(await replayJournal(device, hooks)).toEqual(report({ segments: 1, records: 1, superseded: 1, lastSeq: 1 }));
    expect(ls(DIR_A)).toEqual([newer]);
    expect(invalidated).toEqual([]);
    expect(segmentsLeft()).toEqual([]);
  });

  test('a POST newer than the .data there is restored', async () => {
    put(DIR_A, '1700000001.00000.data', 'obj');
    writeSegment(1, [meta(DIR_A, '1700000003.00000', '{"a":"b"}')]);
    expect((await replayJournal(device, hooks)).restored).toBe(1);
    expect(ls(DIR_A)).toEqual(['1700000001.00000.data', '1700000003.00000.meta']);
  });

  test('an older .data is restored beside a newer .meta alone (nothing supersedes a .data but a .data or a tombstone)', async () => {
    put(DIR_A, '1700000009.00000.meta', '{}');
    writeSegment(1, [data(DIR_A, '1700000001.00000', 'obj')]);
    expect((await replayJournal(device, hooks)).restored).toBe(1);
    expect(ls(DIR_A)).toEqual(['1700000001.00000.data', '1700000009.00000.meta']);
  });

  test('journal order: a .data then a later tombstone of the same object, both lost, are both restored (classifyFiles decides what they mean)', async () => {
    writeSegment(1, [data(DIR_A, '1700000001.00000', 'obj'), tombstone(DIR_A, '1700000002.00000')]);
    expect(await replayJournal(device, hooks)).toEqual(report({ segments: 1, records: 2, restored: 2, lastSeq: 1 }));
    expect(ls(DIR_A)).toEqual(['1700000001.00000.data', '1700000002.00000.ts']);
    expect(read(DIR_A, '1700000001.00000.data').toString()).toBe('obj');
  });

  test('journal order: a .data that a record earlier in the journal supersedes is skipped', async () => {
    // Segments are replayed oldest first: the tombstone in segment 2 is restored first, then
    // segment 3's older .data (a late replica write) is superseded by it.
    writeSegment(2, [tombstone(DIR_A, '1700000005.00000')]);
    writeSegment(3, [data(DIR_A, '1700000001.00000', 'older')]);
    expect(await replayJournal(device, hooks)).toEqual(report({ segments: 2, records: 2, restored: 1, superseded: 1, lastSeq: 3 }));
    expect(ls(DIR_A)).toEqual(['1700000005.00000.ts']);
  });
});

describe('segments', () => {
  test('a torn tail: the whole records before it are replayed, the segment counts as torn and is deleted', async () => {
    const good = [data(DIR_A, '1700000001.00000', 'one'), data(DIR_B, '1700000002.00000', 'two')];
    const whole = segmentBytes([...good, data(DIR_A, '1700000003.00000', 'three, torn')]);
    const goodLength = segmentBytes(good).length;
    writeSegment(4, whole.subarray(0, goodLength + 20));
    expect(await replayJournal(device, hooks)).toEqual(report({ segments: 1, records: 2, restored: 2, torn: 1, lastSeq: 4 }));
    expect(ls(DIR_A)).toEqual(['1700000001.00000.data']);
    expect(ls(DIR_B)).toEqual(['1700000002.00000.data']);
    expect(segmentsLeft()).toEqual([]);
  });

  test('damage in the middle: nothing from the damaged record on is replayed', async () => {
    const buf = segmentBytes([data(DIR_A, '1700000001.00000', 'one'), data(DIR_A, '1700000002.00000', 'two'), data(DIR_B, '1700000003.00000', 'three')]);
    const second = segmentBytes([data(DIR_A, '1700000001.00000', 'one')]).length;
    buf[second + 20] ^= 0xff;
    writeSegment(1, buf);
    expect(await replayJournal(device, hooks)).toEqual(report({ segments: 1, records: 1, restored: 1, torn: 1, lastSeq: 1 }));
    expect(ls(DIR_A)).toEqual(['1700000001.00000.data']);
    expect(ls(DIR_B)).toEqual([]);
  });

  test('several segments: all replayed and deleted, lastSeq is the newest; an empty segment counts without records', async () => {
    writeSegment(9, [data(DIR_A, '1700000001.00000', 'a')]);
    writeSegment(10, Buffer.alloc(0));
    writeSegment(12, [data(DIR_B, '1700000002.00000', 'b')]);
    // Not segments: left alone.
    writeFileSync(path.join(device, JOURNAL_DIR, 'notes.txt'), 'x');
    writeFileSync(path.join(device, JOURNAL_DIR, '13.jnl'), segmentBytes([data(DIR_A, '1700000009.00000', 'not a segment')]));
    expect(await replayJournal(device, hooks)).toEqual(report({ segments: 3, records: 2, restored: 2, lastSeq: 12 }));
    expect(segmentsLeft().sort()).toEqual(['13.jnl', 'notes.txt']);
    expect(ls(DIR_A)).toEqual(['1700000001.00000.data']);
  });

  test('no journal directory: nothing to do, nothing created', async () => {
    expect(await replayJournal(device, hooks)).toEqual(report({}));
    expect(readdirSync(device)).toEqual([]);
  });

  test('replaying twice is harmless: a segment whose deletion was lost finds every file intact', async () => {
    const records = [data(DIR_A, '1700000001.00000', 'a'), tombstone(DIR_A, '1700000002.00000'), meta(DIR_B, '1700000003.00000', '{}')];
    put(DIR_B, '1700000001.00000.data', 'b');
    writeSegment(1, records);
    const first = await replayJournal(device, hooks);
    expect(first).toEqual(report({ segments: 1, records: 3, restored: 3, lastSeq: 1 }));
    const snapshot = [ls(DIR_A), ls(DIR_B), statSync(path.join(device, DIR_A, '1700000001.00000.data')).ino];
    expect(await replayJournal(device, hooks)).toEqual(report({}));
    writeSegment(1, records);
    expect(await replayJournal(device, hooks)).toEqual(report({ segments: 1, records: 3, unchanged: 3, lastSeq: 1 }));
    expect([ls(DIR_A), ls(DIR_B), statSync(path.join(device, DIR_A, '1700000001.00000.data')).ino]).toEqual(snapshot);
    expect(invalidated).toEqual(['7/27e', '7/27e', '12/abc', '7/27e', '7/27e', '12/abc']);
  });
});

describe('segments written by a DeviceJournal', () => {
  test('changes acknowledged by the journal whose renames were lost in a crash are all back after the replay', async () => {
    const fsSyncs: string[] = [];
    const errors: unknown[] = [];
    const journal = new DeviceJournal({
      deviceDir: device,
      checkpointBytes: 1 << 20,
      checkpointMs: 60_000,
      maxSealedBytes: 1 << 30,
      io: nodeJournalIo(async (d) => void fsSyncs.push(d)),
      onError: (err) => errors.push(err),
    });
    await journal.start();
    try {
      const changes = Array.from({ length: 30 }, (_, i) => data(i % 2 ? DIR_A : DIR_B, `${1700000100 + i}.00000`, [Buffer.from(`piece-${i}-`), Buffer.alloc(i * 100, i)]));
      // The "renames" never reach the disk: the crash comes before any checkpoint.
      await Promise.all(changes.map((c) => journal.record(c, () => undefined)));
      // Two of the files did make it (one intact, one torn).
      put(changes[0].dir, changes[0].name, Buffer.concat(changes[0].body));
      put(changes[1].dir, changes[1].name, 'torn');
      const r = await replayJournal(device, hooks);
      expect(r).toEqual(report({ segments: 1, records: 30, restored: 29, unchanged: 1, lastSeq: 1 }));
      for (const c of changes) expect(read(c.dir, c.name).equals(Buffer.concat(c.body))).toBe(true);
      expect(fsSyncs).toEqual([]);
    } finally {
      await journal.close();
    }
    // The journal's own checkpoint at close finds its segment gone (the replay took it): no error.
    expect(errors).toEqual([]);
    expect(segmentsLeft()).toEqual([]);
  });
});
