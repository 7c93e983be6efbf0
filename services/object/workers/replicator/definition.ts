/** The replicator as the workers process runs it (`workers.replicator.*` settings). */
import type { WorkerDefinition } from '../worker-definition';
import { DbReplicator } from './db-replicator';
import { ObjectReplicator } from './object-replicator';
import { ReplicatorWorker } from './replicator-worker';

export const replicatorDefinition: WorkerDefinition = {
  name: 'replicator',
  // Swift's default interval between replication passes.
  defaultIntervalMs: 30_000,
  configure(r, base) {
    const concurrency = r.number(`${base}.concurrency`, 4, 1, 64);
    // Idle time allowed on one request: a push streams whole objects, so this bounds silence, not size.
    const requestTimeoutMs = r.number(`${base}.requestTimeoutMs`, 30_000, 100, 600_000);
    const databases = r.boolean(`${base}.databases`, true);
    return (ctx) => {
      const self = { ip: ctx.storageAddress.host, port: ctx.storageAddress.port };
      const logger = ctx.logger.child({ worker: 'replicator' });
      const objects = new ObjectReplicator({ devicesRoot: ctx.devicesRoot, self, ring: async () => (await ctx.ring('object')).ring, concurrency, requestTimeoutMs, logger });
      if (!databases) return new ReplicatorWorker([objects]);
      const dbs = new DbReplicator({
        self,
        rings: async () => ({ container: (await ctx.ring('container')).ring, account: (await ctx.ring('account')).ring }),
        concurrency,
        requestTimeoutMs,
        logger,
      });
      return new ReplicatorWorker([objects, dbs]);
    };
  },
};
