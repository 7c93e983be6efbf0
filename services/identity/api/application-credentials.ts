/**
 * Application credentials: a user delegates (a subset of) their roles on one project to a
 * random secret that automation uses to get tokens, without the user's password. The secret is
 * shown once; only its SHA-256 is stored (it has 256 bits of entropy, so a slow password hash
 * adds nothing), compared in constant time. Deleting a credential revokes its tokens, and a
 * credential's token never carries a role the user no longer holds.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type * as M from '../../../proto/gen/weft/identity/v1/identity_service';
import { ApplicationCredential, RevocationKind, type User } from '../../../proto/gen/weft/identity/v1/resources';
import { Violations } from '../../../controller/domain/validate';
import type { Caller } from '../../runtime/caller';
import { alreadyExists, notFound, unauthenticated } from '../../runtime/errors';
import { encodePageToken } from '../../../controller/api/paging';
import type { IdentityState } from '../state';
import { pageCursor } from './paged-list';
import { refuseBadId } from './refuse-bad-id';

const SECRET_BYTES = 32;

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

export interface AppCredDeps {
  state: IdentityState;
  authorize(action: string, c: Caller, target?: Record<string, unknown>): void;
  roleNames(userId: string, projectId: string): string[];
  tokenTtlMs: number;
}

type Issue = (user: User, projectId: string, roles: string[], credId: string, expiresAtMs?: number) => M.IssueTokenResponse;

export function applicationCredentialHandlers(d: AppCredDeps) {
  const { state } = d;
  const publicView = (a: ApplicationCredential): ApplicationCredential => ({ ...a, secret: '' });
  const mine = (c: Caller, a: ApplicationCredential | undefined, id: string): ApplicationCredential => {
    // Another user's credential is NOT_FOUND, never a hint that it exists (admins see all).
    if (!a || (a.userId !== c.userId && !c.isAdmin)) throw notFound('application credential', id);
    return a;
  };

  const create = async (r: M.CreateApplicationCredentialRequest, c: Caller): Promise<ApplicationCredential> => {
    d.authorize('create_application_credential', c, { user_id: c.userId });
    const req = r.applicationCredential ?? ApplicationCredential.fromPartial({});
    const v = new Violations();
    v.check(req.name.length >= 1 && req.name.length <= 255, 'application_credential.name', 'must be 1-255 characters');
    v.check(!/[\u0000-\u001f]/.test(req.name), 'application_credential.name', 'must not contain control characters');
    v.description('application_credential.description', req.description);
    v.check(!!c.projectId, 'application_credential', 'needs a project-scoped token: the credential delegates roles on that project');
    const held = new Set(c.roles);
    req.roles.forEach((role, i) => v.check(held.has(role.toLowerCase()), `application_credential.roles[${i}]`, `you do not hold role ${role} on this project`));
    if (req.expiresAt) v.check(req.expiresAt.getTime() > state.now().getTime(), 'application_credential.expires_at', 'must be in the future');
    v.throwIfAny();
    const secret = randomBytes(SECRET_BYTES).toString('base64url');
    const created = await state.mutate((txn) => {
      const nameKey = state.nameKey('appcred', c.userId, req.name);
      if (txn.get(nameKey)) throw alreadyExists(`you already have an application credential named ${req.name}`);
      const cred: ApplicationCredential = {
        id: state.uuid(),
        userId: c.userId,
        projectId: c.projectId,
        name: req.name,
        description: req.description,
        roles: req.roles.length > 0 ? [...new Set(req.roles.map((x) => x.toLowerCase()))].sort() : [...c.roles].sort(),
        expiresAt: req.expiresAt,
        secret: `sha256:${digest(secret).toString('hex')}`,
        createdAt: state.now(),
      };
      state.appCreds.put(txn, cred);
      txn.put(nameKey, Buffer.from(cred.id));
      return cred;
    });
    return { ...created, secret };
  };

  const get = async (r: M.GetApplicationCredentialRequest, c: Caller): Promise<ApplicationCredential> => {
    await state.settled();
    d.authorize('get_application_credential', c, { user_id: c.userId });
    refuseBadId(r.id);
    return publicView(mine(c, state.appCreds.get(state.kv, r.id), r.id));
  };

  const list = async (r: M.ListApplicationCredentialsRequest, c: Caller): Promise<M.ListApplicationCredentialsResponse> => {
    const userId = r.userId || c.userId;
    d.authorize('list_application_credentials', c, { user_id: userId });
    const v = new Violations();
    v.uuid('user_id', r.userId, false);
    const filters = { u: userId };
    const { limit, afterId } = pageCursor(v, r, filters);
    v.throwIfAny();
    await state.settled();
    const { items, lastId } = await state.appCreds.page(state.kv, { index: { name: 'user', value: userId }, afterId, limit, match: () => true });
    return { applicationCredentials: items.map(publicView), nextPageToken: lastId ? encodePageToken(lastId, filters) : '' };
  };

  const remove = async (r: M.DeleteApplicationCredentialRequest, c: Caller): Promise<M.DeleteApplicationCredentialResponse> => {
    d.authorize('delete_application_credential', c, { user_id: c.userId });
    refuseBadId(r.id);
    await state.mutate((txn, revoke) => {
      const cred = mine(c, state.appCreds.get(txn, r.id), r.id);
      state.appCreds.delete(txn, cred);
      txn.del(state.nameKey('appcred', cred.userId, cred.name));
      const expires = cred.expiresAt ? cred.expiresAt.getTime() : state.now().getTime() + d.tokenTtlMs;
      revoke({ kind: RevocationKind.REVOCATION_KIND_APPLICATION_CREDENTIAL, appCredId: cred.id, auditId: '', userId: '', projectId: '', issuedBeforeMs: 0, expiresAtMs: Math.max(expires, state.now().getTime() + d.tokenTtlMs) });
    });
    return {};
  };

  /** IssueToken with an application credential. Every failure gives the same answer. */
  const issue = async (m: M.ApplicationCredentialMethod, issueFor: Issue): Promise<M.IssueTokenResponse> => {
    await state.settled();
    const denied = unauthenticated('invalid application credential');
    const cred = m.id ? state.appCreds.get(state.kv, m.id) : undefined;
    const presented = digest(m.secret);
    const stored = cred?.secret.startsWith('sha256:') ? Buffer.from(cred.secret.slice(7), 'hex') : Buffer.alloc(presented.length);
    const match = stored.length === presented.length && timingSafeEqual(stored, presented);
    if (!cred || !match) throw denied;
    if (cred.expiresAt && cred.expiresAt.getTime() <= state.now().getTime()) throw denied;
    const user = state.users.get(state.kv, cred.userId);
    if (!user || !user.enabled) throw denied;
    const project = state.projects.get(state.kv, cred.projectId);
    if (!project || !project.enabled) throw denied;
    // Delegation never exceeds what the user still holds today.
    const current = new Set(d.roleNames(user.id, cred.projectId));
    const roles = cred.roles.filter((x) => current.has(x));
    if (roles.length === 0) throw denied;
    return issueFor(user, cred.projectId, roles, cred.id, cred.expiresAt?.getTime());
  };

  return { create, get, list, remove, issue };
}
