/**
 * A device's intent journal: how a small change becomes durable with one shared fdatasync
 * instead of an fsync of its file and of every directory it touched.
 *
 * A change whose new file is small (a `.data` of up to JOURNAL_MAX_FILE_BYTES, a tombstone, a
 * `.meta`) writes that file without any sync, appends the file's complete content to the journal
 * (`<device>/journal/<seq>.jnl`, journal-record.ts), and once that record is durable renames the
 * file into its hash directory (again without a sync).
 * Appends are group-committed: the records waiting while one group is written and synced go
 * together in the next group, so N concurrent changes cost one writev and one fdatasync, not
 * 2-4 fsyncs each. A change is acknowledged only once its record is synced and its rename done.
 *
 * The journal is the durable copy until a checkpoint: a segment is sealed when it reached
 * `checkpointBytes` or is `checkpointMs` old (or a write into it failed), a new one takes the
 * appends, and once every rename of the sealed segment's records has happened, one syncfs of the
 * device's file system (syncfs.ts) makes all those files and directories durable and the segment
 * is deleted. After a crash, the segments still there are replayed before the server serves
 * anything (journal-replay.ts): each record's file is rewritten, durably, where it is missing or
 * differs, unless its directory holds something newer. A replay is idempotent, so a segment whose
 * deletion was lost is harmless.
 *
 * Sealed segments waiting for their checkpoint are bounded (`maxSealedBytes`): once they reach
 * it, accepting() is false and changes take the per-file fsync path until checkpoints catch up.
 */
import { closeSync, fdatasync as fdatasyncCb, mkdirSync, open as openCb, readdirSync, unlinkSync, writev as writevCb } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { fsyncDir } from './durable-fs';
import { encodedLength, encodeRecord, type JournalRecord } from './journal-record';
import type { SyncFilesystem } from './syncfs';

export const JOURNAL_DIR = 'journal';
/** Files up to this size (a small object's body and footer) are journaled. */
export const JOURNAL_MAX_FILE_BYTES = 96 * 1024;

const SEGMENT = /^(\d{16})\.jnl$/;

export function segmentName(seq: number): string {
  return `${String(seq).padStart(16, '0')}.jnl`;
}

/** The segments of a journal directory, oldest first. */
export function listSegments(dir: string): { seq: number; file: string }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names
    .map((n) => SEGMENT.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ seq: Number(m[1]), file: path.join(dir, m[0]) }))
    .sort((a, b) => a.seq - b.seq);
}

/** The journal's file-system calls (injectable, so tests can hold or fail any of them). */
export interface JournalIo {
  /** Creates a new segment file (it must not exist), returning its descriptor. */
  create(file: string): Promise<number>;
  /** Writes every byte of `bufs` at the descriptor's position. */
  writev(fd: number, bufs: Buffer[]): Promise<void>;
  datasync(fd: number): Promise<void>;
  close(fd: number): void;
  unlink(file: string): void;
  /** Makes the entries of a directory durable. */
  syncDir(dir: string): Promise<void>;
  syncFilesystem: SyncFilesystem;
}

const writevAsync = promisify(writevCb);
const openAsync = promisify(openCb);

export function nodeJournalIo(syncFilesystem: SyncFilesystem): JournalIo {
  return {
    create: (file) => openAsync(file, 'wx'),
    writev: async (fd, bufs) => {
      const total = encodedLength(bufs);
      let done = (await writevAsync(fd, bufs)).bytesWritten;
      // A short write is legal: finish from where it stopped.
      if (done < total) {
        const all = Buffer.concat(bufs);
        while (done < total) done += (await writevAsync(fd, [all.subarray(done)])).bytesWritten;
      }
    },
    datasync: promisify(fdatasyncCb),
    close: (fd) => closeSync(fd),
    unlink: (file) => unlinkSync(file),
    syncDir: fsyncDir,
    syncFilesystem,
  };
}

export interface JournalOptions {
  /** The device directory (the journal lives in its `journal/`). */
  deviceDir: string;
  /** A segment this big is sealed and checkpointed. */
  checkpointBytes: number;
  /** A segment with records is sealed at least this often. */
  checkpointMs: number;
  /** Sealed bytes waiting for a checkpoint from which on changes are not journaled. */
  maxSealedBytes: number;
  io: JournalIo;
  /** Directories created by the changes of a checkpointed segment: their entries are durable now. */
  onDurable?(createdDirs: readonly string[]): void;
  /** A checkpoint failed (it is retried at the next one). */
  onError?(err: unknown): void;
}

