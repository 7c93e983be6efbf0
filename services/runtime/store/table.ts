/**
 * A typed resource table over the KV store: protobuf-encoded records under `r/<type>/<id>` and
 * secondary index keys `i/<type>/<index>/<value>/<id>` kept in the same txn as the record, so an
 * index never disagrees with the data after a crash.
 */
import type { KvStore, Txn } from './kv';

export interface Codec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(bytes: Uint8Array): T;
}

export interface Reader {
  get(key: string): Buffer | undefined;
}

export interface Identified {
  id: string;
}

export type IndexFn<T> = (record: T) => string[];

const EMPTY = Buffer.alloc(0);
const NONE: ReadonlySet<string> = new Set();

export function encodeKeyPart(value: string): string {
  // '/' separates key parts; escaping keeps arbitrary tag and name text from forging keys.
  return encodeURIComponent(value);
}

export class Table<T extends Identified> {
  /**
   * In-memory reverse references (value → ids) for integrity checks inside synchronous mutations.
   * Most values (a MAC, a device id) have exactly one referrer, so a lone id is stored as the
   * string itself and only promoted to a Set on the second: 100k ports would otherwise cost 100k
   * one-element Sets per unique index.
   */
  private readonly refs = new Map<string, Map<string, string | Set<string>>>();

  constructor(
    readonly type: string,
    readonly codec: Codec<T>,
    /** On-disk indexes, used for ordered listing. */
    readonly indexes: Record<string, IndexFn<T>> = {},
    /** In-memory indexes, used to answer "who references X" without I/O. */
    readonly memoryIndexes: Record<string, IndexFn<T>> = {},
  ) {
    for (const name of Object.keys(memoryIndexes)) this.refs.set(name, new Map());
  }

  /** Ids of records whose memory index `name` contains `value`. */
  referencing(name: string, value: string): ReadonlySet<string> {
    const entry = this.refs.get(name)?.get(value);
    if (entry === undefined) return NONE;
    return typeof entry === 'string' ? new Set([entry]) : entry;
  }

  /** Rebuilds the in-memory indexes from the mirror (startup). */
  rebuild(kv: KvStore): number {
    let n = 0;
    for (const rec of this.all(kv)) {
      this.applyRefs(undefined, rec);
      n++;
    }
    return n;
  }

  private applyRefs(prev: T | undefined, next: T | undefined): void {
    for (const [name, fn] of Object.entries(this.memoryIndexes)) {
      const map = this.refs.get(name)!;
      const id = (next ?? prev)!.id;
      const before = new Set(prev ? fn(prev) : []);
      const after = new Set(next ? fn(next) : []);
      for (const v of before) {
        if (after.has(v)) continue;
        const entry = map.get(v);
        if (entry === id) map.delete(v);
        else if (typeof entry === 'object') {
          entry.delete(id);
          if (entry.size === 1) map.set(v, entry.values().next().value as string);
          else if (entry.size === 0) map.delete(v);
        }
      }
      for (const v of after) {
        if (before.has(v)) continue;
        const entry = map.get(v);
        if (entry === undefined) map.set(v, id);
        else if (typeof entry === 'string') {
          if (entry !== id) map.set(v, new Set([entry, id]));
        } else entry.add(id);
      }
    }
  }

  private trackRefs(txn: Txn, prev: T | undefined, next: T | undefined): void {
    if (this.refs.size === 0) return;
    this.applyRefs(prev, next);
    txn.onAbort(() => this.applyRefs(next, prev));
  }

  key(id: string): string {
    return `r/${this.type}/${id}`;
  }

  indexPrefix(index: string, value: string): string {
    return `i/${this.type}/${index}/${encodeKeyPart(value)}/`;
  }

  get(reader: Reader, id: string): T | undefined {
    if (!id) return undefined;
    const raw = reader.get(this.key(id));
    return raw ? this.codec.decode(raw) : undefined;
  }

  put(txn: Txn, next: T, prev?: T): void {
    txn.put(this.key(next.id), this.codec.encode(next).finish());
    for (const [name, fn] of Object.entries(this.indexes)) {
      const before = new Set(prev ? fn(prev) : []);
      const after = new Set(fn(next));
      for (const v of before) if (!after.has(v)) txn.del(this.indexPrefix(name, v) + next.id);
      for (const v of after) if (!before.has(v)) txn.put(this.indexPrefix(name, v) + next.id, EMPTY);
    }
    this.trackRefs(txn, prev, next);
  }

  delete(txn: Txn, prev: T): void {
    txn.del(this.key(prev.id));
    for (const [name, fn] of Object.entries(this.indexes)) {
      for (const v of new Set(fn(prev))) txn.del(this.indexPrefix(name, v) + prev.id);
    }
    this.trackRefs(txn, prev, undefined);
  }

  /** Every record, unordered, from the mirror (for startup rebuilds of in-memory state). */
  *all(kv: KvStore): IterableIterator<T> {
    for (const [, v] of kv.peekPrefix(`r/${this.type}/`)) yield this.codec.decode(v);
  }

  /**
   * Pages through records in id order, optionally through one index, keeping those that match.
   * Returns the page and the id to continue after (undefined when exhausted).
   */
  async page(
    kv: KvStore,
    opts: { index?: { name: string; value: string }; afterId?: string; limit: number; match: (record: T) => boolean },
  ): Promise<{ items: T[]; lastId?: string }> {
    const prefix = opts.index ? this.indexPrefix(opts.index.name, opts.index.value) : `r/${this.type}/`;
    const items: T[] = [];
    const range = opts.afterId ? { gt: prefix + opts.afterId } : { gte: prefix };
    const it = kv.db.keys({ ...range, lt: prefix.slice(0, -1) + '0' });
    let lastId: string | undefined;
    try {
      for await (const key of it) {
        const id = key.slice(prefix.length);
        const rec = this.get(kv, id);
        if (rec && opts.match(rec)) {
          items.push(rec);
          if (items.length >= opts.limit) {
            lastId = id;
            break;
          }
        }
      }
    } finally {
      await it.close();
    }
    return { items, lastId };
  }
}
