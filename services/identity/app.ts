/**
 * Assembles a running identity service: key repository, store, bootstrap, policy, gRPC server.
 */
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { IdentityServiceService } from '../../proto/gen/weft/identity/v1/identity_service';
import { RevocationSet } from '../runtime/auth/revocations';
import { TokenAuthenticator } from '../runtime/auth/token-authenticator';
import type { Logger } from '../runtime/log';
import { BASE_RULES } from '../runtime/policy/base-rules';
import { loadPolicy } from '../runtime/policy/load';
import { RpcServer } from '../runtime/server';
import { KvStore } from '../runtime/store/kv';
import { bootstrap, identityHandlers } from './api/identity-service';
import { ensureEndpoints } from './catalog';
import type { IdentityConfig } from './config';
import { LockoutTracker } from './passwords/lockout';
import { IDENTITY_POLICY_DEFAULTS } from './policy';
import { IdentityState } from './state';
import { KeyRepository } from './tokens/key-repository';
import { systemClock, type Clock } from './tokens/token-codec';

export const PROTO_ROOT = path.join(__dirname, '..', '..', '..', 'proto');

export interface RunningIdentity {
  port: number;
  state: IdentityState;
  keys: KeyRepository;
  /** Set only on the first start: the generated admin password, to be shown once. */
  generatedAdminPassword?: string;
  stop(graceMs?: number): Promise<void>;
}

export async function startIdentity(config: IdentityConfig, logger: Logger, onFatal: (err: unknown) => void, clock: Clock = systemClock): Promise<RunningIdentity> {
  mkdirSync(config.dataDir, { recursive: true });
  const keys = await KeyRepository.open(config.keysDir);
  const kv = await KvStore.open({ path: path.join(config.dataDir, 'db'), sync: config.store.sync, onFatal });
  const state = new IdentityState(kv, clock);
  state.load();
  let generated: string | undefined;
  let adminPassword = config.bootstrap.adminPassword;
  if (!adminPassword) adminPassword = generated = randomBytes(18).toString('base64url');
  const boot = await bootstrap(state, { ...config.bootstrap, adminPassword, scryptLn: config.scryptLn });
  if (!boot.created) generated = undefined;
  const published = await ensureEndpoints(state, config.bootstrap.endpoints);
  if (published > 0) logger.info('catalog endpoints published', { count: published });
  const { engine, warnings } = loadPolicy({ defaults: { ...BASE_RULES, ...IDENTITY_POLICY_DEFAULTS }, overrideFile: config.policyFile || undefined });
  for (const w of warnings) logger.warn(w);
  const revocations: RevocationSet = state.revocations;
  const authenticator = new TokenAuthenticator(keys, revocations, clock);
  const server = new RpcServer({
    logger,
    authenticator,
    protoRoot: PROTO_ROOT,
    reflectionProtos: ['weft/identity/v1/identity_service.proto'],
    publicMethods: ['/weft.identity.v1.IdentityService/IssueToken'],
  });
  const { unary, streaming } = identityHandlers({
    state,
    policy: engine,
    keys,
    authenticator,
    lockout: new LockoutTracker({ maxFailures: config.lockout.maxFailures, lockoutSeconds: config.lockout.lockoutSeconds, clock }),
    tokenTtlMs: config.tokenTtlSeconds * 1000,
    scryptLn: config.scryptLn,
    defaultDomainId: boot.defaultDomainId,
  });
  server.addService(IdentityServiceService, 'weft.identity.v1.IdentityService', unary, streaming);
  // weft-keys rotates on disk; re-read so new tokens use the new primary and pruned keys stop working.
  const keyReload = setInterval(() => keys.reload().catch((err: unknown) => logger.warn('key repository reload failed', { error: err })), config.keyReloadSeconds * 1000);
  keyReload.unref();
  const port = await server.listen(config.listen);
  logger.info('identity service listening', { address: config.listen, port, bootstrap_created: boot.created });
  return {
    port,
    state,
    keys,
    generatedAdminPassword: generated,
    async stop(graceMs = 10_000) {
      clearInterval(keyReload);
      await server.drain(graceMs);
      await state.feed.idle();
      await kv.close();
    },
  };
}
