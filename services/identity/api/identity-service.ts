/**
 * gRPC handlers of weft.identity.v1.IdentityService. Resource CRUD for domains, projects, users
 * and roles, role assignments, tokens (issue / validate / revoke), the endpoint catalog and the
 * revocation feed. Groups (groups.ts), application credentials (application-credentials.ts) and
 * updating/deleting domains, projects and roles (domains-projects-roles.ts) live in their own
 * modules.
 */
import { status as Status } from '@grpc/grpc-js';
import type * as M from '../../../proto/gen/weft/identity/v1/identity_service';
import { Domain, Endpoint, Project, RevocationKind, Role, User, type RoleAssignment } from '../../../proto/gen/weft/identity/v1/resources';
import type { TokenPayload } from '../../../proto/gen/weft/identity/v1/token';
import { UUID_RE, checkUpdateMask, Violations } from '../../../controller/domain/validate';
import type { TokenAuthenticator } from '../../runtime/auth/token-authenticator';
import type { Caller } from '../../runtime/caller';
import { alreadyExists, invalidArgument, notFound, unauthenticated, WeftError } from '../../runtime/errors';
import type { PolicyEngine } from '../../runtime/policy/engine';
import type { StreamHandler, UnaryHandler } from '../../runtime/server';
import { followChangeLog } from '../../runtime/store/follow';
import { hashPassword, verifyPassword } from '../passwords/hash';
import type { LockoutTracker } from '../passwords/lockout';
import type { IdentityState } from '../state';
import { applicationCredentialHandlers } from './application-credentials';
import { assignmentsOf, grantHolders, groupHandlers, revokeLostRoles } from './groups';
import { lifecycleHandlers } from './domains-projects-roles';
import { issueToken, newAuditId, type IssuingKeys } from '../tokens/token-codec';
import { decodePageToken, encodePageToken, pageSize } from '../../../controller/api/paging';
import type { Identified, Table } from '../../runtime/store/table';

export interface IdentityDeps {
  state: IdentityState;
  policy: PolicyEngine;
  keys: IssuingKeys;
  authenticator: TokenAuthenticator;
  lockout: LockoutTracker;
  tokenTtlMs: number;
  scryptLn: number;
  defaultDomainId: string;
}

function creds(c: Caller): { roles: readonly string[]; project_id: string; user_id: string; domain_id?: string } {
  return { roles: c.roles, project_id: c.projectId, user_id: c.userId, domain_id: (c as { domainId?: string }).domainId };
}

