/**
 * Tokens: IssueToken (by password, by application credential, or by rescoping the caller's own
 * token), ValidateToken and RevokeToken. Every token response carries the endpoint catalog.
 *
 * What callers can learn is kept small on purpose: every failed password login gets the same
 * answer (and an unknown user costs a hash, like a wrong password), a project that does not exist
 * and one the user has no role on get the same answer, and an invalid token given to Validate or
 * Revoke is NOT_FOUND with reason TOKEN_INVALID only after the caller passed policy.
 * A rescoped token never outlives the token it came from, and carries its audit chain so that
 * revoking the original also revokes it.
 */
import { status as Status } from '@grpc/grpc-js';
import type * as M from '../../../proto/gen/weft/identity/v1/identity_service';
import { RevocationKind, type Endpoint, type User } from '../../../proto/gen/weft/identity/v1/resources';
import type { TokenPayload } from '../../../proto/gen/weft/identity/v1/token';
import { Violations } from '../../../controller/domain/validate';
import type { TokenAuthenticator } from '../../runtime/auth/token-authenticator';
import type { Caller } from '../../runtime/caller';
import { invalidArgument, unauthenticated, WeftError } from '../../runtime/errors';
import { hashPassword, MAX_PASSWORD_BYTES, verifyPassword } from '../passwords/hash';
import type { LockoutTracker } from '../passwords/lockout';
import type { IdentityState } from '../state';
import { MAX_TOKEN_CHARS } from '../tokens/fernet';
import { issueToken, newAuditId, type IssuingKeys } from '../tokens/token-codec';
import type { applicationCredentialHandlers } from './application-credentials';

export interface TokenDeps {
  state: IdentityState;
  authorize(action: string, c: Caller, target?: Record<string, unknown>): void;
  /** Role names a user holds on a project (direct and through groups), sorted. */
  roleNames(userId: string, projectId: string): string[];
  /** IssueToken by application credential: checks the secret, then calls back to seal the token. */
  issueWithAppCred: ReturnType<typeof applicationCredentialHandlers>['issue'];
  keys: IssuingKeys;
  authenticator: TokenAuthenticator;
  lockout: LockoutTracker;
  tokenTtlMs: number;
  scryptLn: number;
  defaultDomainId: string;
}

/** Application credential secrets are 43 characters; anything near this is not one. */
const MAX_SECRET_CHARS = 1024;

/**
 * What is wrong with an IssueToken request on its face, before any lookup: a missing method,
 * malformed ids, impossible names, an oversized password or secret, a scope that asks for two
 * things at once. None of these reveals whether a user, credential or project exists (the format
 * of an id says nothing about it), so they can be answered as INVALID_ARGUMENT; everything that
 * depends on stored state keeps the single UNAUTHENTICATED answer.
 */
function checkIssueRequest(r: M.IssueTokenRequest): void {
  const v = new Violations();
  const m = r.method;
  if (!m) v.add('method', 'give password, application_credential or token');
  else if (m.$case === 'password') {
    const pw = m.value;
    v.check(!!pw.userId || !!pw.userName, 'password.user_id', 'give user_id or user_name');
    v.check(!(pw.userId && pw.userName), 'password.user_id', 'give user_id or user_name, not both');
    v.check(!(pw.userDomainId && pw.userDomainName), 'password.user_domain_id', 'give user_domain_id or user_domain_name, not both');
    v.uuid('password.user_id', pw.userId, false);
    v.uuid('password.user_domain_id', pw.userDomainId, false);
    v.name('password.user_name', pw.userName);
    v.name('password.user_domain_name', pw.userDomainName);
    v.check(pw.password.length > 0, 'password.password', 'is required');
    // No stored password is longer, and hashPassword refuses (throws on) longer input.
    v.check(Buffer.byteLength(pw.password) <= MAX_PASSWORD_BYTES, 'password.password', `at most ${MAX_PASSWORD_BYTES} bytes`);
  } else if (m.$case === 'applicationCredential') {
    v.uuid('application_credential.id', m.value.id, true);
    v.check(m.value.secret.length > 0, 'application_credential.secret', 'is required');
    v.check(m.value.secret.length <= MAX_SECRET_CHARS, 'application_credential.secret', `at most ${MAX_SECRET_CHARS} characters`);
  }
  const s = r.scope;
  if (s) {
    const project = !!(s.projectId || s.projectName);
    v.check(!(s.unscoped && (project || s.projectDomainId || s.projectDomainName)), 'scope.unscoped', 'cannot be combined with a project');
    v.check(!(s.projectId && s.projectName), 'scope.project_name', 'give project_id or project_name, not both');
    v.check(!((s.projectDomainId || s.projectDomainName) && !s.projectName), 'scope.project_domain_id', 'only with project_name');
    v.check(!(s.projectDomainId && s.projectDomainName), 'scope.project_domain_id', 'give project_domain_id or project_domain_name, not both');
    // Tokens are scoped to projects only: a domain scope would silently become another scope.
    v.check(!s.domainId, 'scope.domain_id', 'domain-scoped tokens are not supported; scope to a project');
    v.uuid('scope.project_id', s.projectId, false);
    v.uuid('scope.project_domain_id', s.projectDomainId, false);
    v.name('scope.project_name', s.projectName);
    v.name('scope.project_domain_name', s.projectDomainName);
  }
  v.throwIfAny();
}

