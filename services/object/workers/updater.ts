/**
 * The updater (Swift's object updater, also replaying container → account reports): walks
 * `<device>/async_pending/<suffix>/` on every local device and sends each queued update to its
 * target (docs/object-storage.md, "Object → container updates").
 *
 * - 2xx: applied (or already held: 202), the file is removed.
 * - anything else, or no answer: kept for the next pass (the target may be down, or not have the
 *   container/account yet, e.g. a replica still being created or replicated). Swift keeps
 *   retrying such updates forever; here a file whose target still answers 404 after
 *   `reclaimAgeMs` (default 7 days, Swift's reclaim_age) is dropped: by then the container or
 *   account is not going to appear, and the replicas that do have it hold the row anyway.
 * - older files for the same hash are removed unsent (pending-plan.ts).
 * - a file that does not parse is moved to `<device>/quarantined/async_pending/` (as Swift does).
 *
 * Files are only read, sent and unlinked here; the storage server only creates them (new names,
 * by rename), so the two processes need no lock.
 */
import { mkdir, readFile, rename, unlink } from 'node:fs/promises';
import * as path from 'node:path';
import { parsePendingUpdate, updateUrl } from '../storage/http/container-update';
import { ASYNC_PENDING_DIR } from '../storage/diskfile/layout';
import { DirectClientError } from './direct-client';
import { planPending } from './pending-plan';
import type { PassStats, Worker } from './worker';
import type { WorkerContext, WorkerDefinition } from './worker-definition';
import { listDir } from '../common/list-dir';

const listSorted = (dir: string): Promise<string[]> => listDir(dir, { sorted: true });

export interface UpdaterSettings {
  /** A queued update whose target keeps answering 404 is dropped once this old. */
  reclaimAgeMs: number;
  clock?: () => number;
}

const SUFFIX = /^[0-9a-f]{3}$/;


export class Updater implements Worker {
  readonly name = 'updater';

  constructor(
    private readonly ctx: WorkerContext,
    private readonly settings: UpdaterSettings,
  ) {}

  async runOnce(signal: AbortSignal): Promise<PassStats> {
    const stats = { devices: 0, found: 0, successes: 0, failures: 0, superseded: 0, reclaimed: 0, quarantined: 0, errors: 0 };
    for (const device of await this.ctx.localDevices()) {
      if (signal.aborted) break;
      stats.devices++;
      const root = path.join(this.ctx.devicesRoot, device, ASYNC_PENDING_DIR);
      for (const suffix of (await listSorted(root)).filter((s) => SUFFIX.test(s))) {
        if (signal.aborted) break;
        const dir = path.join(root, suffix);
        const plan = planPending(await listSorted(dir));
        for (const name of plan.superseded) {
          await unlink(path.join(dir, name)).then(
            () => stats.superseded++,
            () => undefined,
          );
        }
        for (const f of plan.replay) {
          if (signal.aborted) break;
          stats.found++;
          try {
            const outcome = await this.replay(device, path.join(dir, f.name), f.timestamp.seconds * 1000, signal);
            stats[outcome]++;
          } catch (err) {
            stats.errors++;
            this.ctx.logger.warn('async pending update failed', { device, file: f.name, error: err });
          }
        }
      }
    }
    return stats;
  }

  private async replay(device: string, file: string, queuedAtMs: number, signal: AbortSignal): Promise<'successes' | 'failures' | 'reclaimed' | 'quarantined'> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      // Removed meanwhile (the storage server dropped a superseded report): nothing to do.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'successes';
      throw err;
    }
    const u = parsePendingUpdate(text);
    if (!u) {
      const qdir = path.join(this.ctx.devicesRoot, device, 'quarantined', ASYNC_PENDING_DIR);
      await mkdir(qdir, { recursive: true });
      await rename(file, path.join(qdir, path.basename(file)));
      this.ctx.logger.warn('unreadable async pending file quarantined', { device, file: path.basename(file) });
      return 'quarantined';
    }
    let status = 0;
    try {
      const reply = await this.ctx.client.request({
        host: u.target.host,
        port: u.target.port,
        method: u.method,
        path: updateUrl(u),
        headers: { ...u.headers, 'X-Backend-Storage-Layer': u.layer ?? 'container' },
        signal,
      });
      status = reply.status;
    } catch (err) {
      if (!(err instanceof DirectClientError)) throw err;
    }
    if (status >= 200 && status < 300) {
      await unlink(file).catch(() => undefined);
      return 'successes';
    }
    const now = (this.settings.clock ?? Date.now)();
    if (status === 404 && now - queuedAtMs > this.settings.reclaimAgeMs) {
      await unlink(file).catch(() => undefined);
      this.ctx.logger.warn('async pending update reclaimed: target still answers 404', { device, file: path.basename(file), path: u.path });
      return 'reclaimed';
    }
    this.ctx.logger.info('async pending update not applied; kept', { device, file: path.basename(file), status });
    return 'failures';
  }
}

export const updaterDefinition: WorkerDefinition = {
  name: 'updater',
  defaultIntervalMs: 5 * 60_000,
  configure(r, base) {
    const settings: UpdaterSettings = { reclaimAgeMs: r.number(`${base}.reclaimAgeMs`, 7 * 86_400_000, 1000, 365 * 86_400_000) };
    return (ctx) => new Updater(ctx, settings);
  },
};
