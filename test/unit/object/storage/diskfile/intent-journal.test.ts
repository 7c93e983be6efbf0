/**
 * The device intent journal (intent-journal.ts): group commit, "durable before visible",
 * segment sealing and checkpoints. Most tests run it over a fake JournalIo whose calls are logged
 * in order and can be held open or made to fail, so each ordering guarantee is asserted at the
 * moment it matters; the last ones run the real node io in a temp directory and read the segment
 * files back with the record decoder.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import {
  DeviceJournal,
  JOURNAL_DIR,
  listSegments,
  nodeJournalIo,
  segmentName,
  type JournalIo,
  type JournalOptions,
} from '../../../../../services/object/storage/diskfile/intent-journal';
import { decodeRecords, encodedLength, encodeRecord, type JournalRecord } from '../../../../../services/object/storage/diskfile/journal-record';

const HASH = 'd41d8cd98f00b204e9800998ecf8427e';
const DIR = `objects/7/27e/${HASH}`;

/** The i-th test record: a `.data` with a body naming it (all of one size, for byte budgets). */
function rec(i: number): JournalRecord {
  return { dir: DIR, name: `${1700000000 + i}.00000.data`, body: [Buffer.from(`body-${String(i).padStart(4, '0')}`)] };
}
const RECORD_BYTES = encodedLength(encodeRecord(rec(0)));

interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(err: unknown): void;
}
function deferred<T = void>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

type Op = 'create' | 'writev' | 'datasync' | 'syncDir' | 'syncFilesystem';

/** A call held open: `reached` once it was made; it returns (or fails) when released. */
interface Gate {
  reached: Promise<void>;
  release(): void;
  fail(err: unknown): void;
}

type Plan = { kind: 'hold'; reached: Deferred; released: Deferred } | { kind: 'fail'; err: unknown };

/**
 * An in-memory JournalIo. Every call is logged (`<op> <segment>`; completions of the syncs as
 * `<op>-done`), and the next call of an op can be held or failed. Failures answer from a later
 * turn of the event loop, like the thread pool does, so a retry loop cannot starve the timers.
 */
class FakeIo implements JournalIo {
  readonly log: string[] = [];
  readonly files = new Map<string, Buffer>();
  readonly writes: { segment: string; bytes: Buffer }[] = [];
  /** The directories syncFilesystem was called for. */
  readonly syncedDirs: string[] = [];
  private readonly fds = new Map<number, string>();
  private nextFd = 100;
  private readonly plans = new Map<Op, Plan[]>();
  private readonly alwaysFail = new Map<Op, unknown>();
  private readonly held = new Set<Plan>();

  hold(op: Op): Gate {
    const plan: Plan = { kind: 'hold', reached: deferred(), released: deferred() };
    this.planFor(op).push(plan);
    return { reached: plan.reached.promise, release: () => plan.released.resolve(), fail: (err) => plan.released.reject(err) };
  }

  fail(op: Op, err: unknown = new Error(`${op} failed`)): void {
    this.planFor(op).push({ kind: 'fail', err });
  }

  failAlways(op: Op, err: unknown = new Error(`${op} failed`)): void {
    this.alwaysFail.set(op, err);
  }

  stopFailing(op: Op): void {
    this.alwaysFail.delete(op);
  }

  /** Lets every held call return and drops the plans (cleanup). */
  releaseAll(): void {
    this.plans.clear();
    this.alwaysFail.clear();
    for (const p of this.held) if (p.kind === 'hold') p.released.resolve();
  }

  count(entry: string): number {
    return this.log.filter((l) => l === entry).length;
  }

  private planFor(op: Op): Plan[] {
    const list = this.plans.get(op) ?? [];
    this.plans.set(op, list);
    return list;
  }

  private async step(op: Op, what: string): Promise<void> {
    this.log.push(`${op} ${what}`.trim());
    const always = this.alwaysFail.get(op);
    const plan = this.plans.get(op)?.shift();
    if (always !== undefined || plan?.kind === 'fail') {
      await new Promise((r) => setImmediate(r));
      throw always ?? (plan as { err: unknown }).err;
    }
    if (plan?.kind === 'hold') {
      this.held.add(plan);
      plan.reached.resolve();
      try {
        await plan.released.promise;
      } finally {
        this.held.delete(plan);
      }
    }
  }

