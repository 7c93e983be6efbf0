/**
 * GET /auth/v1.0 (also /auth/v1, /v1.0): the v1 login plain Swift clients use, in the shape of
 * Swift's tempauth. `X-Auth-User: <project>:<user>` (or X-Storage-User) and `X-Auth-Key:
 * <password>` (or X-Storage-Pass) become an identity IssueToken call (password, scoped to the
 * project by name; names resolve in the Default domain); the answer carries the token and the
 * storage URL of the project's account.
 *
 * As in tempauth, every failure to log in is 401 (missing or malformed headers included), with
 * no hint of which part was wrong. The identity service being unreachable is 503.
 */
import type { ProxyResponse } from '../app/types';

/** What a successful login yields. */
export interface IssuedToken {
  token: string;
  projectId: string;
  expiresAt: Date;
}

/** Thrown by a Login when identity refuses the credentials (→ 401) or cannot answer (→ 503). */
export class LoginError extends Error {
  constructor(
    readonly code: 'DENIED' | 'UNAVAILABLE',
    message: string,
  ) {
    super(message);
    this.name = 'LoginError';
  }
}

/** Password login scoped to a project, by names. */
export type Login = (creds: { projectName: string; userName: string; password: string }) => Promise<IssuedToken>;

export interface AuthEndpointDeps {
  login: Login;
  /** Account name prefix (AUTH_). */
  resellerPrefix: string;
  /** Clock for X-Auth-Token-Expires. */
  now(): number;
  /** Scheme of the storage URL (the proxy's public face); default http. */
  scheme?: 'http' | 'https';
  /** Host:port for the storage URL when the request has no Host header. */
  defaultHost: string;
}

function unauthorized(reason: string): ProxyResponse {
  return { status: 401, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Www-Authenticate': 'Swift realm="unknown"' }, body: `Unauthorized: ${reason}\n` };
}

/** A Host header value safe to echo into a URL (host, IPv4, [IPv6], optional port). */
const HOST_RE = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/;

/**
 * Handles a v1 login. `headers` are the request's headers with lower-case names. Errors from
 * `login` other than LoginError become 500 with a generic message (the caller logs them).
 */
export async function handleAuthRequest(deps: AuthEndpointDeps, headers: Record<string, string>): Promise<ProxyResponse> {
  const user = headers['x-storage-user'] || headers['x-auth-user'];
  const key = headers['x-storage-pass'] || headers['x-auth-key'];
  if (!user || !key) return unauthorized('X-Auth-User and X-Auth-Key are required');
  const colon = user.indexOf(':');
  if (colon <= 0 || colon === user.length - 1) return unauthorized('X-Auth-User must be <project>:<user>');
  const projectName = user.slice(0, colon);
  const userName = user.slice(colon + 1);
  let issued: IssuedToken;
  try {
    issued = await deps.login({ projectName, userName, password: key });
  } catch (err) {
    if (err instanceof LoginError && err.code === 'DENIED') return unauthorized('invalid credentials');
    if (err instanceof LoginError) return { status: 503, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: 'Service Unavailable: the identity service did not answer\n' };
    throw err;
  }
  const hostHeader = headers['host'];
  const host = hostHeader && HOST_RE.test(hostHeader) ? hostHeader : deps.defaultHost;
  const storageUrl = `${deps.scheme ?? 'http'}://${host}/v1/${deps.resellerPrefix}${issued.projectId}`;
  const expiresIn = Math.max(0, Math.floor((issued.expiresAt.getTime() - deps.now()) / 1000));
  return {
    status: 200,
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'X-Auth-Token': issued.token,
      'X-Storage-Token': issued.token,
      'X-Storage-Url': storageUrl,
      'X-Auth-Token-Expires': String(expiresIn),
    },
    body: JSON.stringify({ storage: { default: 'local', local: storageUrl } }),
  };
}
