/**
 * The identity service's state: resource tables, role assignments in memory, the revocation
 * set and its feed, over the same store model as the network controller (synchronous mutations
 * against an in-memory mirror, group-committed LevelDB batches; see services/runtime/store/kv.ts).
 */
import { randomUUID } from 'node:crypto';
import { ApplicationCredential, Domain, Endpoint, Group, Project, RevocationEvent, Role, User } from '../../proto/gen/weft/identity/v1/resources';
import { WatchRevocationEventsResponse } from '../../proto/gen/weft/identity/v1/identity_service';
import { RevocationSet } from '../runtime/auth/revocations';
import { ChangeLog } from '../runtime/store/changelog';
import type { KvStore, Txn } from '../runtime/store/kv';
import { encodeKeyPart, Table, type Identified, type Reader } from '../runtime/store/table';
import type { Clock } from './tokens/token-codec';

const ASSIGN_PREFIX = 'a/asg/';
const REVOKE_PREFIX = 'a/revoke/';
const BOOTSTRAP_PROJECT_KEY = 'm/bootstrap-admin-project';
/** Group membership: `a/member/<groupId>/<userId>` (ids are server-made UUIDs, free of "/"). */
const MEMBER_PREFIX = 'a/member/';

/** A role grant, keyed as actor/target/role. */
export interface Grant {
  actor: string; // "user:<id>" or "group:<id>"
  target: string; // "project:<id>" or "domain:<id>"
  roleId: string;
}

function grantKey(g: Grant): string {
  return `${ASSIGN_PREFIX}${g.actor}/${g.target}/${g.roleId}`;
}

function memberKey(groupId: string, userId: string): string {
  return `${MEMBER_PREFIX}${groupId}/${userId}`;
}

const NO_IDS: ReadonlySet<string> = new Set();

export class IdentityState {
  readonly domains = new Table<Domain>('domain', Domain, { all: () => ['*'] });
  readonly projects = new Table<Project>('project', Project, { domain: (p) => [p.domainId] });
  readonly users = new Table<User>('user', User, { domain: (u) => [u.domainId] });
  readonly groups = new Table<Group>('group', Group, { domain: (g) => [g.domainId] });
  readonly roles = new Table<Role>('role', Role, { all: () => ['*'] });
  readonly endpoints = new Table<Endpoint>('endpoint', Endpoint, { all: () => ['*'] });
  /** Secrets are stored as "sha256:<hex>" in the secret field and stripped on output. */
  readonly appCreds = new Table<ApplicationCredential>('appcred', ApplicationCredential, { user: (a) => [a.userId] });
  /** actor → target → role ids. */
  private readonly grants = new Map<string, Map<string, Set<string>>>();
  /** group → member user ids, and its mirror user → group ids (both from the `a/member/` keys). */
  private readonly membersByGroup = new Map<string, Set<string>>();
  private readonly groupsByUser = new Map<string, Set<string>>();
  readonly revocations = new RevocationSet();
  readonly feed: ChangeLog<WatchRevocationEventsResponse>;

  constructor(
    readonly kv: KvStore,
    readonly clock: Clock,
    readonly uuid: () => string = randomUUID,
  ) {
    this.feed = new ChangeLog(kv, 10_000, WatchRevocationEventsResponse);
  }

  load(): void {
    for (const [key] of this.kv.peekPrefix(ASSIGN_PREFIX)) {
      const [actor, target, roleId] = key.slice(ASSIGN_PREFIX.length).split('/');
      this.applyGrant({ actor, target, roleId }, true);
    }
    for (const [key] of this.kv.peekPrefix(MEMBER_PREFIX)) {
      const [groupId, userId] = key.slice(MEMBER_PREFIX.length).split('/');
      this.applyMember(groupId, userId, true);
    }
    for (const [, value] of this.kv.peekPrefix(REVOKE_PREFIX)) this.revocations.add(RevocationEvent.decode(value));
    this.revocations.prune(this.clock.now().getTime());
  }

