/**
 * Users (Keystone v3): accounts in a domain, with a password stored as a scrypt hash whose
 * parameters travel with it. The hash is never returned: every response goes through publicUser.
 *
 * Disabling a user, changing their password or deleting them ends every token they hold (a user
 * revocation event in the same batch as the change). Deleting one also drops their role grants,
 * group memberships and application credentials (whose tokens the user event already covers).
 */
import { status as Status } from '@grpc/grpc-js';
import type * as M from '../../../proto/gen/weft/identity/v1/identity_service';
import { RevocationKind, User, type RevocationEvent } from '../../../proto/gen/weft/identity/v1/resources';
import { checkUpdateMask, Violations } from '../../../controller/domain/validate';
import type { Caller } from '../../runtime/caller';
import { alreadyExists, invalidArgument, notFound, WeftError } from '../../runtime/errors';
import { hashPassword, MAX_PASSWORD_BYTES } from '../passwords/hash';
import type { IdentityState } from '../state';
import { pagedList } from './paged-list';
import { refuseBadId } from './refuse-bad-id';

export interface UserDeps {
  state: IdentityState;
  authorize(action: string, c: Caller, target?: Record<string, unknown>): void;
  checkName(v: Violations, field: string, name: string): void;
  scryptLn: number;
  tokenTtlMs: number;
  defaultDomainId: string;
}

/** A user as callers see it: without the password hash. */
export const publicUser = (u: User): User => ({ ...u, password: '' });

