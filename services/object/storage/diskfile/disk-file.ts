/**
 * One object's hash directory on one device: read, write, delete, update metadata, quarantine.
 *
 * Invariants (docs/object-storage.md):
 * - last writer wins by timestamp: a PUT, DELETE or POST whose timestamp is not newer than what
 *   the directory holds is refused with CONFLICT and changes nothing;
 * - every change is "check, rename into place, remove obsolete files" under the directory's
 *   lock, so two requests for the same object never interleave those steps;
 * - a reader never takes the lock: it lists, picks the newest files and opens them, retrying
 *   when a concurrent writer removed a file between the listing and the open;
 * - anything unreadable (a `.data` whose metadata footer is missing or bad, a size that does not match) is
 *   quarantined and the object reads as missing, so the replicator can bring a good copy back.
 */
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import * as path from 'node:path';
import { hashPath, hashSuffix } from '../../common/hash-path';
import type { HeaderBag } from '../../common/object-headers';
import { newest, type Timestamp } from '../../common/timestamp';
import { createFd, fsyncDirs, makeDirs, markSynced, mkdirDurable, parentsOf, syncPath, unsyncedAncestors, writeNewFile } from './durable-fs';
import type { DeviceJournal } from './intent-journal';
import { recordDirProblem } from './journal-record';
import { fileName } from './file-names';
import { devicePath, hashDirPath, partitionPath, quarantinePath, tmpPath } from './layout';
import { mergeMetadata, parseDataMetadata, parsePostMetadata, type DataMetadataFile, type PostMetadataFile } from './object-metadata';
import { ObjectWriter } from './object-writer';
import { classifyFiles, type OnDiskState } from './ondisk-files';
import { readFooter } from './footer-reader';
import { OpenObject, PoolFileSource, SyncFileSource, type ReadSource } from './open-object';
import { asStorageError, StorageError } from './storage-error';
import type { StoreContext } from './store-context';

export interface ObjectRef {
  device: string;
  partition: string;
  account: string;
  container: string;
  object: string;
}

export interface HashSecret {
  prefix: string;
  suffix: string;
}

export type ReadResult =
  | { kind: 'missing' }
  | { kind: 'deleted'; timestamp: Timestamp }
  | { kind: 'found'; object: OpenObject };

/** What a DELETE replaced: the HTTP layer answers 204 for an object, 404 otherwise. */
export type DeleteOutcome = { previous: 'data' | 'tombstone' | 'missing'; previousTimestamp?: Timestamp };

export interface MetadataUpdate {
  /** New content type, when the POST sets one. */
  contentType?: string;
  /** The complete new set of user metadata and allowed headers. */
  headers: HeaderBag;
}

/** Where a small change can go: the device's intent journal, and the directory as its records name it. */
interface JournalTarget {
  journal: DeviceJournal;
  /** The hash directory relative to its device (`objects/<partition>/<suffix>/<hash>`). */
  dir: string;
}

/** A change whose one small file goes through the device's intent journal. */
interface JournaledChange extends JournalTarget {
  /** The file's complete content. */
  body: readonly Buffer[];
}

/** Listing and opening race with writers that remove files; this many tries is plenty. */
const OPEN_ATTEMPTS = 5;

/**
 * `.data` files up to this size are read with synchronous calls (open-object.ts SyncFileSource
 * says why); larger ones through the thread pool.
 */
export const SYNC_READ_BYTES = 64 * 1024;

/**
 * Opens a `.data` for reading, with its size on disk. The open and the stat are synchronous
 * whatever the size: opening an existing file takes microseconds, less than a pool round trip.
 */
