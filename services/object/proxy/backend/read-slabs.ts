/**
 * Where the lean reader's socket reads land: consecutive windows of a per-connection slab, and
 * large slabs used again once every piece of body cut from them was released.
 *
 * Why reuse: every fresh slab is an ArrayBuffer whose backing store V8 counts as external
 * memory, and external memory growth is what starts its collections. A proxy streaming large
 * objects allocated the whole body again in slabs, which cost one full mark-compact per ~64 MiB
 * (its main thread plus helper threads: about a quarter of the proxy's CPU per 64 MiB GET).
 *
 * When a slab may be used again: only when (1) its connection moved on to another slab or
 * closed, and (2) every piece lent from it was released. A piece is released by the exact Buffer
 * object that was lent, at most once (the lending record is consumed); so a view cut from a
 * piece, a second release, or a piece nobody releases can never make a slab reusable early:
 * at worst the slab is not reused and the GC takes it as before. Whoever releases a piece
 * promises that nothing reads it afterwards (the proxy's response writer does so once the
 * socket write of that piece completed).
 */

const SMALL_SLAB_BYTES = 64 * 1024;
/** A small slab packs many small answers; a window in it is at least this big. */
const SMALL_MIN_WINDOW_BYTES = 16 * 1024;
export const LARGE_SLAB_BYTES = 1024 * 1024;
/**
 * Large bodies are read 256 KiB at a time (storage servers send 1 MiB chunks): four times fewer
 * reads, pieces and client writes than 64 KiB windows (measured: proxy CPU per 64 MiB GET
 * 117 -> 75-86 ms, and the client's reads get cheaper with the larger writes).
 */
const LARGE_WINDOW_BYTES = 256 * 1024;
const LARGE_MIN_WINDOW_BYTES = 64 * 1024;
/** Free large slabs kept at most (16 MiB): a few large reads in flight need only some each. */
const MAX_FREE_SLABS = 16;

/** A large slab with the pieces lent from it still out. */
class LentSlab {
  refs = 0;
  retired = false;

  constructor(
    readonly buf: Buffer,
    readonly pool: SlabPool,
  ) {}

  /** Back to the pool once nothing reads from it any more. */
  settle(): void {
    if (this.retired && this.refs === 0) this.pool.give(this.buf);
  }
}

/** Piece (exact Buffer object) → the slab it was lent from. */
const lent = new WeakMap<Buffer, LentSlab>();

export interface SlabPoolCounters {
  /** Large slabs handed out. */
  taken: number;
  /** ...of which were used before (the rest were allocated). */
  reused: number;
}

/** Free large slabs, shared by every connection of a reader. */
export class SlabPool {
  private readonly free: Buffer[] = [];
  private readonly stats: SlabPoolCounters = { taken: 0, reused: 0 };

  constructor(private readonly maxFree = MAX_FREE_SLABS) {}

  take(): Buffer {
    this.stats.taken++;
    const b = this.free.pop();
    if (b) {
      this.stats.reused++;
      return b;
    }
    return Buffer.allocUnsafeSlow(LARGE_SLAB_BYTES);
  }

  give(buf: Buffer): void {
    if (this.free.length < this.maxFree) this.free.push(buf);
  }

  get counters(): SlabPoolCounters {
    return { ...this.stats };
  }

  get freeSlabs(): number {
    return this.free.length;
  }
}

/**
 * Ends the loan of `piece` (a Buffer a lean reader body emitted): the caller no longer reads it.
 * Anything else (a view cut from a piece, a piece already released, any other Buffer) is ignored.
 */
export function releasePiece(piece: Buffer): void {
  const slab = lent.get(piece);
  if (!slab) return;
  lent.delete(piece);
  slab.refs--;
  slab.settle();
}

/**
 * One connection's read windows. A connection gets large slabs only while its reads come full,
 * so an idle keep-alive connection (which holds its next window) keeps a small one; small slabs
 * are never reused (their pieces are few, and small answers are often kept whole).
 */
export class ReadWindows {
  private slab: Buffer = Buffer.allocUnsafeSlow(SMALL_SLAB_BYTES);
  private current: LentSlab | undefined;
  private used = 0;
  private nextLarge = false;

  constructor(private readonly pool: SlabPool) {}

  /** The buffer the next socket read goes into. */
  window(): Buffer {
    const large = this.current !== undefined;
    if (this.slab.length - this.used < (large ? LARGE_MIN_WINDOW_BYTES : SMALL_MIN_WINDOW_BYTES)) this.nextSlab();
    return this.current ? this.slab.subarray(this.used, Math.min(this.slab.length, this.used + LARGE_WINDOW_BYTES)) : this.slab.subarray(this.used);
  }

  /** A read put `n` bytes into the last window of `windowBytes`. */
  consumed(n: number, windowBytes: number): void {
    this.used += n;
    this.nextLarge = n === windowBytes;
  }

  /**
   * Counts `piece` as lent when it is a view of the current large slab (pieces of a head that
   * straddled reads were copied out of it, and small slabs are not reused).
   */
  lend(piece: Buffer): void {
    const slab = this.current;
    if (!slab || piece.buffer !== slab.buf.buffer || lent.has(piece)) return;
    lent.set(piece, slab);
    slab.refs++;
  }

  /** The connection closed: its slab goes back once its pieces are released. */
  close(): void {
    this.retire();
  }

  private nextSlab(): void {
    this.retire();
    if (this.nextLarge) {
      this.current = new LentSlab(this.pool.take(), this.pool);
      this.slab = this.current.buf;
    } else {
      this.slab = Buffer.allocUnsafeSlow(SMALL_SLAB_BYTES);
    }
    this.used = 0;
  }

  private retire(): void {
    const slab = this.current;
    this.current = undefined;
    if (!slab) return;
    slab.retired = true;
    slab.settle();
  }
}

/** Streams whose chunks are lent pieces forwarded as they are, kept by nobody else. */
const forwarders = new WeakSet<object>();

/**
 * Declares that `stream` emits lean reader pieces unchanged and keeps none of them: whoever
 * consumes it last may release each chunk (releasePiece) once done with it.
 */
export function markForwardsPieces(stream: object): void {
  forwarders.add(stream);
}

/** Whether the consumer of `stream` may release its chunks once done with them. */
export function forwardsPieces(stream: object): boolean {
  return forwarders.has(stream);
}
