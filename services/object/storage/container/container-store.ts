/**
 * The container layer of one storage server: container records and object rows in one LevelDB
 * per device (`<device>/db/`, opened on first use and kept open), keyed as in
 * docs/object-storage.md:
 *
 *   c/<hash>/stat        → ContainerRecord (JSON)
 *   c/<hash>/o/<name>    → ObjectRow without the name (JSON)
 *
 * where `hash` is the container's hash_path. Every change to a container (its record and any
 * row) runs under a per-container lock and is written as one batch, so the object count and
 * bytes used always match the rows. Outcomes are returned, not thrown; the HTTP handlers map them.
 */
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { Level } from 'level';
import { hashPath } from '../../common/hash-path';
import type { Timestamp } from '../../common/timestamp';
import type { HashSecret } from '../diskfile/disk-file';
import type { UpdateTarget } from '../http/update-target';
import { KeyedMutex } from '../diskfile/keyed-mutex';
import { devicePath } from '../diskfile/layout';
import { type ListingEntry, type ListingParams } from './listing';
import { listStoredRows } from './stored-listing';
import { isDeleted, mergeMetadata, rowDelta, rowWins, type ContainerRecord, type ObjectRow } from './rows';

export const DB_DIR = 'db';

export interface ContainerRef {
  device: string;
  account: string;
  container: string;
}

export interface ContainerStoreOptions {
  devicesRoot: string;
  secret: HashSecret;
  /** Sync every batch (survives power loss); without it a batch survives a process crash. */
  fsync: boolean;
}

export type PutContainerOutcome = 'created' | 'accepted' | 'conflict';
export type DeleteContainerOutcome = 'deleted' | 'not_found' | 'not_empty' | 'conflict';
export type RowOutcome = 'applied' | 'stale' | 'no_container';

type Db = Level<string, string>;

interface QueuedRow {
  row: ObjectRow;
  resolve(outcome: RowOutcome): void;
  reject(err: unknown): void;
}

export class ContainerStore {
  private readonly dbs = new Map<string, Promise<Db>>();
  private readonly locks = new KeyedMutex();
  /** Row updates waiting for their container's lock, per device and container hash. */
  private readonly rowQueues = new Map<string, QueuedRow[]>();

  constructor(private readonly opts: ContainerStoreOptions) {}

  /** The device's LevelDB, shared with the account layer (one LevelDB per device). */
  database(device: string): Promise<Db> {
    return this.db(device);
  }