  private seg(fd: number): string {
    return path.basename(this.fds.get(fd) ?? `bad-fd-${fd}`);
  }

  create = async (file: string): Promise<number> => {
    await this.step('create', path.basename(file));
    if (this.files.has(file)) throw Object.assign(new Error(`EEXIST ${file}`), { code: 'EEXIST' });
    const fd = this.nextFd++;
    this.fds.set(fd, file);
    this.files.set(file, Buffer.alloc(0));
    return fd;
  };

  writev = async (fd: number, bufs: Buffer[]): Promise<void> => {
    await this.step('writev', this.seg(fd));
    const file = this.fds.get(fd);
    if (file === undefined) throw new Error(`EBADF ${fd}`);
    const bytes = Buffer.concat(bufs);
    this.writes.push({ segment: path.basename(file), bytes });
    if (this.files.has(file)) this.files.set(file, Buffer.concat([this.files.get(file)!, bytes]));
  };

  datasync = async (fd: number): Promise<void> => {
    await this.step('datasync', this.seg(fd));
    this.log.push(`datasync-done ${this.seg(fd)}`);
  };

  close = (fd: number): void => {
    this.log.push(`close ${this.seg(fd)}`);
  };

  unlink = (file: string): void => {
    this.log.push(`unlink ${path.basename(file)}`);
    if (!this.files.delete(file)) throw Object.assign(new Error(`ENOENT ${file}`), { code: 'ENOENT' });
  };

  syncDir = async (dir: string): Promise<void> => {
    await this.step('syncDir', path.basename(dir));
  };

  syncFilesystem = async (dir: string): Promise<void> => {
    await this.step('syncFilesystem', '');
    this.log.push('syncFilesystem-done');
    this.syncedDirs.push(dir);
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Lets every pending promise chain run (a few turns of the event loop). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

async function until(what: string, cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** Waits for `p`, failing after `ms` (a guarantee broken must not hang the run). */
async function within<T>(what: string, p: Promise<T>, ms = 3000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether a promise settled yet (without waiting for it). */
function track(p: Promise<unknown>): { done: boolean; error?: unknown } {
  const state: { done: boolean; error?: unknown } = { done: false };
  p.then(
    () => (state.done = true),
    (err: unknown) => {
      state.done = true;
      state.error = err;
    },
  );
  return state;
}

const seg = (n: number): string => segmentName(n);

let deviceDir: string;
let io: FakeIo;
let journals: DeviceJournal[];
let durable: string[][];
let errors: unknown[];

beforeEach(() => {
  deviceDir = mkdtempSync(path.join(tmpdir(), 'weft-journal-'));
  io = new FakeIo();
  journals = [];
  durable = [];
  errors = [];
});

afterEach(async () => {
  io.releaseAll();
  let timer: NodeJS.Timeout | undefined;
  try {
    const hung = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('close hung')), 3000)));
    await Promise.race([Promise.all(journals.map((j) => j.close())), hung]);
  } finally {
    clearTimeout(timer);
    rmSync(deviceDir, { recursive: true, force: true });
  }
});

async function startJournal(opts: Partial<JournalOptions> = {}, lastSeq = 0): Promise<DeviceJournal> {
  const j = new DeviceJournal({
    deviceDir,
    checkpointBytes: 1 << 20,
    checkpointMs: 60_000,
    maxSealedBytes: 1 << 30,
    io,
    onDurable: (dirs) => durable.push([...dirs]),
    onError: (err) => errors.push(err),
    ...opts,
  });
  journals.push(j);
  await j.start(lastSeq);
  return j;
}

/** record() with an install that logs itself (bounded in time, like every wait here). */
function record(j: DeviceJournal, i: number, created: readonly string[] = []): Promise<void> {
  return within(`record ${i}`, j.record(rec(i), () => void io.log.push(`install ${i}`), created), 5000);
}

