/** The reaper as the workers process runs it (`workers.reaper.*` settings). */
import type { WorkerDefinition } from '../worker-definition';
import { AccountReaper } from './account-reaper';

export const reaperDefinition: WorkerDefinition = {
  name: 'reaper',
  // Swift's default interval between reaper passes.
  defaultIntervalMs: 3_600_000,
  configure(r, base) {
    const concurrency = r.number(`${base}.concurrency`, 8, 1, 64);
    return (ctx) => new AccountReaper({ ...ctx, logger: ctx.logger.child({ worker: 'reaper' }) }, { concurrency });
  },
};
