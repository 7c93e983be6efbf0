/**
 * Assembles a running network controller from its config: store, domain state, gRPC server.
 * Used by controller/main.ts (the process) and by the all-in-one launcher.
 */
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { AgentServiceService } from '../proto/gen/weft/agent/v1/agent_service';
import { NetworkServiceService } from '../proto/gen/weft/network/v1/network_service';
import { RevocationFollower } from '../services/runtime/auth/revocation-follower';
import { RevocationSet } from '../services/runtime/auth/revocations';
import { TokenAuthenticator } from '../services/runtime/auth/token-authenticator';
import { DenyAllAuthenticator, type Authenticator } from '../services/runtime/caller';
import { KeyRepository } from '../services/identity/tokens/key-repository';
import { systemClock } from '../services/identity/tokens/token-codec';
import type { Logger } from '../services/runtime/log';
import { RpcServer } from '../services/runtime/server';
import { agentServiceHandlers } from './api/agent-service';
import { networkServiceHandlers } from './api/network-service';
import type { ControllerConfig } from './config';
import { AGENT_POLICY_DEFAULTS, NETWORK_POLICY_DEFAULTS } from './policy';
import { BASE_RULES } from '../services/runtime/policy/base-rules';
import { loadPolicy } from '../services/runtime/policy/load';
import { AgentRegistry } from './domain/agents/registry';
import { NetworkState } from './domain/state';
import { PortChanges } from './drivers/port-changes';
import { MechanismDrivers } from './drivers/registry';
import { KvStore } from '../services/runtime/store/kv';

export const PROTO_ROOT = path.join(__dirname, '..', '..', 'proto');

export interface RunningController {
  port: number;
  state: NetworkState;
  agents: AgentRegistry;
  server: RpcServer;
  stop(graceMs?: number): Promise<void>;
}

export async function startController(config: ControllerConfig, logger: Logger, onFatal: (err: unknown) => void): Promise<RunningController> {
  mkdirSync(config.dataDir, { recursive: true });
  // First: a bad override file stops the start before the store is opened, and the domain state
  // needs the engine for the attribute rules.
  const { engine: policy, warnings } = loadPolicy({ defaults: { ...BASE_RULES, ...NETWORK_POLICY_DEFAULTS, ...AGENT_POLICY_DEFAULTS }, overrideFile: config.policyFile || undefined });
  for (const w of warnings) logger.warn(w);
  const started = Date.now();
  const kv = await KvStore.open({ path: config.dataDir, sync: config.store.sync, onFatal });
  const state = new NetworkState(kv, config, { policy });
  const { counts } = state.load();
  const agents = new AgentRegistry(state, { downTimeMs: config.agents.downTimeMs });
  counts.agent = agents.load();
  logger.info('store loaded', { data_dir: config.dataDir, revision: state.changelog.revision, counts, load_ms: Date.now() - started });
  const drivers = MechanismDrivers.fromConfig(config, logger);
  // A vendor driver that is not up yet is not fatal: it is asked again when a port needs it.
  await drivers.describeAll();
  const portChanges = new PortChanges({ state, agents, drivers, logger });
  let authenticator: Authenticator;
  let follower: RevocationFollower | undefined;
  let keyReload: NodeJS.Timeout | undefined;
  if (config.authMode === 'token') {
    const keys = await KeyRepository.openExisting(config.auth.keysDir);
    // Rotations happen in the identity service; re-read the shared repository to follow them.
    keyReload = setInterval(() => keys.reload().catch((err: unknown) => logger.warn('key repository reload failed', { error: err })), 10_000);
    keyReload.unref();
    const revocations = new RevocationSet();
    follower = new RevocationFollower({ identityAddress: config.auth.identityUrl, serviceName: 'network-controller', keys, revocations, clock: systemClock, logger });
    follower.start();
    const f = follower;
    authenticator = new TokenAuthenticator(keys, revocations, systemClock, () => f.isSynced);
    // Serve only once the revocation list is loaded, unless identity stays unreachable: then start
    // anyway and answer UNAVAILABLE until it is (never accept a token that might be revoked).
    const synced = await Promise.race([follower.ready().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 3000).unref())]);
    if (!synced) logger.warn('identity revocation feed not reachable yet; refusing tokens until it is', { identity: config.auth.identityUrl });
    logger.info('token authentication', { keys_dir: config.auth.keysDir, identity: config.auth.identityUrl });
  } else {
    logger.warn('auth.mode is none: every API call will be rejected as UNAUTHENTICATED');
    authenticator = new DenyAllAuthenticator();
  }
  const server = new RpcServer({ logger, authenticator, protoRoot: PROTO_ROOT, reflectionProtos: ['weft/network/v1/network_service.proto', 'weft/agent/v1/agent_service.proto'] });
  const { unary, streaming } = networkServiceHandlers(state, policy, portChanges);
  server.addService(NetworkServiceService, 'weft.network.v1.NetworkService', unary, streaming);
  server.addService(AgentServiceService, 'weft.agent.v1.AgentService', agentServiceHandlers({ state, agents, portChanges, policy, heartbeatIntervalMs: config.agents.heartbeatIntervalMs, logger }));
  const port = await server.listen(config.listen);
  for (const extra of config.extraListen) await server.listen(extra);
  logger.info('network controller listening', { address: config.listen, port, extra: config.extraListen });
  return {
    port,
    state,
    agents,
    server,
    async stop(graceMs = 10_000) {
      follower?.stop();
      if (keyReload) clearInterval(keyReload);
      await server.drain(graceMs);
      drivers.close();
      await state.changelog.idle();
      await kv.close();
    },
  };
}