export function tokenHandlers(d: TokenDeps) {
  const { state } = d;

  /**
   * The token of ValidateToken / RevokeToken. Any string up to the size a token can have is a
   * candidate, and one that is not a valid token (empty, garbage, tampered, expired, revoked)
   * gets the one answer NOT_FOUND / TOKEN_INVALID; only a string longer than any token is bad input.
   */
  const refuseOversized = (action: string, c: Caller, token: string): void => {
    if (token.length <= MAX_TOKEN_CHARS) return;
    // Whether the caller may validate (revoke) at all comes first, as for an invalid token.
    d.authorize(action, c, {});
    throw invalidArgument([{ field: 'token', description: `at most ${MAX_TOKEN_CHARS} characters` }]);
  };

  const tokenInfo = (p: TokenPayload): M.TokenInfo => ({
    userId: p.userId,
    userName: state.users.get(state.kv, p.userId)?.name ?? '',
    domainId: p.domainId,
    projectId: p.projectId,
    projectName: p.projectId ? (state.projects.get(state.kv, p.projectId)?.name ?? '') : '',
    roles: p.roles,
    methods: p.methods,
    issuedAt: new Date(p.issuedAtMs),
    expiresAt: new Date(p.expiresAtMs),
    auditId: p.auditId,
    auditChain: p.auditChain,
    appCredId: p.appCredId,
  });

  /** The project a new token is scoped to ('' for unscoped), or UNAUTHENTICATED. */
  const resolveScope = (user: User, scope: M.Scope | undefined): string => {
    if (scope?.unscoped) return '';
    let projectId = scope?.projectId ?? '';
    if (!projectId && scope?.projectName) {
      const domainId = scope.projectDomainId || (scope.projectDomainName ? state.lookupName(state.kv, 'domain', '', scope.projectDomainName) : user.domainId) || '';
      projectId = state.lookupName(state.kv, 'project', domainId, scope.projectName) ?? '';
      if (!projectId) throw unauthenticated('no such project, or no role on it');
    }
    if (!projectId) projectId = user.defaultProjectId;
    if (!projectId) return '';
    const project = state.projects.get(state.kv, projectId);
    // Same answer for "no project" and "no role on it": never reveal which projects exist.
    if (!project || !project.enabled || !state.domainEnabled(state.kv, project.domainId) || d.roleNames(user.id, projectId).length === 0) throw unauthenticated('no such project, or no role on it');
    return projectId;
  };

  const seal = (
    user: User,
    projectId: string,
    methods: string[],
    auditChain: string[],
    expiresAtMs?: number,
    appCred?: { id: string; roles: string[] },
  ): M.IssueTokenResponse => {
    const t = state.now().getTime();
    const payload: TokenPayload = {
      version: 0,
      userId: user.id,
      projectId,
      domainId: user.domainId,
      roles: appCred ? appCred.roles : projectId ? d.roleNames(user.id, projectId) : [],
      methods,
      issuedAtMs: t,
      expiresAtMs: Math.min(expiresAtMs ?? Infinity, t + d.tokenTtlMs),
      auditId: newAuditId(),
      auditChain,
      appCredId: appCred?.id ?? '',
    };
    const token = issueToken(payload, d.keys, state.clock);
    const catalog: Endpoint[] = [];
    for (const e of state.endpoints.all(state.kv)) catalog.push(e);
    return { token, info: tokenInfo(payload), catalog };
  };

  const byPassword = async (pw: M.PasswordMethod, scope: M.Scope | undefined): Promise<M.IssueTokenResponse> => {
    let userId = pw.userId;
    if (!userId) {
      const domainId = pw.userDomainId || (pw.userDomainName ? state.lookupName(state.kv, 'domain', '', pw.userDomainName) : d.defaultDomainId) || '';
      userId = state.lookupName(state.kv, 'user', domainId, pw.userName) ?? '';
    }
    const user = userId ? state.users.get(state.kv, userId) : undefined;
    // One message for every failure, so callers cannot probe which users exist.
    const denied = unauthenticated('invalid username or password');
    if (!user) {
      await hashPassword(pw.password, { ln: d.scryptLn, r: 8, p: 1 }); // equalize timing with a real check
      throw denied;
    }
    if (d.lockout.isLocked(user.id).locked) throw unauthenticated('account temporarily locked after repeated failed logins');
    const ok = user.password ? await verifyPassword(pw.password, user.password) : false;
    if (!ok) {
      d.lockout.recordFailure(user.id);
      throw denied;
    }
    d.lockout.recordSuccess(user.id);
    // A disabled user, or a user of a disabled domain: the same answer as a wrong password.
    if (!user.enabled || !state.domainEnabled(state.kv, user.domainId)) throw denied;
    return seal(user, resolveScope(user, scope), ['password'], []);
  };

  const byToken = (c: Caller, scope: M.Scope | undefined): M.IssueTokenResponse => {
    if (!c.userId) throw unauthenticated('rescoping needs the current token as "authorization: Bearer <token>"');
    const tc = c as Caller & { token?: TokenPayload };
    const user = state.users.get(state.kv, c.userId);
    if (!user || !user.enabled || !state.domainEnabled(state.kv, user.domainId) || !tc.token) throw unauthenticated('invalid token');
    // A rescoped token never outlives the one it came from.
    return seal(user, resolveScope(user, scope), [...new Set([...tc.token.methods, 'token'])], [tc.token.auditId, ...tc.token.auditChain], tc.token.expiresAtMs);
  };

  const issue = async (r: M.IssueTokenRequest, c: Caller): Promise<M.IssueTokenResponse> => {
    checkIssueRequest(r);
    const method = r.method!;
    await state.settled();
    if (method.$case === 'password') return byPassword(method.value, r.scope);
    if (method.$case === 'token') return byToken(c, r.scope);
    return d.issueWithAppCred(method.value, (user, projectId, roles, credId, expiresAtMs) => {
      // The user's domain and the project's must be enabled too (same answer as a bad secret).
      const project = state.projects.get(state.kv, projectId);
      if (!state.domainEnabled(state.kv, user.domainId) || !project || !state.domainEnabled(state.kv, project.domainId)) throw unauthenticated('invalid application credential');
      return seal(user, projectId, ['application_credential'], [], expiresAtMs, { id: credId, roles });
    });
  };

  const validate = async (r: M.ValidateTokenRequest, c: Caller): Promise<M.ValidateTokenResponse> => {
    await state.settled();
    refuseOversized('validate_token', c, r.token);
    const res = d.authenticator.authenticateToken(r.token, c.requestId);
    if (res instanceof WeftError) {
      d.authorize('validate_token', c, {});
      throw new WeftError(Status.NOT_FOUND, `token is not valid: ${res.message}`, { reason: 'TOKEN_INVALID' });
    }
    d.authorize('validate_token', c, { user_id: res.userId });
    return { info: tokenInfo(res.token) };
  };

  const revoke = async (r: M.RevokeTokenRequest, c: Caller): Promise<M.RevokeTokenResponse> => {
    refuseOversized('revoke_token', c, r.token);
    const res = d.authenticator.authenticateToken(r.token, c.requestId);
    if (res instanceof WeftError) {
      d.authorize('revoke_token', c, {});
      throw new WeftError(Status.NOT_FOUND, `token is not valid: ${res.message}`, { reason: 'TOKEN_INVALID' });
    }
    d.authorize('revoke_token', c, { user_id: res.userId });
    await state.mutate((_txn, record) =>
      record({ kind: RevocationKind.REVOCATION_KIND_AUDIT_ID, auditId: res.auditId, userId: '', projectId: '', appCredId: '', issuedBeforeMs: 0, expiresAtMs: res.token.expiresAtMs }),
    );
    return {};
  };

  return { issue, validate, revoke };
}
