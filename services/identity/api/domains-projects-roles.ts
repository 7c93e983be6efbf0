/**
 * Domains, projects and roles (Keystone v3): create, get, list, update and delete, and what each
 * change does to tokens, grants and application credentials. Names are unique (domains and roles
 * globally, projects within their domain), case-insensitively.
 *
 * - Domains: a domain is deleted only once disabled and empty (no projects, users or groups).
 *   Disabling it ends every token of its users (a user event each) and every token scoped to its
 *   projects (a project event each); logins of its users and scoping to its projects fail while
 *   it stays disabled (IssueToken checks). The Default domain, which bootstrap finds by name at
 *   every start, cannot be deleted, renamed or disabled.
 * - Projects: disabling one ends every token scoped to it (a project event) and scoping to it
 *   fails; that is reversible, so its grants stay. Deleting one also drops its grants (user and
 *   group) and its application credentials. The admin project bootstrap made cannot be deleted
 *   or disabled.
 * - Roles: the built-in admin, member, reader and service roles (policy rules name them) cannot
 *   be renamed or deleted. Tokens carry role names, so renaming a role revokes the tokens of
 *   everyone who holds it (they would name a role that no longer exists) and renames it in
 *   application credentials; deleting one drops its grants and revokes the tokens of everyone who
 *   loses it (revokeLostRoles: user+project events for project grants, user events for domain
 *   grants, group grants expanded to members).
 *
 * Every revocation cuts off at "issued before now + 1 ms" and is kept for one token lifetime.
 */
import type * as M from '../../../proto/gen/weft/identity/v1/identity_service';
import { Domain, Project, RevocationKind, Role, type RevocationEvent } from '../../../proto/gen/weft/identity/v1/resources';
import { checkUpdateMask, Violations } from '../../../controller/domain/validate';
import type { Caller } from '../../runtime/caller';
import { aborted, alreadyExists, failedPrecondition, invalidArgument, notFound } from '../../runtime/errors';
import type { Txn } from '../../runtime/store/kv';
import type { Grant, IdentityState } from '../state';
import { grantHolders, revokeLostRoles } from './groups';
import { pagedList } from './paged-list';
import { refuseBadId } from './refuse-bad-id';

export interface LifecycleDeps {
  state: IdentityState;
  authorize(action: string, c: Caller, target?: Record<string, unknown>): void;
  checkName(v: Violations, field: string, name: string): void;
  tokenTtlMs: number;
  defaultDomainId: string;
}

/** Roles the shipped policy names: they keep their names and cannot be deleted. */
export const BUILTIN_ROLES: ReadonlySet<string> = new Set(['admin', 'member', 'reader', 'service']);
/** Role names: what policy rules can name (`role:<name>`). */
const ROLE_NAME_RE = /^[a-z][a-z0-9_-]{0,31}$/;
const ROLE_NAME_RULE = 'must be 1-32 lowercase letters, digits, "_" or "-", starting with a letter';
/** How many blockers a FAILED_PRECONDITION names per kind. */
const NAME_AT_MOST = 5;

type Revoke = (e: RevocationEvent) => void;

