import { formatMicros, perIterationMs, PoolFailure, runTimedPool, runTimedSync, sampleTimedSync, splitConcurrency } from '../../../tools/bench/loops';

/** A fake clock advancing `step` ms on every read. */
function ticking(step: number, start = 1000): () => number {
  let t = start - step;
  return () => (t += step);
}

describe('runTimedSync', () => {
  test('stops on time, reading the clock once per batch', () => {
    let calls = 0;
    // start at 1000, each batch read adds 1 ms: batches end at 1001, 1002, ... >= 1010 after 10 batches
    const r = runTimedSync(() => calls++, { durationMs: 10, maxIterations: 1_000_000, batch: 5, now: ticking(1) });
    expect(r).toEqual({ iterations: 50, elapsedMs: 10, stoppedBy: 'time' });
    expect(calls).toBe(50);
  });

  test('stops on count even mid-batch, never exceeding maxIterations', () => {
    let calls = 0;
    const r = runTimedSync(() => calls++, { durationMs: 1e9, maxIterations: 12, batch: 5, now: ticking(1) });
    expect(r).toMatchObject({ iterations: 12, stoppedBy: 'count' });
    expect(calls).toBe(12);
  });

  test('a zero duration still runs one batch', () => {
    let calls = 0;
    const r = runTimedSync(() => calls++, { durationMs: 0, maxIterations: 100, batch: 7, now: ticking(1) });
    expect(r.iterations).toBe(7);
    expect(calls).toBe(7);
  });

  test('rejects unbounded settings', () => {
    expect(() => runTimedSync(() => undefined, { durationMs: Infinity, maxIterations: 1 })).toThrow(RangeError);
    expect(() => runTimedSync(() => undefined, { durationMs: 1, maxIterations: 0 })).toThrow(RangeError);
    expect(() => runTimedSync(() => undefined, { durationMs: NaN, maxIterations: 1 })).toThrow(RangeError);
  });

  test('propagates an exception from fn', () => {
    expect(() =>
      runTimedSync(
        () => {
          throw new Error('boom');
        },
        { durationMs: 1, maxIterations: 10 },
      ),
    ).toThrow('boom');
  });
});

describe('sampleTimedSync', () => {
  test('one sample per call, stopping on time', () => {
    const samples = sampleTimedSync(() => undefined, { durationMs: 5, maxSamples: 100, now: ticking(2) });
    expect(samples).toEqual([2, 2, 2]); // reads at 1000 (start), 1002, 1004, 1006 >= 1005
  });
  test('stopping on count', () => {
    expect(sampleTimedSync(() => undefined, { durationMs: 1e9, maxSamples: 4, now: ticking(1) })).toHaveLength(4);
  });
});

describe('runTimedPool', () => {
  test('stops on count and records one latency per completed call', async () => {
    const seen: Array<[number, number]> = [];
    const r = await runTimedPool({ concurrency: 3, durationMs: 1e9, maxCalls: 10 }, async (w, i) => {
      seen.push([w, i]);
      await Promise.resolve();
    });
    expect(r.calls).toBe(10);
    expect(r.latenciesMs).toHaveLength(10);
    expect(r.stoppedBy).toBe('count');
    expect(seen.map(([, i]) => i).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(new Set(seen.map(([w]) => w))).toEqual(new Set([0, 1, 2]));
  });

  test('stops on time', async () => {
    // Every clock read advances 1 ms; the pool ends once a worker sees the end passed.
    const r = await runTimedPool({ concurrency: 2, durationMs: 20, maxCalls: 1_000_000, now: ticking(1) }, () => Promise.resolve());
    expect(r.stoppedBy).toBe('time');
    expect(r.calls).toBeGreaterThan(0);
    expect(r.calls).toBeLessThan(20);
  });

  test('never starts more workers than calls', async () => {
    const workers = new Set<number>();
    await runTimedPool({ concurrency: 50, durationMs: 1e9, maxCalls: 2 }, async (w) => {
      workers.add(w);
    });
    expect(workers.size).toBe(2);
  });

  test('rethrows the first failure as a PoolFailure once in-flight calls settle', async () => {
    let settled = 0;
    const p = runTimedPool({ concurrency: 4, durationMs: 1e9, maxCalls: 1000 }, async (_w, i) => {
      await new Promise((r) => setImmediate(r));
      settled++;
      if (i === 5) throw new Error('nope');
    });
    await expect(p).rejects.toBeInstanceOf(PoolFailure);
    const err = (await p.catch((e: unknown) => e)) as PoolFailure;
    expect(err.callIndex).toBe(5);
    expect((err.failure as Error).message).toBe('nope');
    expect(settled).toBeLessThan(20); // stopped handing out work
  });

  test('rejects bad settings', async () => {
    await expect(runTimedPool({ concurrency: 0, durationMs: 1, maxCalls: 1 }, () => Promise.resolve())).rejects.toThrow(RangeError);
    await expect(runTimedPool({ concurrency: 1, durationMs: 1, maxCalls: 0 }, () => Promise.resolve())).rejects.toThrow(RangeError);
  });
});

describe('splitConcurrency', () => {
  test('even and uneven splits, larger shares first', () => {
    expect(splitConcurrency(64, 1)).toEqual([64]);
    expect(splitConcurrency(64, 4)).toEqual([16, 16, 16, 16]);
    expect(splitConcurrency(64, 3)).toEqual([22, 21, 21]);
    expect(splitConcurrency(5, 5)).toEqual([1, 1, 1, 1, 1]);
  });
  test('every channel gets at least one call', () => {
    expect(() => splitConcurrency(3, 4)).toThrow(RangeError);
    expect(() => splitConcurrency(4, 0)).toThrow(RangeError);
  });
});

describe('perIterationMs and formatMicros', () => {
  test('per iteration', () => {
    expect(perIterationMs({ iterations: 4, elapsedMs: 2 })).toBe(0.5);
    expect(perIterationMs({ iterations: 0, elapsedMs: 2 })).toBeNaN();
  });
  test('microseconds below a millisecond, ms above', () => {
    expect(formatMicros(0.0234)).toBe('23.4 µs');
    expect(formatMicros(0.5123)).toBe('512 µs');
    expect(formatMicros(1.254)).toBe('1.25 ms');
    expect(formatMicros(NaN)).toBe('NaN');
  });
});
