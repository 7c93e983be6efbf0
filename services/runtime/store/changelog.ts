/**
 * The change feed: a monotonic global revision, one log entry per committed mutation
 * (`c/<revision>` written in the mutation's own batch), live fan-out to watchers after the batch is
 * durable, replay from disk for watchers that start in the past, and compaction of old entries.
 */
import type { KvStore, Txn } from './kv';

const REV_KEY = 'm/rev';
const OLDEST_KEY = 'm/oldest';

export function changeKey(rev: number): string {
  return `c/${rev.toString(16).padStart(16, '0')}`;
}

function readCounter(kv: KvStore, key: string, dflt: number): number {
  const raw = kv.get(key);
  return raw ? Number(raw.readBigUInt64BE(0)) : dflt;
}

function counter(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

/** How a service encodes its feed events; every event carries the revision it commits. */
export interface EventCodec<E extends { revision: number }> {
  encode(event: E): { finish(): Uint8Array };
  decode(bytes: Uint8Array): E;
}

export type Listener<E> = (event: E) => void;

/**
 * Generic over the event type so every Weft service with a feed (network changes, identity
 * revocations) shares one implementation of revisions, replay and compaction.
 */
export class ChangeLog<E extends { revision: number }> {
  /** Last revision assigned (possibly not yet durable). */
  private assigned: number;
  /** Last revision that is durable and delivered to watchers. */
  private publishedRev: number;
  private oldestRev: number;
  private readonly listeners = new Set<Listener<E>>();
  private compacting: Promise<void> | null = null;

  constructor(
    private readonly kv: KvStore,
    private readonly retain: number,
    private readonly codec: EventCodec<E>,
  ) {
    this.assigned = readCounter(kv, REV_KEY, 0);
    this.publishedRev = this.assigned;
    this.oldestRev = readCounter(kv, OLDEST_KEY, 1);
  }

  get revision(): number {
    return this.publishedRev;
  }

  get oldest(): number {
    return this.oldestRev;
  }

  /** Adds the log entry and revision bump to the txn; returns the event as it will be published. */
  record(txn: Txn, build: (revision: number) => E): E {
    const revision = ++this.assigned;
    const event = build(revision);
    txn.put(REV_KEY, counter(revision));
    txn.put(changeKey(revision), this.codec.encode(event).finish());
    txn.onAbort(() => {
      this.assigned--;
    });
    return event;
  }

  /** Called in commit order once the event's batch is durable. */
  publish(event: E): void {
    this.publishedRev = event.revision;
    for (const l of this.listeners) l(event);
    // Compact in chunks (not per commit) so deletes stay batched; slack scales with retention.
    if (this.publishedRev - this.oldestRev > this.retain + Math.min(1000, this.retain) && !this.compacting) {
      this.compacting = this.compact().finally(() => {
        this.compacting = null;
      });
    }
  }

  subscribe(listener: Listener<E>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Durable entries from..to (inclusive) in order. */
  async *replay(from: number, to: number): AsyncGenerator<E> {
    if (from > to) return;
    const it = this.kv.db.iterator({ gte: changeKey(from), lte: changeKey(to) });
    try {
      for await (const [, v] of it) yield this.codec.decode(v);
    } finally {
      await it.close();
    }
  }

  /** Resolves when no compaction is running (call before closing the store). */
  async idle(): Promise<void> {
    await this.compacting;
  }

  private async compact(): Promise<void> {
    const newOldest = this.publishedRev - this.retain;
    try {
      // Raise the floor first: a crash between the two steps only hides entries, never exposes a gap.
      await this.kv.db.put(OLDEST_KEY, counter(newOldest));
      this.oldestRev = newOldest;
      await this.kv.db.clear({ gte: changeKey(0), lt: changeKey(newOldest) });
    } catch {
      // Compaction is best effort: a failure (e.g. the store closing) leaves old entries for the
      // next round; the floor is only ever raised after the write that records it succeeded.
    }
  }
}
