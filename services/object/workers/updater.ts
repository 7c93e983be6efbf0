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
import { parsePendingUpdate, rowBatchPath, rowBatchStatuses, updateUrl, type PendingUpdate } from '../storage/http/container-update';
import { ROW_BATCH_MAX } from '../storage/container/row-update';
import { replicaKey, rowOf } from '../storage/http/row-batcher';
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

/** Queued files read and replayed together at most (a pass goes through them chunk by chunk). */
const REPLAY_CHUNK = 512;

type Outcome = 'successes' | 'failures' | 'reclaimed' | 'quarantined';

interface Queued {
  file: string;
  queuedAtMs: number;
}

interface Loaded extends Queued {
  u: PendingUpdate;
}


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
      const chunk: Queued[] = [];
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
          chunk.push({ file: path.join(dir, f.name), queuedAtMs: f.timestamp.seconds * 1000 });
          if (chunk.length >= REPLAY_CHUNK) await this.replayChunk(device, chunk.splice(0), stats, signal);
        }
      }
      if (!signal.aborted) await this.replayChunk(device, chunk.splice(0), stats, signal);
    }
    return stats;
  }

  /**
   * Replays queued files: read and parsed first, then the container row updates for the same
   * container replica go together in `container-rows` batches (row-update.ts; what the storage
   * server does with updates that pile up), the others (account reports, lone rows) singly.
   * Each file then gets the outcome of its own status.
   */
  private async replayChunk(device: string, chunk: Queued[], stats: Record<Outcome | 'found' | 'errors', number>, signal: AbortSignal): Promise<void> {
    const loaded: Loaded[] = [];
    for (const q of chunk) {
      stats.found++;
      try {
        const u = await this.load(device, q.file);
        if (u === 'gone' || u === 'quarantined') stats[u === 'gone' ? 'successes' : 'quarantined']++;
        else loaded.push({ ...q, u });
      } catch (err) {
        stats.errors++;
        this.ctx.logger.warn('async pending update failed', { device, file: path.basename(q.file), error: err });
      }
    }
    const groups = new Map<string, Loaded[]>();
    for (const l of loaded) {
      const key = (l.u.layer ?? 'container') === 'container' ? replicaKey(l.u) : `single:${l.file}`;
      const g = groups.get(key);
      if (g) g.push(l);
      else groups.set(key, [l]);
    }
    for (const group of groups.values()) {
      for (let i = 0; i < group.length && !signal.aborted; i += ROW_BATCH_MAX) {
        const part = group.slice(i, i + ROW_BATCH_MAX);
        let statuses: number[];
        try {
          statuses = part.length === 1 ? [await this.sendOne(part[0]!.u, signal)] : await this.sendRows(part.map((l) => l.u), signal);
        } catch (err) {
          stats.errors += part.length;
          this.ctx.logger.warn('async pending update failed', { device, files: part.length, error: err });
          continue;
        }
        for (const [j, l] of part.entries()) stats[await this.settle(device, l, statuses[j] ?? 0)]++;
      }
    }
  }

  /** The queued update in `file`; 'gone' when it was removed meanwhile, 'quarantined' when it does not parse. */
  private async load(device: string, file: string): Promise<PendingUpdate | 'gone' | 'quarantined'> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      // Removed meanwhile (the storage server dropped a superseded report): nothing to do.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
      throw err;
    }
    const u = parsePendingUpdate(text);
    if (u) return u;
    const qdir = path.join(this.ctx.devicesRoot, device, 'quarantined', ASYNC_PENDING_DIR);
    await mkdir(qdir, { recursive: true });
    await rename(file, path.join(qdir, path.basename(file)));
    this.ctx.logger.warn('unreadable async pending file quarantined', { device, file: path.basename(file) });
    return 'quarantined';
  }

  /** One update alone; its status, 0 when no answer came. */
  private async sendOne(u: PendingUpdate, signal: AbortSignal): Promise<number> {
    try {
      const reply = await this.ctx.client.request({
        host: u.target.host,
        port: u.target.port,
        method: u.method,
        path: updateUrl(u),
        headers: { ...u.headers, 'X-Backend-Storage-Layer': u.layer ?? 'container' },
        signal,
      });
      return reply.status;
    } catch (err) {
      if (!(err instanceof DirectClientError)) throw err;
      return 0;
    }
  }

  /** Row updates for one container replica in one exchange; one status per row, all 0 without a usable answer. */
  private async sendRows(us: PendingUpdate[], signal: AbortSignal): Promise<number[]> {
    const first = us[0]!;
    try {
      const reply = await this.ctx.client.request({
        host: first.target.host,
        port: first.target.port,
        method: 'POST',
        path: rowBatchPath(first),
        headers: { 'X-Backend-Storage-Layer': 'container-rows', 'Content-Type': 'application/json' },
        body: JSON.stringify({ rows: us.map(rowOf) }),
        signal,
      });
      return rowBatchStatuses(reply.status, reply.body, us.length);
    } catch (err) {
      if (!(err instanceof DirectClientError)) throw err;
      return us.map(() => 0);
    }
  }

  /** What a queued file's answer means for it: applied (removed), reclaimed, or kept for the next pass. */
  private async settle(device: string, l: Loaded, status: number): Promise<Outcome> {
    if (status >= 200 && status < 300) {
      await unlink(l.file).catch(() => undefined);
      return 'successes';
    }
    const now = (this.settings.clock ?? Date.now)();
    if (status === 404 && now - l.queuedAtMs > this.settings.reclaimAgeMs) {
      await unlink(l.file).catch(() => undefined);
      this.ctx.logger.warn('async pending update reclaimed: target still answers 404', { device, file: path.basename(l.file), path: l.u.path });
      return 'reclaimed';
    }
    this.ctx.logger.info('async pending update not applied; kept', { device, file: path.basename(l.file), status });
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