export function identityHandlers(d: IdentityDeps): {
  unary: Record<string, UnaryHandler<never, unknown>>;
  streaming: Record<string, StreamHandler<never, unknown>>;
} {
  const { state, policy } = d;
  const authorize = (action: string, c: Caller, target: Record<string, unknown> = {}): void => {
    if (!c.userId) throw unauthenticated('this call needs a token');
    policy.authorize(`identity:${action}`, { target, ...target }, creds(c));
  };
  const get = <T extends Identified>(table: Table<T>, type: string, id: string): T => {
    const r = table.get(state.kv, id);
    if (!r) throw notFound(type, id);
    return r;
  };
  const list = async <T extends Identified>(table: Table<T>, req: { pageSize: number; pageToken: string }, filters: Record<string, unknown>, index: { name: string; value: string }, match: (r: T) => boolean) => {
    await state.settled();
    const limit = pageSize(req.pageSize);
    const afterId = decodePageToken(req.pageToken, filters);
    const { items, lastId } = await table.page(state.kv, { index, afterId, limit, match });
    return { items, next: lastId ? encodePageToken(lastId, filters) : '' };
  };
  const now = () => state.now();
  const checkName = (v: Violations, field: string, name: string): void => {
    v.check(name.length >= 1 && name.length <= 64, field, 'must be 1-64 characters');
    v.check(!/[\u0000-\u001f/]/.test(name), field, 'must not contain control characters or "/"');
  };
  const tagsOk = (v: Violations, field: string, tags: string[]): void => v.tags(field, tags);

  // ---------- domains ----------
  const createDomain = async (r: M.CreateDomainRequest, c: Caller): Promise<Domain> => {
    authorize('create_domain', c);
    const req = r.domain ?? Domain.fromPartial({});
    const v = new Violations();
    checkName(v, 'domain.name', req.name);
    v.description('domain.description', req.description);
    tagsOk(v, 'domain.tags', req.tags);
    v.throwIfAny();
    return state.mutate((txn) => {
      if (state.lookupName(txn, 'domain', '', req.name)) throw alreadyExists(`domain ${req.name} already exists`);
      const t = now();
      const dom: Domain = { id: state.uuid(), name: req.name, description: req.description, enabled: req.enabled ?? true, tags: [...req.tags], revisionNumber: 1, createdAt: t, updatedAt: t };
      state.domains.put(txn, dom);
      txn.put(state.nameKey('domain', '', dom.name), Buffer.from(dom.id));
      return dom;
    });
  };

  // ---------- projects ----------
  const createProject = async (r: M.CreateProjectRequest, c: Caller): Promise<Project> => {
    authorize('create_project', c);
    const req = r.project ?? Project.fromPartial({});
    const v = new Violations();
    checkName(v, 'project.name', req.name);
    v.description('project.description', req.description);
    tagsOk(v, 'project.tags', req.tags);
    v.throwIfAny();
    const domainId = req.domainId || d.defaultDomainId;
    return state.mutate((txn) => {
      const dom = state.domains.get(txn, domainId);
      if (!dom) throw invalidArgument([{ field: 'project.domain_id', description: `domain ${domainId} does not exist` }]);
      if (state.lookupName(txn, 'project', domainId, req.name)) throw alreadyExists(`project ${req.name} already exists in domain ${dom.name}`);
      const t = now();
      const p: Project = { id: state.uuid(), domainId, name: req.name, description: req.description, enabled: req.enabled ?? true, tags: [...req.tags], revisionNumber: 1, createdAt: t, updatedAt: t };
      state.projects.put(txn, p);
      txn.put(state.nameKey('project', domainId, p.name), Buffer.from(p.id));
      return p;
    });
  };

  // ---------- users ----------
  const publicUser = (u: User): User => ({ ...u, password: '' });
  const createUser = async (r: M.CreateUserRequest, c: Caller): Promise<User> => {
    authorize('create_user', c);
    const req = r.user ?? User.fromPartial({});
    const v = new Violations();
    checkName(v, 'user.name', req.name);
    v.description('user.description', req.description);
    tagsOk(v, 'user.tags', req.tags);
    v.check(Buffer.byteLength(req.password) <= 1024, 'user.password', 'at most 1024 bytes');
    if (req.defaultProjectId) v.uuid('user.default_project_id', req.defaultProjectId, false);
    v.throwIfAny();
    const hash = req.password ? await hashPassword(req.password, { ln: d.scryptLn, r: 8, p: 1 }) : '';
    const domainId = req.domainId || d.defaultDomainId;
    const u = await state.mutate((txn) => {
      const dom = state.domains.get(txn, domainId);
      if (!dom) throw invalidArgument([{ field: 'user.domain_id', description: `domain ${domainId} does not exist` }]);
      if (req.defaultProjectId && !state.projects.get(txn, req.defaultProjectId)) throw invalidArgument([{ field: 'user.default_project_id', description: 'no such project' }]);
      if (state.lookupName(txn, 'user', domainId, req.name)) throw alreadyExists(`user ${req.name} already exists in domain ${dom.name}`);
      const t = now();
      const user: User = { id: state.uuid(), domainId, name: req.name, description: req.description, enabled: req.enabled ?? true, defaultProjectId: req.defaultProjectId, password: hash, tags: [...req.tags], revisionNumber: 1, createdAt: t, updatedAt: t };
      state.users.put(txn, user);
      txn.put(state.nameKey('user', domainId, user.name), Buffer.from(user.id));
      return user;
    });
    return publicUser(u);
  };

  const updateUser = async (r: M.UpdateUserRequest, c: Caller): Promise<User> => {
    authorize('update_user', c);
    const req = r.user ?? User.fromPartial({});
    const v = new Violations();
    const paths = checkUpdateMask(v, r.updateMask, ['name', 'description', 'enabled', 'default_project_id', 'password', 'tags']);
    if (paths.includes('password')) v.check(req.password.length > 0 && Buffer.byteLength(req.password) <= 1024, 'user.password', 'must be 1-1024 bytes');
    if (paths.includes('name')) checkName(v, 'user.name', req.name);
    v.throwIfAny();
    const hash = paths.includes('password') ? await hashPassword(req.password, { ln: d.scryptLn, r: 8, p: 1 }) : undefined;
    const u = await state.mutate((txn, revoke) => {
      const prev = state.users.get(txn, req.id);
      if (!prev) throw notFound('user', req.id);
      if (req.revisionNumber && req.revisionNumber !== prev.revisionNumber) throw new WeftError(Status.ABORTED, `user ${prev.id} is at revision ${prev.revisionNumber}`);
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
      if (hash) next.password = hash;
      // A disabled user or a changed password ends every token the user holds.
      if ((paths.includes('enabled') && !next.enabled && prev.enabled) || hash) {
        revoke({ kind: RevocationKind.REVOCATION_KIND_USER, userId: prev.id, auditId: '', projectId: '', appCredId: '', issuedBeforeMs: now().getTime() + 1, expiresAtMs: now().getTime() + d.tokenTtlMs });
      }
      next.revisionNumber = prev.revisionNumber + 1;
      next.updatedAt = now();
      state.users.put(txn, next, prev);
      return next;
    });
    return publicUser(u);
  };

  const deleteUser = async (r: M.DeleteUserRequest, c: Caller): Promise<M.DeleteUserResponse> => {
    authorize('delete_user', c);
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
      revoke({ kind: RevocationKind.REVOCATION_KIND_USER, userId: u.id, auditId: '', projectId: '', appCredId: '', issuedBeforeMs: now().getTime() + 1, expiresAtMs: now().getTime() + d.tokenTtlMs });
    });
    return {};
  };

  // ---------- roles ----------
  const createRole = async (r: M.CreateRoleRequest, c: Caller): Promise<Role> => {
    authorize('create_role', c);
    const req = r.role ?? Role.fromPartial({});
    const v = new Violations();
    v.check(/^[a-z][a-z0-9_-]{0,31}$/.test(req.name), 'role.name', 'must be 1-32 lowercase letters, digits, "_" or "-", starting with a letter');
    v.description('role.description', req.description);
    v.throwIfAny();
    return state.mutate((txn) => createRoleIn(txn, req.name, req.description));
  };
  const createRoleIn = (txn: Parameters<Parameters<IdentityState['mutate']>[0]>[0], name: string, description: string): Role => {
    if (state.lookupName(txn, 'role', '', name)) throw alreadyExists(`role ${name} already exists`);
    const t = now();
    const role: Role = { id: state.uuid(), name, description, revisionNumber: 1, createdAt: t, updatedAt: t };
    state.roles.put(txn, role);
    txn.put(state.nameKey('role', '', name), Buffer.from(role.id));
    return role;
  };

  // ---------- assignments ----------
  const grantOf = (a: RoleAssignment | undefined): { actor: string; target: string; roleId: string } => {
    const x = a ?? ({} as RoleAssignment);
    const v = new Violations();
    v.check(!!x.userId !== !!x.groupId, 'assignment.user_id', 'give exactly one of user_id or group_id');
    v.check(!!x.projectId !== !!x.domainId, 'assignment.project_id', 'give exactly one of project_id or domain_id');
    v.check(UUID_RE.test(x.roleId ?? ''), 'assignment.role_id', 'must be a role id');
    v.throwIfAny();
    return { actor: x.userId ? `user:${x.userId}` : `group:${x.groupId}`, target: x.projectId ? `project:${x.projectId}` : `domain:${x.domainId}`, roleId: x.roleId };
  };
  const createRoleAssignment = async (r: M.CreateRoleAssignmentRequest, c: Caller): Promise<RoleAssignment> => {
    authorize('create_role_assignment', c);
    const g = grantOf(r.assignment);
    await state.mutate((txn) => {
      if (r.assignment!.userId && !state.users.get(txn, r.assignment!.userId)) throw notFound('user', r.assignment!.userId);
      if (r.assignment!.groupId && !state.groups.get(txn, r.assignment!.groupId)) throw notFound('group', r.assignment!.groupId);
      if (!state.roles.get(txn, g.roleId)) throw notFound('role', g.roleId);
      if (r.assignment!.projectId && !state.projects.get(txn, r.assignment!.projectId)) throw notFound('project', r.assignment!.projectId);
      if (r.assignment!.domainId && !state.domains.get(txn, r.assignment!.domainId)) throw notFound('domain', r.assignment!.domainId);
      if (state.hasGrant(g)) throw alreadyExists('this role assignment already exists');
      state.putGrant(txn, g);
    });
    return r.assignment!;
  };
  const deleteRoleAssignment = async (r: M.DeleteRoleAssignmentRequest, c: Caller): Promise<M.DeleteRoleAssignmentResponse> => {
    authorize('delete_role_assignment', c);
    const g = grantOf(r.assignment);
    await state.mutate((txn, revoke) => {
      if (!state.hasGrant(g)) throw notFound('role assignment', `${g.actor} ${g.target} ${g.roleId}`);
      // Tokens carrying the removed role (the user's, or every group member's) stop working at once.
      revokeLostRoles(state, d.tokenTtlMs, revoke, grantHolders(state, g), () => state.deleteGrant(txn, g));
    });
    return {};
  };
  /** Assignments sort (and page) by role, user, group, project, domain ids: a stable order. */
  const ASSIGNMENT_KEY = /^[0-9a-f-]{0,36}( [0-9a-f-]{0,36}){4}$/;
  const assignmentKey = (a: RoleAssignment): string => `${a.roleId} ${a.userId} ${a.groupId} ${a.projectId} ${a.domainId}`;
  const listRoleAssignments = async (r: M.ListRoleAssignmentsRequest, c: Caller): Promise<M.ListRoleAssignmentsResponse> => {
    authorize('list_role_assignments', c, { user_id: r.userId });
    // As Keystone: effective assignments name users only, so a group filter could match nothing.
    if (r.effective && r.groupId) throw invalidArgument([{ field: 'group_id', description: 'cannot be combined with effective (effective assignments name users, not groups)' }]);
    const limit = pageSize(r.pageSize);
    const filters = { u: r.userId, g: r.groupId, p: r.projectId, d: r.domainId, r: r.roleId, e: r.effective };
    const after = decodePageToken(r.pageToken, filters, ASSIGNMENT_KEY);
    await state.settled();
    const found = new Map<string, RoleAssignment>();
    for (const g of state.allGrants()) {
      for (const a of assignmentsOf(state, g, r.effective)) {
        if ((r.userId && a.userId !== r.userId) || (r.projectId && a.projectId !== r.projectId) || (r.domainId && a.domainId !== r.domainId) || (r.roleId && a.roleId !== r.roleId) || (r.groupId && a.groupId !== r.groupId)) continue;
        // A user holding a role both directly and through groups is listed once.
        const key = assignmentKey(a);
        if ((after === undefined || key > after) && !found.has(key)) found.set(key, a);
      }
    }
    const keys = [...found.keys()].sort();
    const page = keys.slice(0, limit);
    const next = keys.length > limit ? encodePageToken(page[page.length - 1], filters) : '';
    return { assignments: page.map((k) => found.get(k)!), nextPageToken: next };
  };

  // ---------- tokens ----------
  const roleNames = (userId: string, projectId: string): string[] => {
    const names: string[] = [];
    for (const id of state.effectiveRoleIds(userId, `project:${projectId}`)) {
      const role = state.roles.get(state.kv, id);
      if (role) names.push(role.name);
    }
    return names.sort();
  };

  const appCreds = applicationCredentialHandlers({ state, authorize, roleNames, tokenTtlMs: d.tokenTtlMs });
  const groups = groupHandlers({ state, authorize, checkName, tokenTtlMs: d.tokenTtlMs, defaultDomainId: d.defaultDomainId });
  const lifecycle = lifecycleHandlers({ state, authorize, checkName, tokenTtlMs: d.tokenTtlMs, defaultDomainId: d.defaultDomainId });

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
    if (!project || !project.enabled || !state.domainEnabled(state.kv, project.domainId) || roleNames(user.id, projectId).length === 0) throw unauthenticated('no such project, or no role on it');
    return projectId;
  };

  const issue = (
    user: User,
    projectId: string,
    methods: string[],
    auditChain: string[],
    expiresAtMs?: number,
    appCred?: { id: string; roles: string[] },
  ): M.IssueTokenResponse => {
    const t = now().getTime();
    const payload: TokenPayload = {
      version: 0,
      userId: user.id,
      projectId,
      domainId: user.domainId,
      roles: appCred ? appCred.roles : projectId ? roleNames(user.id, projectId) : [],
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

  const issueTokenHandler = async (r: M.IssueTokenRequest, c: Caller): Promise<M.IssueTokenResponse> => {
    const method = r.method;
    if (!method) throw invalidArgument([{ field: 'method', description: 'give password, application_credential or token' }]);
    await state.settled();
    if (method.$case === 'password') {
      const pw = method.value;
      const v = new Violations();
      v.check(!!pw.userId || !!pw.userName, 'password.user_id', 'give user_id or user_name');
      v.check(pw.password.length > 0, 'password.password', 'is required');
      v.throwIfAny();
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
      return issue(user, resolveScope(user, r.scope), ['password'], []);
    }
    if (method.$case === 'token') {
      if (!c.userId) throw unauthenticated('rescoping needs the current token as "authorization: Bearer <token>"');
      const tc = c as Caller & { token?: TokenPayload };
      const user = state.users.get(state.kv, c.userId);
      if (!user || !user.enabled || !state.domainEnabled(state.kv, user.domainId) || !tc.token) throw unauthenticated('invalid token');
      // A rescoped token never outlives the one it came from.
      return issue(user, resolveScope(user, r.scope), [...new Set([...tc.token.methods, 'token'])], [tc.token.auditId, ...tc.token.auditChain], tc.token.expiresAtMs);
    }
    return appCreds.issue(method.value, (user, projectId, roles, credId, expiresAtMs) => {
      // The user's domain and the project's must be enabled too (same answer as a bad secret).
      const project = state.projects.get(state.kv, projectId);
      if (!state.domainEnabled(state.kv, user.domainId) || !project || !state.domainEnabled(state.kv, project.domainId)) throw unauthenticated('invalid application credential');
      return issue(user, projectId, ['application_credential'], [], expiresAtMs, { id: credId, roles });
    });
  };

  const validateTokenHandler = async (r: M.ValidateTokenRequest, c: Caller): Promise<M.ValidateTokenResponse> => {
    await state.settled();
    const res = d.authenticator.authenticateToken(r.token, c.requestId);
    if (res instanceof WeftError) {
      authorize('validate_token', c, {});
      throw new WeftError(Status.NOT_FOUND, `token is not valid: ${res.message}`, { reason: 'TOKEN_INVALID' });
    }
    authorize('validate_token', c, { user_id: res.userId });
    return { info: tokenInfo(res.token) };
  };

  const revokeTokenHandler = async (r: M.RevokeTokenRequest, c: Caller): Promise<M.RevokeTokenResponse> => {
    const res = d.authenticator.authenticateToken(r.token, c.requestId);
    if (res instanceof WeftError) {
      authorize('revoke_token', c, {});
      throw new WeftError(Status.NOT_FOUND, `token is not valid: ${res.message}`, { reason: 'TOKEN_INVALID' });
    }
    authorize('revoke_token', c, { user_id: res.userId });
    await state.mutate((_txn, revoke) =>
      revoke({ kind: RevocationKind.REVOCATION_KIND_AUDIT_ID, auditId: res.auditId, userId: '', projectId: '', appCredId: '', issuedBeforeMs: 0, expiresAtMs: res.token.expiresAtMs }),
    );
    return {};
  };

  // ---------- catalog ----------
  const registerEndpoint = async (r: M.RegisterEndpointRequest, c: Caller): Promise<Endpoint> => {
    authorize('register_endpoint', c);
    const e = r.endpoint ?? Endpoint.fromPartial({});
    const v = new Violations();
    v.check(/^[a-z][a-z0-9-]{0,31}$/.test(e.serviceType), 'endpoint.service_type', 'must be a lowercase service type like "network"');
    v.check(e.address.length > 0 && e.address.length <= 255, 'endpoint.address', 'is required');
    v.check(['public', 'internal', 'admin', ''].includes(e.interface), 'endpoint.interface', 'must be public, internal or admin');
    v.throwIfAny();
    return state.mutate((txn) => {
      const ep: Endpoint = { ...e, id: state.uuid(), interface: e.interface || 'public', region: e.region || 'RegionOne', createdAt: now() };
      state.endpoints.put(txn, ep);
      return ep;
    });
  };

  const unary = {
    CreateDomain: createDomain,
    GetDomain: async (r: M.GetDomainRequest, c: Caller) => (authorize('get_domain', c, { id: r.id }), get(state.domains, 'domain', r.id)),
    ListDomains: async (r: M.ListDomainsRequest, c: Caller) => {
      authorize('list_domains', c);
      const p = await list(state.domains, r, { n: r.name, t: r.tags }, { name: 'all', value: '*' }, (x) => (!r.name || x.name === r.name) && r.tags.every((t) => x.tags.includes(t)));
      return { domains: p.items, nextPageToken: p.next };
    },
    UpdateDomain: lifecycle.updateDomain,
    DeleteDomain: lifecycle.deleteDomain,
    CreateProject: createProject,
    GetProject: async (r: M.GetProjectRequest, c: Caller) => {
      await state.settled();
      // Policy first with the requested id: a non-admin learns nothing about other projects.
      authorize('get_project', c, { id: r.id });
      return get(state.projects, 'project', r.id);
    },
    ListProjects: async (r: M.ListProjectsRequest, c: Caller) => {
      authorize('list_projects', c);
      const p = await list(state.projects, r, { n: r.name, d: r.domainId, t: r.tags }, { name: 'domain', value: r.domainId || d.defaultDomainId }, (x) => (!r.name || x.name === r.name) && r.tags.every((t) => x.tags.includes(t)));
      return { projects: p.items, nextPageToken: p.next };
    },
    UpdateProject: lifecycle.updateProject,
    DeleteProject: lifecycle.deleteProject,
    CreateUser: createUser,
    GetUser: async (r: M.GetUserRequest, c: Caller) => {
      await state.settled();
      authorize('get_user', c, { id: r.id });
      return publicUser(get(state.users, 'user', r.id));
    },
    ListUsers: async (r: M.ListUsersRequest, c: Caller) => {
      authorize('list_users', c);
      const members = r.groupId ? state.groupMembers(r.groupId) : undefined;
      const p = await list(state.users, r, { n: r.name, d: r.domainId, t: r.tags, g: r.groupId }, { name: 'domain', value: r.domainId || d.defaultDomainId }, (x) => (!r.name || x.name === r.name) && (!members || members.has(x.id)) && r.tags.every((t) => x.tags.includes(t)));
      return { users: p.items.map(publicUser), nextPageToken: p.next };
    },
    UpdateUser: updateUser,
    DeleteUser: deleteUser,
    CreateGroup: groups.create,
    GetGroup: groups.get,
    ListGroups: groups.list,
    UpdateGroup: groups.update,
    DeleteGroup: groups.remove,
    AddUserToGroup: groups.addUser,
    RemoveUserFromGroup: groups.removeUser,
    CreateRole: createRole,
    GetRole: async (r: M.GetRoleRequest, c: Caller) => (authorize('get_role', c), get(state.roles, 'role', r.id)),
    ListRoles: async (r: M.ListRolesRequest, c: Caller) => {
      authorize('list_roles', c);
      const p = await list(state.roles, r, { n: r.name }, { name: 'all', value: '*' }, (x) => !r.name || x.name === r.name);
      return { roles: p.items, nextPageToken: p.next };
    },
    UpdateRole: lifecycle.updateRole,
    DeleteRole: lifecycle.deleteRole,
    CreateRoleAssignment: createRoleAssignment,
    DeleteRoleAssignment: deleteRoleAssignment,
    ListRoleAssignments: listRoleAssignments,
    CreateApplicationCredential: appCreds.create,
    GetApplicationCredential: appCreds.get,
    ListApplicationCredentials: appCreds.list,
    DeleteApplicationCredential: appCreds.remove,
    IssueToken: issueTokenHandler,
    ValidateToken: validateTokenHandler,
    RevokeToken: revokeTokenHandler,
    RegisterEndpoint: registerEndpoint,
    ListEndpoints: async (r: M.ListEndpointsRequest, c: Caller) => {
      authorize('list_endpoints', c);
      await state.settled();
      const endpoints = [...state.endpoints.all(state.kv)].filter((e) => (!r.serviceType || e.serviceType === r.serviceType) && (!r.region || e.region === r.region));
      return { endpoints };
    },
    DeleteEndpoint: async (r: M.DeleteEndpointRequest, c: Caller) => {
      authorize('delete_endpoint', c);
      await state.mutate((txn) => {
        const e = state.endpoints.get(txn, r.id);
        if (!e) throw notFound('endpoint', r.id);
        state.endpoints.delete(txn, e);
      });
      return {};
    },
    ListRevocationEvents: async (_r: M.ListRevocationEventsRequest, c: Caller) => {
      authorize('list_revocation_events', c);
      await state.settled();
      return { events: state.revocations.all(), revision: state.feed.revision };
    },
  };

  const streaming = {
    WatchRevocationEvents: async (r: M.WatchRevocationEventsRequest, c: Caller, stream: { send(m: M.WatchRevocationEventsResponse): Promise<void>; signal: AbortSignal }) => {
      authorize('watch_revocation_events', c);
      await followChangeLog(state.feed, { fromRevision: r.fromRevision, signal: stream.signal, settled: () => state.settled(), send: stream.send });
    },
  };
  return { unary: unary as unknown as Record<string, UnaryHandler<never, unknown>>, streaming: streaming as unknown as Record<string, StreamHandler<never, unknown>> };
}

/** Ensures the built-in roles, default domain, admin project/user and grant exist (idempotent). */
export async function bootstrap(
  state: IdentityState,
  opts: { adminUser: string; adminProject: string; adminPassword: string; scryptLn: number },
): Promise<{ created: boolean; defaultDomainId: string; adminProjectId: string }> {
  await state.settled();
  const existing = state.lookupName(state.kv, 'domain', '', 'Default');
  if (existing) {
    const adminProjectId = state.lookupName(state.kv, 'project', existing, opts.adminProject) ?? '';
    return { created: false, defaultDomainId: existing, adminProjectId };
  }
  const hash = await hashPassword(opts.adminPassword, { ln: opts.scryptLn, r: 8, p: 1 });
  return state.mutate((txn) => {
    const t = state.now();
    const domain: Domain = { id: state.uuid(), name: 'Default', description: 'The default domain', enabled: true, tags: [], revisionNumber: 1, createdAt: t, updatedAt: t };
    state.domains.put(txn, domain);
    txn.put(state.nameKey('domain', '', domain.name), Buffer.from(domain.id));
    const roles: Record<string, string> = {};
    for (const name of ['admin', 'member', 'reader', 'service']) {
      const role: Role = { id: state.uuid(), name, description: `built-in ${name} role`, revisionNumber: 1, createdAt: t, updatedAt: t };
      state.roles.put(txn, role);
      txn.put(state.nameKey('role', '', name), Buffer.from(role.id));
      roles[name] = role.id;
    }
    const project: Project = { id: state.uuid(), domainId: domain.id, name: opts.adminProject, description: 'Administrators', enabled: true, tags: [], revisionNumber: 1, createdAt: t, updatedAt: t };
    state.projects.put(txn, project);
    txn.put(state.nameKey('project', domain.id, project.name), Buffer.from(project.id));
    const user: User = { id: state.uuid(), domainId: domain.id, name: opts.adminUser, description: 'Cloud administrator', enabled: true, defaultProjectId: project.id, password: hash, tags: [], revisionNumber: 1, createdAt: t, updatedAt: t };
    state.users.put(txn, user);
    txn.put(state.nameKey('user', domain.id, user.name), Buffer.from(user.id));
    state.putGrant(txn, { actor: `user:${user.id}`, target: `project:${project.id}`, roleId: roles.admin });
    state.recordBootstrapProject(txn, project.id);
    return { created: true, defaultDomainId: domain.id, adminProjectId: project.id };
  });
}
