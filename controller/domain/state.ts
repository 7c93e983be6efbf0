/**
 * The controller's domain state: tables over the store, allocators rebuilt from it at start, the
 * change log, and `mutate`, the single way anything changes.
 *
 * `mutate(fn)` runs `fn` synchronously against in-memory state; `fn` either throws a WeftError
 * (nothing changes: the txn and every allocator side effect are undone) or returns normally, in
 * which case its writes plus one change-log entry commit as one LevelDB batch. Because `fn` cannot
 * await, two mutations never interleave; that is what makes IPAM and uniqueness checks race-free.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Change, ResourceType, WatchResponse } from '../../proto/gen/weft/network/v1/network_service';
import {
  FloatingIp,
  Network,
  NetworkType,
  Port,
  Router,
  SecurityGroup,
  SecurityGroupRule,
  Subnet,
} from '../../proto/gen/weft/network/v1/resources';
import { readsAllProjects, type Caller } from '../../services/runtime/caller';
import { aborted, notFound, permissionDenied } from '../../services/runtime/errors';
import type { ControllerConfig } from '../config';
import { ChangeLog } from '../../services/runtime/store/changelog';
import type { KvStore, Txn } from '../../services/runtime/store/kv';
import { Table } from '../../services/runtime/store/table';
import type { PolicyEngine } from '../../services/runtime/policy/engine';
import { AttributePolicy } from './attribute-policy';
import { PoolAllocator, validateSubnetAddressing } from './ipam';
import { SegmentPool } from './segment-pool';

export interface Clock {
  now(): Date;
}

export interface Ids {
  uuid(): string;
  /** Uniform random bytes (MAC generation). */
  bytes(n: number): Buffer;
}

export const systemClock: Clock = { now: () => new Date() };
/** Random bytes drawn from a refilled pool: one syscall per 4 KiB instead of one per MAC. */
function pooledRandom(): (n: number) => Buffer {
  let pool = randomBytes(4096);
  let offset = 0;
  return (n) => {
    if (n > pool.length) return randomBytes(n);
    if (offset + n > pool.length) {
      pool = randomBytes(4096);
      offset = 0;
    }
    const out = pool.subarray(offset, offset + n);
    offset += n;
    return out;
  };
}

export const systemIds: Ids = { uuid: () => randomUUID(), bytes: pooledRandom() };

export interface NetworkStateDeps {
  /**
   * The controller's loaded policy (shipped rules plus operator overrides). Required rather than
   * defaulted, so the attribute rules can never silently ignore an operator's override file.
   */
  policy: PolicyEngine;
  clock?: Clock;
  ids?: Ids;
}

export type ResourceValue =
  | { $case: 'network'; network: Network }
  | { $case: 'subnet'; subnet: Subnet }
  | { $case: 'port'; port: Port }
  | { $case: 'router'; router: Router }
  | { $case: 'securityGroup'; securityGroup: SecurityGroup }
  | { $case: 'securityGroupRule'; securityGroupRule: SecurityGroupRule }
  | { $case: 'floatingIp'; floatingIp: FloatingIp };

const RESOURCE_TYPES: Record<ResourceValue['$case'], ResourceType> = {
  network: ResourceType.RESOURCE_TYPE_NETWORK,
  subnet: ResourceType.RESOURCE_TYPE_SUBNET,
  port: ResourceType.RESOURCE_TYPE_PORT,
  router: ResourceType.RESOURCE_TYPE_ROUTER,
  securityGroup: ResourceType.RESOURCE_TYPE_SECURITY_GROUP,
  securityGroupRule: ResourceType.RESOURCE_TYPE_SECURITY_GROUP_RULE,
  floatingIp: ResourceType.RESOURCE_TYPE_FLOATING_IP,
};

/** What a mutation collects besides its writes: the changes the feed will carry. */
export class Changes {
  readonly list: Change[] = [];
  saved(value: ResourceValue): void {
    this.push(value, false);
  }
  deleted(value: ResourceValue): void {
    this.push(value, true);
  }
  private push(value: ResourceValue, deleted: boolean): void {
    const res = (value as unknown as Record<string, { id: string; projectId: string }>)[value.$case];
    // A resource changed twice in one mutation is reported once, with its final state.
    const i = this.list.findIndex((c) => c.id === res.id && c.value?.$case === value.$case);
    const wire = { $case: value.$case, value: res } as Change['value'];
    const change: Change = { resourceType: RESOURCE_TYPES[value.$case], id: res.id, projectId: res.projectId, deleted, value: wire };
    if (i >= 0) this.list[i] = change;
    else this.list.push(change);
  }
}

