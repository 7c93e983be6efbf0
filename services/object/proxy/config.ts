/**
 * Proxy configuration: defaults, a JSON file, then WEFT_OBJECT_PROXY_* environment overrides
 * (ENV below), validated as a whole (every problem reported at once, the process refuses to start).
 *
 * The proxy is the public face: `listen` (Swift HTTP API) and `grpcListen`
 * (weft.object.v1.ObjectService) are what clients reach. The storage servers it calls are found
 * through the rings in `ringDir`; the hash path prefix/suffix must be the cluster's (the same as
 * every storage server's), or the proxy would look for names on the wrong partitions.
 */
import { applyEnv, ConfigReader, readConfigFile } from '../../runtime/config';
import type { LogLevel } from '../../runtime/log';

export interface ProxyAuthConfig {
  /** 'token': Weft identity tokens (X-Auth-Token) are required; 'none': everything is allowed (tests, private clusters). */
  mode: 'token' | 'none';
  /** The identity service's token key repository (public halves), to validate tokens locally. */
  keysDir: string;
  /** Identity gRPC host:port: the revocation feed, and IssueToken for /auth/v1.0. */
  identityUrl: string;
  /** Accounts are `<resellerPrefix><project_id>` (Swift's reseller_prefix). */
  resellerPrefix: string;
  /** Roles that make a caller an operator of its own project's account (full access). */
  operatorRoles: string[];
  /** Roles that give read-only access to the project's own account. */
  readerRoles: string[];
  /** The role that gives access to every account (Swift's reseller_admin). */
  resellerAdminRole: string;
}

export interface SloConfig {
  maxManifestSegments: number;
  maxManifestSize: number;
  minSegmentSize: number;
}

export interface ProxyConfig {
  /** host:port of the HTTP face (Swift API v1); port 0 picks a free port (printed in the ready line). */
  listen: string;
  /** host:port of the gRPC face; '' = no gRPC face. */
  grpcListen: string;
  /** Holds account.ring, container.ring and object.ring. */
  ringDir: string;
  /** How often the ring files are checked for a new version. */
  ringReloadIntervalMs: number;
  hashPathPrefix: string;
  hashPathSuffix: string;
  /** Time to connect to a storage server (and, for PUT, to get its 100 Continue). */
  connTimeoutMs: number;
  /** Time a storage server may stay silent (no response headers, no body bytes) once connected. */
  nodeTimeoutMs: number;
  /** How long container/account info (existence, ACLs, counts) is cached by this proxy. */
  containerInfoTtlMs: number;
  /** Largest object accepted in one PUT (Swift's default: 5 GiB + 2). */
  maxObjectSize: number;
  /** Most rows a container or account listing returns (also the default limit). */
  containerListingLimit: number;
  auth: ProxyAuthConfig;
  slo: SloConfig;
  logLevel: LogLevel;
}

export const ENV: Record<string, string> = {
  WEFT_OBJECT_PROXY_LISTEN: 'listen',
  WEFT_OBJECT_PROXY_GRPC_LISTEN: 'grpcListen',
  WEFT_OBJECT_PROXY_RING_DIR: 'ringDir',
  WEFT_OBJECT_PROXY_HASH_PATH_PREFIX: 'hashPathPrefix',
  WEFT_OBJECT_PROXY_HASH_PATH_SUFFIX: 'hashPathSuffix',
  WEFT_OBJECT_PROXY_CONN_TIMEOUT_MS: 'connTimeoutMs',
  WEFT_OBJECT_PROXY_NODE_TIMEOUT_MS: 'nodeTimeoutMs',
  WEFT_OBJECT_PROXY_CONTAINER_INFO_TTL_MS: 'containerInfoTtlMs',
  WEFT_OBJECT_PROXY_MAX_OBJECT_SIZE: 'maxObjectSize',
  WEFT_OBJECT_PROXY_AUTH_MODE: 'auth.mode',
  WEFT_OBJECT_PROXY_KEYS_DIR: 'auth.keysDir',
  WEFT_OBJECT_PROXY_IDENTITY_URL: 'auth.identityUrl',
  WEFT_LOG_LEVEL: 'log.level',
};

