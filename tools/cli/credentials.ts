/**
 * Where the CLI's credentials come from, decided in one place:
 *
 *   1. env WEFT_TOKEN                          → `authorization: Bearer <token>`
 *   2. the token file of `weft login`, unexpired → `authorization: Bearer <token>`
 *      (an expired one is an error telling the user to log in again)
 *   3. otherwise no credentials: the servers would answer UNAUTHENTICATED, so the context
 *      stops a call that needs a token with a hint to log in instead of calling the server.
 *
 * The token file (env WEFT_TOKEN_FILE, default ~/.config/weft/token.json) holds a bearer token,
 * so it is written 0600 (temp file + rename) in a 0700 directory, and a looser existing file is
 * tightened when read.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import type { Credentials } from '../../services/runtime/client/promisify';
import { CliError } from './errors';

export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

/** What `weft login` caches. */
export interface CachedToken {
  token: string;
  /** ISO 8601 (UTC). */
  expiresAt: string;
  identityUrl: string;
  userId: string;
  userName: string;
  projectId: string;
  projectName: string;
  roles: string[];
  /** The service catalog at login (Endpoint.toJSON objects). */
  catalog: unknown[];
}

export type CredentialSource = 'env' | 'file' | 'none';

export interface ResolvedCredentials {
  /** What every call carries as metadata ({} when source is 'none'). */
  credentials: Credentials;
  source: CredentialSource;
  /** The token file consulted (whether or not it exists). */
  file: string;
  /** The cached login, when source is 'file'. */
  cached?: CachedToken;
}

/** env WEFT_TOKEN_FILE, else $HOME/.config/weft/token.json. */
export function tokenFilePath(env: NodeJS.ProcessEnv): string {
  if (env.WEFT_TOKEN_FILE) return path.resolve(env.WEFT_TOKEN_FILE);
  return path.join(env.HOME || homedir(), '.config', 'weft', 'token.json');
}

function isDefaultLocation(file: string, env: NodeJS.ProcessEnv): boolean {
  return !env.WEFT_TOKEN_FILE && file === path.join(env.HOME || homedir(), '.config', 'weft', 'token.json');
}

function fileError(file: string, why: string): CliError {
  return new CliError('FAILED_PRECONDITION', `cannot use the token file ${file}: ${why}; run 'weft login' again (or 'weft logout' to remove it)`);
}

function parseCached(file: string, text: string): CachedToken {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw fileError(file, 'it is not valid JSON');
  }
  if (typeof raw !== 'object' || raw === null) throw fileError(file, 'it is not a JSON object');
  const o = raw as Record<string, unknown>;
  const str = (k: string): string => (typeof o[k] === 'string' ? (o[k] as string) : '');
  if (!str('token')) throw fileError(file, 'it holds no token');
  if (!str('expiresAt') || Number.isNaN(Date.parse(str('expiresAt')))) throw fileError(file, 'it has no valid expiresAt');
  return {
    token: str('token'),
    expiresAt: str('expiresAt'),
    identityUrl: str('identityUrl'),
    userId: str('userId'),
    userName: str('userName'),
    projectId: str('projectId'),
    projectName: str('projectName'),
    roles: Array.isArray(o.roles) ? o.roles.filter((r): r is string => typeof r === 'string') : [],
    catalog: Array.isArray(o.catalog) ? o.catalog : [],
  };
}

/**
 * Reads the token file; undefined when it does not exist. A file readable or writable by group
 * or others is tightened to 0600 first (with a note through `warn`).
 */
export function readTokenFile(file: string, warn: (text: string) => void = () => undefined): CachedToken | undefined {
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fileError(file, (e as Error).message);
  }
  if (!st.isFile()) throw fileError(file, 'it is not a regular file');
  if ((st.mode & 0o077) !== 0) {
    try {
      chmodSync(file, FILE_MODE);
      warn(`weft: note: the token file ${file} had mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}; it is now 0600`);
    } catch (e) {
      throw fileError(file, `it is accessible to other users and cannot be made private (${(e as Error).message})`);
    }
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw fileError(file, (e as Error).message);
  }
  return parseCached(file, text);
}

/** Like readTokenFile, but never fails (for defaults such as the identity address). */
export function peekTokenFile(file: string): CachedToken | undefined {
  try {
    return parseCached(file, readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Writes the token file atomically: a fresh temp file created 0600 in the same directory, fsync,
 * rename over the old one. A missing directory is created 0700 (the default ~/.config/weft is
 * tightened to 0700 if it exists with a looser mode).
 */
export function writeTokenFile(file: string, data: CachedToken, env: NodeJS.ProcessEnv = {}): void {
  const dir = path.dirname(file);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: DIR_MODE });
    chmodSync(dir, DIR_MODE); // mkdir's mode is filtered by the umask; make it exact
  } else if (isDefaultLocation(file, env) && (statSync(dir).mode & 0o077) !== 0) {
    chmodSync(dir, DIR_MODE);
  }
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', FILE_MODE);
  try {
    try {
      writeSync(fd, `${JSON.stringify(data, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(tmp, FILE_MODE);
    renameSync(tmp, file);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw e;
  }
  if ((statSync(file).mode & 0o777) !== FILE_MODE) chmodSync(file, FILE_MODE);
}

/** Removes the token file; false when there was none. */
export function removeTokenFile(file: string): boolean {
  try {
    unlinkSync(file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

export function isExpired(c: Pick<CachedToken, 'expiresAt'>, nowMs: number = Date.now()): boolean {
  return Date.parse(c.expiresAt) <= nowMs;
}

export function expiredError(file: string, c: CachedToken): CliError {
  const who = [c.userName && `user ${c.userName}`, c.projectName && `project ${c.projectName}`].filter((s) => s).join(', ');
  return new CliError('UNAUTHENTICATED', `the cached token${who ? ` (${who})` : ''} in ${file} expired at ${c.expiresAt}; run 'weft login' again (or 'weft logout' to stop using it)`);
}

export interface CredentialInputs {
  env: NodeJS.ProcessEnv;
  nowMs?: number;
  warn?: (text: string) => void;
}

/** The one decision of what to authenticate with (see the header comment). */
export function resolveCredentials(inputs: CredentialInputs): ResolvedCredentials {
  const { env } = inputs;
  const file = tokenFilePath(env);
  if (env.WEFT_TOKEN) return { credentials: { token: env.WEFT_TOKEN }, source: 'env', file };
  const cached = readTokenFile(file, inputs.warn);
  if (cached) {
    if (isExpired(cached, inputs.nowMs)) throw expiredError(file, cached);
    return { credentials: { token: cached.token }, source: 'file', file, cached };
  }
  return { credentials: {}, source: 'none', file };
}
