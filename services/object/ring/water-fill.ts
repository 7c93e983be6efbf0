/**
 * Splitting an integer amount among children in proportion to their weights, with per-child
 * integer bounds: the arithmetic behind every tier's target. Pure and exact in the result (the
 * parts always sum to `total`), deterministic in how remainders are handed out (by fractional
 * part, then by index).
 */

/**
 * Returns integers x[i] with lo[i] <= x[i] <= hi[i], sum(x) = total, and x as close to
 * proportional to weights as the bounds allow ("water-filling": one level λ with
 * x[i] = clamp(λ·w[i], lo[i], hi[i])). Throws if the bounds cannot hold `total`.
 */
export function waterFill(total: number, weights: readonly number[], lo: readonly number[], hi: readonly number[]): number[] {
  const n = weights.length;
  let sumLo = 0;
  let sumHi = 0;
  for (let i = 0; i < n; i++) {
    sumLo += lo[i];
    sumHi += hi[i];
  }
  if (total < sumLo || total > sumHi) throw new Error(`waterFill: ${total} outside [${sumLo}, ${sumHi}]`);

  const fill = (level: number): number => {
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.min(hi[i], Math.max(lo[i], level * weights[i]));
    return s;
  };
  // Bisection on λ: fill() is monotone, and at λ = max(hi/w) every child is at its upper bound.
  let a = 0;
  let b = 0;
  for (let i = 0; i < n; i++) if (weights[i] > 0) b = Math.max(b, hi[i] / weights[i]);
  for (let iter = 0; iter < 200 && a < b; iter++) {
    const mid = (a + b) / 2;
    if (mid === a || mid === b) break;
    if (fill(mid) < total) a = mid;
    else b = mid;
  }
  const real = weights.map((w, i) => Math.min(hi[i], Math.max(lo[i], b * w)));

  // Largest remainder: floor everything, then hand out what is missing by fractional part.
  const out = real.map((x) => Math.floor(x));
  let missing = total - out.reduce((s, x) => s + x, 0);
  const order = real.map((x, i) => i).sort((i, j) => real[j] - Math.floor(real[j]) - (real[i] - Math.floor(real[i])) || i - j);
  // Normally one round suffices; more rounds only absorb floating-point slack at the bounds.
  while (missing > 0) {
    let gave = false;
    for (const i of order) {
      if (missing === 0) break;
      if (out[i] < hi[i]) {
        out[i]++;
        missing--;
        gave = true;
      }
    }
    if (!gave) throw new Error('waterFill: no room left');
  }
  while (missing < 0) {
    let took = false;
    for (let k = order.length - 1; k >= 0 && missing < 0; k--) {
      const i = order[k];
      if (out[i] > lo[i]) {
        out[i]--;
        missing++;
        took = true;
      }
    }
    if (!took) throw new Error('waterFill: nothing left to take');
  }
  return out;
}
