/**
 * The object layer of one storage server: every device under `devicesRoot`, addressed by
 * (device, partition, account, container, object). Entry point for the HTTP layer and, later,
 * the workers running in the same process.
 */
import { randomUUID } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { deviceNameProblem } from '../../common/names';
import { DiskFile, type HashSecret, type ObjectRef } from './disk-file';
import { KeyedMutex } from './keyed-mutex';
import { devicePath, partitionPath, tmpPath } from './layout';
import { PartitionHashes } from './partition-hashes';
import type { QuarantineEvent, StoreContext } from './store-context';
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
}

export class ObjectStore {
  private readonly ctx: StoreContext;
  private readonly hashes = new Map<string, PartitionHashes>();
  /** Devices seen available, with when (ms): a stat per request is measurable CPU at high rates. */
  private readonly availableAt = new Map<string, number>();

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
    };
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
    let ok: boolean;
    try {
      ok = (await stat(devicePath(this.opts.devicesRoot, device))).isDirectory();
    } catch {
      ok = false;
    }
    if (ok) this.availableAt.set(device, now);
    else this.availableAt.delete(device);
    return ok;
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
