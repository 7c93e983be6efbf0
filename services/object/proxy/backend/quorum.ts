/**
 * Quorum decisions over the replicas' answers (Swift's best_response), pure so they can be
 * tested exhaustively. A write is acknowledged when a majority of the ring's replicas agree.
 */

/** Replicas that must agree: a strict majority (2 of 3, 3 of 5; 1 of 1, 2 of 2). */
export function quorumSize(replicas: number): number {
  return Math.floor(replicas / 2) + 1;
}

/**
 * The status to answer with, given each replica's status (0 = no answer: connection failed,
 * timed out). The first class (2xx, 3xx, 4xx) that reaches a quorum wins, and within it the
 * most common status (ties go to the higher one, as Swift prefers e.g. 204 over 201 only when
 * they are equally frequent); without a quorum in any of them: 503.
 */
export function quorumStatus(statuses: readonly number[], replicas: number): number {
  const quorum = quorumSize(replicas);
  for (const hundred of [200, 300, 400]) {
    const inClass = statuses.filter((s) => s >= hundred && s < hundred + 100);
    if (inClass.length < quorum) continue;
    const counts = new Map<number, number>();
    for (const s of inClass) counts.set(s, (counts.get(s) ?? 0) + 1);
    let best = inClass[0];
    for (const [s, n] of counts) {
      const bestN = counts.get(best) ?? 0;
      if (n > bestN || (n === bestN && s > best)) best = s;
    }
    return best;
  }
  return 503;
}

/** True when enough replicas succeeded (2xx) for a write to be acknowledged. */
export function hasQuorum(successes: number, replicas: number): boolean {
  return successes >= quorumSize(replicas);
}
