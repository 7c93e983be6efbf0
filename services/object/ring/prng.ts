/**
 * The builder's only source of randomness, injected so that placements are a pure function of
 * (builder state, seed). Randomness is used for tie-breaking and visiting order, never for
 * correctness: any sequence of numbers yields a valid ring, the seed just makes it reproducible.
 */

/** Uniform 32-bit unsigned integers. */
export interface Prng {
  nextUint32(): number;
}

/**
 * mulberry32: tiny, fast, and good enough for shuffling. Its output for a given seed is fixed
 * forever; golden tests depend on that, so never change this function (add a new one instead).
 */
export function mulberry32(seed: number): Prng {
  let a = seed >>> 0;
  return {
    nextUint32(): number {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return (t ^ (t >>> 14)) >>> 0;
    },
  };
}

/**
 * The PRNG for one rebalance: derived from the builder's seed and the ring version being built,
 * so each rebalance gets fresh tie-breaks and a builder file needs no PRNG state of its own.
 */
export function rebalancePrng(seed: number, ringVersion: number): Prng {
  // Mix the two words (a murmur3-style finalizer) so nearby (seed, version) pairs diverge at once.
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ (ringVersion >>> 0)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return mulberry32((h ^ (h >>> 16)) >>> 0);
}

/** An integer in [0, n) (n <= 2^32); the tiny modulo bias is irrelevant for tie-breaking. */
export function below(rng: Prng, n: number): number {
  return rng.nextUint32() % n;
}

/** In-place Fisher–Yates shuffle. */
export function shuffle<T extends { [i: number]: number; length: number }>(rng: Prng, items: T): T {
  for (let i = items.length - 1; i > 0; i--) {
    const j = below(rng, i + 1);
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  }
  return items;
}
