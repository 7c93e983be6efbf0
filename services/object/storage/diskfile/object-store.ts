/**
 * The object layer of one storage server: every device under `devicesRoot`, addressed by
 * (device, partition, account, container, object). Entry point for the HTTP layer and, later,
 * the workers running in the same process.
 */
import { randomUUID } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { deviceNameProblem } from '../../common/names';
import { DiskFile, type HashSecret, type ObjectRef } from './disk-file';
import { markSynced } from './durable-fs';
import { DeviceJournal, nodeJournalIo, type JournalCounters, type JournalIo } from './intent-journal';
import { replayJournal, type ReplayReport } from './journal-replay';
import { KeyedMutex } from './keyed-mutex';
import { devicePath, partitionPath, tmpPath } from './layout';
import { PartitionHashes } from './partition-hashes';
import type { QuarantineEvent, StoreContext } from './store-context';
import { syncFilesystem } from './syncfs';
import { sweepTmp } from './tmp-sweep';

/**
 * How long a device seen available is believed so without a new stat. Only "available" is
 * remembered: a device that was missing is checked again on every request, so one that comes
 * back is used at once; one that disappears fails its writes (and answers 507) within this time.
 */
const DEVICE_CHECK_TTL_MS = 1000;

export interface ObjectStoreOptions {
  devicesRoot: string;
  /** The cluster's hash path prefix and suffix (must match every other server's). */
  secret: HashSecret;
  /** Sync files and directories before acknowledging (off only for tests and tmpfs benchmarks). */
  fsync: boolean;
  /** Temp file names (injectable so tests are reproducible). */
  newId?: () => string;
  /** Told about every quarantined object (the server logs and counts them). */
  onQuarantine?: (event: QuarantineEvent) => void;
  /**
   * Small changes go through each device's intent journal (intent-journal.ts) instead of
   * syncing their files and directories one by one. Only with fsync; absent: no journal.
   */
  journal?: JournalSettings;
}

export interface JournalSettings {
  checkpointMs: number;
  checkpointBytes: number;
  maxSealedBytes: number;
  /** The file-system calls (tests inject failures); default: the real ones. */
  io?: JournalIo;
  /** A journal failed to open, or a checkpoint failed (it is retried). */
  onError?: (device: string, err: unknown) => void;
  /** A device's journal was replayed (at start, or when the device first appeared). */
  onReplay?: (device: string, report: ReplayReport) => void;
}

/** A device's journal: opening (replay first) or open. */
interface JournalSlot {
  ready?: DeviceJournal;
  opening: Promise<DeviceJournal | undefined>;
}

export class ObjectStore {
  private readonly ctx: StoreContext;
  private readonly hashes = new Map<string, PartitionHashes>();
  /** Devices seen available, with when (ms): a stat per request is measurable CPU at high rates. */
  private readonly availableAt = new Map<string, number>();
  private readonly journals = new Map<string, JournalSlot>();
  /** The inode of each device directory when last seen available. */
  private readonly deviceIno = new Map<string, number>();
  private closed = false;

  constructor(private readonly opts: ObjectStoreOptions) {
    const locks = new KeyedMutex();
    const newId = opts.newId ?? randomUUID;
    this.ctx = {
      devicesRoot: opts.devicesRoot,
      fsync: opts.fsync,
      locks,
      newId,
      // One instance per partition: it coalesces marks and tracks consolidations (its generation).
      partitionHashes: (device, partition) => {
        const dir = partitionPath(opts.devicesRoot, device, partition);
        let ph = this.hashes.get(dir);
        if (!ph) {
          ph = new PartitionHashes(locks, dir, newId);
          this.hashes.set(dir, ph);
        }
        return ph;
      },
      onQuarantine: (e) => opts.onQuarantine?.(e),
      journal: (device) => this.journalFor(device),
    };
  }

  /**
   * The device's journal when it takes changes now. A device seen for the first time has its
   * journal opened (and replayed) in the background; meanwhile its changes sync file by file.
   */
  private journalFor(device: string): DeviceJournal | undefined {
    if (!this.opts.journal || !this.opts.fsync || this.closed) return undefined;
    const slot = this.journals.get(device);
    if (slot) return slot.ready?.accepting() ? slot.ready : undefined;
    void this.openJournal(device);
    return undefined;
  }

  private openJournal(device: string): Promise<DeviceJournal | undefined> {
    const existing = this.journals.get(device);
    if (existing) return existing.opening;
    const settings = this.opts.journal!;
    const deviceDir = devicePath(this.opts.devicesRoot, device);
    const slot: JournalSlot = { opening: Promise.resolve(undefined) };
    slot.opening = (async (): Promise<DeviceJournal | undefined> => {
      try {
        const report = await replayJournal(deviceDir, {
          invalidate: (partition, suffix) => this.ctx.partitionHashes(device, partition).invalidate(suffix),
          newId: this.ctx.newId,
          lock: (dir, fn) => this.lockHashDir(dir, fn),
        });
        if (report.segments > 0) settings.onReplay?.(device, report);
        const journal = new DeviceJournal({
          deviceDir,
          checkpointBytes: settings.checkpointBytes,
          checkpointMs: settings.checkpointMs,
          maxSealedBytes: settings.maxSealedBytes,
          io: settings.io ?? nodeJournalIo(syncFilesystem),
          onDurable: (dirs) => markSynced(dirs),
          onError: (err) => settings.onError?.(device, err),
        });
        await journal.start(report.lastSeq);
        if (this.closed) {
          await journal.close();
          return undefined;
        }
        slot.ready = journal;
        return journal;
      } catch (err) {
        settings.onError?.(device, err);
        // Tried again on a later change (the device may have been missing).
        this.journals.delete(device);
        return undefined;
      }
    })();
    this.journals.set(device, slot);
    return slot.opening;
  }

