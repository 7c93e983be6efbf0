/**
 * The assembly of weft.identity.v1.IdentityService: the helpers every handler module shares
 * (authorization through the policy engine, the name rule, a user's role names on a project) and
 * the map from each RPC to its handler. The handlers live one concern per module:
 *
 *   domains-projects-roles.ts    domains, projects and roles (and what their changes revoke)
 *   users.ts                     users and their passwords
 *   groups.ts                    groups, memberships, and the "who loses a role" revocation rule
 *   role-assignments.ts          grants of a role to a user or group on a project or domain
 *   application-credentials.ts   delegated secrets
 *   tokens.ts                    IssueToken, ValidateToken, RevokeToken
 *   endpoints.ts                 the endpoint catalog
 *   revocation-feed.ts           ListRevocationEvents / WatchRevocationEvents
 *
 * Every handler asks policy first (IssueToken is public), then refuses malformed input before it
 * reads or changes any state: INVALID_ARGUMENT naming every bad field (ids that are not UUIDs,
 * impossible names, tags or filters, bad paging, contradictory fields). Only a well-formed request
 * that names nothing gets NOT_FOUND. test/integration/identity/bad-input.test.ts holds every RPC
 * to this.
 *
 * bootstrap() below makes the Default domain, built-in roles, admin project and admin user once.
 */
import type { Domain, Project, Role, User } from '../../../proto/gen/weft/identity/v1/resources';
import type { Violations } from '../../../controller/domain/validate';
import type { TokenAuthenticator } from '../../runtime/auth/token-authenticator';
import type { Caller } from '../../runtime/caller';
import { unauthenticated } from '../../runtime/errors';
import type { PolicyEngine } from '../../runtime/policy/engine';
import type { StreamHandler, UnaryHandler } from '../../runtime/server';
import { hashPassword } from '../passwords/hash';
import type { LockoutTracker } from '../passwords/lockout';
import type { IdentityState } from '../state';
import type { IssuingKeys } from '../tokens/token-codec';
import { applicationCredentialHandlers } from './application-credentials';
import { lifecycleHandlers } from './domains-projects-roles';
import { endpointHandlers } from './endpoints';
import { groupHandlers } from './groups';
import { revocationFeedHandlers } from './revocation-feed';
import { roleAssignmentHandlers } from './role-assignments';
import { tokenHandlers } from './tokens';
import { userHandlers } from './users';

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
  const { state, policy, tokenTtlMs, defaultDomainId } = d;
  /** Every handler asks policy first: `identity:<action>` with the target it names. */
  const authorize = (action: string, c: Caller, target: Record<string, unknown> = {}): void => {
    if (!c.userId) throw unauthenticated('this call needs a token');
    policy.authorize(`identity:${action}`, { target, ...target }, creds(c));
  };
  /** Names of domains, projects, users and groups (roles have their own, stricter rule). */
  const checkName = (v: Violations, field: string, name: string): void => {
    v.check(name.length >= 1 && name.length <= 64, field, 'must be 1-64 characters');
    v.check(!/[\u0000-\u001f/]/.test(name), field, 'must not contain control characters or "/"');
  };
  /** Role names a user holds on a project, directly or through groups: what tokens carry. */
  const roleNames = (userId: string, projectId: string): string[] => {
    const names: string[] = [];
    for (const id of state.effectiveRoleIds(userId, `project:${projectId}`)) {
      const role = state.roles.get(state.kv, id);
      if (role) names.push(role.name);
    }
    return names.sort();
  };

  const resources = lifecycleHandlers({ state, authorize, checkName, tokenTtlMs, defaultDomainId });
  const users = userHandlers({ state, authorize, checkName, scryptLn: d.scryptLn, tokenTtlMs, defaultDomainId });
  const groups = groupHandlers({ state, authorize, checkName, tokenTtlMs, defaultDomainId });
  const assignments = roleAssignmentHandlers({ state, authorize, tokenTtlMs });
  const appCreds = applicationCredentialHandlers({ state, authorize, roleNames, tokenTtlMs });
  const tokens = tokenHandlers({ ...d, authorize, roleNames, issueWithAppCred: appCreds.issue });
  const endpoints = endpointHandlers({ state, authorize });
  const feed = revocationFeedHandlers({ state, authorize });

  const unary = {
    CreateDomain: resources.createDomain,
    GetDomain: resources.getDomain,
    ListDomains: resources.listDomains,
    UpdateDomain: resources.updateDomain,
    DeleteDomain: resources.deleteDomain,
    CreateProject: resources.createProject,
    GetProject: resources.getProject,
    ListProjects: resources.listProjects,
    UpdateProject: resources.updateProject,
    DeleteProject: resources.deleteProject,
    CreateUser: users.create,
    GetUser: users.get,
    ListUsers: users.list,
    UpdateUser: users.update,
    DeleteUser: users.remove,
    CreateGroup: groups.create,
    GetGroup: groups.get,
    ListGroups: groups.list,
    UpdateGroup: groups.update,
    DeleteGroup: groups.remove,
    AddUserToGroup: groups.addUser,
    RemoveUserFromGroup: groups.removeUser,
    CreateRole: resources.createRole,
    GetRole: resources.getRole,
    ListRoles: resources.listRoles,
    UpdateRole: resources.updateRole,
    DeleteRole: resources.deleteRole,
    CreateRoleAssignment: assignments.create,
    DeleteRoleAssignment: assignments.remove,
    ListRoleAssignments: assignments.list,
    CreateApplicationCredential: appCreds.create,
    GetApplicationCredential: appCreds.get,
    ListApplicationCredentials: appCreds.list,
    DeleteApplicationCredential: appCreds.remove,
    IssueToken: tokens.issue,
    ValidateToken: tokens.validate,
    RevokeToken: tokens.revoke,
    RegisterEndpoint: endpoints.register,
    ListEndpoints: endpoints.list,
    DeleteEndpoint: endpoints.remove,
    ListRevocationEvents: feed.list,
  };
  const streaming = {
    WatchRevocationEvents: feed.watch,
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