export function userHandlers(d: UserDeps) {
  const { state } = d;
  const hash = (password: string): Promise<string> => hashPassword(password, { ln: d.scryptLn, r: 8, p: 1 });
  /** Every token of the user issued up to now, kept for as long as such a token can live. */
  const userEvent = (userId: string): RevocationEvent => {
    const t = state.now().getTime();
    return { kind: RevocationKind.REVOCATION_KIND_USER, userId, auditId: '', projectId: '', appCredId: '', issuedBeforeMs: t + 1, expiresAtMs: t + d.tokenTtlMs };
  };

  const create = async (r: M.CreateUserRequest, c: Caller): Promise<User> => {
    d.authorize('create_user', c);
    const req = r.user ?? User.fromPartial({});
    const v = new Violations();
    d.checkName(v, 'user.name', req.name);
    v.description('user.description', req.description);
    v.tags('user.tags', req.tags);
    v.check(Buffer.byteLength(req.password) <= MAX_PASSWORD_BYTES, 'user.password', `at most ${MAX_PASSWORD_BYTES} bytes`);
    v.uuid('user.default_project_id', req.defaultProjectId, false);
    v.uuid('user.domain_id', req.domainId, false);
    v.throwIfAny();
    const hashed = req.password ? await hash(req.password) : '';
    const domainId = req.domainId || d.defaultDomainId;
    const u = await state.mutate((txn) => {
      const dom = state.domains.get(txn, domainId);
      if (!dom) throw invalidArgument([{ field: 'user.domain_id', description: `domain ${domainId} does not exist` }]);
      if (req.defaultProjectId && !state.projects.get(txn, req.defaultProjectId)) throw invalidArgument([{ field: 'user.default_project_id', description: 'no such project' }]);
      if (state.lookupName(txn, 'user', domainId, req.name)) throw alreadyExists(`user ${req.name} already exists in domain ${dom.name}`);
      const t = state.now();
      const user: User = { id: state.uuid(), domainId, name: req.name, description: req.description, enabled: req.enabled ?? true, defaultProjectId: req.defaultProjectId, password: hashed, tags: [...req.tags], revisionNumber: 1, createdAt: t, updatedAt: t };
      state.users.put(txn, user);
      txn.put(state.nameKey('user', domainId, user.name), Buffer.from(user.id));
      return user;
    });
    return publicUser(u);
  };

  const get = async (r: M.GetUserRequest, c: Caller): Promise<User> => {
    await state.settled();
    // Policy first with the requested id: a caller who may not look learns nothing.
    d.authorize('get_user', c, { id: r.id });
    refuseBadId(r.id);
    const u = state.users.get(state.kv, r.id);
    if (!u) throw notFound('user', r.id);
    return publicUser(u);
  };

  const list = async (r: M.ListUsersRequest, c: Caller): Promise<M.ListUsersResponse> => {
    d.authorize('list_users', c);
    const v = new Violations();
    v.name('name', r.name);
    v.tags('tags', r.tags);
    v.uuid('domain_id', r.domainId, false);
    v.uuid('group_id', r.groupId, false);
    const members = r.groupId ? state.groupMembers(r.groupId) : undefined;
    const p = await pagedList(state, state.users, r, {
      violations: v,
      filters: { n: r.name, d: r.domainId, t: r.tags, g: r.groupId },
      index: { name: 'domain', value: r.domainId || d.defaultDomainId },
      match: (x) => (!r.name || x.name === r.name) && (!members || members.has(x.id)) && r.tags.every((t) => x.tags.includes(t)),
    });
    return { users: p.items.map(publicUser), nextPageToken: p.next };
  };

  const update = async (r: M.UpdateUserRequest, c: Caller): Promise<User> => {
    d.authorize('update_user', c);
    const req = r.user ?? User.fromPartial({});
    const v = new Violations();
    v.uuid('user.id', req.id, true);
    const paths = checkUpdateMask(v, r.updateMask, ['name', 'description', 'enabled', 'default_project_id', 'password', 'tags']);
    if (paths.includes('password')) v.check(req.password.length > 0 && Buffer.byteLength(req.password) <= MAX_PASSWORD_BYTES, 'user.password', `must be 1-${MAX_PASSWORD_BYTES} bytes`);
    if (paths.includes('name')) d.checkName(v, 'user.name', req.name);
    if (paths.includes('description')) v.description('user.description', req.description);
    if (paths.includes('tags')) v.tags('user.tags', req.tags);
    // Empty clears the default project.
    if (paths.includes('default_project_id')) v.uuid('user.default_project_id', req.defaultProjectId, false);
    v.throwIfAny();
    const hashed = paths.includes('password') ? await hash(req.password) : undefined;
    const u = await state.mutate((txn, revoke) => {
      const prev = state.users.get(txn, req.id);
      if (!prev) throw notFound('user', req.id);
      if (req.revisionNumber && req.revisionNumber !== prev.revisionNumber) throw new WeftError(Status.ABORTED, `user ${prev.id} is at revision ${prev.revisionNumber}`);
      if (paths.includes('default_project_id') && req.defaultProjectId && !state.projects.get(txn, req.defaultProjectId)) {
        throw invalidArgument([{ field: 'user.default_project_id', description: 'no such project' }]);
      }
      const next: User = { ...prev };
      if (paths.includes('name') && req.name !== prev.name) {
        if (state.lookupName(txn, 'user', prev.domainId, req.name)) throw alreadyExists(`user ${req.name} already exists`);
        txn.del(state.nameKey('user', prev.domainId, prev.name));
        txn.put(state.nameKey('user', prev.domainId, req.name), Buffer.from(prev.id));
        next.name = req.name;
      }
      if (paths.includes('description')) next.description = req.description;
      if (paths.includes('enabled')) next.enabled = req.enabled ?? true;
      if (paths.includes('default_project_id')) next.defaultProjectId = req.defaultProjectId;
      if (paths.includes('tags')) next.tags = [...req.tags];
      if (hashed) next.password = hashed;
      // A disabled user or a changed password ends every token the user holds.
      if ((paths.includes('enabled') && !next.enabled && prev.enabled) || hashed) revoke(userEvent(prev.id));
      next.revisionNumber = prev.revisionNumber + 1;
      next.updatedAt = state.now();
      state.users.put(txn, next, prev);
      return next;
    });
    return publicUser(u);
  };

  const remove = async (r: M.DeleteUserRequest, c: Caller): Promise<M.DeleteUserResponse> => {
    d.authorize('delete_user', c);
    refuseBadId(r.id);
    await state.mutate((txn, revoke) => {
      const u = state.users.get(txn, r.id);
      if (!u) throw notFound('user', r.id);
      for (const g of state.actorGrants(`user:${u.id}`)) state.deleteGrant(txn, g);
      state.removeUserMemberships(txn, u.id);
      // The user's application credentials go too (their tokens fall under the user revocation).
      for (const a of [...state.appCreds.all(state.kv)].filter((x) => x.userId === u.id)) {
        state.appCreds.delete(txn, a);
        txn.del(state.nameKey('appcred', a.userId, a.name));
      }
      txn.del(state.nameKey('user', u.domainId, u.name));
      state.users.delete(txn, u);
      revoke(userEvent(u.id));
    });
    return {};
  };

  return { create, get, list, update, remove };
}