export class NetworkState {
  readonly networks = new Table<Network>('network', Network, {}, { segment: segmentRefs });
  readonly subnets = new Table<Subnet>('subnet', Subnet, { network: (s) => [s.networkId] });
  readonly ports = new Table<Port>(
    'port',
    Port,
    {
      project: (p) => [p.projectId],
      network: (p) => [p.networkId],
      device: (p) => (p.deviceId ? [p.deviceId] : []),
      host: (p) => (p.binding?.hostId ? [p.binding.hostId] : []),
    },
    {
      network: (p) => [p.networkId],
      securityGroup: (p) => p.securityGroupIds,
      mac: (p) => [p.macAddress],
      subnet: (p) => p.fixedIps.map((f) => f.subnetId),
      device: (p) => (p.deviceId ? [p.deviceId] : []),
    },
  );
  readonly routers = new Table<Router>('router', Router, { project: (r) => [r.projectId] }, { subnet: (r) => r.interfaces.map((i) => i.subnetId), gatewayNetwork: (r) => (r.externalGateway?.networkId ? [r.externalGateway.networkId] : []) });
  readonly securityGroups = new Table<SecurityGroup>('sg', SecurityGroup, { project: (g) => [g.projectId] }, { remoteGroup: (g) => g.rules.map((r) => r.remoteGroupId).filter((x) => x) });
  readonly rules = new Table<SecurityGroupRule>('sgr', SecurityGroupRule, { project: (r) => [r.projectId], group: (r) => [r.securityGroupId] });
  readonly floatingIps = new Table<FloatingIp>('fip', FloatingIp, { project: (f) => [f.projectId] }, { port: (f) => (f.portId ? [f.portId] : []), router: (f) => (f.routerId ? [f.routerId] : []) });

  readonly changelog: ChangeLog<WatchResponse>;
  readonly vxlanPool: SegmentPool;
  readonly vlanPools = new Map<string, SegmentPool>();
  private readonly allocators = new Map<string, PoolAllocator>();
  readonly clock: Clock;
  readonly ids: Ids;
  /** Who may set restricted attributes (attribute-policy.ts); the domain modules ask it. */
  readonly attributes: AttributePolicy;

  constructor(
    readonly kv: KvStore,
    readonly config: ControllerConfig,
    deps: NetworkStateDeps,
  ) {
    this.clock = deps.clock ?? systemClock;
    this.ids = deps.ids ?? systemIds;
    this.attributes = new AttributePolicy(deps.policy);
    this.changelog = new ChangeLog(kv, config.store.changeLogRetain, WatchResponse);
    this.vxlanPool = new SegmentPool(config.segments.vxlanVniRanges);
    for (const [physnet, ranges] of Object.entries(config.segments.vlanRanges)) this.vlanPools.set(physnet, new SegmentPool(ranges));
  }

  /** Rebuilds in-memory indexes and allocators from the store (startup). */
  load(): { counts: Record<string, number> } {
    const counts: Record<string, number> = {};
    for (const t of [this.networks, this.subnets, this.ports, this.routers, this.securityGroups, this.rules, this.floatingIps]) {
      counts[t.type] = t.rebuild(this.kv);
    }
    for (const net of this.networks.all(this.kv)) {
      for (const seg of net.segments) this.segmentPool(seg.networkType, seg.physicalNetwork)?.claim(seg.segmentationId);
    }
    for (const subnet of this.subnets.all(this.kv)) this.allocators.set(subnet.id, this.buildAllocator(subnet));
    for (const port of this.ports.all(this.kv)) {
      for (const ip of port.fixedIps) this.allocators.get(ip.subnetId)?.reserve(ip.ipAddress, { allowGateway: true });
    }
    return { counts };
  }

  segmentPool(type: NetworkType, physnet: string): SegmentPool | undefined {
    if (type === NetworkType.NETWORK_TYPE_VXLAN) return this.vxlanPool;
    if (type === NetworkType.NETWORK_TYPE_VLAN) {
      let pool = this.vlanPools.get(physnet);
      // Provider VLANs on a physnet without tenant ranges still need exclusivity tracking.
      if (!pool) this.vlanPools.set(physnet, (pool = new SegmentPool([])));
      return pool;
    }
    return undefined;
  }

  buildAllocator(subnet: Subnet): PoolAllocator {
    const addressing = validateSubnetAddressing({
      cidr: subnet.cidr,
      gatewayIp: subnet.noGateway ? null : subnet.gatewayIp,
      allocationPools: subnet.allocationPools,
    });
    if (!addressing.ok) throw new Error(`stored subnet ${subnet.id} has invalid addressing`);
    return PoolAllocator.fromSubnet(subnet.cidr, addressing.value);
  }

