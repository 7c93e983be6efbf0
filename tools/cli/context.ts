/**
 * What every command runs with: the server addresses, the caller's credentials (decided in
 * credentials.ts), API clients whose calls carry a deadline, and output.
 */
import { connectIdentity, type IdentityApi } from '../../services/runtime/client/identity-client';
import { connectNetwork, type Credentials, type NetworkApi } from '../../services/runtime/client/network-client';
import type { OptionSpec, Parsed } from './args';
import { peekTokenFile, resolveCredentials, tokenFilePath, type ResolvedCredentials } from './credentials';
import { CliError } from './errors';

export const DEFAULT_URL = '127.0.0.1:9696';
export const DEFAULT_IDENTITY_URL = '127.0.0.1:5000';
/** Per-call deadline, so an unreachable or wedged server fails instead of hanging. */
export const CALL_DEADLINE_MS = 10_000;

export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  { name: 'url', type: 'string', value: 'HOST:PORT', help: `network service address (env WEFT_NETWORK_URL, default ${DEFAULT_URL})` },
  { name: 'identity-url', type: 'string', value: 'HOST:PORT', help: `identity service address (env WEFT_IDENTITY_URL, else the cached login's, default ${DEFAULT_IDENTITY_URL})` },
  { name: 'json', type: 'boolean', help: 'print machine-readable JSON instead of tables' },
  { name: 'help', type: 'boolean', short: 'h', help: 'show help for the command' },
];

export interface GlobalSettings {
  url: string;
  /** --identity-url or WEFT_IDENTITY_URL; unset means the cached login's address, else the default. */
  identityUrl?: string;
  json: boolean;
  /** --url or WEFT_NETWORK_URL was given; otherwise the cached login's catalog may name the service. */
  urlExplicit?: boolean;
}

/**
 * Later sources win: each parsed stage (outermost first), then the environment, then defaults.
 * Credentials are not settings: a token (WEFT_TOKEN or the cached login) is picked up by
 * credentials.ts when the context connects.
 */
export function resolveGlobals(stages: readonly Parsed[], env: NodeJS.ProcessEnv): GlobalSettings {
  const last = (name: string): string | undefined => {
    let v: string | undefined;
    for (const s of stages) v = s.str(name) ?? v;
    return v;
  };
  return {
    url: last('url') ?? (env.WEFT_NETWORK_URL || DEFAULT_URL),
    urlExplicit: last('url') !== undefined || !!env.WEFT_NETWORK_URL,
    identityUrl: last('identity-url') ?? (env.WEFT_IDENTITY_URL || undefined),
    json: stages.some((s) => s.flag('json')),
  };
}

export interface Output {
  /** Writes text plus a newline to stdout. */
  out(text: string): void;
  /** Writes text plus a newline to stderr. */
  err(text: string): void;
  /** Reads one line of secret input (a password); undefined at end of input. */
  readSecret?(prompt: string): Promise<string | undefined>;
}

export interface Context extends Output {
  url: string;
  /** The identity service address (flag, env, the cached login's, default). */
  readonly identityUrl: string;
  json: boolean;
  env: NodeJS.ProcessEnv;
  /** Where `weft login` caches its token. */
  readonly tokenFile: string;
  /** The API client carrying the caller's token (connected on first use; a token is required); unary calls carry CALL_DEADLINE_MS. */
  readonly api: NetworkApi;
  /** An identity client carrying the caller's token (a token is required). */
  readonly identity: IdentityApi;
  /** An identity client with the given credentials ({} for anonymous calls such as login). */
  identityWith(creds: Credentials): IdentityApi;
  /** What calls authenticate with (resolved once, on first use). */
  auth(): ResolvedCredentials;
  close(): void;
}

/** Wraps a client so every unary call gets the default deadline. */
function withDeadline<T extends object>(api: T, deadlineMs: number): T {
  const passThrough = new Set(['watch', 'watchRevocationEvents', 'raw', 'close', 'lastRequestId']);
  return new Proxy(api, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof prop !== 'string' || passThrough.has(prop) || typeof v !== 'function') return v;
      const fn = v as (req: unknown, opts?: { deadlineMs?: number }) => Promise<unknown>;
      return (req: unknown, opts?: { deadlineMs?: number }) => fn.call(target, req, { deadlineMs, ...opts });
    },
  });
}

/** The address of a service type in a cached catalog (public interface preferred). */
export function catalogAddress(catalog: readonly unknown[] | undefined, serviceType: string): string | undefined {
  const eps = (catalog ?? []).filter((e): e is { serviceType: string; address: string; interface?: string } => {
    const o = e as { serviceType?: unknown; address?: unknown };
    return typeof o === 'object' && o !== null && o.serviceType === serviceType && typeof o.address === 'string';
  });
  return (eps.find((e) => (e.interface ?? 'public') === 'public') ?? eps[0])?.address;
}

/** The one-line hint for a call that needs a token when there is none. */
export function notLoggedIn(): CliError {
  return new CliError('UNAUTHENTICATED', "not logged in: run 'weft login --username NAME' (or set WEFT_TOKEN)");
}

/** The caller's credentials, or the not-logged-in hint (without calling any server) when there is no token. */
function requireToken(a: ResolvedCredentials): Credentials {
  if (!a.credentials.token) throw notLoggedIn();
  return a.credentials;
}

export function createContext(settings: GlobalSettings, io: Output, env: NodeJS.ProcessEnv = process.env): Context {
  let client: NetworkApi | undefined;
  let identity: IdentityApi | undefined;
  let resolved: ResolvedCredentials | undefined;
  let identityUrl: string | undefined;
  const others: IdentityApi[] = [];
  const tokenFile = tokenFilePath(env);
  const auth = (): ResolvedCredentials => (resolved ??= resolveCredentials({ env, warn: io.err }));
  const idUrl = (): string => (identityUrl ??= settings.identityUrl ?? (peekTokenFile(tokenFile)?.identityUrl || DEFAULT_IDENTITY_URL));
  const networkUrl = settings.urlExplicit === false ? (catalogAddress(peekTokenFile(tokenFile)?.catalog, 'network') ?? settings.url) : settings.url;
  return {
    ...io,
    url: networkUrl,
    json: settings.json,
    env,
    tokenFile,
    get identityUrl(): string {
      return idUrl();
    },
    get api(): NetworkApi {
      client ??= withDeadline(connectNetwork(networkUrl, requireToken(auth())), CALL_DEADLINE_MS);
      return client;
    },
    get identity(): IdentityApi {
      identity ??= withDeadline(connectIdentity(idUrl(), requireToken(auth())), CALL_DEADLINE_MS);
      return identity;
    },
    identityWith(creds: Credentials): IdentityApi {
      const c = withDeadline(connectIdentity(idUrl(), creds), CALL_DEADLINE_MS);
      others.push(c);
      return c;
    },
    auth,
    close(): void {
      client?.close();
      identity?.close();
      for (const c of others) c.close();
    },
  };
}
