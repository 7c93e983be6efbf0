#!/usr/bin/env node
/**
 * The workers process of one storage server: `node dist/services/object/workers/main.js
 * [--config file.json] [--once] [--only name,name]` (or WEFT_OBJECT_WORKERS_CONFIG).
 *
 * Runs every enabled worker (registry.ts) on its own timer, one pass at a time. `--once` runs one
 * pass of each selected worker, in registry order, prints each pass's counters on stdout as a
 * JSON line (`{"worker":"updater","stats":{...}}`) and exits 0. `--only` narrows the enabled
 * workers to those named. Prints `{"ready":true}` once started; logs are JSON lines on stderr.
 * SIGTERM/SIGINT abort the passes at their next safe point, then the process exits 0.
 */
import { loadProcessConfig } from '../../runtime/config';
import { createLogger } from '../../runtime/log';
import { ringFilePath, RingReader, type RingName } from '../ring';
import { loadWorkersConfig } from './config';
import { DirectClient } from './direct-client';
import { localDevices } from './local-devices';
import { WORKERS } from './registry';
import { runLoops, runPass } from './run-loop';
import type { WorkerContext } from './worker-definition';

/** Passes get this long to reach a safe point after SIGTERM before the process exits anyway. */
const STOP_GRACE_MS = 15_000;

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const config = loadProcessConfig('weft-object-workers', 'WEFT_OBJECT_WORKERS_CONFIG', (file) => loadWorkersConfig(file, WORKERS));
  const logger = createLogger({ level: config.logLevel, base: { service: 'object-workers' } });
  const once = process.argv.includes('--once');
  const only = argValue('--only')?.split(',').map((s) => s.trim()).filter((s) => s);
  const unknown = only?.filter((n) => !config.workers.some((w) => w.name === n)) ?? [];
  if (unknown.length > 0) {
    process.stderr.write(`weft-object-workers: --only: unknown worker(s) ${unknown.join(', ')} (known: ${config.workers.map((w) => w.name).join(', ')})\n`);
    process.exit(2);
  }

  const client = new DirectClient({ timeoutMs: config.requestTimeoutMs });
  const rings = new Map<RingName, Promise<RingReader>>();
  const ctx: WorkerContext = {
    devicesRoot: config.devicesRoot,
    secret: { prefix: config.hashPathPrefix, suffix: config.hashPathSuffix },
    fsync: config.fsync,
    storageAddress: config.storageAddress,
    logger,
    client,
    localDevices: () => localDevices(config.devicesRoot),
    ring: async (name) => {
      let p = rings.get(name);
      if (!p) {
        p = RingReader.open({ path: ringFilePath(config.ringDir, name), hash: { prefix: config.hashPathPrefix, suffix: config.hashPathSuffix } });
        rings.set(name, p);
        p.catch(() => rings.delete(name));
        return p;
      }
      const reader = await p;
      const outcome = await reader.reload();
      if (outcome.status === 'rejected') logger.warn('ring reload refused; keeping the loaded ring', { ring: name, error: outcome.error.message });
      return reader;
    },
  };
  const selected = config.workers.filter((w) => (only ? only.includes(w.name) : w.enabled));
  const workers = selected.map((w) => ({ worker: w.create(ctx), intervalMs: w.intervalMs }));

  const controller = new AbortController();
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    controller.abort();
    setTimeout(() => {
      logger.warn('passes did not stop in time; exiting');
      process.exit(1);
    }, STOP_GRACE_MS).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.stdout.write(JSON.stringify({ ready: true, workers: workers.map((w) => w.worker.name) }) + '\n');

  if (once) {
    for (const { worker } of workers) {
      if (controller.signal.aborted) break;
      const stats = await runPass(worker, controller.signal, logger);
      process.stdout.write(JSON.stringify({ worker: worker.name, stats: stats ?? null }) + '\n');
    }
  } else {
    await runLoops(workers, controller.signal, logger);
  }
  client.close();
  logger.info('stopped');
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`weft-object-workers: failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