  /**
   * Replays and opens the journal of every device there now (the server does this before it
   * listens, so no request sees a file a crash lost). Without journals configured: nothing.
   */
  async openJournals(): Promise<void> {
    if (!this.opts.journal || !this.opts.fsync) return;
    let devices: string[];
    try {
      devices = await readdir(this.opts.devicesRoot);
    } catch {
      return;
    }
    await Promise.all(devices.filter((d) => !deviceNameProblem(d)).map((d) => this.openJournal(d)));
  }

  /** What the journals did so far, summed over devices. */
  journalCounters(): JournalCounters {
    const sum: JournalCounters = { appends: 0, groups: 0, checkpoints: 0, filesystemSyncs: 0, failures: 0 };
    for (const slot of this.journals.values()) {
      const c = slot.ready?.counters;
      if (!c) continue;
      for (const k of Object.keys(sum) as (keyof JournalCounters)[]) sum[k] += c[k];
    }
    return sum;
  }

  /** Checkpoints and closes every journal (a clean stop leaves nothing to replay). */
  async close(): Promise<void> {
    this.closed = true;
    const journals = await Promise.all([...this.journals.values()].map((s) => s.opening));
    await Promise.all(journals.map((j) => j?.close()));
  }

  /**
   * Whether a device can take requests: its directory exists. (Swift also checks that it is a
   * mount point; here devices are plain directories, so a missing one stands for an unmounted or
   * failed disk and answers 507.)
   */
  async deviceAvailable(device: string): Promise<boolean> {
    if (deviceNameProblem(device)) return false;
    const now = Date.now();
    const seen = this.availableAt.get(device);
    if (seen !== undefined && now - seen < DEVICE_CHECK_TTL_MS) return true;
    let ino: number | undefined;
    try {
      const st = await stat(devicePath(this.opts.devicesRoot, device));
      if (st.isDirectory()) ino = st.ino;
    } catch {
      // missing or unreadable: not available
    }
    // A device that went away, or came back as another directory (a new disk), must not keep
    // its journal: that journal's segment may live on the old disk, out of the replay's reach.
    if (ino === undefined || (this.deviceIno.has(device) && this.deviceIno.get(device) !== ino)) this.dropJournal(device);
    if (ino === undefined) {
      this.availableAt.delete(device);
      this.deviceIno.delete(device);
      return false;
    }
    this.availableAt.set(device, now);
    this.deviceIno.set(device, ino);
    return true;
  }

  /** Forgets a device's journal (closing it); the next change opens a new one (replay first). */
  private dropJournal(device: string): void {
    const slot = this.journals.get(device);
    if (!slot) return;
    this.journals.delete(device);
    void slot.opening.then((j) => j?.close()).catch((err: unknown) => this.opts.journal?.onError?.(device, err));
  }

  object(ref: ObjectRef): DiskFile {
    return new DiskFile(this.ctx, ref, this.opts.secret);
  }

  /**
   * The object whose hash directory is `objects/<partition>/<suffix>/<hash>` (found by walking
   * the disk); `name` (`/a/c/o`, from its metadata when readable) is only used in logs and events.
   */
  objectAtHash(device: string, partition: string, hash: string, name = ''): DiskFile {
    const [, account = '', container = '', ...object] = name.split('/');
    return new DiskFile(this.ctx, { device, partition, account, container, object: object.join('/') }, { hash });
  }

  /** Where this store's devices live, and whether it syncs (for the replication receiver). */
  get devicesRoot(): string {
    return this.opts.devicesRoot;
  }

  get fsync(): boolean {
    return this.opts.fsync;
  }

  /**
   * Runs fn under the same lock DiskFile writers take for a hash directory (`dir` as DiskFile.dir
   * gives it): the replication receiver knows hashes (tombstones carry no name), not names.
   */
  lockHashDir<T>(dir: string, fn: () => Promise<T>): Promise<T> {
    return this.ctx.locks.run(`obj:${dir}`, fn);
  }

  partitionHashes(device: string, partition: string): PartitionHashes {
    return this.ctx.partitionHashes(device, partition);
  }

  /** Removes stale temp files on every device (see tmp-sweep.ts); returns how many went. */
  async sweepTmp(maxAgeMs: number, now: number = Date.now()): Promise<number> {
    let devices: string[];
    try {
      devices = await readdir(this.opts.devicesRoot);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const d of devices) {
      if (deviceNameProblem(d)) continue;
      removed += await sweepTmp(tmpPath(this.opts.devicesRoot, d), { maxAgeMs, now });
    }
    return removed;
  }
}
