/**
 * The account layer of one storage server (Swift's account server), in the same LevelDB per
 * device as the containers (container-store.ts opens it; one LevelDB per device):
 *
 *   a/<hash>/stat        → AccountRecord (JSON)
 *   a/<hash>/c/<name>    → ContainerRow without the name (JSON)
 *
 * where `hash` is the account's hash_path. Container rows are the container servers' reports
 * (put/delete timestamps, object count, bytes used). Every change to an account runs under a
 * per-account lock and is one batch, so the account's counts always match its live rows.
 */
import { hashPath } from '../../common/hash-path';
import { Timestamp } from '../../common/timestamp';
import type { Level } from 'level';
import type { HashSecret } from '../diskfile/disk-file';
import { KeyedMutex } from '../diskfile/keyed-mutex';
import { type ListingEntry, type ListingParams } from '../container/listing';
import { listStoredRows } from '../container/stored-listing';
import { isDeleted, mergeMetadata, type MetadataItem } from '../container/rows';

type Db = Level<string, string>;

export interface AccountRecord {
  account: string;
  created: string;
  putTimestamp: string;
  /** Newest DELETE, or '' when never deleted. */
  deleteTimestamp: string;
  metadata: Record<string, MetadataItem>;
  containerCount: number;
  objectCount: number;
  bytesUsed: number;
}

/** What the account knows about one container (timestamps in internal form). */
export interface ContainerRow {
  name: string;
  put_timestamp: string;
  delete_timestamp: string;
  object_count: number;
  bytes_used: number;
  /** Derived: the container's DELETE is newer than its PUT. */
  deleted: boolean;
}

export type PutAccountOutcome = 'created' | 'accepted' | 'conflict';
export type DeleteAccountOutcome = 'deleted' | 'not_found' | 'conflict';
export type ContainerRowOutcome = 'applied' | 'stale' | 'no_account';

/** Whether timestamp `a` is newer than `b` ('' = never, older than any timestamp). */
const newer = (a: string, b: string): boolean => a !== '' && (b === '' || Timestamp.parse(a).isNewerThan(Timestamp.parse(b)));

/** A container row is deleted when its DELETE is newer than its PUT. */
export function containerRowDeleted(r: Pick<ContainerRow, 'put_timestamp' | 'delete_timestamp'>): boolean {
  return r.delete_timestamp !== '' && newer(r.delete_timestamp, r.put_timestamp);
}

/**
 * Merges a container report into the row held (Swift's merge_items): each timestamp keeps the
 * newer of the two; the counts come from the report (a container reports its counts with the
 * same timestamps again and again) unless the report is newer on neither timestamp and older on
 * one: then it is from an older incarnation of the container (undefined: stale, nothing to do).
 */
export function mergeContainerRow(old: ContainerRow | undefined, incoming: Omit<ContainerRow, 'deleted'>): ContainerRow | undefined {
  if (
    old &&
    !newer(incoming.put_timestamp, old.put_timestamp) &&
    !newer(incoming.delete_timestamp, old.delete_timestamp) &&
    (newer(old.put_timestamp, incoming.put_timestamp) || newer(old.delete_timestamp, incoming.delete_timestamp))
  ) {
    return undefined;
  }
  const put_timestamp = old && !newer(incoming.put_timestamp, old.put_timestamp) ? old.put_timestamp : incoming.put_timestamp;
  const delete_timestamp = old && !newer(incoming.delete_timestamp, old.delete_timestamp) ? old.delete_timestamp : incoming.delete_timestamp;
  const row = { name: incoming.name, put_timestamp, delete_timestamp, object_count: incoming.object_count, bytes_used: incoming.bytes_used, deleted: false };
  row.deleted = containerRowDeleted(row);
  return row;
}

/** What replacing `old` by `row` does to the account's counts. */
export function containerRowDelta(old: ContainerRow | undefined, row: ContainerRow): { containers: number; objects: number; bytes: number } {
  const d = { containers: 0, objects: 0, bytes: 0 };
  if (old && !old.deleted) {
    d.containers -= 1;
    d.objects -= old.object_count;
    d.bytes -= old.bytes_used;
  }
  if (!row.deleted) {
    d.containers += 1;
    d.objects += row.object_count;
    d.bytes += row.bytes_used;
  }
  return d;
}

export function accountDeleted(r: AccountRecord): boolean {
  return isDeleted({ ...r, container: '', objectCount: 0, bytesUsed: 0 });
}

export interface AccountStoreOptions {
  secret: HashSecret;
  fsync: boolean;
  /** The device's LevelDB (ContainerStore.database). */
  db: (device: string) => Promise<Db>;
}

export interface AccountRef {
  device: string;
  account: string;
}

export class AccountStore {
  private readonly locks = new KeyedMutex();

  constructor(private readonly opts: AccountStoreOptions) {}

  private hash(ref: AccountRef): string {
    return hashPath(this.opts.secret.prefix, this.opts.secret.suffix, ref.account);
  }