function openData(file: string): { fh: ReadSource; size: number } {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    return { fh: size <= SYNC_READ_BYTES ? new SyncFileSource(fd) : new PoolFileSource(fd), size };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

export class DiskFile {
  readonly hash: string;
  readonly suffix: string;
  /** The hash directory. */
  readonly dir: string;
  /** `/account/container/object`. */
  readonly name: string;

  /**
   * `secret` computes the hash from the name; `{ hash }` addresses a hash directory found on disk
   * (the auditor: the name may be unknown or unreadable there).
   */
  constructor(
    private readonly ctx: StoreContext,
    readonly ref: ObjectRef,
    secret: HashSecret | { hash: string },
  ) {
    this.hash = 'hash' in secret ? secret.hash : hashPath(secret.prefix, secret.suffix, ref.account, ref.container, ref.object);
    this.suffix = hashSuffix(this.hash);
    this.dir = hashDirPath(ctx.devicesRoot, ref.device, ref.partition, this.hash);
    this.name = `/${ref.account}/${ref.container}/${ref.object}`;
  }

  /**
   * The hash directory as journal records name it; null when it cannot be one (a directory found
   * on disk outside the layout). Worked out once per instance: a PUT asks three times.
   */
  private recordDir: string | null | undefined;

  /** The device's intent journal, when this directory's small changes go through it now. */
  private journal(): JournalTarget | undefined {
    if (!this.ctx.fsync) return undefined;
    if (this.recordDir === undefined) {
      const rel = path.relative(devicePath(this.ctx.devicesRoot, this.ref.device), this.dir);
      this.recordDir = recordDirProblem(rel) === undefined ? rel : null;
    }
    if (this.recordDir === null) return undefined;
    const journal = this.ctx.journal(this.ref.device);
    return journal ? { journal, dir: this.recordDir } : undefined;
  }

  private get lockKey(): string {
    return `obj:${this.dir}`;
  }

  /**
   * The directory's names, or undefined when it does not exist. Synchronous, like the other
   * small metadata calls here (a hash directory holds a handful of names): cheaper than a
   * thread-pool round trip, which also queues behind fsyncs. Every new object's directory is
   * missing: a stat that answers "nothing there" without an exception costs a few microseconds,
   * the exception readdir would throw several times that. Other errors throw as before.
   */
  private listOrMissing(): string[] | undefined {
    try {
      if (statSync(this.dir, { throwIfNoEntry: false }) === undefined) return undefined;
      return readdirSync(this.dir);
    } catch (err) {
      if (isMissing(err) || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw err;
    }
  }

  private list(): string[] {
    return this.listOrMissing() ?? [];
  }

  /** What the directory holds now, without opening anything (e.g. to refuse an older PUT early). */
  async state(): Promise<OnDiskState> {
    return classifyFiles(this.list());
  }

  /** The newest version: opened for streaming, a tombstone, or nothing. */
  async read(): Promise<ReadResult> {
    for (let attempt = 0; attempt < OPEN_ATTEMPTS; attempt++) {
      const state = classifyFiles(this.list());
      const winner = state.winner;
      if (!winner) return { kind: 'missing' };
      if (winner.kind === 'tombstone') return { kind: 'deleted', timestamp: winner.timestamp };
      // Each damage check below quarantines only if the same version is still the newest; when a
      // writer replaced it meanwhile, list again and read the new one.
      let legacyText: string | undefined;
      let postText: string | undefined;
      let fh: ReadSource;
      let size: number;
      try {
        if (state.dataMeta) legacyText = readFileSync(path.join(this.dir, state.dataMeta.name), 'utf8');
        if (state.meta) postText = readFileSync(path.join(this.dir, state.meta.name), 'utf8');
        ({ fh, size } = openData(path.join(this.dir, winner.name)));
      } catch (err) {
        if (isMissing(err)) continue; // replaced meanwhile: list again
        throw err;
      }
      let data: DataMetadataFile | undefined;
      let damage: string | undefined;
      if (legacyText !== undefined) {
        // The two-file form: the `.data` is the body alone.
        data = parseDataMetadata(legacyText);
        if (!data) damage = 'unreadable metadata';
        else if (size !== data.contentLength) damage = `data file holds ${size} bytes, metadata says ${data.contentLength}`;
      } else {
        const footer = await readFooter(fh, size).catch((err: unknown) => ({ ok: false as const, reason: `metadata footer unreadable: ${String(err)}` }));
        if (footer.ok) data = footer.meta;
        else damage = footer.reason;
      }
      let post: PostMetadataFile | undefined;
      if (postText !== undefined) post = parsePostMetadata(postText);
      if (!damage && (data?.timestamp !== winner.timestamp.internal || (postText !== undefined && !post))) damage = 'unreadable metadata';
      if (damage !== undefined || !data) {
        await fh.close();
        if (await this.quarantine(damage ?? 'unreadable metadata', winner.name)) return { kind: 'missing' };
        continue;
      }
      const onCorrupt = (reason: string): void => void this.quarantine(reason, winner.name).catch(() => undefined);
      return { kind: 'found', object: new OpenObject(mergeMetadata(data, post), fh, onCorrupt) };
    }
    throw new Error(`object ${this.hash} kept changing while being opened`);
  }

  /** Starts an upload at `timestamp`; nothing is visible until the writer's commit(). */
  async create(timestamp: Timestamp): Promise<ObjectWriter> {
    const tmpDir = tmpPath(this.ctx.devicesRoot, this.ref.device);
    const tmpData = path.join(tmpDir, this.ctx.newId());
    try {
      let fd;
      try {
        fd = await createFd(tmpData, 'wx');
      } catch (err) {
        // tmp/ exists after the first upload; creating it only when missing saves a call per PUT.
        if (!isMissing(err)) throw err;
        await mkdirDurable(tmpDir, false, devicePath(this.ctx.devicesRoot, this.ref.device));
        fd = await createFd(tmpData, 'wx');
      }
      return new ObjectWriter(fd, tmpData, this.name, timestamp, this.ctx.fsync, (d, j) => this.install(timestamp, d, j), this.journal() !== undefined);
    } catch (err) {
      throw asStorageError(err);
    }
  }

  /**
   * Moves a committed upload's temp file into place (called by the writer). `journaled`: the
   * writer left the file unsynced for the journal; should the journal not take it after all
   * (closed, or behind on checkpoints), the file is synced here first.
   */
  private async install(timestamp: Timestamp, tmpData: string, journaled?: readonly Buffer[]): Promise<void> {
    await this.ctx.locks.run(this.lockKey, async () => {
      const listing = this.listOrMissing();
      const names = listing ?? [];
      this.refuseUnlessNewer(timestamp, classifyFiles(names).winner?.timestamp);
      const dataName = fileName('data', timestamp);
      const journal = journaled ? this.journal() : undefined;
      // The writer left it unsynced for a journal that does not take it after all.
      if (journaled && !journal) await syncPath(tmpData);
      // A `.meta.json` of this very version (left by a crash of the two-file form) would make
      // readers take the new `.data` for a bare body: it goes first.
      const staleMeta = fileName('dataMeta', timestamp);
      const rename = (): void => {
        if (names.includes(staleMeta)) unlinkSync(path.join(this.dir, staleMeta));
        renameSync(tmpData, path.join(this.dir, dataName));
      };
      await this.changeDir(listing, [dataName], async () => rename(), journal && journaled ? { ...journal, body: journaled } : undefined);
    });
  }

  /**
   * The steps every change shares, under the directory's lock: make sure the directory exists,
   * mark the suffix changed, add the new files (`add`), sync the directory, remove what they
   * made obsolete, and mark the suffix again if a consolidation may have missed the new files.
   * `listing` is the listing taken under the lock (undefined: the directory was missing), so no
   * second listing is needed: only this process's lock holders change the directory (another
   * process's quarantine moves the whole directory away, and then the renames fail).
   *
   * The hash directory and the parents of the directories created for it are synced together,
   * after the files are in: nothing is acknowledged before all of them are durable, and a crash
   * in between leaves at worst an empty or unlinked directory (no other version lived in a
   * directory this change created). Concurrent changes share the syncs of common directories.
   * A `journaled` change (one small file, device with an intent journal) syncs nothing itself:
   * its file's content is appended to the journal first and added once that is durable.
   */
  private async changeDir(listing: readonly string[] | undefined, added: readonly string[], add: () => Promise<void>, journaled?: JournaledChange): Promise<void> {
    const names = listing ?? [];
    const created = listing === undefined ? await makeDirs(this.dir, devicePath(this.ctx.devicesRoot, this.ref.device), { leafMissing: true }) : [];
    const hashes = this.ctx.partitionHashes(this.ref.device, this.ref.partition);
    // Before the new files appear, so a crash right after still leaves the suffix marked.
    const generation = await hashes.mark(this.suffix);
    if (journaled) {
      // No sync at all: the record is the durable copy until the journal's checkpoint, which also
      // makes the created directories durable (until then they count as unsynced).
      await journaled.journal.record({ dir: journaled.dir, name: added[0], body: journaled.body }, add, created);
    } else if (this.ctx.fsync) {
      await add();
      // Directories above this one that a concurrent change created and has not synced yet
      // count too: this change must not be acknowledged before they are durable.
      const pending = unsyncedAncestors(this.dir, devicePath(this.ctx.devicesRoot, this.ref.device));
      await fsyncDirs([this.dir, ...parentsOf(created), ...parentsOf(pending)]);
      markSynced([...created, ...pending]);
    } else {
      await add();
      markSynced(created);
    }
    this.removeObsolete([...names, ...added]);
    // A get() since the mark consumed it, maybe before the new files were there: mark again.
    if (hashes.generation !== generation) await hashes.invalidate(this.suffix);
  }

  /** Writes a tombstone at `timestamp`. */
  async delete(timestamp: Timestamp): Promise<DeleteOutcome> {
    try {
      return await this.ctx.locks.run(this.lockKey, async () => {
        const listing = this.listOrMissing();
        const { winner } = classifyFiles(listing ?? []);
        this.refuseUnlessNewer(timestamp, winner?.timestamp);
        const tombstone = fileName('tombstone', timestamp);
        const journal = this.journal();
        const write = (): Promise<void> => writeNewFile(path.join(this.dir, tombstone), '', this.ctx.fsync && !journal);
        await this.changeDir(listing, [tombstone], write, journal ? { ...journal, body: [] } : undefined);
        return winner ? { previous: winner.kind === 'data' ? 'data' : 'tombstone', previousTimestamp: winner.timestamp } : { previous: 'missing' };
      });
    } catch (err) {
      throw asStorageError(err);
    }
  }

  /**
   * Replaces the user metadata (and the content type, when given) with a `<ts>.meta` file. The
   * `.data` is not rewritten, so replication sees the change as a new file name.
   */
  async post(timestamp: Timestamp, update: MetadataUpdate): Promise<void> {
    try {
      await this.ctx.locks.run(this.lockKey, async () => {
        const listing = this.listOrMissing();
        const state = classifyFiles(listing ?? []);
        if (!state.winner || state.winner.kind !== 'data') {
          throw new StorageError('NOT_FOUND', `no object ${this.name}`, state.winner?.timestamp);
        }
        this.refuseUnlessNewer(timestamp, newest(state.winner.timestamp, state.meta?.timestamp));
        const body: PostMetadataFile = { version: 1, timestamp: timestamp.internal, headers: update.headers };
        if (update.contentType !== undefined) body.contentType = update.contentType;
        const tmp = path.join(tmpPath(this.ctx.devicesRoot, this.ref.device), this.ctx.newId());
        await mkdirDurable(path.dirname(tmp), false, devicePath(this.ctx.devicesRoot, this.ref.device));
        const content = Buffer.from(JSON.stringify(body));
        const journal = this.journal();
        await writeNewFile(tmp, content, this.ctx.fsync && !journal);
        const metaName = fileName('meta', timestamp);
        const journaled = journal ? { ...journal, body: [content] } : undefined;
        await this.changeDir(listing, [metaName], async () => {
          try {
            renameSync(tmp, path.join(this.dir, metaName));
          } catch (err) {
            try {
              unlinkSync(tmp);
            } catch {
              // best effort: tmp-sweep removes leftovers
            }
            throw err;
          }
        }, journaled);
      });
    } catch (err) {
      throw asStorageError(err);
    }
  }

  /**
   * Moves the hash directory to `quarantined/objects/<hash>` (with a unique suffix when one is
   * already there). With `expectedWinner`, does nothing if the newest file changed meanwhile, so
   * a good version written after the damage was seen is never quarantined.
   */
  async quarantine(reason: string, expectedWinner?: string): Promise<string | undefined> {
    const destination = await this.ctx.locks.run(this.lockKey, async () => {
      if (expectedWinner !== undefined && classifyFiles(this.list()).winner?.name !== expectedWinner) return undefined;
      const qdir = quarantinePath(this.ctx.devicesRoot, this.ref.device);
      await mkdirDurable(qdir, this.ctx.fsync);
      let dest = path.join(qdir, this.hash);
      for (let attempt = 0; ; attempt++) {
        try {
          await rename(this.dir, dest);
          return dest;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') return undefined;
          if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || attempt > 3) throw err;
          dest = path.join(qdir, `${this.hash}-${this.ctx.newId()}`);
        }
      }
    });
    if (destination === undefined) return undefined;
    await this.invalidate();
    this.ctx.onQuarantine({ device: this.ref.device, partition: this.ref.partition, hash: this.hash, name: this.name, reason, destination });
    return destination;
  }

  private refuseUnlessNewer(timestamp: Timestamp, current: Timestamp | undefined): void {
    if (current && !timestamp.isNewerThan(current)) {
      throw new StorageError('CONFLICT', `${this.name}: ${timestamp.internal} is not newer than ${current.internal} on disk`, current);
    }
  }

  private removeObsolete(names: readonly string[]): void {
    for (const name of classifyFiles(names).obsolete) {
      try {
        unlinkSync(path.join(this.dir, name));
      } catch (err) {
        if (!isMissing(err)) throw err;
      }
    }
  }

  private async invalidate(): Promise<void> {
    await this.ctx.partitionHashes(this.ref.device, this.ref.partition).invalidate(this.suffix);
  }

  /** `objects/<partition>` of this object's device (for tests and tools). */
  get partitionDir(): string {
    return partitionPath(this.ctx.devicesRoot, this.ref.device, this.ref.partition);
  }
}
