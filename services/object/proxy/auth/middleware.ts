/**
 * The auth middleware: turns X-Auth-Token (or X-Storage-Token) into req.caller and puts the
 * Authorize function on the request for the controllers to call once they know the target.
 *
 * Guarantees:
 * - a token that does not validate (bad, expired, revoked) is 401 before anything else runs; a
 *   token is never accepted before the revocation list is loaded (503 until then);
 * - requests whose decision cannot depend on a container ACL (account requests, container
 *   PUT/POST/DELETE) are refused here already, so no storage server sees them;
 * - ACL headers on container PUT/POST are validated (400) and normalized before anything is
 *   written;
 * - X-Container-Read/-Write are returned only to owners (as Swift hides them from ACL readers).
 *
 * An empty account (the gRPC face's "my own account") becomes the token's project's account.
 *
 * Sub-requests issued by other middleware (source !== 'client') carry the caller and authorize
 * of the request they serve and pass through untouched.
 */
import type { Handler, Middleware, ObjectCaller, ProxyRequest, ProxyResponse } from '../app/types';
import { parseAcl } from './acl';
import { createAuthorize, decide, denial, isOwner, isResellerAdmin, type AuthorizeRules } from './authorize';

/** Why a token was refused: 401 (bad, expired, revoked) or 503 (cannot check revocations yet). */
export interface AuthFailure {
  status: 401 | 503;
  message: string;
}

export interface AuthMiddlewareDeps {
  rules: AuthorizeRules;
  /** Validates a raw token locally. */
  authenticate(token: string, transId: string): ObjectCaller | AuthFailure;
  /** Told about refusals (for the log); optional. */
  onDeny?(req: ProxyRequest, reason: string): void;
}

const ACL_HEADERS: readonly { header: string; kind: 'read' | 'write'; name: string }[] = [
  { header: 'x-container-read', kind: 'read', name: 'X-Container-Read' },
  { header: 'x-container-write', kind: 'write', name: 'X-Container-Write' },
];

/** Container headers only owners may see in responses. */
const OWNER_ONLY_RESPONSE_HEADERS = new Set(['x-container-read', 'x-container-write', 'x-container-sync-key', 'x-container-sync-to']);

function isFailure(v: ObjectCaller | AuthFailure): v is AuthFailure {
  return typeof (v as AuthFailure).status === 'number';
}

function textResponse(status: number, text: string, method: string, extra: Record<string, string> = {}): ProxyResponse {
  return { status, headers: { 'Content-Type': 'text/plain; charset=utf-8', ...extra }, body: method === 'HEAD' ? undefined : text };
}

/** Builds the auth middleware (token mode); see the module comment. */
export function createAuthMiddleware(deps: AuthMiddlewareDeps): Middleware {
  const authorize = createAuthorize(deps.rules, deps.onDeny);
  return (next: Handler): Handler =>
    async (req: ProxyRequest): Promise<ProxyResponse> => {
      if (req.source !== 'client') return next(req);
      const token = req.headers['x-auth-token'] || req.headers['x-storage-token'];
      let caller: ObjectCaller | undefined;
      if (token) {
        const res = deps.authenticate(token, req.transId);
        if (isFailure(res)) {
          deps.onDeny?.(req, res.message);
          const extra: Record<string, string> = res.status === 401 ? { 'Www-Authenticate': `Swift realm="${encodeURIComponent(req.account)}"` } : {};
          return textResponse(res.status, res.status === 401 ? `Unauthorized: ${res.message}` : `Service Unavailable: ${res.message}`, req.method, extra);
        }
        caller = res;
      }
      let account = req.account;
      if (account === '') {
        // The gRPC face leaves the account empty for "my own": the token's project's account.
        if (!caller?.projectId) {
          deps.onDeny?.(req, 'no account given and no project-scoped token to take it from');
          return denial({ method: req.method, account: '', caller });
        }
        account = deps.rules.resellerPrefix + caller.projectId;
      }
      const authed: ProxyRequest = { ...req, account, caller, authorize };
      const containerWrite = req.container !== undefined && req.object === undefined && !['GET', 'HEAD'].includes(req.method);
      if (req.container === undefined || containerWrite) {
        // These decisions do not depend on any container ACL: refuse before touching storage.
        const early = decide(authed, {}, deps.rules);
        if (!early.allow) {
          deps.onDeny?.(authed, early.reason);
          return denial(authed);
        }
      }
      if (containerWrite && (req.method === 'PUT' || req.method === 'POST')) {
        for (const { header, kind, name } of ACL_HEADERS) {
          const value = req.headers[header];
          if (value === undefined) continue;
          const parsed = parseAcl(kind, value, name);
          if (!parsed.ok) return textResponse(400, parsed.message, req.method);
          authed.headers = { ...authed.headers, [header]: parsed.cleaned };
        }
      }
      const res = await next(authed);
      if (req.container !== undefined && req.object === undefined && !isOwner(caller, account, deps.rules)) return hideOwnerHeaders(res);
      return res;
    };
}

function hideOwnerHeaders(res: ProxyResponse): ProxyResponse {
  const names = Object.keys(res.headers);
  if (!names.some((n) => OWNER_ONLY_RESPONSE_HEADERS.has(n.toLowerCase()))) return res;
  const headers: ProxyResponse['headers'] = {};
  for (const n of names) if (!OWNER_ONLY_RESPONSE_HEADERS.has(n.toLowerCase())) headers[n] = res.headers[n];
  return { ...res, headers };
}

/** Maps a validated token's claims to the proxy's caller. */
export function callerFromToken(claims: { projectId: string; userId: string; roles: readonly string[]; userName?: string }, token: string, rules: AuthorizeRules): ObjectCaller {
  const roles = claims.roles.map((r) => r.toLowerCase());
  const caller: ObjectCaller = { projectId: claims.projectId, userId: claims.userId, roles, isResellerAdmin: false, token };
  if (claims.userName) caller.userName = claims.userName;
  caller.isResellerAdmin = isResellerAdmin(caller, rules);
  return caller;
}
