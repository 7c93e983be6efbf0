/**
 * Seeded uniform numbers in [0, 1) for property and fuzz tests, so a failing seed replays. The
 * same mulberry32 generator as the ring builder's (services/object/ring/prng.ts).
 */
import { mulberry32 } from '../../services/object/ring/prng';

export function prng(seed: number): () => number {
  const g = mulberry32(seed);
  return () => g.nextUint32() / 4294967296;
}
