/**
 * The `replicator` worker: one pass replicates objects (object-replicator.ts), then container
 * and account databases (db-replicator.ts); the pass's counters are both sets together.
 */
import type { PassStats, Worker } from '../worker';

export class ReplicatorWorker implements Worker {
  readonly name = 'replicator';

  constructor(private readonly parts: readonly Worker[]) {}

  async runOnce(signal: AbortSignal): Promise<PassStats> {
    let stats: PassStats = {};
    for (const part of this.parts) {
      if (signal.aborted) break;
      stats = { ...stats, ...(await part.runOnce(signal)) };
    }
    return stats;
  }
}
