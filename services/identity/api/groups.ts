/**
 * Groups (Keystone v3): named sets of users in a domain. A role granted to a group on a project
 * or domain reaches every member, so a member's effective roles are their direct grants plus
 * their groups' grants (IdentityState.effectiveRoleIds). Memberships live in mirrored
 * `a/member/<group>/<user>` keys with an in-memory index both ways.
 *
 * Anything that can take a role away from someone — leaving a group, deleting a group, deleting a
 * group's role assignment — revokes the tokens that carry it in the same batch (revokeLostRoles):
 * a user+project event for a project, a user-wide event for a domain. A change that leaves a
 * user's roles on a target intact (they still hold them directly or through another group)
 * revokes nothing, since their tokens still say the truth.
 */
import { status as Status } from '@grpc/grpc-js';
import type * as M from '../../../proto/gen/weft/identity/v1/identity_service';
import { Group, RevocationKind, type RevocationEvent, type RoleAssignment } from '../../../proto/gen/weft/identity/v1/resources';
import { checkUpdateMask, Violations } from '../../../controller/domain/validate';
import { encodePageToken } from '../../../controller/api/paging';
import type { Caller } from '../../runtime/caller';
import { aborted, alreadyExists, invalidArgument, notFound, WeftError } from '../../runtime/errors';
import type { Grant, IdentityState } from '../state';
import { pageCursor } from './paged-list';
import { refuseBadId } from './refuse-bad-id';

export interface GroupDeps {
  state: IdentityState;
  authorize(action: string, c: Caller, target?: Record<string, unknown>): void;
  checkName(v: Violations, field: string, name: string): void;
  tokenTtlMs: number;
  defaultDomainId: string;
}

type Revoke = (e: RevocationEvent) => void;
/** A (user id, target) pair whose effective roles a change may shrink. */
type Holder = readonly [userId: string, target: string];

/**
 * Runs `change` (synchronous edits of the txn and the in-memory indexes) and then revokes the
 * tokens of every (user, target) pair in `holders` whose effective roles shrank.
 */
export function revokeLostRoles(state: IdentityState, tokenTtlMs: number, revoke: Revoke, holders: Iterable<Holder>, change: () => void): void {
  const before = new Map<string, { userId: string; target: string; roles: Set<string> }>();
  for (const [userId, target] of holders) {
    const key = `${userId} ${target}`;
    if (!before.has(key)) before.set(key, { userId, target, roles: state.effectiveRoleIds(userId, target) });
  }
  change();
  const t = state.now().getTime();
  const wholeUser = new Set<string>();
  for (const { userId, target, roles } of before.values()) {
    const after = state.effectiveRoleIds(userId, target);
    if ([...roles].every((r) => after.has(r))) continue;
    const [type, id] = splitRef(target);
    const base = { auditId: '', appCredId: '', issuedBeforeMs: t + 1, expiresAtMs: t + tokenTtlMs };
    if (type === 'project') revoke({ ...base, kind: RevocationKind.REVOCATION_KIND_USER_PROJECT, userId, projectId: id });
    else if (!wholeUser.has(userId)) {
      wholeUser.add(userId);
      revoke({ ...base, kind: RevocationKind.REVOCATION_KIND_USER, userId, projectId: '' });
    }
  }
}

/** Who holds a grant, as (user, target) pairs: the user, or every member of the group. */
export function grantHolders(state: IdentityState, g: Grant): Holder[] {
  const [type, id] = splitRef(g.actor);
  if (type === 'user') return [[id, g.target]];
  return [...state.groupMembers(id)].map((userId) => [userId, g.target] as const);
}

/**
 * A grant as role assignments: one naming its user or group, or with `effective` a group grant
 * becomes one assignment per member (user_id set, group_id empty), as Keystone's effective=true.
 */
export function assignmentsOf(state: IdentityState, g: Grant, effective: boolean): RoleAssignment[] {
  const [actorType, actorId] = splitRef(g.actor);
  const [targetType, targetId] = splitRef(g.target);
  const base = { roleId: g.roleId, projectId: targetType === 'project' ? targetId : '', domainId: targetType === 'domain' ? targetId : '' };
  if (actorType === 'user') return [{ ...base, userId: actorId, groupId: '' }];
  if (!effective) return [{ ...base, userId: '', groupId: actorId }];
  return [...state.groupMembers(actorId)].map((userId) => ({ ...base, userId, groupId: '' }));
}

