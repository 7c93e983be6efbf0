#!/usr/bin/env node
/**
 * The identity service process: `node dist/services/identity/main.js [--config file.json]`.
 * On the first start without WEFT_ADMIN_PASSWORD it generates the admin password and prints it
 * once on stdout (never to the log).
 */
import { loadProcessConfig } from '../runtime/config';
import { createLogger } from '../runtime/log';
import { drainOnSignals } from '../runtime/signals';
import { startIdentity } from './app';
import { loadIdentityConfig } from './config';

async function main(): Promise<void> {
  const config = loadProcessConfig('weft-identity', 'WEFT_IDENTITY_CONFIG', loadIdentityConfig);
  const logger = createLogger({ level: config.logLevel, base: { service: 'identity' } });
  const running = await startIdentity(config, logger, (err) => {
    logger.error('fatal store error; exiting', { error: err });
    process.exit(70);
  });
  drainOnSignals(logger, () => running.stop());
  if (running.generatedAdminPassword) {
    process.stdout.write(`admin password (shown once; set WEFT_ADMIN_PASSWORD to choose it): ${running.generatedAdminPassword}\n`);
  }
  process.stdout.write(JSON.stringify({ ready: true, port: running.port }) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`weft-identity: failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
