/**
 * Decides where a call that creates an inode (mkdir, open with O_CREAT) runs: on the event loop
 * or in libuv's thread pool.
 *
 * On this VM a pool round trip costs tens of microseconds of CPU (a futex wake-up of an idle pool
 * thread, context switches on both sides, the completion's wake-up of the loop), more than the
 * creation itself usually takes (measured in the object benchmark: the dispatch of the pool's
 * mkdirs and opens was a fifth of a storage server's event-loop time). But ext4 without a
 * journal does not reuse an inode freed in the last minutes and scans past every such inode on
 * each creation (kernel `recently_deleted`): after mass deletions a creation can take a
 * millisecond, and on the event loop that would stall every request. So creations run inline
 * while they are fast, and the gate times them; once the median of the latest ones is slow,
 * they go to the pool for `retryMs`, after which a new window of inline creations decides.
 */

/** `auto`: as described above; `inline` / `pool`: always there (an operator's or a test's pin). */
export const CREATION_MODES = ['auto', 'inline', 'pool'] as const;
export type CreationMode = (typeof CREATION_MODES)[number];

export interface CreationGateOptions {
  /** Median creation time (microseconds) from which creations leave the event loop. */
  slowMicros: number;
  /** How long they stay in the pool before inline creations probe again. */
  retryMs: number;
  /**
   * The median is taken over this many latest inline creations (default 16), and no decision is
   * made on fewer. A median, not a mean: a creation that ran while the process was preempted
   * (two cores shared by busy processes) takes a whole time slice, which says nothing about the
   * file system; a slow file system makes every creation slow.
   */
  window?: number;
  /** Milliseconds clock (tests inject one). */
  now?: () => number;
  /** Default `auto`. */
  mode?: CreationMode;
}

export interface CreationGateCounters {
  /** Creations made on the event loop. */
  inline: number;
  /** Creations sent to the pool. */
  pooled: number;
  /** Times the median reached slowMicros and creations moved to the pool. */
  slowSpells: number;
  /** The median of the latest full window of inline creations, microseconds (0 before one). */
  medianMicros: number;
}

export class CreationGate {
  /** A ring of the latest `count` samples; `sorted` is scratch space for the median. */
  private readonly samples: Float64Array;
  private readonly sorted: Float64Array;
  private count = 0;
  private next = 0;
  private median = 0;
  private pooledUntil = -Infinity;
  private readonly window: number;
  private readonly now: () => number;
  private readonly stats = { inline: 0, pooled: 0, slowSpells: 0 };
  private mode: CreationMode;

  constructor(private readonly opts: CreationGateOptions) {
    const window = opts.window ?? 16;
    if (!Number.isInteger(window) || window < 1) throw new RangeError(`window must be a positive integer, got ${window}`);
    if (!(opts.slowMicros > 0)) throw new RangeError(`slowMicros must be positive, got ${opts.slowMicros}`);
    if (!(opts.retryMs >= 0)) throw new RangeError(`retryMs must not be negative, got ${opts.retryMs}`);
    this.window = window;
    this.samples = new Float64Array(window);
    this.sorted = new Float64Array(window);
    this.now = opts.now ?? (() => performance.now());
    this.mode = opts.mode ?? 'auto';
  }

  setMode(mode: CreationMode): void {
    this.mode = mode;
  }

  /** Whether the next creation runs inline (then report its duration with observe()). */
  inline(): boolean {
    if (this.mode === 'pool' || (this.mode === 'auto' && this.now() < this.pooledUntil)) {
      this.stats.pooled++;
      return false;
    }
    this.stats.inline++;
    return true;
  }

  /** An inline creation took `micros`. */
  observe(micros: number): void {
    this.samples[this.next] = micros;
    this.next = (this.next + 1) % this.window;
    if (this.count < this.window) this.count++;
    if (this.count < this.window) return;
    // Typed arrays sort numerically, natively, in place: no allocation per creation.
    this.sorted.set(this.samples);
    this.sorted.sort();
    const mid = this.window >> 1;
    this.median = this.window % 2 === 1 ? this.sorted[mid]! : (this.sorted[mid - 1]! + this.sorted[mid]!) / 2;
    if (this.median < this.opts.slowMicros || this.mode !== 'auto') return;
    this.stats.slowSpells++;
    this.pooledUntil = this.now() + this.opts.retryMs;
    // After the spell, a fresh window of inline creations decides again.
    this.count = 0;
    this.next = 0;
  }

  counters(): CreationGateCounters {
    return { ...this.stats, medianMicros: this.median };
  }
}

/**
 * Runs `create` inline when the gate says so (timing it), else `pooled`. An inline failure is
 * timed too: a slow failing creation is as slow for the event loop.
 */
export async function gatedCreate<T>(gate: CreationGate, create: () => T, pooled: () => Promise<T>): Promise<T> {
  if (!gate.inline()) return pooled();
  const start = performance.now();
  try {
    return create();
  } finally {
    gate.observe((performance.now() - start) * 1000);
  }
}