  // ---- unique names (u/ keys are mirrored, so checks are synchronous) ----

  nameKey(kind: string, scope: string, name: string): string {
    return `u/${kind}/${encodeKeyPart(scope)}/${encodeKeyPart(name.toLowerCase())}`;
  }

  lookupName(reader: { get(k: string): Buffer | undefined }, kind: string, scope: string, name: string): string | undefined {
    return reader.get(this.nameKey(kind, scope, name))?.toString('utf8');
  }

  // ---- grants ----

  private applyGrant(g: Grant, add: boolean): void {
    let targets = this.grants.get(g.actor);
    if (!targets) this.grants.set(g.actor, (targets = new Map()));
    let roles = targets.get(g.target);
    if (!roles) targets.set(g.target, (roles = new Set()));
    if (add) roles.add(g.roleId);
    else {
      roles.delete(g.roleId);
      if (roles.size === 0) targets.delete(g.target);
      if (targets.size === 0) this.grants.delete(g.actor);
    }
  }

  hasGrant(g: Grant): boolean {
    return this.grants.get(g.actor)?.get(g.target)?.has(g.roleId) ?? false;
  }

  putGrant(txn: Txn, g: Grant): void {
    txn.put(grantKey(g), Buffer.alloc(0));
    this.applyGrant(g, true);
    txn.onAbort(() => this.applyGrant(g, false));
  }

  deleteGrant(txn: Txn, g: Grant): void {
    txn.del(grantKey(g));
    this.applyGrant(g, false);
    txn.onAbort(() => this.applyGrant(g, true));
  }

  /** Every grant, optionally filtered (small: grants are per user/project, not per resource). */
  *allGrants(): IterableIterator<Grant> {
    for (const [actor, targets] of this.grants) for (const [target, roles] of targets) for (const roleId of roles) yield { actor, target, roleId };
  }

  /** Every grant of one actor ("user:<id>" or "group:<id>"). */
  actorGrants(actor: string): Grant[] {
    const out: Grant[] = [];
    for (const [target, roles] of this.grants.get(actor) ?? []) for (const roleId of roles) out.push({ actor, target, roleId });
    return out;
  }

  /** Targets on which an actor holds at least one role. */
  actorTargets(actor: string): string[] {
    return [...(this.grants.get(actor)?.keys() ?? [])];
  }

  /** Role ids a user holds directly on a target. */
  directRoleIds(userId: string, target: string): Set<string> {
    return new Set(this.grants.get(`user:${userId}`)?.get(target) ?? []);
  }

  /** Role ids a user holds on a target: direct grants plus the grants of every group they are in. */
  effectiveRoleIds(userId: string, target: string): Set<string> {
    const out = this.directRoleIds(userId, target);
    for (const groupId of this.groupsByUser.get(userId) ?? []) for (const roleId of this.grants.get(`group:${groupId}`)?.get(target) ?? []) out.add(roleId);
    return out;
  }

  /** Every grant on one target ("project:<id>" or "domain:<id>"): a walk over all grants. */
  targetGrants(target: string): Grant[] {
    const out: Grant[] = [];
    for (const [actor, targets] of this.grants) for (const roleId of targets.get(target) ?? []) out.push({ actor, target, roleId });
    return out;
  }

  /** Every grant of one role, to users or groups, on any target: a walk over all grants. */
  roleGrants(roleId: string): Grant[] {
    const out: Grant[] = [];
    for (const [actor, targets] of this.grants) for (const [target, roles] of targets) if (roles.has(roleId)) out.push({ actor, target, roleId });
    return out;
  }

  // ---- domains ----

  /** Whether a domain exists and is enabled (users of a disabled domain cannot log in). */
  domainEnabled(reader: Reader, domainId: string): boolean {
    const dom = this.domains.get(reader, domainId);
    return !!dom && dom.enabled !== false;
  }

