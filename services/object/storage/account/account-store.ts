/**
 * The account layer of one storage server (Swift's account server), in the same LevelDB per
 * device as the containers (container-store.ts opens it; one LevelDB per device):
 *
 *   a/<hash>/stat        → AccountRecord (JSON)
 *   a/<hash>/c/<name>    → ContainerRow without the name (JSON)
 *   a/<hash>/reclaimed   → ReclaimedMarker (JSON), once a deleted record was reclaimed
 *
 * where `hash` is the account's hash_path. Container rows are the container servers' reports
 * (put/delete timestamps, object count, bytes used). Every change to an account runs under a
 * per-account lock and is one batch, so the account's counts always match its live rows.
 *
 * A deleted account keeps its record until it is reclaimed (account-reclaim.ts): a client PUT
 * of it is refused meanwhile (Swift's 403 "Recently deleted"), and container reports may only
 * remove containers from it, never add or revive one (Swift lets the reaper's reports through
 * with X-Account-Override-Deleted; here the report's own content says it: a container deleted).
 */
import { hashPath } from '../../common/hash-path';
import { Timestamp } from '../../common/timestamp';
import type { Level } from 'level';
import type { HashSecret } from '../diskfile/disk-file';
import { KeyedMutex } from '../diskfile/keyed-mutex';
import { type ListingEntry, type ListingParams } from '../container/listing';
import { listStoredRows } from '../container/stored-listing';
import { isDeleted, mergeMetadata, type MetadataItem } from '../container/rows';
import { parseReclaimedMarker, putPassesMarker, reclaimDecision, type ReclaimDecision, type ReclaimedMarker } from './account-reclaim';

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

export type PutAccountOutcome = 'created' | 'accepted' | 'conflict' | 'recently_deleted';
export type ReclaimOutcome = ReclaimDecision | 'reclaimed' | 'not_found';
export type DeleteAccountOutcome = 'deleted' | 'not_found' | 'conflict';
export type ContainerRowOutcome = 'applied' | 'stale' | 'no_account';

export interface PutAccountOptions {
  /**
   * Refuse ('recently_deleted', nothing written) when the record is deleted, whatever the
   * timestamps: a client's PUT (Swift's account server). Replication merges leave it unset and
   * merge by timestamp.
   */
  refuseDeleted?: boolean;
}

export interface ReclaimOptions {
  /** DELETEs older than this may be reclaimed (now minus the reclaim age, the caller's clock). */
  cutoff: Timestamp;
  /** When it happens (kept in the marker). */
  now: Timestamp;
  /** Only say what would happen ('reclaim'), change nothing. */
  dryRun?: boolean;
}

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

/**
 * Whether a container report may change a deleted account: only when it leaves the container
 * deleted (merged, or, when stale, as reported), so the reaper's deletions reach every replica
 * and the account can empty, while no report adds or revives a container in it.
 */
export function reportAllowedWhenDeleted(incoming: Pick<ContainerRow, 'put_timestamp' | 'delete_timestamp'>, merged: ContainerRow | undefined): boolean {
  return merged ? merged.deleted : containerRowDeleted(incoming);
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

  private static reclaimedKey(hash: string): string {
    return `a/${hash}/reclaimed`;
  }

  private async readRecord(db: Db, hash: string): Promise<AccountRecord | undefined> {
    const raw = await db.get(AccountStore.statKey(hash));
    return raw === undefined ? undefined : (JSON.parse(raw) as AccountRecord);
  }

  async record(ref: AccountRef): Promise<AccountRecord | undefined> {
    return this.readRecord(await this.opts.db(ref.device), this.hash(ref));
  }

  async putAccount(ref: AccountRef, timestamp: Timestamp, metadata: Record<string, string>, opts: PutAccountOptions = {}): Promise<PutAccountOutcome> {
    const db = await this.opts.db(ref.device);
    const hash = this.hash(ref);
    return this.locks.run(hash, async () => {
      const [rawRecord, rawMarker] = await db.getMany([AccountStore.statKey(hash), AccountStore.reclaimedKey(hash)]);
      const old = rawRecord === undefined ? undefined : (JSON.parse(rawRecord) as AccountRecord);
      if (old && opts.refuseDeleted && accountDeleted(old)) return 'recently_deleted';
      const marker = old ? undefined : parseReclaimedMarker(rawMarker);
      if (!putPassesMarker(marker, timestamp)) return 'conflict';
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
      const stat = { type: 'put' as const, key: AccountStore.statKey(hash), value: JSON.stringify(rec) };
      // A fresh account after a reclaimed one: the marker has done its job.
      await db.batch(rawMarker !== undefined && !old ? [stat, { type: 'del', key: AccountStore.reclaimedKey(hash) }] : [stat], { sync: this.opts.fsync });
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
      if (!rec) return 'no_account';
      const old = raw === undefined ? undefined : ({ name: incoming.name, ...JSON.parse(raw) } as ContainerRow);
      const row = mergeContainerRow(old, incoming);
      if (accountDeleted(rec) && !reportAllowedWhenDeleted(incoming, row)) return 'no_account';
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

  /**
   * Removes a deleted account's record and rows for good, when reclaimDecision() allows it and
   * no live row is left (the rows are checked too, not only the record's count), leaving the
   * marker that keeps replication from bringing the record back. One batch, under the lock.
   */
  async reclaimAccount(ref: AccountRef, o: ReclaimOptions): Promise<ReclaimOutcome> {
    const db = await this.opts.db(ref.device);
    const hash = this.hash(ref);
    return this.locks.run(hash, async () => {
      const rec = await this.readRecord(db, hash);
      if (!rec) return 'not_found';
      const decision = reclaimDecision(rec, o.cutoff);
      if (decision !== 'reclaim') return decision;
      const base = AccountStore.rowBase(hash);
      const keys: string[] = [];
      for await (const [key, value] of db.iterator({ gte: base, lt: `${base.slice(0, -1)}0` })) {
        if (!containerRowDeleted(JSON.parse(value) as ContainerRow)) return 'not_empty';
        keys.push(key);
      }
      if (o.dryRun) return 'reclaim';
      const marker: ReclaimedMarker = { account: rec.account, putTimestamp: rec.putTimestamp, deleteTimestamp: rec.deleteTimestamp, reclaimedAt: o.now.internal };
      await db.batch(
        [
          ...keys.map((key) => ({ type: 'del' as const, key })),
          { type: 'del', key: AccountStore.statKey(hash) },
          { type: 'put', key: AccountStore.reclaimedKey(hash), value: JSON.stringify(marker) },
        ],
        { sync: this.opts.fsync },
      );
      return 'reclaimed';
    });
  }

  /** The marker a reclaimed record left, if any. */
  async reclaimedMarker(ref: AccountRef): Promise<ReclaimedMarker | undefined> {
    return parseReclaimedMarker(await (await this.opts.db(ref.device)).get(AccountStore.reclaimedKey(this.hash(ref))));
  }

  /** Lists the account's live containers (the container listing rules, listing.ts). */
  async list(ref: AccountRef, p: ListingParams): Promise<ListingEntry<ContainerRow>[]> {
    const db = await this.opts.db(ref.device);
    const base = AccountStore.rowBase(this.hash(ref));
    return listStoredRows<ContainerRow>(db, base, p);
  }
}