export function lifecycleHandlers(d: LifecycleDeps) {
  const { state } = d;

  const checkRevision = (type: string, r: { id: string; revisionNumber: number }, expected: number): void => {
    if (expected && expected !== r.revisionNumber) throw aborted(`${type} ${r.id} is at revision ${r.revisionNumber}`);
  };
  /** Ids are server-made UUIDs: anything else is a bad request, not a missing resource. */
  const requireId = (v: Violations, field: string, id: string): void => {
    v.uuid(field, id, true);
  };
  /** An event for tokens issued up to now, kept for as long as such a token can live. */
  const event = (kind: RevocationKind, fields: { userId?: string; projectId?: string }): RevocationEvent => {
    const t = state.now().getTime();
    return { kind, auditId: '', userId: fields.userId ?? '', projectId: fields.projectId ?? '', appCredId: '', issuedBeforeMs: t + 1, expiresAtMs: t + d.tokenTtlMs };
  };
  /** Moves a unique name claim; a change of case keeps the record's own claim. */
  const rename = (txn: Txn, kind: string, scope: string, id: string, from: string, to: string): void => {
    const holder = state.lookupName(txn, kind, scope, to);
    if (holder && holder !== id) throw alreadyExists(`${kind} ${to} already exists`);
    txn.del(state.nameKey(kind, scope, from));
    txn.put(state.nameKey(kind, scope, to), Buffer.from(id));
  };

  // The admin project never changes id (it cannot be deleted), so it is found once.
  let adminProject: string | undefined;
  const isAdminProject = (id: string): boolean => {
    adminProject ??= state.bootstrapProjectId(d.defaultDomainId);
    return adminProject === id;
  };

  // ---------- domains ----------

  const createDomain = async (r: M.CreateDomainRequest, c: Caller): Promise<Domain> => {
    d.authorize('create_domain', c);
    const req = r.domain ?? Domain.fromPartial({});
    const v = new Violations();
    d.checkName(v, 'domain.name', req.name);
    v.description('domain.description', req.description);
    v.tags('domain.tags', req.tags);
    v.throwIfAny();
    return state.mutate((txn) => {
      if (state.lookupName(txn, 'domain', '', req.name)) throw alreadyExists(`domain ${req.name} already exists`);
      const t = state.now();
      const dom: Domain = { id: state.uuid(), name: req.name, description: req.description, enabled: req.enabled ?? true, tags: [...req.tags], revisionNumber: 1, createdAt: t, updatedAt: t };
      state.domains.put(txn, dom);
      txn.put(state.nameKey('domain', '', dom.name), Buffer.from(dom.id));
      return dom;
    });
  };

  const getDomain = async (r: M.GetDomainRequest, c: Caller): Promise<Domain> => {
    d.authorize('get_domain', c, { id: r.id });
    refuseBadId(r.id);
    const dom = state.domains.get(state.kv, r.id);
    if (!dom) throw notFound('domain', r.id);
    return dom;
  };

  const listDomains = async (r: M.ListDomainsRequest, c: Caller): Promise<M.ListDomainsResponse> => {
    d.authorize('list_domains', c);
    const v = new Violations();
    v.name('name', r.name);
    v.tags('tags', r.tags);
    const p = await pagedList(state, state.domains, r, {
      violations: v,
      filters: { n: r.name, t: r.tags },
      index: { name: 'all', value: '*' },
      match: (x) => (!r.name || x.name === r.name) && r.tags.every((t) => x.tags.includes(t)),
    });
    return { domains: p.items, nextPageToken: p.next };
  };

  const updateDomain = async (r: M.UpdateDomainRequest, c: Caller): Promise<Domain> => {
    const req = r.domain ?? Domain.fromPartial({});
    d.authorize('update_domain', c, { id: req.id });
    const v = new Violations();
    requireId(v, 'domain.id', req.id);
    const paths = checkUpdateMask(v, r.updateMask, ['name', 'description', 'enabled', 'tags']);
    if (paths.includes('name')) d.checkName(v, 'domain.name', req.name);
    if (paths.includes('description')) v.description('domain.description', req.description);
    if (paths.includes('tags')) v.tags('domain.tags', req.tags);
    v.throwIfAny();
    return state.mutate((txn, revoke) => {
      const prev = state.domains.get(txn, req.id);
      if (!prev) throw notFound('domain', req.id);
      checkRevision('domain', prev, req.revisionNumber);
      const next: Domain = { ...prev };
      const isDefault = prev.id === d.defaultDomainId;
      if (paths.includes('name') && req.name !== prev.name) {
        // Bootstrap finds the Default domain by name at every start.
        if (isDefault) throw failedPrecondition('the Default domain cannot be renamed: bootstrap finds it by name', [{ type: 'DOMAIN', subject: prev.id, description: 'created by bootstrap' }], 'BOOTSTRAP_DOMAIN');
        rename(txn, 'domain', '', prev.id, prev.name, req.name);
        next.name = req.name;
      }
      if (paths.includes('description')) next.description = req.description;
      if (paths.includes('tags')) next.tags = [...req.tags];
      if (paths.includes('enabled')) next.enabled = req.enabled ?? true;
      if (prev.enabled !== false && next.enabled === false) {
        if (isDefault) throw failedPrecondition('the Default domain cannot be disabled: it holds the admin user and project', [{ type: 'DOMAIN', subject: prev.id, description: 'created by bootstrap' }], 'BOOTSTRAP_DOMAIN');
        // Its users' tokens, and every token on its projects (whoever's), end now.
        for (const u of state.inDomain(state.users, prev.id)) revoke(event(RevocationKind.REVOCATION_KIND_USER, { userId: u.id }));
        for (const p of state.inDomain(state.projects, prev.id)) revoke(event(RevocationKind.REVOCATION_KIND_PROJECT, { projectId: p.id }));
      }
      next.revisionNumber = prev.revisionNumber + 1;
      next.updatedAt = state.now();
      state.domains.put(txn, next, prev);
      return next;
    });
  };

  const deleteDomain = async (r: M.DeleteDomainRequest, c: Caller): Promise<M.DeleteDomainResponse> => {
    d.authorize('delete_domain', c, { id: r.id });
    const v = new Violations();
    requireId(v, 'id', r.id);
    v.throwIfAny();
    await state.mutate((txn, revoke) => {
      const dom = state.domains.get(txn, r.id);
      if (!dom) throw notFound('domain', r.id);
      checkRevision('domain', dom, r.revisionNumber);
      if (dom.id === d.defaultDomainId) throw failedPrecondition('the Default domain cannot be deleted', [{ type: 'DOMAIN', subject: dom.id, description: 'created by bootstrap' }], 'BOOTSTRAP_DOMAIN');
      if (dom.enabled !== false) {
        throw failedPrecondition(`domain ${dom.name} is enabled; disable it (update_mask "enabled") before deleting it`, [{ type: 'DOMAIN', subject: dom.id, description: 'enabled' }], 'DOMAIN_ENABLED');
      }
      const contents = [
        { type: 'PROJECT', items: state.inDomain(state.projects, dom.id) },
        { type: 'USER', items: state.inDomain(state.users, dom.id) },
        { type: 'GROUP', items: state.inDomain(state.groups, dom.id) },
      ].filter((k) => k.items.length > 0);
      if (contents.length > 0) {
        const named = contents.flatMap((k) => k.items.slice(0, NAME_AT_MOST).map((x) => ({ type: k.type, subject: x.id, description: `${k.type.toLowerCase()} ${x.name}` })));
        const counts = contents.map((k) => `${k.items.length} ${k.type.toLowerCase()}(s) (${k.items.slice(0, NAME_AT_MOST).map((x) => x.name).join(', ')}${k.items.length > NAME_AT_MOST ? ', ...' : ''})`);
        throw failedPrecondition(`domain ${dom.name} still has ${counts.join(', ')}; delete them first`, named, 'DOMAIN_NOT_EMPTY');
      }
      // Grants on the domain itself, held by users or groups of other domains.
      const grants = state.targetGrants(`domain:${dom.id}`);
      revokeLostRoles(state, d.tokenTtlMs, revoke, grants.flatMap((g) => grantHolders(state, g)), () => {
        for (const g of grants) state.deleteGrant(txn, g);
      });
      txn.del(state.nameKey('domain', '', dom.name));
      state.domains.delete(txn, dom);
    });
    return {};
  };

  // ---------- projects ----------

  const adminProjectRefusal = (p: Project, what: string) =>
    failedPrecondition(`the admin project ${p.name} cannot be ${what}: it holds the bootstrap admin's role`, [{ type: 'PROJECT', subject: p.id, description: 'created by bootstrap' }], 'BOOTSTRAP_PROJECT');

  const createProject = async (r: M.CreateProjectRequest, c: Caller): Promise<Project> => {
    d.authorize('create_project', c);
    const req = r.project ?? Project.fromPartial({});
    const v = new Violations();
    d.checkName(v, 'project.name', req.name);
    v.description('project.description', req.description);
    v.tags('project.tags', req.tags);
    v.uuid('project.domain_id', req.domainId, false);
    v.throwIfAny();
    const domainId = req.domainId || d.defaultDomainId;
    return state.mutate((txn) => {
      const dom = state.domains.get(txn, domainId);
      if (!dom) throw invalidArgument([{ field: 'project.domain_id', description: `domain ${domainId} does not exist` }]);
      if (state.lookupName(txn, 'project', domainId, req.name)) throw alreadyExists(`project ${req.name} already exists in domain ${dom.name}`);
      const t = state.now();
      const p: Project = { id: state.uuid(), domainId, name: req.name, description: req.description, enabled: req.enabled ?? true, tags: [...req.tags], revisionNumber: 1, createdAt: t, updatedAt: t };
      state.projects.put(txn, p);
      txn.put(state.nameKey('project', domainId, p.name), Buffer.from(p.id));
      return p;
    });
  };

  const getProject = async (r: M.GetProjectRequest, c: Caller): Promise<Project> => {
    await state.settled();
    // Policy first with the requested id: a non-admin learns nothing about other projects.
    d.authorize('get_project', c, { id: r.id });
    refuseBadId(r.id);
    const p = state.projects.get(state.kv, r.id);
    if (!p) throw notFound('project', r.id);
    return p;
  };

  const listProjects = async (r: M.ListProjectsRequest, c: Caller): Promise<M.ListProjectsResponse> => {
    d.authorize('list_projects', c);
    const v = new Violations();
    v.name('name', r.name);
    v.tags('tags', r.tags);
    v.uuid('domain_id', r.domainId, false);
    const p = await pagedList(state, state.projects, r, {
      violations: v,
      filters: { n: r.name, d: r.domainId, t: r.tags },
      index: { name: 'domain', value: r.domainId || d.defaultDomainId },
      match: (x) => (!r.name || x.name === r.name) && r.tags.every((t) => x.tags.includes(t)),
    });
    return { projects: p.items, nextPageToken: p.next };
  };

  const updateProject = async (r: M.UpdateProjectRequest, c: Caller): Promise<Project> => {
    const req = r.project ?? Project.fromPartial({});
    d.authorize('update_project', c, { id: req.id });
    const v = new Violations();
    requireId(v, 'project.id', req.id);
    const paths = checkUpdateMask(v, r.updateMask, ['name', 'description', 'enabled', 'tags']);
    if (paths.includes('name')) d.checkName(v, 'project.name', req.name);
    if (paths.includes('description')) v.description('project.description', req.description);
    if (paths.includes('tags')) v.tags('project.tags', req.tags);
    v.throwIfAny();
    return state.mutate((txn, revoke) => {
      const prev = state.projects.get(txn, req.id);
      if (!prev) throw notFound('project', req.id);
      checkRevision('project', prev, req.revisionNumber);
      const next: Project = { ...prev };
      if (paths.includes('name') && req.name !== prev.name) {
        rename(txn, 'project', prev.domainId, prev.id, prev.name, req.name);
        next.name = req.name;
      }
      if (paths.includes('description')) next.description = req.description;
      if (paths.includes('tags')) next.tags = [...req.tags];
      if (paths.includes('enabled')) next.enabled = req.enabled ?? true;
      if (prev.enabled !== false && next.enabled === false) {
        if (isAdminProject(prev.id)) throw adminProjectRefusal(prev, 'disabled');
        // Reversible: grants and credentials stay; tokens on it end now and scoping to it fails.
        revoke(event(RevocationKind.REVOCATION_KIND_PROJECT, { projectId: prev.id }));
      }
      next.revisionNumber = prev.revisionNumber + 1;
      next.updatedAt = state.now();
      state.projects.put(txn, next, prev);
      return next;
    });
  };

  const deleteProject = async (r: M.DeleteProjectRequest, c: Caller): Promise<M.DeleteProjectResponse> => {
    d.authorize('delete_project', c, { id: r.id });
    const v = new Violations();
    requireId(v, 'id', r.id);
    v.throwIfAny();
    await state.mutate((txn, revoke) => {
      const p = state.projects.get(txn, r.id);
      if (!p) throw notFound('project', r.id);
      checkRevision('project', p, r.revisionNumber);
      if (isAdminProject(p.id)) throw adminProjectRefusal(p, 'deleted');
      // One project event covers every token on it, application credential tokens included.
      revoke(event(RevocationKind.REVOCATION_KIND_PROJECT, { projectId: p.id }));
      for (const g of state.targetGrants(`project:${p.id}`)) state.deleteGrant(txn, g);
      for (const a of [...state.appCreds.all(state.kv)].filter((x) => x.projectId === p.id)) {
        state.appCreds.delete(txn, a);
        txn.del(state.nameKey('appcred', a.userId, a.name));
      }
      // Users keep no pointer to a project that is gone: their default falls back to none.
      for (const u of [...state.users.all(state.kv)].filter((x) => x.defaultProjectId === p.id)) {
        state.users.put(txn, { ...u, defaultProjectId: '', revisionNumber: u.revisionNumber + 1, updatedAt: state.now() }, u);
      }
      txn.del(state.nameKey('project', p.domainId, p.name));
      state.projects.delete(txn, p);
    });
    return {};
  };

  // ---------- roles ----------

  const builtinRefusal = (role: Role, what: string) =>
    failedPrecondition(`role ${role.name} is built in (policy rules name it); it cannot be ${what}`, [{ type: 'ROLE', subject: role.id, description: 'built-in role' }], 'BUILTIN_ROLE');

  /** Ends the tokens of everyone holding these grants: user+project for projects, user for domains. */
  const revokeHolders = (revoke: Revoke, grants: readonly Grant[]): void => {
    const done = new Set<string>();
    for (const g of grants) {
      for (const [userId, target] of grantHolders(state, g)) {
        const onProject = target.startsWith('project:');
        const key = onProject ? `${userId} ${target}` : userId;
        if (done.has(key)) continue;
        done.add(key);
        if (onProject) revoke(event(RevocationKind.REVOCATION_KIND_USER_PROJECT, { userId, projectId: target.slice('project:'.length) }));
        else revoke(event(RevocationKind.REVOCATION_KIND_USER, { userId }));
      }
    }
  };

  /** Application credentials delegate roles by name: follow a rename, forget a deleted role. */
  const rewriteCredentialRoles = (txn: Txn, from: string, to: string | undefined): void => {
    for (const a of state.appCreds.all(state.kv)) {
      if (!a.roles.includes(from)) continue;
      const roles = [...new Set(a.roles.flatMap((x) => (x !== from ? [x] : to ? [to] : [])))].sort();
      state.appCreds.put(txn, { ...a, roles }, a);
    }
  };

  const createRole = async (r: M.CreateRoleRequest, c: Caller): Promise<Role> => {
    d.authorize('create_role', c);
    const req = r.role ?? Role.fromPartial({});
    const v = new Violations();
    v.check(ROLE_NAME_RE.test(req.name), 'role.name', ROLE_NAME_RULE);
    v.description('role.description', req.description);
    v.throwIfAny();
    return state.mutate((txn) => {
      if (state.lookupName(txn, 'role', '', req.name)) throw alreadyExists(`role ${req.name} already exists`);
      const t = state.now();
      const role: Role = { id: state.uuid(), name: req.name, description: req.description, revisionNumber: 1, createdAt: t, updatedAt: t };
      state.roles.put(txn, role);
      txn.put(state.nameKey('role', '', role.name), Buffer.from(role.id));
      return role;
    });
  };

  const getRole = async (r: M.GetRoleRequest, c: Caller): Promise<Role> => {
    d.authorize('get_role', c);
    refuseBadId(r.id);
    const role = state.roles.get(state.kv, r.id);
    if (!role) throw notFound('role', r.id);
    return role;
  };

  const listRoles = async (r: M.ListRolesRequest, c: Caller): Promise<M.ListRolesResponse> => {
    d.authorize('list_roles', c);
    const v = new Violations();
    v.name('name', r.name);
    // The request shares the list shape of the others, but roles carry no tags to filter on.
    v.check(r.tags.length === 0, 'tags', 'roles have no tags');
    const p = await pagedList(state, state.roles, r, { violations: v, filters: { n: r.name }, index: { name: 'all', value: '*' }, match: (x) => !r.name || x.name === r.name });
    return { roles: p.items, nextPageToken: p.next };
  };

  const updateRole = async (r: M.UpdateRoleRequest, c: Caller): Promise<Role> => {
    const req = r.role ?? Role.fromPartial({});
    d.authorize('update_role', c, { id: req.id });
    const v = new Violations();
    requireId(v, 'role.id', req.id);
    const paths = checkUpdateMask(v, r.updateMask, ['name', 'description']);
    if (paths.includes('name')) v.check(ROLE_NAME_RE.test(req.name), 'role.name', ROLE_NAME_RULE);
    if (paths.includes('description')) v.description('role.description', req.description);
    v.throwIfAny();
    return state.mutate((txn, revoke) => {
      const prev = state.roles.get(txn, req.id);
      if (!prev) throw notFound('role', req.id);
      checkRevision('role', prev, req.revisionNumber);
      const next: Role = { ...prev };
      if (paths.includes('name') && req.name !== prev.name) {
        if (BUILTIN_ROLES.has(prev.name)) throw builtinRefusal(prev, 'renamed');
        rename(txn, 'role', '', prev.id, prev.name, req.name);
        next.name = req.name;
        // Tokens name their roles: those naming the old one would no longer tell the truth.
        revokeHolders(revoke, state.roleGrants(prev.id));
        rewriteCredentialRoles(txn, prev.name, req.name);
      }
      if (paths.includes('description')) next.description = req.description;
      next.revisionNumber = prev.revisionNumber + 1;
      next.updatedAt = state.now();
      state.roles.put(txn, next, prev);
      return next;
    });
  };

  const deleteRole = async (r: M.DeleteRoleRequest, c: Caller): Promise<M.DeleteRoleResponse> => {
    d.authorize('delete_role', c, { id: r.id });
    const v = new Violations();
    requireId(v, 'id', r.id);
    v.throwIfAny();
    await state.mutate((txn, revoke) => {
      const role = state.roles.get(txn, r.id);
      if (!role) throw notFound('role', r.id);
      checkRevision('role', role, r.revisionNumber);
      if (BUILTIN_ROLES.has(role.name)) throw builtinRefusal(role, 'deleted');
      const grants = state.roleGrants(role.id);
      revokeLostRoles(state, d.tokenTtlMs, revoke, grants.flatMap((g) => grantHolders(state, g)), () => {
        for (const g of grants) state.deleteGrant(txn, g);
      });
      rewriteCredentialRoles(txn, role.name, undefined);
      txn.del(state.nameKey('role', '', role.name));
      state.roles.delete(txn, role);
    });
    return {};
  };

  return {
    createDomain, getDomain, listDomains, updateDomain, deleteDomain,
    createProject, getProject, listProjects, updateProject, deleteProject,
    createRole, getRole, listRoles, updateRole, deleteRole,
  };
}