  /**
   * Records of one domain, from the mirror. This decodes every record of the table (the domain
   * index lives on disk only), so it is for rare admin operations: disabling or deleting a domain.
   */
  inDomain<T extends Identified & { domainId: string }>(table: Table<T>, domainId: string): T[] {
    const out: T[] = [];
    for (const r of table.all(this.kv)) if (r.domainId === domainId) out.push(r);
    return out;
  }

  /** The admin project bootstrap created (recorded by id, so renaming it changes nothing). */
  bootstrapProjectId(_defaultDomainId?: string): string | undefined {
    return this.kv.get(BOOTSTRAP_PROJECT_KEY)?.toString('utf8');
  }

  recordBootstrapProject(txn: Txn, projectId: string): void {
    txn.put(BOOTSTRAP_PROJECT_KEY, Buffer.from(projectId, 'utf8'));
  }

  // ---- group membership ----

  private applyMember(groupId: string, userId: string, add: boolean): void {
    const link = (map: Map<string, Set<string>>, from: string, to: string): void => {
      let set = map.get(from);
      if (add) {
        if (!set) map.set(from, (set = new Set()));
        set.add(to);
      } else if (set) {
        set.delete(to);
        if (set.size === 0) map.delete(from);
      }
    };
    link(this.membersByGroup, groupId, userId);
    link(this.groupsByUser, userId, groupId);
  }

  isMember(groupId: string, userId: string): boolean {
    return this.membersByGroup.get(groupId)?.has(userId) ?? false;
  }

  /** Member user ids of a group (a live view: copy it before changing memberships). */
  groupMembers(groupId: string): ReadonlySet<string> {
    return this.membersByGroup.get(groupId) ?? NO_IDS;
  }

  /** Group ids a user belongs to (a live view: copy it before changing memberships). */
  userGroups(userId: string): ReadonlySet<string> {
    return this.groupsByUser.get(userId) ?? NO_IDS;
  }

  addMember(txn: Txn, groupId: string, userId: string): void {
    if (this.isMember(groupId, userId)) return;
    txn.put(memberKey(groupId, userId), Buffer.alloc(0));
    this.applyMember(groupId, userId, true);
    txn.onAbort(() => this.applyMember(groupId, userId, false));
  }

  removeMember(txn: Txn, groupId: string, userId: string): void {
    if (!this.isMember(groupId, userId)) return;
    txn.del(memberKey(groupId, userId));
    this.applyMember(groupId, userId, false);
    txn.onAbort(() => this.applyMember(groupId, userId, true));
  }

  /** Drops every membership of a user (user deletion). */
  removeUserMemberships(txn: Txn, userId: string): void {
    for (const groupId of [...this.userGroups(userId)]) this.removeMember(txn, groupId, userId);
  }

  // ---- mutations ----

  /**
   * One synchronous mutation; its revocation events (if any) join the feed in the same batch.
   */
  async mutate<R>(fn: (txn: Txn, revoke: (e: RevocationEvent) => void) => R): Promise<R> {
    const txn = this.kv.begin();
    const events: RevocationEvent[] = [];
    let result: R;
    try {
      result = fn(txn, (e) => events.push(e));
    } catch (err) {
      this.kv.abort(txn);
      throw err;
    }
    if (events.length === 0) {
      await this.kv.commit(txn);
      return result;
    }
    const event = this.feed.record(txn, (revision) => ({ revision, events }));
    events.forEach((e, i) => txn.put(`${REVOKE_PREFIX}${event.revision}/${i}`, Buffer.from(RevocationEvent.encode(e).finish())));
    await this.kv.commit(txn, () => {
      for (const e of events) this.revocations.add(e);
      this.feed.publish(event);
    });
    return result;
  }

  settled(): Promise<void> {
    return this.kv.settled();
  }

  now(): Date {
    return this.clock.now();
  }
}
