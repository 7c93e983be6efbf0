/** The reaper as the workers process runs it (`workers.reaper.*` settings). */
import type { WorkerDefinition } from '../worker-definition';
import { AccountReaper } from './account-reaper';
import { DEFAULT_RECLAIM_AGE_MS } from './reclaim-plan';

export const reaperDefinition: WorkerDefinition = {
  name: 'reaper',
  // Swift's default interval between reaper passes.
  defaultIntervalMs: 3_600_000,
  configure(r, base) {
    const concurrency = r.number(`${base}.concurrency`, 8, 1, 64);
    // 0 is allowed (reclaim as soon as reaped): tests use small values.
    const reclaimAgeMs = r.number(`${base}.reclaimAgeMs`, DEFAULT_RECLAIM_AGE_MS, 0, 3650 * 86_400_000);
    return (ctx) => new AccountReaper({ ...ctx, logger: ctx.logger.child({ worker: 'reaper' }) }, { concurrency, reclaimAgeMs });
  },
};
