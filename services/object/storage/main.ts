#!/usr/bin/env node
/**
 * The storage server process: `node dist/services/object/storage/main.js [--config file.json]`
 * (or WEFT_OBJECT_STORAGE_CONFIG). Prints `{"ready":true,"port":N}` on stdout once listening;
 * logs are JSON lines on stderr. SIGTERM/SIGINT finish in-flight requests, then exit.
 */
import './threadpool';
import { loadProcessConfig } from '../../runtime/config';
import { createLogger } from '../../runtime/log';
import { drainOnSignals } from '../../runtime/signals';
import { loadStorageConfig } from './config';
import { startStorageServer } from './server';

async function main(): Promise<void> {
  const config = loadProcessConfig('weft-object-storage', 'WEFT_OBJECT_STORAGE_CONFIG', loadStorageConfig);
  const logger = createLogger({ level: config.logLevel, base: { service: 'object-storage' } });
  const running = await startStorageServer(config, logger);
  drainOnSignals(logger, () => running.stop());
  // Test harnesses and the all-in-one start wait for this line to learn the port (listen may be :0).
  process.stdout.write(JSON.stringify({ ready: true, port: running.port }) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`weft-object-storage: failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