describe('start', () => {
  test('creates the journal directory and the segment after lastSeq, syncing the device directory before and the journal directory after', async () => {
    await startJournal({}, 41);
    expect(readdirSync(deviceDir)).toEqual([JOURNAL_DIR]);
    expect(io.log).toEqual([`syncDir ${path.basename(deviceDir)}`, `create ${seg(42)}`, `syncDir ${JOURNAL_DIR}`]);
  });

  test('a failing sync at start: no segment (device directory), or the new segment is closed again (journal directory)', async () => {
    io.fail('syncDir');
    const j = new DeviceJournal({ deviceDir, checkpointBytes: 1 << 20, checkpointMs: 60_000, maxSealedBytes: 1 << 30, io });
    await expect(j.start()).rejects.toThrow('syncDir failed');
    expect(io.log).toEqual([`syncDir ${path.basename(deviceDir)}`]);
    io.log.length = 0;
    io.hold('syncDir').release();
    io.fail('syncDir');
    const k = new DeviceJournal({ deviceDir, checkpointBytes: 1 << 20, checkpointMs: 60_000, maxSealedBytes: 1 << 30, io });
    await expect(k.start()).rejects.toThrow('syncDir failed');
    expect(io.log).toEqual([`syncDir ${path.basename(deviceDir)}`, `create ${seg(1)}`, `syncDir ${JOURNAL_DIR}`, `close ${seg(1)}`]);
    expect(k.accepting()).toBe(false);
    await expect(k.record(rec(1), () => undefined)).rejects.toThrow(/closed/);
  });
});

describe('group commit', () => {
  test('N records made while a group syncs share the next group: one writev and one datasync', async () => {
    const j = await startJournal();
    const first = io.hold('datasync');
    const a = record(j, 0);
    await within('first reached', first.reached);
    const n = 25;
    const rest = Array.from({ length: n }, (_, i) => record(j, i + 1));
    await settle();
    // Queued behind the group in flight: nothing written for them yet.
    expect(io.count(`writev ${seg(1)}`)).toBe(1);
    first.release();
    await within('the records', Promise.all([a, ...rest]));
    expect(io.count(`writev ${seg(1)}`)).toBe(2);
    expect(io.count(`datasync ${seg(1)}`)).toBe(2);
    expect(j.counters).toEqual({ appends: n + 1, groups: 2, checkpoints: 0, filesystemSyncs: 0, failures: 0 });
    // The second writev carried all N records, in call order.
    const second = decodeRecords(io.writes[1].bytes);
    expect(second.problem).toBeUndefined();
    expect(second.records.map((r) => r.name)).toEqual(Array.from({ length: n }, (_, i) => rec(i + 1).name));
  });

  test('no record() resolves, and no install runs, before the datasync of its group completed', async () => {
    const j = await startJournal();
    const s1 = io.hold('datasync');
    const s2 = io.hold('datasync');
    const states = [0, 1, 2].map((i) => track(record(j, i)));
    await within('s1 reached', s1.reached);
    await settle();
    expect(states.map((s) => s.done)).toEqual([false, false, false]);
    expect(io.log.filter((l) => l.startsWith('install'))).toEqual([]);
    s1.release();
    // Group 1 (record 0) is durable; group 2 (records 1 and 2) is syncing.
    await within('s2 reached', s2.reached);
    await until('record 0 resolved', () => states[0].done);
    await settle();
    expect(states.map((s) => s.done)).toEqual([true, false, false]);
    expect(io.log.filter((l) => l.startsWith('install'))).toEqual(['install 0']);
    s2.release();
    await until('records resolved', () => states.every((s) => s.done));
    expect(states.map((s) => s.error)).toEqual([undefined, undefined, undefined]);
    const log = io.log.filter((l) => !l.startsWith('syncDir') && !l.startsWith('create'));
    expect(log).toEqual([
      `writev ${seg(1)}`,
      `datasync ${seg(1)}`,
      `datasync-done ${seg(1)}`,
      expect.any(String),
      expect.any(String),
      expect.any(String),
      expect.any(String),
      expect.any(String),
      expect.any(String),
    ]);
    const secondSync = log.lastIndexOf(`datasync-done ${seg(1)}`);
    expect(log.indexOf('install 0')).toBeGreaterThan(2);
    expect(log.indexOf('install 1')).toBeGreaterThan(secondSync);
    expect(log.indexOf('install 2')).toBeGreaterThan(secondSync);
    expect(log.filter((l) => l.startsWith('writev'))).toHaveLength(2);
  });

  test('record() resolves only once its install finished, and rejects when the install fails', async () => {
    const j = await startJournal();
    const install = deferred();
    const state = track(j.record(rec(1), () => install.promise));
    await until('the install started', () => io.log.includes(`datasync-done ${seg(1)}`));
    await settle();
    expect(state.done).toBe(false);
    install.resolve();
    await until('record resolved', () => state.done);
    expect(state.error).toBeUndefined();
    await expect(j.record(rec(2), () => Promise.reject(new Error('rename failed')))).rejects.toThrow('rename failed');
    // A failed install still counts as done for the checkpoint (nothing to wait for).
    expect(j.counters.appends).toBe(2);
  });
});

