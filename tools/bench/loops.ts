/**
 * Timing loops for the benchmarks, each bounded both in time and in count, with an injectable
 * clock so they are unit-tested (test/unit/bench/loops.test.ts) without real waiting.
 */
import { performance } from 'node:perf_hooks';

/** Milliseconds from an arbitrary origin (performance.now unless a test injects one). */
export type Now = () => number;

const defaultNow: Now = () => performance.now();

export interface LoopResult {
  iterations: number;
  elapsedMs: number;
  /** Which bound ended the loop. */
  stoppedBy: 'time' | 'count';
}

export interface SyncLoopOptions {
  durationMs: number;
  maxIterations: number;
  /** Iterations between clock reads (default 256), so reading the clock costs next to nothing. */
  batch?: number;
  now?: Now;
}

function checkBounds(durationMs: number, maxCount: number, what: string): void {
  if (!(durationMs >= 0) || !Number.isFinite(durationMs)) throw new RangeError(`durationMs must be a finite number >= 0, got ${durationMs}`);
  if (!Number.isSafeInteger(maxCount) || maxCount < 1) throw new RangeError(`${what} must be a positive integer, got ${maxCount}`);
}

/**
 * Calls `fn` back to back until `durationMs` has passed or `maxIterations` calls were made,
 * whichever comes first. Always makes at least one batch (or maxIterations calls if fewer).
 */
export function runTimedSync(fn: () => void, opts: SyncLoopOptions): LoopResult {
  checkBounds(opts.durationMs, opts.maxIterations, 'maxIterations');
  const now = opts.now ?? defaultNow;
  const batch = Math.max(1, Math.floor(opts.batch ?? 256));
  const start = now();
  const end = start + opts.durationMs;
  let n = 0;
  for (;;) {
    const todo = Math.min(batch, opts.maxIterations - n);
    for (let i = 0; i < todo; i++) fn();
    n += todo;
    const t = now();
    if (n >= opts.maxIterations) return { iterations: n, elapsedMs: t - start, stoppedBy: 'count' };
    if (t >= end) return { iterations: n, elapsedMs: t - start, stoppedBy: 'time' };
  }
}

export interface SampleOptions {
  durationMs: number;
  maxSamples: number;
  now?: Now;
}

/**
 * Times each call of `fn` on its own (for percentiles rather than a mean) until `durationMs` has
 * passed or `maxSamples` calls were timed. Each sample includes one clock read (well under a µs).
 */
export function sampleTimedSync(fn: () => void, opts: SampleOptions): number[] {
  checkBounds(opts.durationMs, opts.maxSamples, 'maxSamples');
  const now = opts.now ?? defaultNow;
  const samples: number[] = [];
  let prev = now();
  const end = prev + opts.durationMs;
  while (samples.length < opts.maxSamples) {
    fn();
    const t = now();
    samples.push(t - prev);
    prev = t;
    if (t >= end) break;
  }
  return samples;
}

export interface PoolOptions {
  /** Workers; each awaits its calls one after another. */
  concurrency: number;
  durationMs: number;
  /** Most calls started in total. */
  maxCalls: number;
  now?: Now;
}

export interface PoolResult {
  calls: number;
  /** From the start to the last call having settled. */
  elapsedMs: number;
  /** One per completed call, in completion order. */
  latenciesMs: number[];
  stoppedBy: 'time' | 'count';
}

/** The first call that failed in a pool; thrown once the calls still in flight have settled. */
export class PoolFailure extends Error {
  constructor(
    readonly failure: unknown,
    /** 0-based number of the failed call, in start order. */
    readonly callIndex: number,
    /** Calls that had completed successfully when it failed. */
    readonly completed: number,
  ) {
    super(`call #${callIndex + 1} failed after ${completed} succeeded: ${(failure as Error)?.message ?? String(failure)}`);
    this.name = 'PoolFailure';
  }
}

/**
 * Runs `call(worker, index)` from `concurrency` workers until `durationMs` has passed or `maxCalls`
 * calls were started. No new call starts after the first failure; that failure is thrown as a
 * PoolFailure once every call in flight has settled.
 */
export async function runTimedPool(opts: PoolOptions, call: (worker: number, index: number) => Promise<unknown>): Promise<PoolResult> {
  checkBounds(opts.durationMs, opts.maxCalls, 'maxCalls');
  if (!Number.isSafeInteger(opts.concurrency) || opts.concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${opts.concurrency}`);
  const now = opts.now ?? defaultNow;
  const latenciesMs: number[] = [];
  const start = now();
  const end = start + opts.durationMs;
  let started = 0;
  let failure: PoolFailure | undefined;
  let stoppedBy: PoolResult['stoppedBy'] = 'time';
  const worker = async (w: number): Promise<void> => {
    while (failure === undefined) {
      if (started >= opts.maxCalls) {
        stoppedBy = 'count';
        return;
      }
      const c0 = now();
      if (c0 >= end) return;
      const index = started++;
      try {
        await call(w, index);
      } catch (err) {
        failure ??= new PoolFailure(err, index, latenciesMs.length);
        return;
      }
      latenciesMs.push(now() - c0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, opts.maxCalls) }, (_, w) => worker(w)));
  if (failure) throw failure;
  return { calls: latenciesMs.length, elapsedMs: now() - start, latenciesMs, stoppedBy };
}

/** Splits `total` workers over `parts` channels as evenly as possible, larger shares first. */
export function splitConcurrency(total: number, parts: number): number[] {
  if (!Number.isSafeInteger(parts) || parts < 1) throw new RangeError(`parts must be a positive integer, got ${parts}`);
  if (!Number.isSafeInteger(total) || total < parts) throw new RangeError(`total (${total}) must be an integer >= parts (${parts})`);
  const base = Math.floor(total / parts);
  const extra = total % parts;
  return Array.from({ length: parts }, (_, i) => base + (i < extra ? 1 : 0));
}

/** Milliseconds per iteration; NaN when nothing ran. */
export function perIterationMs(r: Pick<LoopResult, 'iterations' | 'elapsedMs'>): number {
  return r.iterations > 0 ? r.elapsedMs / r.iterations : NaN;
}

/** A small duration in microseconds: "23.4 µs", "512 µs"; larger ones in ms ("1.25 ms"). */
export function formatMicros(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const us = ms * 1000;
  if (us < 100) return `${us.toFixed(1)} µs`;
  if (us < 1000) return `${Math.round(us)} µs`;
  return `${ms.toFixed(2)} ms`;
}
