#!/usr/bin/env node
/**
 * The node agent process: `node dist/dataplane/agent/main.js [--config file.json]`, run on each
 * node (inside the host's network namespace: netlink and nft act where the process lives).
 * Prints {"ready":true,"agent_id":...} once registered and the first reconcile is done.
 * SIGTERM/SIGINT stop it without touching the dataplane: traffic keeps flowing while it is away.
 */
import { loadProcessConfig } from '../../services/runtime/config';
import { createLogger } from '../../services/runtime/log';
import { drainOnSignals } from '../../services/runtime/signals';
import { LinuxBridgeBackend } from '../linuxbridge/backend';
import { NodeAgent } from './agent';
import { loadAgentConfig } from './config';
import { ControllerLink } from './link';
import { SealedServiceToken, StaticToken } from './tokens';

const VERSION = '0.1.0';

async function main(): Promise<void> {
  const config = loadProcessConfig('weft-agent', 'WEFT_AGENT_CONFIG', loadAgentConfig);
  const logger = createLogger({ level: config.logLevel, base: { service: 'agent', host: config.host } });
  const tokens = config.auth.keysDir ? await SealedServiceToken.open(config.auth.keysDir, `agent-${config.host}`) : new StaticToken(config.auth.token);
  const link = new ControllerLink(config.controller, tokens);
  const backend = await LinuxBridgeBackend.open({ logger });
  const agent = new NodeAgent({ ...config, link, backend, logger, version: VERSION });
  drainOnSignals(logger, () => agent.stop(), { message: 'stopping; the dataplane stays as it is' });
  await agent.start();
  await agent.ready();
  process.stdout.write(JSON.stringify({ ready: true, agent_id: agent.id }) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`weft-agent: failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