  private static statKey(hash: string): string {
    return `a/${hash}/stat`;
  }

  private static rowBase(hash: string): string {
    return `a/${hash}/c/`;
  }

  private async readRecord(db: Db, hash: string): Promise<AccountRecord | undefined> {
    const raw = await db.get(AccountStore.statKey(hash));
    return raw === undefined ? undefined : (JSON.parse(raw) as AccountRecord);
  }

  async record(ref: AccountRef): Promise<AccountRecord | undefined> {
    return this.readRecord(await this.opts.db(ref.device), this.hash(ref));
  }

  async putAccount(ref: AccountRef, timestamp: Timestamp, metadata: Record<string, string>): Promise<PutAccountOutcome> {
    const db = await this.opts.db(ref.device);
    const hash = this.hash(ref);
    return this.locks.run(hash, async () => {
      const old = await this.readRecord(db, hash);
      const wasLive = old !== undefined && !accountDeleted(old);
      const rec: AccountRecord = old
        ? { ...old }
        : { account: ref.account, created: timestamp.internal, putTimestamp: timestamp.internal, deleteTimestamp: '', metadata: {}, containerCount: 0, objectCount: 0, bytesUsed: 0 };
      if (old && newer(timestamp.internal, old.putTimestamp)) {
        rec.putTimestamp = timestamp.internal;
        if (!wasLive) rec.created = timestamp.internal;
      }
      rec.metadata = mergeMetadata(rec.metadata, metadata, timestamp);
      if (accountDeleted(rec)) return 'conflict';
      await db.put(AccountStore.statKey(hash), JSON.stringify(rec), { sync: this.opts.fsync });
      return wasLive ? 'accepted' : 'created';
    });
  }

  async postAccount(ref: AccountRef, timestamp: Timestamp, metadata: Record<string, string>): Promise<boolean> {
    const db = await this.opts.db(ref.device);
    const hash = this.hash(ref);
    return this.locks.run(hash, async () => {
      const old = await this.readRecord(db, hash);
      if (!old || accountDeleted(old)) return false;
      await db.put(AccountStore.statKey(hash), JSON.stringify({ ...old, metadata: mergeMetadata(old.metadata, metadata, timestamp) }), { sync: this.opts.fsync });
      return true;
    });
  }

  /** DELETE marks the account deleted, containers and all (the reaper removes its data later). */
  async deleteAccount(ref: AccountRef, timestamp: Timestamp): Promise<DeleteAccountOutcome> {
    const db = await this.opts.db(ref.device);
    const hash = this.hash(ref);
    return this.locks.run(hash, async () => {
      const old = await this.readRecord(db, hash);
      if (!old || accountDeleted(old)) return 'not_found';
      const rec = { ...old, deleteTimestamp: newer(timestamp.internal, old.deleteTimestamp) ? timestamp.internal : old.deleteTimestamp };
      if (!accountDeleted(rec)) return 'conflict';
      await db.put(AccountStore.statKey(hash), JSON.stringify(rec), { sync: this.opts.fsync });
      return 'deleted';
    });
  }

  /** A container server's report: merged into the row, counts adjusted in the same batch. */
  async updateContainerRow(ref: AccountRef, incoming: Omit<ContainerRow, 'deleted'>): Promise<ContainerRowOutcome> {
    const db = await this.opts.db(ref.device);
    const hash = this.hash(ref);
    return this.locks.run(hash, async () => {
      const key = AccountStore.rowBase(hash) + incoming.name;
      // The record and the row in one read: each LevelDB call is a thread-pool round trip.
      const [rawRecord, raw] = await db.getMany([AccountStore.statKey(hash), key]);
      const rec = rawRecord === undefined ? undefined : (JSON.parse(rawRecord) as AccountRecord);
      if (!rec || accountDeleted(rec)) return 'no_account';
      const old = raw === undefined ? undefined : ({ name: incoming.name, ...JSON.parse(raw) } as ContainerRow);
      const row = mergeContainerRow(old, incoming);
      if (!row) return 'stale';
      const d = containerRowDelta(old, row);
      const next: AccountRecord = { ...rec, containerCount: rec.containerCount + d.containers, objectCount: rec.objectCount + d.objects, bytesUsed: rec.bytesUsed + d.bytes };
      const { name: _name, ...stored } = row;
      await db.batch(
        [
          { type: 'put', key, value: JSON.stringify(stored) },
          { type: 'put', key: AccountStore.statKey(hash), value: JSON.stringify(next) },
        ],
        { sync: this.opts.fsync },
      );
      return 'applied';
    });
  }

  /** Lists the account's live containers (the container listing rules, listing.ts). */
  async list(ref: AccountRef, p: ListingParams): Promise<ListingEntry<ContainerRow>[]> {
    const db = await this.opts.db(ref.device);
    const base = AccountStore.rowBase(this.hash(ref));
    return listStoredRows<ContainerRow>(db, base, p);
  }
}
