/**
 * Role assignments (Keystone v3): a grant of one role to one actor (a user or a group) on one
 * target (a project or a domain). Removing one revokes, in the same batch, the tokens of everyone
 * who loses the role by it (revokeLostRoles: the user, or every member of the group).
 *
 * Listing can expand group grants into the users they reach (`effective`, as Keystone's
 * effective=true). Assignments have no id, so they sort and page by the key
 * "role user group project domain" (ids, empty where unset): a stable order.
 */
import type * as M from '../../../proto/gen/weft/identity/v1/identity_service';
import { RoleAssignment } from '../../../proto/gen/weft/identity/v1/resources';
import { UUID_RE, Violations } from '../../../controller/domain/validate';
import { encodePageToken } from '../../../controller/api/paging';
import type { Caller } from '../../runtime/caller';
import { alreadyExists, notFound } from '../../runtime/errors';
import type { Grant, IdentityState } from '../state';
import { assignmentsOf, grantHolders, revokeLostRoles } from './groups';
import { pageCursor } from './paged-list';

export interface RoleAssignmentDeps {
  state: IdentityState;
  authorize(action: string, c: Caller, target?: Record<string, unknown>): void;
  tokenTtlMs: number;
}

/** What a page token of ListRoleAssignments may carry: an assignment key (see assignmentKey). */
const ASSIGNMENT_KEY = /^[0-9a-f-]{0,36}( [0-9a-f-]{0,36}){4}$/;
const assignmentKey = (a: RoleAssignment): string => `${a.roleId} ${a.userId} ${a.groupId} ${a.projectId} ${a.domainId}`;

/**
 * The grant an assignment names, or INVALID_ARGUMENT when it does not name exactly one actor and
 * one target by id (a malformed id is bad input; a well-formed one that names nothing is NOT_FOUND).
 */
function grantOf(a: RoleAssignment | undefined): Grant {
  const x = a ?? RoleAssignment.fromPartial({});
  const v = new Violations();
  v.check(!!x.userId !== !!x.groupId, 'assignment.user_id', 'give exactly one of user_id or group_id');
  v.check(!!x.projectId !== !!x.domainId, 'assignment.project_id', 'give exactly one of project_id or domain_id');
  v.check(UUID_RE.test(x.roleId), 'assignment.role_id', 'must be a role id');
  for (const [field, id] of [['user_id', x.userId], ['group_id', x.groupId], ['project_id', x.projectId], ['domain_id', x.domainId]] as const) {
    v.uuid(`assignment.${field}`, id, false);
  }
  v.throwIfAny();
  return { actor: x.userId ? `user:${x.userId}` : `group:${x.groupId}`, target: x.projectId ? `project:${x.projectId}` : `domain:${x.domainId}`, roleId: x.roleId };
}

export function roleAssignmentHandlers(d: RoleAssignmentDeps) {
  const { state } = d;

  const create = async (r: M.CreateRoleAssignmentRequest, c: Caller): Promise<RoleAssignment> => {
    d.authorize('create_role_assignment', c);
    const g = grantOf(r.assignment);
    const a = r.assignment!;
    await state.mutate((txn) => {
      if (a.userId && !state.users.get(txn, a.userId)) throw notFound('user', a.userId);
      if (a.groupId && !state.groups.get(txn, a.groupId)) throw notFound('group', a.groupId);
      if (!state.roles.get(txn, g.roleId)) throw notFound('role', g.roleId);
      if (a.projectId && !state.projects.get(txn, a.projectId)) throw notFound('project', a.projectId);
      if (a.domainId && !state.domains.get(txn, a.domainId)) throw notFound('domain', a.domainId);
      if (state.hasGrant(g)) throw alreadyExists('this role assignment already exists');
      state.putGrant(txn, g);
    });
    return a;
  };

  const remove = async (r: M.DeleteRoleAssignmentRequest, c: Caller): Promise<M.DeleteRoleAssignmentResponse> => {
    d.authorize('delete_role_assignment', c);
    const g = grantOf(r.assignment);
    await state.mutate((txn, revoke) => {
      if (!state.hasGrant(g)) throw notFound('role assignment', `${g.actor} ${g.target} ${g.roleId}`);
      // Tokens carrying the removed role (the user's, or every group member's) stop working at once.
      revokeLostRoles(state, d.tokenTtlMs, revoke, grantHolders(state, g), () => state.deleteGrant(txn, g));
    });
    return {};
  };

  const list = async (r: M.ListRoleAssignmentsRequest, c: Caller): Promise<M.ListRoleAssignmentsResponse> => {
    d.authorize('list_role_assignments', c, { user_id: r.userId });
    // As Keystone: effective assignments name users only, so a group filter could match nothing.
    const v = new Violations();
    v.check(!(r.effective && r.groupId), 'group_id', 'cannot be combined with effective (effective assignments name users, not groups)');
    for (const [field, id] of [['user_id', r.userId], ['group_id', r.groupId], ['project_id', r.projectId], ['domain_id', r.domainId], ['role_id', r.roleId]] as const) v.uuid(field, id, false);
    const filters = { u: r.userId, g: r.groupId, p: r.projectId, d: r.domainId, r: r.roleId, e: r.effective };
    const { limit, afterId: after } = pageCursor(v, r, filters, ASSIGNMENT_KEY);
    v.throwIfAny();
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

  return { create, remove, list };
}
