/**
 * What every command runs with: the server address, the caller's credentials (the one place the
 * CLI decides how it authenticates), an API client whose calls carry a deadline, and output.
 */
import { connectNetwork, type Credentials, type NetworkApi } from '../client/network-client';
import type { OptionSpec, Parsed } from './args';

export const DEFAULT_URL = '127.0.0.1:9696';
export const DEFAULT_PROJECT = 'demo';
export const DEFAULT_ROLES = ['member'];
/** Per-call deadline, so an unreachable or wedged server fails instead of hanging. */
export const CALL_DEADLINE_MS = 10_000;

export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  { name: 'url', type: 'string', value: 'HOST:PORT', help: `network service address (env WEFT_NETWORK_URL, default ${DEFAULT_URL})` },
  { name: 'project', type: 'string', value: 'PROJECT', help: `project to act as (env WEFT_PROJECT, default ${DEFAULT_PROJECT})` },
  { name: 'roles', type: 'string', value: 'R1,R2', help: `comma-separated roles (env WEFT_ROLES, default ${DEFAULT_ROLES.join(',')})` },
  { name: 'json', type: 'boolean', help: 'print machine-readable JSON instead of tables' },
  { name: 'help', type: 'boolean', short: 'h', help: 'show help for the command' },
];

export interface GlobalSettings {
  url: string;
  json: boolean;
  credentials: Credentials;
}

/** Later sources win: each parsed stage (outermost first), then the environment, then defaults. */
export function resolveGlobals(stages: readonly Parsed[], env: NodeJS.ProcessEnv): GlobalSettings {
  const last = (name: string): string | undefined => {
    let v: string | undefined;
    for (const s of stages) v = s.str(name) ?? v;
    return v;
  };
  return {
    url: last('url') ?? (env.WEFT_NETWORK_URL || DEFAULT_URL),
    json: stages.some((s) => s.flag('json')),
    credentials: credentialsFrom(last('project'), last('roles'), env),
  };
}

/**
 * Development credentials (x-weft-project / x-weft-roles metadata). When the identity service
 * issues tokens, this is where a token (flag, env or cached login) is picked up instead.
 */
export function credentialsFrom(project: string | undefined, roles: string | undefined, env: NodeJS.ProcessEnv): Credentials {
  const roleText = roles ?? env.WEFT_ROLES;
  const roleList = roleText === undefined ? DEFAULT_ROLES : roleText.split(',').map((r) => r.trim()).filter((r) => r.length > 0);
  const creds: Credentials = { project: project ?? (env.WEFT_PROJECT || DEFAULT_PROJECT), roles: roleList };
  if (env.WEFT_TOKEN) creds.token = env.WEFT_TOKEN;
  return creds;
}

export interface Output {
  /** Writes text plus a newline to stdout. */
  out(text: string): void;
  /** Writes text plus a newline to stderr. */
  err(text: string): void;
}

export interface Context extends Output {
  url: string;
  json: boolean;
  /** The API client (connected on first use); unary calls carry CALL_DEADLINE_MS. */
  readonly api: NetworkApi;
  close(): void;
}

/** Wraps the client so every unary call gets the default deadline. */
function withDeadline(api: NetworkApi, deadlineMs: number): NetworkApi {
  const passThrough = new Set(['watch', 'raw', 'close', 'lastRequestId']);
  return new Proxy(api, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof prop !== 'string' || passThrough.has(prop) || typeof v !== 'function') return v;
      const fn = v as (req: unknown, opts?: { deadlineMs?: number }) => Promise<unknown>;
      return (req: unknown, opts?: { deadlineMs?: number }) => fn.call(target, req, { deadlineMs, ...opts });
    },
  });
}

export function createContext(settings: GlobalSettings, io: Output): Context {
  let client: NetworkApi | undefined;
  return {
    ...io,
    url: settings.url,
    json: settings.json,
    get api(): NetworkApi {
      client ??= withDeadline(connectNetwork(settings.url, settings.credentials), CALL_DEADLINE_MS);
      return client;
    },
    close(): void {
      client?.close();
    },
  };
}
