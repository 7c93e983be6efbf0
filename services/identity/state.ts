/**
 * The identity service's state: resource tables, role assignments in memory, the revocation
 * set and its feed, over the same store model as the network controller (synchronous mutations
 * against an in-memory mirror, group-committed LevelDB batches; see services/runtime/store/kv.ts).
 */
import { randomUUID } from 'node:crypto';
import { ApplicationCredential, Domain, Endpoint, Project, RevocationEvent, Role, User } from '../../proto/gen/weft/identity/v1/resources';
import { WatchRevocationEventsResponse } from '../../proto/gen/weft/identity/v1/identity_service';
import { RevocationSet } from '../runtime/auth/revocations';
import { ChangeLog } from '../runtime/store/changelog';
import type { KvStore, Txn } from '../runtime/store/kv';
import { encodeKeyPart, Table } from '../runtime/store/table';
import type { Clock } from './tokens/token-codec';

const ASSIGN_PREFIX = 'a/asg/';
const REVOKE_PREFIX = 'a/revoke/';

/** A role grant, keyed as actor/target/role. */
export interface Grant {
  actor: string; // "user:<id>" or "group:<id>"
  target: string; // "project:<id>" or "domain:<id>"
  roleId: string;
}

function grantKey(g: Grant): string {
  return `${ASSIGN_PREFIX}${g.actor}/${g.target}/${g.roleId}`;
}

export class IdentityState {
  readonly domains = new Table<Domain>('domain', Domain, { all: () => ['*'] });
  readonly projects = new Table<Project>('project', Project, { domain: (p) => [p.domainId] });
  readonly users = new Table<User>('user', User, { domain: (u) => [u.domainId] });
  readonly roles = new Table<Role>('role', Role, { all: () => ['*'] });
  readonly endpoints = new Table<Endpoint>('endpoint', Endpoint, { all: () => ['*'] });
  /** Secrets are stored as "sha256:<hex>" in the secret field and stripped on output. */
  readonly appCreds = new Table<ApplicationCredential>('appcred', ApplicationCredential, { user: (a) => [a.userId] });
  /** actor → target → role ids. */
  private readonly grants = new Map<string, Map<string, Set<string>>>();
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

  /** Role ids a user holds directly on a target. */
  directRoleIds(userId: string, target: string): Set<string> {
    return new Set(this.grants.get(`user:${userId}`)?.get(target) ?? []);
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
    for (const e of events) txn.put(`${REVOKE_PREFIX}${event.revision}/${events.indexOf(e)}`, Buffer.from(RevocationEvent.encode(e).finish()));
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