describe('failed appends', () => {
  test('a failing datasync rejects exactly its group, skips their installs, and the next records go to a new segment', async () => {
    const j = await startJournal();
    const first = io.hold('datasync');
    const a = track(record(j, 0));
    await within('first reached', first.reached);
    const b = track(record(j, 1));
    const c = track(record(j, 2));
    io.fail('datasync', new Error('EIO'));
    first.release();
    await until('group 2 done', () => b.done && c.done && a.done);
    expect(a.error).toBeUndefined();
    expect(b.error).toEqual(new Error('EIO'));
    expect(c.error).toEqual(new Error('EIO'));
    await record(j, 3);
    expect(io.log.filter((l) => l.startsWith('install'))).toEqual(['install 0', 'install 3']);
    // Record 3 went to segment 2, created after the failure; segment 1 was sealed and checkpointed.
    expect(io.writes.map((w) => w.segment)).toEqual([seg(1), seg(1), seg(2)]);
    expect(io.log.indexOf(`create ${seg(2)}`)).toBeGreaterThan(io.log.indexOf(`datasync ${seg(1)}`));
    await until('segment 1 checkpointed', () => io.log.includes(`unlink ${seg(1)}`));
    expect(j.counters).toEqual({ appends: 2, groups: 2, checkpoints: 1, filesystemSyncs: 1, failures: 2 });
  });

  test('a failing writev rejects its record; the segment (maybe torn now) takes nothing more', async () => {
    const j = await startJournal();
    io.fail('writev', new Error('ENOSPC'));
    await expect(record(j, 1)).rejects.toThrow('ENOSPC');
    await record(j, 2);
    expect(io.log.filter((l) => l.startsWith('writev'))).toEqual([`writev ${seg(1)}`, `writev ${seg(2)}`]);
    // Nothing of segment 1 was acknowledged: it goes without a syncfs.
    await until('segment 1 removed', () => io.log.includes(`unlink ${seg(1)}`));
    expect(io.count('syncFilesystem')).toBe(0);
    expect(j.counters).toMatchObject({ appends: 1, failures: 1, checkpoints: 1 });
  });

  test('records queued while the new segment cannot be created fail; later ones go through once it can', async () => {
    const j = await startJournal({ checkpointBytes: RECORD_BYTES });
    await record(j, 1);
    io.fail('create', new Error('EMFILE'));
    await expect(record(j, 2)).rejects.toThrow('EMFILE');
    await record(j, 3);
    expect(io.writes.map((w) => w.segment)).toEqual([seg(1), seg(2)]);
    expect(errors).toEqual([new Error('EMFILE')]);
  });

  // A seal the timer wants whose new segment cannot be created is retried at the next tick,
  // not at once: a persistent EMFILE/ENOSPC must not spin (nor hang close(), which waits for it).
  test('a seal that fails is not retried in a busy loop', async () => {
    const j = await startJournal({ checkpointMs: 20 });
    await record(j, 1);
    io.failAlways('create');
    await sleep(300);
    const creates = io.log.filter((l) => l.startsWith('create')).length;
    io.stopFailing('create');
    await until('sealed', () => j.counters.checkpoints === 1);
    // One attempt per tick (10 ms) would be ~30; the busy loop makes thousands.
    expect(creates).toBeLessThan(100);
  });
});