  allocator(subnetId: string): PoolAllocator {
    const a = this.allocators.get(subnetId);
    if (!a) throw new Error(`no allocator for subnet ${subnetId}`);
    return a;
  }

  /** Registers or drops a subnet's allocator inside a txn (undone if the txn aborts). */
  setAllocator(txn: Txn, subnetId: string, allocator: PoolAllocator | undefined): void {
    const prev = this.allocators.get(subnetId);
    if (allocator) this.allocators.set(subnetId, allocator);
    else this.allocators.delete(subnetId);
    txn.onAbort(() => {
      if (prev) this.allocators.set(subnetId, prev);
      else this.allocators.delete(subnetId);
    });
  }

  /**
   * Runs one mutation. `fn` must be synchronous; see the module comment.
   */
  async mutate<R>(fn: (txn: Txn, changes: Changes) => R): Promise<R> {
    const txn = this.kv.begin();
    const changes = new Changes();
    let result: R;
    try {
      result = fn(txn, changes);
      if (changes.list.length === 0 && txn.ops.length === 0) {
        this.kv.abort(txn);
        return result;
      }
    } catch (err) {
      this.kv.abort(txn);
      throw err;
    }
    // Records outside the network feed (agents) are written without a change-log entry.
    if (changes.list.length === 0) {
      await this.kv.commit(txn);
      return result;
    }
    const event = this.changelog.record(txn, (revision) => ({ revision, changes: changes.list }));
    await this.kv.commit(txn, () => this.changelog.publish(event));
    return result;
  }

  /**
   * Runs `fn` exactly like a mutation (same validation, same checks, same would-be result) and then
   * discards it, undoing every side effect. Mechanism drivers are asked about a port change before
   * it commits (their calls are async and cannot run inside a mutation), and they must only ever
   * see changes the caller is allowed to make.
   */
  preview<R>(fn: (txn: Txn, changes: Changes) => R): R {
    const txn = this.kv.begin();
    try {
      return fn(txn, new Changes());
    } finally {
      this.kv.abort(txn);
    }
  }

  /** Waits until every acknowledged-or-pending write is durable (read-your-writes, never phantoms). */
  settled(): Promise<void> {
    return this.kv.settled();
  }

  now(): Date {
    return this.clock.now();
  }
}

function segmentRefs(n: Network): string[] {
  return n.segments.map((s) => `${s.networkType}/${s.physicalNetwork}/${s.segmentationId}`);
}

// ---- access helpers shared by the resource modules ----

export function canWrite(caller: Caller): boolean {
  return caller.isAdmin || caller.roles.includes('member');
}

export function requireWriter(caller: Caller): void {
  if (!canWrite(caller)) throw permissionDenied('this operation needs the member or admin role');
}

/** Returns the resource if the caller may see it; otherwise NOT_FOUND (never a hint it exists). */
export function visibleOr404<T extends { projectId: string }>(
  caller: Caller,
  type: string,
  id: string,
  resource: T | undefined,
  sharedVisible = false,
): T {
  if (!resource || !(caller.isAdmin || resource.projectId === caller.projectId || sharedVisible)) throw notFound(type, id);
  return resource;
}

/**
 * `visibleOr404` for reads (Get): callers that read every project (admins, services: see
 * readsAllProjects) see every resource. Mutations keep using visibleOr404/ownedOr404, so a service
 * caller's wider view never lets it touch or reference another project's resources.
 */
export function readableOr404<T extends { projectId: string }>(
  caller: Caller,
  type: string,
  id: string,
  resource: T | undefined,
  sharedVisible = false,
): T {
  return visibleOr404(caller, type, id, resource, sharedVisible || (!!resource && readsAllProjects(caller)));
}

/** The resource if the caller owns it (or is admin); NOT_FOUND if invisible; PERMISSION_DENIED if only visible. */
export function ownedOr404<T extends { projectId: string }>(
  caller: Caller,
  type: string,
  id: string,
  resource: T | undefined,
  sharedVisible = false,
): T {
  const r = visibleOr404(caller, type, id, resource, sharedVisible);
  if (!caller.isAdmin && r.projectId !== caller.projectId) throw permissionDenied(`${type} ${id} belongs to another project`);
  return r;
}

export function checkRevision(type: string, id: string, expected: number | undefined, actual: number): void {
  if (expected && expected !== actual) {
    throw aborted(`${type} ${id} is at revision ${actual}, not ${expected}; re-read it and retry`);
  }
}

export function networkIsShared(n: Network | undefined): boolean {
  return !!n && (n.shared || n.external);
}