export interface JournalCounters {
  /** Records appended (and acknowledged as durable). */
  appends: number;
  /** Groups written (one writev and one fdatasync each). */
  groups: number;
  /** Segments checkpointed and deleted. */
  checkpoints: number;
  /** syncfs calls made by checkpoints. */
  filesystemSyncs: number;
  /** Appends that failed (their write or sync failed). */
  failures: number;
}

interface Segment {
  seq: number;
  file: string;
  fd: number;
  bytes: number;
  records: number;
  openedAt: number;
  /** Records written into it whose rename has not happened yet. */
  pending: number;
  /** Directories its changes created (not synced until its checkpoint). */
  created: string[];
  /** A write into it failed: nothing more goes in. */
  broken: boolean;
  fdOpen: boolean;
}

interface Entry {
  pieces: Buffer[];
  /** The segment it was written into, once it was. */
  segment?: Segment;
  installed: boolean;
  created: readonly string[];
  resolve(): void;
  reject(err: unknown): void;
}

export class DeviceJournal {
  readonly dir: string;
  private current: Segment | undefined;
  private readonly sealed: Segment[] = [];
  private queue: Entry[] = [];
  private pumping = false;
  private wantSeal = false;
  private closed = false;
  private checkpointing: Promise<void> | undefined;
  private checkpointAgain = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly stats: JournalCounters = { appends: 0, groups: 0, checkpoints: 0, filesystemSyncs: 0, failures: 0 };
  private readonly pendingWaiters = new Map<Segment, (() => void)[]>();

  constructor(private readonly opts: JournalOptions) {
    this.dir = path.join(opts.deviceDir, JOURNAL_DIR);
  }

  get counters(): JournalCounters {
    return { ...this.stats };
  }