  private db(device: string): Promise<Db> {
    let p = this.dbs.get(device);
    if (!p) {
      const dir = path.join(devicePath(this.opts.devicesRoot, device), DB_DIR);
      p = (async () => {
        await mkdir(dir, { recursive: true });
        const db = new Level<string, string>(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
        await db.open();
        return db;
      })();
      // A failed open (device gone) is retried by the next request.
      p.catch(() => this.dbs.delete(device));
      this.dbs.set(device, p);
    }
    return p;
  }

  private hash(ref: ContainerRef): string {
    return hashPath(this.opts.secret.prefix, this.opts.secret.suffix, ref.account, ref.container);
  }

  private static statKey(hash: string): string {
    return `c/${hash}/stat`;
  }

  private static rowBase(hash: string): string {
    return `c/${hash}/o/`;
  }

  private async readRecord(db: Db, hash: string): Promise<ContainerRecord | undefined> {
    const raw = await db.get(ContainerStore.statKey(hash));
    return raw === undefined ? undefined : (JSON.parse(raw) as ContainerRecord);
  }

  /** The record of a container, deleted or not; undefined when this device never had it. */
  async record(ref: ContainerRef): Promise<ContainerRecord | undefined> {
    return this.readRecord(await this.db(ref.device), this.hash(ref));
  }

  /**
   * PUT: creates the container, or recreates a deleted one when newer than the DELETE, or updates
   * the PUT timestamp and merges metadata. 'conflict' when it stays deleted (older than the DELETE).
   */
  async putContainer(ref: ContainerRef, timestamp: Timestamp, metadata: Record<string, string>, accountTarget?: UpdateTarget): Promise<PutContainerOutcome> {
    const db = await this.db(ref.device);
    const hash = this.hash(ref);
    return this.locks.run(hash, async () => {
      const old = await this.readRecord(db, hash);
      const wasLive = old !== undefined && !isDeleted(old);
      const rec: ContainerRecord = old
        ? { ...old }
        : { account: ref.account, container: ref.container, created: timestamp.internal, putTimestamp: timestamp.internal, deleteTimestamp: '', metadata: {}, objectCount: 0, bytesUsed: 0 };
      if (old && rowWins({ timestamp: old.putTimestamp }, { timestamp: timestamp.internal })) {
        rec.putTimestamp = timestamp.internal;
        if (!wasLive) rec.created = timestamp.internal;
      }
      rec.metadata = mergeMetadata(rec.metadata, metadata, timestamp);
      if (accountTarget) rec.accountTarget = accountTarget;
      if (isDeleted(rec)) return 'conflict';
      await db.put(ContainerStore.statKey(hash), JSON.stringify(rec), { sync: this.opts.fsync });
      return wasLive ? 'accepted' : 'created';
    });
  }

  /** POST: merges metadata; false when the container does not exist (or is deleted). */
  async postContainer(ref: ContainerRef, timestamp: Timestamp, metadata: Record<string, string>): Promise<boolean> {
    const db = await this.db(ref.device);
    const hash = this.hash(ref);
    return this.locks.run(hash, async () => {
      const old = await this.readRecord(db, hash);
      if (!old || isDeleted(old)) return false;
      const rec = { ...old, metadata: mergeMetadata(old.metadata, metadata, timestamp) };
      await db.put(ContainerStore.statKey(hash), JSON.stringify(rec), { sync: this.opts.fsync });
      return true;
    });
  }

  /** DELETE: only an existing, empty container; records the deletion timestamp. */
  async deleteContainer(ref: ContainerRef, timestamp: Timestamp, accountTarget?: UpdateTarget): Promise<DeleteContainerOutcome> {
    const db = await this.db(ref.device);
    const hash = this.hash(ref);
    return this.locks.run(hash, async () => {
      const old = await this.readRecord(db, hash);
      if (!old || isDeleted(old)) return 'not_found';
      if (old.objectCount > 0) return 'not_empty';
      const rec: ContainerRecord = { ...old, deleteTimestamp: timestamp.internal };
      if (accountTarget) rec.accountTarget = accountTarget;
      if (old.deleteTimestamp && !rowWins({ timestamp: old.deleteTimestamp }, { timestamp: timestamp.internal })) rec.deleteTimestamp = old.deleteTimestamp;
      if (!isDeleted(rec)) return 'conflict';
      await db.put(ContainerStore.statKey(hash), JSON.stringify(rec), { sync: this.opts.fsync });
      return 'deleted';
    });
  }

  /**
   * An object row update (the object servers' container update): applied when newer than the
   * row held, with the count and bytes adjusted in the same batch. Needs a live container.
   *
   * Updates for one container that arrive while its lock is held are applied together (group
   * commit): one record read, one batch, one sync for all of them, in arrival order, each with
   * its own outcome. The counts stay exact because the batch holds the rows and the record.
   */
  async updateRow(ref: ContainerRef, row: ObjectRow): Promise<RowOutcome> {
    const db = await this.db(ref.device);
    const hash = this.hash(ref);
    const queueKey = `${ref.device}/${hash}`;
    return new Promise<RowOutcome>((resolve, reject) => {
      const queued = this.rowQueues.get(queueKey);
      if (queued) {
        queued.push({ row, resolve, reject });
        return;
      }
      const group: QueuedRow[] = [{ row, resolve, reject }];
      this.rowQueues.set(queueKey, group);
      this.locks
        .run(hash, () => {
          // From here on, new updates start the next group (which waits for this lock).
          this.rowQueues.delete(queueKey);
          return this.applyRows(db, hash, group.map((q) => q.row));
        })
        .then(
          (outcomes) => group.forEach((q, i) => q.resolve(outcomes[i])),
          (err: unknown) => group.forEach((q) => q.reject(err)),
        );
    });
  }

  /** Applies rows in order under the container's lock; one outcome per row. */
  private async applyRows(db: Db, hash: string, rows: readonly ObjectRow[]): Promise<RowOutcome[]> {
    const base = ContainerStore.rowBase(hash);
    const names = [...new Set(rows.map((r) => r.name))];
    // The record and the rows in one read: each LevelDB call is a thread-pool round trip.
    const [rawRecord, ...raws] = await db.getMany([ContainerStore.statKey(hash), ...names.map((n) => base + n)]);
    const rec = rawRecord === undefined ? undefined : (JSON.parse(rawRecord) as ContainerRecord);
    if (!rec || isDeleted(rec)) return rows.map(() => 'no_container');
    const current = new Map<string, ObjectRow | undefined>();
    names.forEach((name, i) => {
      const raw = raws[i];
      current.set(name, raw === undefined ? undefined : ({ name, ...JSON.parse(raw) } as ObjectRow));
    });
    let objectCount = rec.objectCount;
    let bytesUsed = rec.bytesUsed;
    const changed = new Map<string, ObjectRow>();
    const outcomes = rows.map((row): RowOutcome => {
      const old = current.get(row.name);
      if (!rowWins(old, row)) return 'stale';
      const d = rowDelta(old, row);
      objectCount += d.count;
      bytesUsed += d.bytes;
      current.set(row.name, row);
      changed.set(row.name, row);
      return 'applied';
    });
    if (changed.size === 0) return outcomes;
    const ops: Array<{ type: 'put'; key: string; value: string }> = [];
    for (const row of changed.values()) {
      const { name, ...stored } = row;
      ops.push({ type: 'put', key: base + name, value: JSON.stringify(stored) });
    }
    ops.push({ type: 'put', key: ContainerStore.statKey(hash), value: JSON.stringify({ ...rec, objectCount, bytesUsed }) });
    await db.batch(ops, { sync: this.opts.fsync });
    return outcomes;
  }

  /** Lists a container's live objects (see listing.ts for the rules). */
  async list(ref: ContainerRef, p: ListingParams): Promise<ListingEntry[]> {
    const db = await this.db(ref.device);
    const base = ContainerStore.rowBase(this.hash(ref));
    return listStoredRows<ObjectRow>(db, base, p);
  }

  async close(): Promise<void> {
    const dbs = [...this.dbs.values()];
    this.dbs.clear();
    for (const p of dbs) {
      try {
        await (await p).close();
      } catch {
        // Never opened (the device was unavailable): nothing to close.
      }
    }
  }
}
