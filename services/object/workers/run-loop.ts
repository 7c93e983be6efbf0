/**
 * Runs workers on their timers: each worker has its own loop, one pass at a time, and waits its
 * interval after a pass ends (so a slow pass never overlaps the next). An aborted signal ends
 * the waits at once and the passes at their next safe point; runLoops resolves when all loops
 * have stopped. A pass that throws is logged and the loop goes on (the next pass retries).
 */
import type { Logger } from '../../runtime/log';
import type { PassStats, Worker } from './worker';

export interface ScheduledWorker {
  worker: Worker;
  intervalMs: number;
}

/** Resolves after `ms`, or at once when the signal is aborted. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** One pass of a worker, timed and logged; undefined when it threw. */
export async function runPass(worker: Worker, signal: AbortSignal, logger: Logger): Promise<PassStats | undefined> {
  const started = Date.now();
  try {
    const stats = await worker.runOnce(signal);
    logger.info('pass done', { worker: worker.name, ms: Date.now() - started, aborted: signal.aborted, ...stats });
    return stats;
  } catch (err) {
    logger.error('pass failed', { worker: worker.name, ms: Date.now() - started, error: err });
    return undefined;
  }
}

export async function runLoops(workers: readonly ScheduledWorker[], signal: AbortSignal, logger: Logger): Promise<void> {
  await Promise.all(
    workers.map(async ({ worker, intervalMs }) => {
      while (!signal.aborted) {
        await runPass(worker, signal, logger);
        await sleep(intervalMs, signal);
      }
    }),
  );
}