  /**
   * Starts the first segment after `lastSeq` (the newest one a replay found). The journal
   * directory and the segment's entry are synced first: an acknowledged record must not be in a
   * file that a crash can make vanish.
   */
  async start(lastSeq = 0): Promise<void> {
    // Not recursive: a device directory that is missing (a failed disk) is never recreated.
    try {
      mkdirSync(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    await this.opts.io.syncDir(this.opts.deviceDir);
    this.current = await this.openSegment(lastSeq + 1);
    this.timer = setInterval(() => this.tick(), Math.max(10, Math.floor(this.opts.checkpointMs / 2)));
    this.timer.unref();
  }

  /** Whether a change should be journaled now (false: closed, or checkpoints are behind). */
  accepting(): boolean {
    if (this.closed || !this.current) return false;
    let sealedBytes = 0;
    for (const s of this.sealed) sealedBytes += s.bytes;
    return sealedBytes < this.opts.maxSealedBytes;
  }

  /**
   * Appends `record` and, once it is durable, runs `install` (the rename into the hash
   * directory): a file is never visible before its content is durable. Resolves when both are
   * done, i.e. when the change may be acknowledged; rejects if either failed. `created`:
   * directories the change created, durable only after the record's checkpoint.
   */
  async record(record: JournalRecord, install: () => void | Promise<void>, created: readonly string[] = []): Promise<void> {
    if (this.closed || !this.current) throw new Error('the journal is closed');
    // Encoded first: a record that cannot be journaled fails its caller alone, before it is queued.
    const pieces = encodeRecord(record);
    let entry!: Entry;
    const durable = new Promise<void>((resolve, reject) => {
      entry = { pieces, installed: false, created, resolve, reject };
    });
    this.queue.push(entry);
    void this.pump();
    try {
      // A record whose sync failed may still be in its segment, and a crash before the checkpoint
      // would replay it: as in Swift, a change answered with a 5xx may still have happened.
      await durable;
      await install();
    } finally {
      this.installed(entry);
    }
  }

  private installed(entry: Entry): void {
    entry.installed = true;
    const seg = entry.segment;
    if (!seg) return;
    seg.pending--;
    if (seg.pending === 0) {
      const waiters = this.pendingWaiters.get(seg);
      this.pendingWaiters.delete(seg);
      waiters?.forEach((w) => w());
    }
  }

  /** Writes queued records group by group, sealing the segment between groups when due. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 || this.wantSeal) {
        const due = this.current !== undefined && (this.wantSeal || this.current.broken || this.current.bytes >= this.opts.checkpointBytes);
        if (due && (this.current!.records > 0 || this.current!.broken)) {
          try {
            await this.seal();
          } catch (err) {
            // Retried by the next record or tick, not at once: a failing create must not spin.
            this.wantSeal = false;
            this.failGroup(this.queue.splice(0), err);
            this.opts.onError?.(err);
            continue;
          }
        }
        this.wantSeal = false;
        if (this.queue.length === 0) continue;
        await this.writeGroup(this.queue.splice(0));
      }
    } finally {
      this.pumping = false;
    }
  }

  private async writeGroup(group: Entry[]): Promise<void> {
    const seg = this.current!;
    const pieces = group.flatMap((e) => e.pieces);
    try {
      await this.opts.io.writev(seg.fd, pieces);
      seg.bytes += encodedLength(pieces);
      seg.records += group.length;
      for (const e of group) {
        seg.created.push(...e.created);
        if (!e.installed) {
          e.segment = seg;
          seg.pending++;
        }
      }
      await this.opts.io.datasync(seg.fd);
    } catch (err) {
      // The segment may end in a torn record now: nothing more goes after it.
      seg.broken = true;
      this.failGroup(group, err);
      return;
    }
    this.stats.groups++;
    this.stats.appends += group.length;
    for (const e of group) e.resolve();
  }

  private failGroup(group: Entry[], err: unknown): void {
    this.stats.failures += group.length;
    for (const e of group) e.reject(err);
  }

  private async openSegment(seq: number): Promise<Segment> {
    const file = path.join(this.dir, segmentName(seq));
    const fd = await this.opts.io.create(file);
    try {
      await this.opts.io.syncDir(this.dir);
    } catch (err) {
      this.opts.io.close(fd);
      throw err;
    }
    return { seq, file, fd, bytes: 0, records: 0, openedAt: Date.now(), pending: 0, created: [], broken: false, fdOpen: true };
  }

  /** Moves appends to a new segment and schedules the old one's checkpoint. */
  private async seal(): Promise<void> {
    const old = this.current!;
    this.current = await this.openSegment(old.seq + 1);
    this.sealed.push(old);
    this.scheduleCheckpoint();
  }

  private tick(): void {
    const seg = this.current;
    if (!seg || this.closed) return;
    // A checkpoint that failed is retried here too: while sealed segments wait, accepting() may
    // be false, and then no new segment gets sealed to retry it.
    if (this.sealed.length > 0 && !this.checkpointing) this.scheduleCheckpoint();
    if (seg.records > 0 && Date.now() - seg.openedAt >= this.opts.checkpointMs) {
      this.wantSeal = true;
      void this.pump();
    }
  }

  private scheduleCheckpoint(): void {
    if (this.checkpointing) {
      this.checkpointAgain = true;
      return;
    }
    this.checkpointing = (async () => {
      try {
        do {
          this.checkpointAgain = false;
          await this.checkpoint();
        } while (this.checkpointAgain && this.sealed.length > 0);
      } finally {
        this.checkpointing = undefined;
      }
    })();
  }

  private waitInstalled(seg: Segment): Promise<void> {
    if (seg.pending === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.pendingWaiters.get(seg) ?? [];
      list.push(resolve);
      this.pendingWaiters.set(seg, list);
    });
  }

  /**
   * Checkpoints every sealed segment: once all their renames happened, one syncfs makes their
   * files durable, then they go. A failed syncfs keeps them for the next checkpoint.
   */
  private async checkpoint(): Promise<void> {
    const batch = [...this.sealed];
    if (batch.length === 0) return;
    await Promise.all(batch.map((s) => this.waitInstalled(s)));
    if (batch.some((s) => s.records > 0)) {
      try {
        this.stats.filesystemSyncs++;
        await this.opts.io.syncFilesystem(this.opts.deviceDir);
      } catch (err) {
        this.opts.onError?.(err);
        return;
      }
    }
    for (const s of batch) {
      this.closeSegment(s);
      try {
        this.opts.io.unlink(s.file);
      } catch (err) {
        // A segment left behind is replayed (idempotently) at the next start.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.opts.onError?.(err);
      }
      this.sealed.splice(this.sealed.indexOf(s), 1);
      this.stats.checkpoints++;
      this.opts.onDurable?.(s.created);
    }
  }

  private closeSegment(s: Segment): void {
    if (!s.fdOpen) return;
    s.fdOpen = false;
    try {
      this.opts.io.close(s.fd);
    } catch {
      // the descriptor is gone either way
    }
  }

  /**
   * Stops taking records, lets the queued ones finish, and checkpoints everything (so a clean
   * stop leaves no journal to replay). A failing syncfs leaves the segments for the next start.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    while (this.pumping || this.queue.length > 0) {
      await this.pump();
      if (this.pumping) await new Promise((r) => setImmediate(r));
    }
    if (this.current) {
      this.sealed.push(this.current);
      this.current = undefined;
    }
    while (this.checkpointing) await this.checkpointing;
    await this.checkpoint();
    for (const s of this.sealed) this.closeSegment(s);
  }
}
