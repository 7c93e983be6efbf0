import { SegmentPool } from '../../../controller/domain/segment-pool';

function drain(pool: SegmentPool, max = 10_000): number[] {
  const out: number[] = [];
  for (let i = 0; i < max; i++) {
    const id = pool.allocate();
    if (id === null) return out;
    out.push(id);
  }
  throw new Error('pool never reported exhaustion');
}

describe('SegmentPool', () => {
  test('allocates ascending from the bottom of the range', () => {
    const pool = new SegmentPool([{ min: 100, max: 104 }]);
    expect([pool.allocate(), pool.allocate(), pool.allocate()]).toEqual([100, 101, 102]);
    expect(pool.isUsed(101)).toBe(true);
    expect(pool.isUsed(103)).toBe(false);
  });

  test('returns null when exhausted, and again after a release is satisfied', () => {
    const pool = new SegmentPool([{ min: 1, max: 3 }]);
    expect(drain(pool)).toEqual([1, 2, 3]);
    expect(pool.allocate()).toBeNull();
    expect(pool.allocate()).toBeNull();
    pool.release(2);
    expect(pool.allocate()).toBe(2);
    expect(pool.allocate()).toBeNull();
  });

  test('a single-id range', () => {
    const pool = new SegmentPool([{ min: 7, max: 7 }]);
    expect(pool.allocate()).toBe(7);
    expect(pool.allocate()).toBeNull();
  });

  test('no ranges: never allocates, but still tracks claims', () => {
    const pool = new SegmentPool([]);
    expect(pool.allocate()).toBeNull();
    expect(pool.inRange(0)).toBe(false);
    expect(pool.claim(42)).toBe(true);
    expect(pool.claim(42)).toBe(false);
    expect(pool.isUsed(42)).toBe(true);
    pool.release(42);
    expect(pool.isUsed(42)).toBe(false);
    expect(pool.allocate()).toBeNull();
  });

  test('the cursor moves on past released ids and wraps around to them later', () => {
    const pool = new SegmentPool([{ min: 1, max: 5 }]);
    expect([pool.allocate(), pool.allocate(), pool.allocate()]).toEqual([1, 2, 3]);
    pool.release(1);
    // Not reused immediately: the cursor continues upward first.
    expect(pool.allocate()).toBe(4);
    expect(pool.allocate()).toBe(5);
    // Then wraps to the bottom and finds the released id.
    expect(pool.allocate()).toBe(1);
    expect(pool.allocate()).toBeNull();
  });

  test('after a full wrap, allocation skips ids still in use', () => {
    const pool = new SegmentPool([{ min: 10, max: 14 }]);
    drain(pool);
    pool.release(13);
    pool.release(11);
    expect(pool.allocate()).toBe(11);
    expect(pool.allocate()).toBe(13);
    expect(pool.allocate()).toBeNull();
  });

  test('walks multiple ranges in order and wraps from the last to the first', () => {
    const pool = new SegmentPool([
      { min: 10, max: 11 },
      { min: 20, max: 20 },
      { min: 30, max: 32 },
    ]);
    expect(drain(pool)).toEqual([10, 11, 20, 30, 31, 32]);
    pool.release(10);
    pool.release(31);
    pool.release(20);
    // The cursor sits past 32: wraps to the first range.
    expect(drain(pool)).toEqual([10, 20, 31]);
  });

  test('inRange covers every range inclusively and nothing between them', () => {
    const pool = new SegmentPool([
      { min: 10, max: 11 },
      { min: 20, max: 22 },
    ]);
    for (const id of [10, 11, 20, 21, 22]) expect(pool.inRange(id)).toBe(true);
    for (const id of [9, 12, 19, 23, 0, -1]) expect(pool.inRange(id)).toBe(false);
  });

  test('claim() of an in-range id takes it out of allocation and counts towards capacity', () => {
    const pool = new SegmentPool([{ min: 1, max: 4 }]);
    expect(pool.claim(2)).toBe(true);
    expect(pool.claim(2)).toBe(false);
    expect(drain(pool)).toEqual([1, 3, 4]);
    pool.release(2);
    expect(pool.allocate()).toBe(2);
  });

  test('claim() of an allocated id fails', () => {
    const pool = new SegmentPool([{ min: 1, max: 4 }]);
    const id = pool.allocate();
    expect(id).toBe(1);
    expect(pool.claim(1)).toBe(false);
  });

  test('claims outside the ranges (provider networks) do not consume pool capacity', () => {
    const pool = new SegmentPool([{ min: 1, max: 3 }]);
    expect(pool.claim(100)).toBe(true);
    expect(pool.claim(4000)).toBe(true);
    expect(pool.claim(0)).toBe(true);
    expect(pool.isUsed(100)).toBe(true);
    expect(drain(pool)).toEqual([1, 2, 3]);
    // Releasing an out-of-range id does not free a phantom slot either.
    pool.release(100);
    expect(pool.isUsed(100)).toBe(false);
    expect(pool.allocate()).toBeNull();
    expect(pool.claim(100)).toBe(true);
  });

  test('releasing an id twice, or one never used, does not inflate capacity', () => {
    const pool = new SegmentPool([{ min: 1, max: 2 }]);
    expect(drain(pool)).toEqual([1, 2]);
    pool.release(1);
    pool.release(1);
    pool.release(2000);
    expect(pool.allocate()).toBe(1);
    expect(pool.allocate()).toBeNull();
  });

  test('rebuild pattern: claims then allocations never hand out a claimed id', () => {
    // What NetworkState.load does: claim every stored segment, then allocate new ones.
    const pool = new SegmentPool([{ min: 1, max: 10 }]);
    for (const id of [1, 3, 5, 7, 9, 500]) pool.claim(id);
    expect(drain(pool)).toEqual([2, 4, 6, 8, 10]);
  });

  test('large ranges allocate without enumerating the range', () => {
    const pool = new SegmentPool([{ min: 1, max: 16_777_215 }]);
    const t0 = Date.now();
    for (let i = 1; i <= 1000; i++) expect(pool.allocate()).toBe(i);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  // Overlapping ranges must count each id once, or exhaustion would never be detected.
  test('overlapping ranges: exhaustion is reported instead of looping forever', () => {
    const pool = new SegmentPool([
      { min: 1, max: 5 },
      { min: 3, max: 7 },
    ]);
    expect(drain(pool)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});