export const SWIFT_MAX_FILE_SIZE = 5 * 1024 * 1024 * 1024 + 2;

function checkListen(v: string): string | undefined {
  const m = /^(\S+):(\d{1,5})$/.exec(v);
  if (!m || Number(m[2]) > 65535) return 'expected host:port (port 0-65535)';
  return undefined;
}

function roleList(r: ConfigReader, path: string, dflt: string[]): string[] {
  const v = r.raw(path);
  if (v === undefined) return dflt;
  if (!Array.isArray(v) || !v.every((x): x is string => typeof x === 'string' && x !== '')) {
    r.fail(`${path}: expected an array of non-empty strings, got ${JSON.stringify(v)}`);
    return dflt;
  }
  // Roles in tokens are compared lower-case.
  return v.map((x) => x.toLowerCase());
}

export function loadProxyConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): ProxyConfig {
  const r = new ConfigReader(applyEnv(readConfigFile(file), env, ENV));
  const mode = r.oneOf('auth.mode', 'token', ['token', 'none'] as const);
  const cfg: ProxyConfig = {
    listen: r.string('listen', '127.0.0.1:8080', checkListen),
    grpcListen: r.string('grpcListen', '127.0.0.1:8081', (v) => (v === '' ? undefined : checkListen(v))),
    ringDir: r.string('ringDir', './data/object/rings', (v) => (v ? undefined : 'must not be empty')),
    ringReloadIntervalMs: r.number('ringReloadIntervalMs', 15_000, 100, 3_600_000),
    hashPathPrefix: r.string('hashPathPrefix', ''),
    hashPathSuffix: r.string('hashPathSuffix', ''),
    connTimeoutMs: r.number('connTimeoutMs', 500, 10, 60_000),
    nodeTimeoutMs: r.number('nodeTimeoutMs', 10_000, 10, 600_000),
    containerInfoTtlMs: r.number('containerInfoTtlMs', 5_000, 0, 3_600_000),
    maxObjectSize: r.number('maxObjectSize', SWIFT_MAX_FILE_SIZE, 1, Number.MAX_SAFE_INTEGER),
    containerListingLimit: r.number('containerListingLimit', 10_000, 1, 1_000_000),
    auth: {
      mode,
      keysDir: r.string('auth.keysDir', './data/identity/keys'),
      identityUrl: r.string('auth.identityUrl', '127.0.0.1:50051'),
      resellerPrefix: r.string('auth.resellerPrefix', 'AUTH_', (v) => (/^[A-Za-z0-9_]*$/.test(v) ? undefined : 'letters, digits and _ only')),
      operatorRoles: roleList(r, 'auth.operatorRoles', ['admin', 'member']),
      readerRoles: roleList(r, 'auth.readerRoles', ['reader']),
      resellerAdminRole: r.string('auth.resellerAdminRole', 'admin').toLowerCase(),
    },
    slo: {
      maxManifestSegments: r.number('slo.maxManifestSegments', 1000, 1, 1_000_000),
      maxManifestSize: r.number('slo.maxManifestSize', 8_388_608, 1, 1 << 30),
      minSegmentSize: r.number('slo.minSegmentSize', 1, 1, Number.MAX_SAFE_INTEGER),
    },
    logLevel: r.oneOf('log.level', 'info', ['debug', 'info', 'warn', 'error'] as const),
  };
  // As for the storage servers: without them placement would be guessable (and must match theirs).
  if (!cfg.hashPathPrefix && !cfg.hashPathSuffix) r.fail('hashPathPrefix / hashPathSuffix: at least one must be set (the cluster\'s values)');
  r.done();
  return cfg;
}