describe('sealing', () => {
  test('at checkpointBytes: the next group goes to a new segment and the full one is checkpointed (syncfs, then unlink)', async () => {
    const j = await startJournal({ checkpointBytes: 2 * RECORD_BYTES });
    await record(j, 1);
    await record(j, 2);
    expect(io.count(`create ${seg(2)}`)).toBe(0);
    await record(j, 3);
    expect(io.writes.map((w) => w.segment)).toEqual([seg(1), seg(1), seg(2)]);
    await until('checkpoint', () => j.counters.checkpoints === 1);
    const tail = io.log.slice(io.log.indexOf('syncFilesystem'));
    expect(tail).toEqual(expect.arrayContaining(['syncFilesystem-done', `close ${seg(1)}`, `unlink ${seg(1)}`]));
    expect(tail.indexOf(`unlink ${seg(1)}`)).toBeGreaterThan(tail.indexOf('syncFilesystem-done'));
    expect(io.syncedDirs).toEqual([deviceDir]);
    expect(j.counters.filesystemSyncs).toBe(1);
  });

  test('by time: a segment with records is sealed and checkpointed after checkpointMs; an empty one is not', async () => {
    const j = await startJournal({ checkpointMs: 30 });
    await sleep(120);
    // Nothing recorded: no new segment.
    expect(io.count(`create ${seg(2)}`)).toBe(0);
    await record(j, 1);
    await until('time checkpoint', () => j.counters.checkpoints === 1);
    expect(io.log).toContain(`unlink ${seg(1)}`);
    await sleep(120);
    expect(io.count(`create ${seg(3)}`)).toBe(0);
    expect(j.counters.checkpoints).toBe(1);
  });
});

describe('checkpoints', () => {
  test('syncfs waits for every install of the sealed segment; the segment is unlinked only after syncfs resolved', async () => {
    const j = await startJournal({ checkpointBytes: RECORD_BYTES });
    const install = deferred();
    const a = track(j.record(rec(1), () => install.promise));
    await until('install 1 started', () => io.log.includes(`datasync-done ${seg(1)}`));
    const fsSync = io.hold('syncFilesystem');
    await record(j, 2); // seals segment 1
    expect(io.writes.map((w) => w.segment)).toEqual([seg(1), seg(2)]);
    await settle();
    await sleep(20);
    expect(io.count('syncFilesystem')).toBe(0);
    install.resolve();
    await within('fsSync reached', fsSync.reached);
    await until('record 1 resolved', () => a.done);
    await settle();
    expect(io.log).not.toContain(`unlink ${seg(1)}`);
    expect(j.counters.checkpoints).toBe(0);
    fsSync.release();
    await until('unlinked', () => io.log.includes(`unlink ${seg(1)}`));
    expect(j.counters.checkpoints).toBe(1);
  });

  test('segments sealed while a checkpoint runs share the next one: one syncfs for all of them', async () => {
    const j = await startJournal({ checkpointBytes: RECORD_BYTES });
    const fsSync = io.hold('syncFilesystem');
    await record(j, 1);
    await record(j, 2); // seals 1: its syncfs is held
    await within('fsSync reached', fsSync.reached);
    await record(j, 3); // seals 2
    await record(j, 4); // seals 3
    fsSync.release();
    await until('checkpoints', () => j.counters.checkpoints === 3);
    expect(io.count('syncFilesystem')).toBe(2);
    expect(io.log.filter((l) => l.startsWith('unlink'))).toEqual([`unlink ${seg(1)}`, `unlink ${seg(2)}`, `unlink ${seg(3)}`]);
    expect(j.counters.filesystemSyncs).toBe(2);
  });

  test('a failing syncfs keeps the segment (onError told); the next checkpoint retries it with the newer one', async () => {
    const j = await startJournal({ checkpointBytes: RECORD_BYTES });
    io.fail('syncFilesystem', new Error('EIO on writeback'));
    await record(j, 1);
    await record(j, 2); // seals 1: its checkpoint fails
    await until('onError', () => errors.length === 1);
    expect(errors[0]).toEqual(new Error('EIO on writeback'));
    expect(io.log).not.toContain(`unlink ${seg(1)}`);
    expect(j.counters.checkpoints).toBe(0);
    await record(j, 3); // seals 2: the checkpoint takes 1 and 2
    await until('both checkpointed', () => j.counters.checkpoints === 2);
    expect(io.log.filter((l) => l.startsWith('unlink'))).toEqual([`unlink ${seg(1)}`, `unlink ${seg(2)}`]);
    expect(io.count('syncFilesystem')).toBe(2);
  });

  // A failed checkpoint is retried by the timer too: while sealed segments wait, accepting() may
  // be false, so no new segment would be sealed to retry it, and the journal would stay off.
  test('after a failed syncfs, the checkpoint is retried without new traffic (accepting() comes back)', async () => {
    const j = await startJournal({ checkpointMs: 20, maxSealedBytes: RECORD_BYTES });
    io.fail('syncFilesystem');
    // Sealed by time, alone: the segment after it stays empty.
    await record(j, 1);
    await until('onError', () => errors.length === 1);
    expect(j.accepting()).toBe(false);
    await until('accepting again', () => j.accepting(), 1000);
    expect(j.counters.checkpoints).toBe(1);
  });

  test('accepting() turns false once the sealed bytes waiting for a checkpoint reach maxSealedBytes, and true after it', async () => {
    const j = await startJournal({ checkpointBytes: RECORD_BYTES, maxSealedBytes: 2 * RECORD_BYTES });
    const fsSync = io.hold('syncFilesystem');
    expect(j.accepting()).toBe(true);
    await record(j, 1);
    await record(j, 2); // seals 1 (held in syncfs)
    await within('fsSync reached', fsSync.reached);
    expect(j.accepting()).toBe(true);
    await record(j, 3); // seals 2: two records' bytes wait
    expect(j.accepting()).toBe(false);
    fsSync.release();
    await until('checkpoints', () => j.counters.checkpoints === 2);
    expect(j.accepting()).toBe(true);
  });

  test('onDurable gets the directories the changes created, after the checkpoint syncfs and not before', async () => {
    const j = await startJournal({ checkpointBytes: RECORD_BYTES });
    const fsSync = io.hold('syncFilesystem');
    await record(j, 1, ['/dev/x/objects/7', '/dev/x/objects/7/27e']);
    await record(j, 2, ['/dev/x/objects/8']); // seals 1
    await within('fsSync reached', fsSync.reached);
    await settle();
    expect(durable).toEqual([]);
    fsSync.release();
    await until('onDurable', () => durable.length === 1);
    expect(durable).toEqual([['/dev/x/objects/7', '/dev/x/objects/7/27e']]);
    await within('close', j.close());
    expect(durable).toEqual([['/dev/x/objects/7', '/dev/x/objects/7/27e'], ['/dev/x/objects/8']]);
  });
});