function splitRef(ref: string): [string, string] {
  const i = ref.indexOf(':');
  return [ref.slice(0, i), ref.slice(i + 1)];
}

export function groupHandlers(d: GroupDeps) {
  const { state } = d;
  const revision = (g: Group, expected: number): void => {
    if (expected && expected !== g.revisionNumber) throw aborted(`group ${g.id} is at revision ${g.revisionNumber}`);
  };

  const create = async (r: M.CreateGroupRequest, c: Caller): Promise<Group> => {
    const req = r.group ?? Group.fromPartial({});
    const domainId = req.domainId || d.defaultDomainId;
    d.authorize('create_group', c, { domain_id: domainId });
    const v = new Violations();
    d.checkName(v, 'group.name', req.name);
    v.description('group.description', req.description);
    v.tags('group.tags', req.tags);
    v.uuid('group.domain_id', req.domainId, false);
    v.throwIfAny();
    return state.mutate((txn) => {
      const dom = state.domains.get(txn, domainId);
      if (!dom) throw invalidArgument([{ field: 'group.domain_id', description: `domain ${domainId} does not exist` }]);
      if (state.lookupName(txn, 'group', domainId, req.name)) throw alreadyExists(`group ${req.name} already exists in domain ${dom.name}`);
      const t = state.now();
      const g: Group = { id: state.uuid(), domainId, name: req.name, description: req.description, tags: [...req.tags], revisionNumber: 1, createdAt: t, updatedAt: t };
      state.groups.put(txn, g);
      txn.put(state.nameKey('group', domainId, g.name), Buffer.from(g.id));
      return g;
    });
  };

  const get = async (r: M.GetGroupRequest, c: Caller): Promise<Group> => {
    await state.settled();
    // Policy first with the requested id: a caller who may not look learns nothing.
    d.authorize('get_group', c, { id: r.id });
    refuseBadId(r.id);
    const g = state.groups.get(state.kv, r.id);
    if (!g) throw notFound('group', r.id);
    return g;
  };

  const list = async (r: M.ListGroupsRequest, c: Caller): Promise<M.ListGroupsResponse> => {
    d.authorize('list_groups', c, { user_id: r.userId, domain_id: r.domainId });
    const filters = { n: r.name, d: r.domainId, t: r.tags, u: r.userId };
    const v = new Violations();
    v.name('name', r.name);
    v.tags('tags', r.tags);
    v.uuid('domain_id', r.domainId, false);
    v.uuid('user_id', r.userId, false);
    const { limit, afterId } = pageCursor(v, r, filters);
    v.throwIfAny();
    await state.settled();
    const match = (g: Group): boolean => (!r.name || g.name === r.name) && (!r.domainId || g.domainId === r.domainId) && r.tags.every((t) => g.tags.includes(t));
    if (!r.userId) {
      const { items, lastId } = await state.groups.page(state.kv, { index: { name: 'domain', value: r.domainId || d.defaultDomainId }, afterId, limit, match });
      return { groups: items, nextPageToken: lastId ? encodePageToken(lastId, filters) : '' };
    }
    // A user's groups, in any domain unless domain_id says which: from the membership index.
    if (!state.users.get(state.kv, r.userId)) throw notFound('user', r.userId);
    const ids = [...state.userGroups(r.userId)].filter((id) => !afterId || id > afterId).sort();
    const groups: Group[] = [];
    let nextPageToken = '';
    for (let i = 0; i < ids.length; i++) {
      const g = state.groups.get(state.kv, ids[i]);
      if (!g || !match(g)) continue;
      groups.push(g);
      if (groups.length >= limit) {
        if (i < ids.length - 1) nextPageToken = encodePageToken(ids[i], filters);
        break;
      }
    }
    return { groups, nextPageToken };
  };

  const update = async (r: M.UpdateGroupRequest, c: Caller): Promise<Group> => {
    const req = r.group ?? Group.fromPartial({});
    d.authorize('update_group', c, { id: req.id });
    const v = new Violations();
    v.uuid('group.id', req.id, true);
    const paths = checkUpdateMask(v, r.updateMask, ['name', 'description', 'tags']);
    if (paths.includes('name')) d.checkName(v, 'group.name', req.name);
    if (paths.includes('description')) v.description('group.description', req.description);
    if (paths.includes('tags')) v.tags('group.tags', req.tags);
    v.throwIfAny();
    return state.mutate((txn) => {
      const prev = state.groups.get(txn, req.id);
      if (!prev) throw notFound('group', req.id);
      revision(prev, req.revisionNumber);
      const next: Group = { ...prev };
      if (paths.includes('name') && req.name !== prev.name) {
        // Names are unique case-insensitively, so a change of case keeps the group's own claim.
        const holder = state.lookupName(txn, 'group', prev.domainId, req.name);
        if (holder && holder !== prev.id) throw alreadyExists(`group ${req.name} already exists`);
        txn.del(state.nameKey('group', prev.domainId, prev.name));
        txn.put(state.nameKey('group', prev.domainId, req.name), Buffer.from(prev.id));
        next.name = req.name;
      }
      if (paths.includes('description')) next.description = req.description;
      if (paths.includes('tags')) next.tags = [...req.tags];
      next.revisionNumber = prev.revisionNumber + 1;
      next.updatedAt = state.now();
      state.groups.put(txn, next, prev);
      return next;
    });
  };

  const remove = async (r: M.DeleteGroupRequest, c: Caller): Promise<M.DeleteGroupResponse> => {
    d.authorize('delete_group', c, { id: r.id });
    refuseBadId(r.id);
    await state.mutate((txn, revoke) => {
      const g = state.groups.get(txn, r.id);
      if (!g) throw notFound('group', r.id);
      revision(g, r.revisionNumber);
      const actor = `group:${g.id}`;
      const members = [...state.groupMembers(g.id)];
      const holders = members.flatMap((userId) => state.actorTargets(actor).map((target) => [userId, target] as const));
      revokeLostRoles(state, d.tokenTtlMs, revoke, holders, () => {
        for (const grant of state.actorGrants(actor)) state.deleteGrant(txn, grant);
        for (const userId of members) state.removeMember(txn, g.id, userId);
      });
      txn.del(state.nameKey('group', g.domainId, g.name));
      state.groups.delete(txn, g);
    });
    return {};
  };

  const checkMembership = (r: { groupId: string; userId: string }): void => {
    const v = new Violations();
    v.uuid('group_id', r.groupId, true);
    v.uuid('user_id', r.userId, true);
    v.throwIfAny();
  };

  const addUser = async (r: M.AddUserToGroupRequest, c: Caller): Promise<M.AddUserToGroupResponse> => {
    d.authorize('add_user_to_group', c, { group_id: r.groupId, user_id: r.userId });
    checkMembership(r);
    await state.mutate((txn) => {
      if (!state.groups.get(txn, r.groupId)) throw notFound('group', r.groupId);
      if (!state.users.get(txn, r.userId)) throw notFound('user', r.userId);
      // Idempotent, like Keystone's PUT /groups/{group}/users/{user}.
      state.addMember(txn, r.groupId, r.userId);
    });
    return {};
  };

  const removeUser = async (r: M.RemoveUserFromGroupRequest, c: Caller): Promise<M.RemoveUserFromGroupResponse> => {
    d.authorize('remove_user_from_group', c, { group_id: r.groupId, user_id: r.userId });
    checkMembership(r);
    await state.mutate((txn, revoke) => {
      if (!state.groups.get(txn, r.groupId)) throw notFound('group', r.groupId);
      if (!state.users.get(txn, r.userId)) throw notFound('user', r.userId);
      if (!state.isMember(r.groupId, r.userId)) {
        throw new WeftError(Status.NOT_FOUND, `user ${r.userId} is not a member of group ${r.groupId}`, { reason: 'NOT_FOUND', resource: { type: 'group membership', name: `${r.groupId}/${r.userId}` } });
      }
      const holders = state.actorTargets(`group:${r.groupId}`).map((target) => [r.userId, target] as const);
      revokeLostRoles(state, d.tokenTtlMs, revoke, holders, () => state.removeMember(txn, r.groupId, r.userId));
    });
    return {};
  };

  return { create, get, list, update, remove, addUser, removeUser };
}
