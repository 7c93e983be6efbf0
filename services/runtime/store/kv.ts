/**
 * The controller's durable key-value store: LevelDB on disk, mirrored in memory, with group commit.
 *
 * Design (why it looks like this):
 * - Every mutation is computed synchronously against the in-memory mirror (no awaits between
 *   reading state and deciding), so mutations are serialized by the event loop itself and need no
 *   lock. Its writes become one `Txn` — records, index keys, allocation keys and the change-log
 *   entry — that is applied to the mirror at once and queued for LevelDB.
 * - The queue is flushed as one LevelDB batch per turn (group commit): while a batch is being
 *   written, newer txns accumulate and go in the next batch. A caller is acknowledged only after
 *   the batch holding its txn is on disk, and watchers see a change only then.
 * - Reads await `settled()` first, so nobody observes a change that is not yet durable.
 * - A failed LevelDB write leaves the mirror ahead of the disk; that is unrecoverable in-process,
 *   so it is fatal (`onFatal`), and a restart reloads the consistent on-disk state.
 *
 * Key space: `r/<type>/<id>` records, `a/...` allocations, `u/...` unique claims and `m/...` meta
 * are mirrored; `i/...` secondary index keys and `c/<revision>` change-log entries live on disk only
 * and are read with ordered iterators (listing, watch replay).
 */
import { Level } from 'level';

export type BatchOp = { type: 'put'; key: string; value: Buffer } | { type: 'del'; key: string };

const MIRRORED = /^[ramu]\//;

export function isMirrored(key: string): boolean {
  return MIRRORED.test(key);
}

export interface Txn {
  readonly ops: BatchOp[];
  /** Reads through this txn's own pending writes, then the mirror. */
  get(key: string): Buffer | undefined;
  put(key: string, value: Buffer | Uint8Array): void;
  del(key: string): void;
  /** Registers an undo for in-memory side state (allocators) if the txn is abandoned. */
  onAbort(fn: () => void): void;
}

class TxnImpl implements Txn {
  readonly ops: BatchOp[] = [];
  readonly overlay = new Map<string, Buffer | null>();
  readonly undo: (() => void)[] = [];
  constructor(private readonly mirror: Map<string, Buffer>) {}

  get(key: string): Buffer | undefined {
    const o = this.overlay.get(key);
    if (o === null) return undefined;
    return o ?? this.mirror.get(key);
  }
  put(key: string, value: Buffer | Uint8Array): void {
    const buf = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    this.ops.push({ type: 'put', key, value: buf });
    if (isMirrored(key)) this.overlay.set(key, buf);
  }
  del(key: string): void {
    this.ops.push({ type: 'del', key });
    if (isMirrored(key)) this.overlay.set(key, null);
  }
  onAbort(fn: () => void): void {
    this.undo.push(fn);
  }
}

export interface KvOptions {
  path: string;
  /** fsync every batch (survives power loss); without it a batch survives a process crash. */
  sync: boolean;
  onFatal: (err: unknown) => void;
}

export class KvStore {
  private readonly mirror = new Map<string, Buffer>();
  private queue: BatchOp[] = [];
  private queueWaiters: { resolve: () => void; onDurable?: () => void }[] = [];
  private writing: Promise<void> | null = null;
  private failed: unknown = null;

  private constructor(
    readonly db: Level<string, Buffer>,
    private readonly opts: KvOptions,
  ) {}

  static async open(opts: KvOptions): Promise<KvStore> {
    const db = new Level<string, Buffer>(opts.path, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
    await db.open();
    const store = new KvStore(db, opts);
    for (const prefix of ['a/', 'm/', 'r/', 'u/']) {
      for await (const [k, v] of db.iterator({ gte: prefix, lt: prefix.slice(0, -1) + '0' })) store.mirror.set(k, v);
    }
    return store;
  }

  /** Synchronous read of the mirror (for use inside a mutation). */
  get(key: string): Buffer | undefined {
    return this.mirror.get(key);
  }

  /** Mirrored keys under a prefix, unordered. */
  *peekPrefix(prefix: string): IterableIterator<[string, Buffer]> {
    for (const e of this.mirror) if (e[0].startsWith(prefix)) yield e;
  }

  begin(): Txn {
    return new TxnImpl(this.mirror);
  }

  abort(txn: Txn): void {
    const t = txn as TxnImpl;
    for (let i = t.undo.length - 1; i >= 0; i--) t.undo[i]();
  }

  /**
   * Applies the txn to the mirror now and resolves once it is durable. Must be called in the
   * same synchronous turn that built the txn.
   */
  commit(txn: Txn, onDurable?: () => void): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    const t = txn as TxnImpl;
    if (t.ops.length === 0) {
      // Nothing to write: durable as soon as everything before it is.
      return this.settled().then(() => onDurable?.());
    }
    for (const [k, v] of t.overlay) {
      if (v === null) this.mirror.delete(k);
      else this.mirror.set(k, v);
    }
    for (const op of t.ops) this.queue.push(op);
    const done = new Promise<void>((resolve) => this.queueWaiters.push({ resolve, onDurable }));
    this.kick();
    return done;
  }

  /** Resolves when everything committed so far is durable. */
  async settled(): Promise<void> {
    while (this.writing || this.queue.length > 0) {
      if (this.queue.length > 0 && !this.writing) this.kick();
      await this.writing;
    }
  }

  async close(): Promise<void> {
    await this.settled();
    await this.db.close();
  }

  /**
   * Writes one group-commit batch. Our ops are already in the storage format (utf8 string keys,
   * Buffer values, no hooks, no sublevels), so when the database is open we hand them straight to
   * classic-level's `_batch` — the documented implementor entry point under abstract-level's
   * public `batch` — skipping a per-op clone/validate/encode pass that cost 10-15% of server CPU
   * per port create (measured). Anything unexpected falls back to the public API.
   */
  private writeBatch(ops: BatchOp[]): Promise<void> {
    const db = this.db as unknown as { status: string; _batch?: (ops: BatchOp[], options: object) => Promise<void> };
    if (db.status === 'open' && typeof db._batch === 'function') return db._batch(ops, { sync: this.opts.sync });
    return this.db.batch(ops, { sync: this.opts.sync } as object);
  }

  private kick(): void {
    if (this.writing || this.queue.length === 0) return;
    const ops = this.queue;
    const waiters = this.queueWaiters;
    this.queue = [];
    this.queueWaiters = [];
    this.writing = this.writeBatch(ops).then(
      () => {
        this.writing = null;
        // onDurable hooks run in commit order before any caller resumes (watch ordering).
        for (const w of waiters) w.onDurable?.();
        for (const w of waiters) w.resolve();
        this.kick();
      },
      (err: unknown) => {
        this.failed = err;
        this.writing = null;
        this.opts.onFatal(err);
      },
    );
  }
}