describe('close', () => {
  test('lets queued records finish, checkpoints every segment, and takes no more records', async () => {
    const j = await startJournal();
    const sync = io.hold('datasync');
    const a = record(j, 1);
    await within('sync reached', sync.reached);
    const b = record(j, 2);
    const closing = track(j.close());
    expect(j.accepting()).toBe(false);
    await expect(j.record(rec(3), () => undefined)).rejects.toThrow(/closed/);
    await settle();
    expect(closing.done).toBe(false);
    sync.release();
    await within('the records', Promise.all([a, b]));
    await until('closed', () => closing.done);
    expect(closing.error).toBeUndefined();
    expect(io.files.size).toBe(0);
    expect(io.log.filter((l) => l.startsWith('unlink'))).toEqual([`unlink ${seg(1)}`]);
    expect(io.log.indexOf(`unlink ${seg(1)}`)).toBeGreaterThan(io.log.indexOf('syncFilesystem-done'));
    expect(j.counters).toMatchObject({ appends: 2, checkpoints: 1, filesystemSyncs: 1 });
  });

  test('an empty journal closes without a syncfs', async () => {
    const j = await startJournal();
    await within('close', j.close());
    expect(io.count('syncFilesystem')).toBe(0);
    expect(io.files.size).toBe(0);
  });

  test('a failing syncfs at close leaves the segment for the replay', async () => {
    const j = await startJournal();
    await record(j, 1);
    io.fail('syncFilesystem');
    await within('close', j.close());
    expect(io.files.size).toBe(1);
    expect(errors).toHaveLength(1);
  });
});

