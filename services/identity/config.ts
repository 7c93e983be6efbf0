/**
 * Identity service configuration: defaults for an all-in-one node, a JSON file, WEFT_IDENTITY_*
 * environment overrides, validated as a whole.
 */
import { applyEnv, ConfigReader, readConfigFile } from '../runtime/config';
import type { LogLevel } from '../runtime/log';
import type { DeclaredEndpoint } from './catalog';

export interface IdentityConfig {
  listen: string;
  dataDir: string;
  /** Fernet key repository; defaults to <dataDir>/keys. Validating services read it too. */
  keysDir: string;
  logLevel: LogLevel;
  tokenTtlSeconds: number;
  maxActiveKeys: number;
  /** How often the key repository is re-read to pick up rotations done by weft-keys. */
  keyReloadSeconds: number;
  lockout: { maxFailures: number; lockoutSeconds: number };
  /** scrypt cost as log2(N); tests lower it, production keeps the default. */
  scryptLn: number;
  bootstrap: { adminPassword: string; adminUser: string; adminProject: string; region: string; endpoints: DeclaredEndpoint[] };
  policyFile: string;
  store: { sync: boolean };
}

export const ENV: Record<string, string> = {
  WEFT_IDENTITY_LISTEN: 'listen',
  WEFT_IDENTITY_DATA_DIR: 'dataDir',
  WEFT_IDENTITY_KEYS_DIR: 'keysDir',
  WEFT_LOG_LEVEL: 'log.level',
  WEFT_TOKEN_TTL_SECONDS: 'tokenTtlSeconds',
  WEFT_ADMIN_PASSWORD: 'bootstrap.adminPassword',
  WEFT_BOOTSTRAP_ENDPOINTS: 'bootstrap.endpoints',
  WEFT_IDENTITY_SCRYPT_LN: 'scryptLn',
  WEFT_IDENTITY_POLICY_FILE: 'policyFile',
};

export function loadIdentityConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): IdentityConfig {
  const raw = applyEnv(readConfigFile(file), env, ENV);
  const r = new ConfigReader(raw);
  const dataDir = r.string('dataDir', './data/identity');
  const cfg: IdentityConfig = {
    listen: r.string('listen', '127.0.0.1:5000'),
    dataDir,
    keysDir: r.string('keysDir', `${dataDir}/keys`),
    logLevel: r.oneOf('log.level', 'info', ['debug', 'info', 'warn', 'error'] as const),
    tokenTtlSeconds: r.number('tokenTtlSeconds', 3600, 30, 7 * 24 * 3600),
    maxActiveKeys: r.number('maxActiveKeys', 3, 3, 100),
    keyReloadSeconds: r.number('keyReloadSeconds', 5, 1, 3600),
    lockout: { maxFailures: r.number('lockout.maxFailures', 5, 1, 1000), lockoutSeconds: r.number('lockout.lockoutSeconds', 300, 1, 86400) },
    scryptLn: r.number('scryptLn', 15, 10, 20),
    bootstrap: {
      adminPassword: r.string('bootstrap.adminPassword', ''),
      adminUser: r.string('bootstrap.adminUser', 'admin'),
      adminProject: r.string('bootstrap.adminProject', 'admin'),
      region: r.string('bootstrap.region', 'RegionOne'),
      endpoints: [],
    },
    policyFile: r.string('policyFile', ''),
    store: { sync: r.boolean('store.sync', false) },
  };
  const eps = r.raw('bootstrap.endpoints');
  if (eps !== undefined) {
    if (!Array.isArray(eps)) r.fail('bootstrap.endpoints: expected a list of {serviceType, address, serviceName?, region?, interface?}');
    else
      eps.forEach((e: unknown, i) => {
        const o = (typeof e === 'object' && e !== null ? e : {}) as Record<string, unknown>;
        if (typeof o.serviceType !== 'string' || !/^[a-z][a-z0-9-]{0,31}$/.test(o.serviceType) || typeof o.address !== 'string' || !o.address) {
          r.fail(`bootstrap.endpoints[${i}]: needs serviceType (lowercase) and address`);
          return;
        }
        const iface = typeof o.interface === 'string' ? o.interface : 'public';
        if (!['public', 'internal', 'admin'].includes(iface)) r.fail(`bootstrap.endpoints[${i}].interface: expected public, internal or admin`);
        cfg.bootstrap.endpoints.push({
          serviceType: o.serviceType,
          address: o.address,
          serviceName: typeof o.serviceName === 'string' ? o.serviceName : `weft-${o.serviceType}`,
          region: typeof o.region === 'string' ? o.region : cfg.bootstrap.region,
          interface: iface,
        });
      });
  }
  r.done();
  return cfg;
}