describe('bad records', () => {
  // encodeRecord runs before the record is queued: a record it refuses rejects its caller with
  // the reason and leaves the group it would have joined alone (no TypeError in pump(), no
  // unsettled callers).
  test('a record encodeRecord refuses rejects with its reason and does not disturb the others', async () => {
    // The bug surfaces as an unhandled rejection from pump(), which would fail the whole run
    // here: the scenario runs in a child node process that reports what it saw.
    const script = `
      const { DeviceJournal, nodeJournalIo } = require(${JSON.stringify(require.resolve('../../../../../services/object/storage/diskfile/intent-journal'))});
      const unhandled = [];
      process.on('unhandledRejection', (e) => unhandled.push(String(e)));
      (async () => {
        const j = new DeviceJournal({ deviceDir: ${JSON.stringify(deviceDir)}, checkpointBytes: 1 << 20, checkpointMs: 60000,
          maxSealedBytes: 1 << 30, io: nodeJournalIo(async () => {}) });
        await j.start();
        const outcome = (p) => Promise.race([p.then(() => 'ok', (e) => String(e)), new Promise((r) => setTimeout(() => r('pending'), 1000))]);
        const rec = (i) => ({ dir: ${JSON.stringify(DIR)}, name: (1700000000 + i) + '.00000.data', body: [Buffer.from('x')] });
        const first = j.record(rec(1), () => {});
        // Queued behind the first group, together: one group.
        const good = outcome(j.record(rec(2), () => {}));
        const bad = outcome(j.record({ dir: 'objects/../../etc', name: 'passwd', body: [] }, () => {}));
        const out = { first: await outcome(first), good: await good, bad: await bad, unhandled };
        process.stdout.write(JSON.stringify(out));
        process.exit(0);
      })();`;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { timeout: 10_000 });
    const out = JSON.parse(stdout) as { first: string; good: string; bad: string; unhandled: string[] };
    expect(out.first).toBe('ok');
    expect(out.bad).toMatch(/not a hash directory/);
    expect(out.good).toBe('ok');
    expect(out.unhandled).toEqual([]);
  });
});

describe('with the real file system', () => {
  let syncs: string[];
  const realIo = (): JournalIo =>
    nodeJournalIo(async (dir) => {
      syncs.push(dir);
    });
  beforeEach(() => (syncs = []));

  test('the segment file decodes to exactly the acknowledged records, in order, group after group', async () => {
    const j = new DeviceJournal({ deviceDir, checkpointBytes: 1 << 20, checkpointMs: 60_000, maxSealedBytes: 1 << 30, io: realIo() });
    journals.push(j);
    await j.start(6);
    const order: number[] = [];
    const wave = async (from: number, n: number): Promise<void> => {
      await Promise.all(
        Array.from({ length: n }, (_, k) => {
          order.push(from + k);
          return j.record(rec(from + k), () => undefined);
        }),
      );
    };
    await wave(0, 1);
    await wave(1, 40);
    await wave(41, 3);
    expect(listSegments(path.join(deviceDir, JOURNAL_DIR)).map((s) => s.seq)).toEqual([7]);
    const decoded = decodeRecords(readFileSync(path.join(deviceDir, JOURNAL_DIR, seg(7))));
    expect(decoded.problem).toBeUndefined();
    expect(decoded.records.map(({ dir, name, body }) => ({ dir, name, body }))).toEqual(
      order.map((i) => ({ dir: rec(i).dir, name: rec(i).name, body: Buffer.concat(rec(i).body) })),
    );
    expect(j.counters.groups).toBeLessThan(44);
    expect(j.counters.appends).toBe(44);
  });

  test('close() leaves no segment file behind (one syncfs of the device)', async () => {
    const j = new DeviceJournal({ deviceDir, checkpointBytes: 3 * RECORD_BYTES, checkpointMs: 60_000, maxSealedBytes: 1 << 30, io: realIo() });
    journals.push(j);
    await j.start();
    for (let i = 0; i < 10; i++) await j.record(rec(i), () => undefined);
    await within('close', j.close());
    expect(readdirSync(path.join(deviceDir, JOURNAL_DIR))).toEqual([]);
    expect(syncs.length).toBeGreaterThanOrEqual(1);
    expect(new Set(syncs)).toEqual(new Set([deviceDir]));
    expect(j.counters.checkpoints).toBe(4);
  });

  test('nodeJournalIo refuses to create a segment that exists', async () => {
    const jdir = path.join(deviceDir, JOURNAL_DIR);
    const j = new DeviceJournal({ deviceDir, checkpointBytes: 1 << 20, checkpointMs: 60_000, maxSealedBytes: 1 << 30, io: realIo() });
    journals.push(j);
    await j.start();
    const again = new DeviceJournal({ deviceDir, checkpointBytes: 1 << 20, checkpointMs: 60_000, maxSealedBytes: 1 << 30, io: realIo() });
    await expect(again.start()).rejects.toMatchObject({ code: 'EEXIST' });
    expect(readdirSync(jdir)).toEqual([seg(1)]);
  });
});
