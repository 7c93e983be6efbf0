/**
 * Networks: validation, tenant segment allocation, provider segments (admin by default: see the
 * attribute rules in controller/policy.ts), MTU, and the integrity rules for deletion. All
 * functions run inside `NetworkState.mutate` or are reads.
 */
import { Network, NetworkType, Status, type Segment } from '../../proto/gen/weft/network/v1/resources';
import type { Caller } from '../../services/runtime/caller';
import { alreadyExists, failedPrecondition, resourceExhausted } from '../../services/runtime/errors';
import { checkRevision, ownedOr404, readableOr404, requireWriter, type Changes, type NetworkState } from './state';
import type { Txn } from '../../services/runtime/store/kv';
import { checkUpdateMask, Violations } from './validate';
import { deleteSubnetIn } from './subnets';

export const VXLAN_OVERHEAD = 50;
const NETWORK_UPDATABLE = ['name', 'description', 'admin_state_up', 'shared', 'external', 'mtu', 'port_security_enabled', 'tags'] as const;

export function networkVisible(caller: Caller, n: Network | undefined): boolean {
  return !!n && (caller.isAdmin || n.projectId === caller.projectId || n.shared || n.external);
}

export function getNetwork(state: NetworkState, caller: Caller, id: string): Network {
  const n = state.networks.get(state.kv, id);
  return readableOr404(caller, 'network', id, n, networkVisible(caller, n));
}

function maxMtu(state: NetworkState, segments: Segment[]): number {
  const overhead = segments.some((s) => s.networkType === NetworkType.NETWORK_TYPE_VXLAN) ? VXLAN_OVERHEAD : 0;
  return state.config.physicalMtu - overhead;
}

function segmentKey(s: Segment): string {
  return `${s.networkType}/${s.physicalNetwork}/${s.segmentationId}`;
}

/** Validates explicit provider segments (the caller passed the provider rules) and claims their ids in this txn. */
function claimProviderSegments(state: NetworkState, txn: Txn, v: Violations, segments: Segment[]): void {
  v.check(segments.length === 1, 'segments', 'exactly one segment is supported');
  if (segments.length !== 1) return;
  const s = segments[0];
  const f = 'segments[0]';
  switch (s.networkType) {
    case NetworkType.NETWORK_TYPE_LOCAL:
      v.check(!s.physicalNetwork && !s.segmentationId, f, 'local segments take no physical_network or segmentation_id');
      break;
    case NetworkType.NETWORK_TYPE_FLAT:
      v.check(state.config.segments.flatNetworks.includes(s.physicalNetwork), `${f}.physical_network`, `must be one of the flat physical networks: ${state.config.segments.flatNetworks.join(', ') || '(none configured)'}`);
      v.check(!s.segmentationId, `${f}.segmentation_id`, 'flat segments take no segmentation_id');
      break;
    case NetworkType.NETWORK_TYPE_VLAN:
      v.check(!!s.physicalNetwork, `${f}.physical_network`, 'is required for vlan');
      v.check(s.segmentationId >= 1 && s.segmentationId <= 4094, `${f}.segmentation_id`, 'VLAN id must be 1-4094');
      break;
    case NetworkType.NETWORK_TYPE_VXLAN:
      v.check(!s.physicalNetwork, `${f}.physical_network`, 'vxlan segments take no physical_network');
      v.check(s.segmentationId >= 1 && s.segmentationId <= 16_777_215, `${f}.segmentation_id`, 'VNI must be 1-16777215');
      break;
    default:
      v.add(`${f}.network_type`, 'must be local, flat, vlan or vxlan');
  }
  v.throwIfAny();
  if (s.networkType === NetworkType.NETWORK_TYPE_FLAT && state.networks.referencing('segment', segmentKey(s)).size > 0) {
    throw alreadyExists(`physical network ${s.physicalNetwork} already carries a flat network`, 'SEGMENT_IN_USE');
  }
  const pool = state.segmentPool(s.networkType, s.physicalNetwork);
  if (pool) {
    if (!pool.claim(s.segmentationId)) throw alreadyExists(`segmentation id ${s.segmentationId} is already in use`, 'SEGMENT_IN_USE');
    txn.onAbort(() => pool.release(s.segmentationId));
  }
}

function allocateTenantSegment(state: NetworkState, txn: Txn): Segment {
  const type = state.config.segments.tenantNetworkType;
  if (type === 'local') return { networkType: NetworkType.NETWORK_TYPE_LOCAL, physicalNetwork: '', segmentationId: 0 };
  if (type === 'vxlan') {
    const id = state.vxlanPool.allocate();
    if (id === null) throw resourceExhausted('no free VXLAN VNI left for tenant networks', 'SEGMENTS_EXHAUSTED');
    txn.onAbort(() => state.vxlanPool.release(id));
    return { networkType: NetworkType.NETWORK_TYPE_VXLAN, physicalNetwork: '', segmentationId: id };
  }
  for (const [physnet, pool] of state.vlanPools) {
    if (!Object.prototype.hasOwnProperty.call(state.config.segments.vlanRanges, physnet)) continue;
    const id = pool.allocate();
    if (id !== null) {
      txn.onAbort(() => pool.release(id));
      return { networkType: NetworkType.NETWORK_TYPE_VLAN, physicalNetwork: physnet, segmentationId: id };
    }
  }
  throw resourceExhausted('no free VLAN id left for tenant networks', 'SEGMENTS_EXHAUSTED');
}

export function createNetwork(state: NetworkState, caller: Caller, input: Network | undefined, txn: Txn, changes: Changes): Network {
  requireWriter(caller);
  const req = input ?? Network.fromPartial({});
  const v = new Violations();
  v.name('network.name', req.name);
  v.description('network.description', req.description);
  v.tags('network.tags', req.tags);
  v.check(!req.id, 'network.id', 'is assigned by the server');
  const owner = { project_id: req.projectId || caller.projectId };
  if (req.projectId && req.projectId !== caller.projectId) state.attributes.authorize(caller, 'create_network', 'project_id', owner);
  // An explicit segment always names a type (unset is invalid), so any segment is a provider network.
  for (const s of req.segments) {
    state.attributes.authorize(caller, 'create_network', 'provider:network_type', owner);
    if (s.physicalNetwork) state.attributes.authorize(caller, 'create_network', 'provider:physical_network', owner);
    if (s.segmentationId) state.attributes.authorize(caller, 'create_network', 'provider:segmentation_id', owner);
  }
  if (req.shared) state.attributes.authorize(caller, 'create_network', 'shared', owner);
  if (req.external) state.attributes.authorize(caller, 'create_network', 'external', owner);
  v.throwIfAny();
  let segments: Segment[];
  if (req.segments.length > 0) {
    claimProviderSegments(state, txn, v, req.segments);
    segments = req.segments.map((s) => ({ ...s }));
  } else {
    segments = [allocateTenantSegment(state, txn)];
  }
  const limit = maxMtu(state, segments);
  if (req.mtu) v.check(req.mtu >= 68 && req.mtu <= limit, 'network.mtu', `must be between 68 and ${limit} for this segment type`);
  v.throwIfAny();
  const now = state.now();
  const net: Network = {
    id: state.ids.uuid(),
    projectId: req.projectId || caller.projectId,
    name: req.name,
    description: req.description,
    adminStateUp: req.adminStateUp ?? true,
    status: Status.STATUS_ACTIVE,
    shared: req.shared,
    external: req.external,
    mtu: req.mtu || limit,
    portSecurityEnabled: req.portSecurityEnabled ?? true,
    segments,
    tags: [...req.tags],
    revisionNumber: 1,
    createdAt: now,
    updatedAt: now,
    subnetIds: [],
  };
  state.networks.put(txn, net);
  changes.saved({ $case: 'network', network: net });
  return net;
}

export function updateNetwork(
  state: NetworkState,
  caller: Caller,
  input: Network | undefined,
  mask: string[] | undefined,
  txn: Txn,
  changes: Changes,
): Network {
  requireWriter(caller);
  const req = input ?? Network.fromPartial({});
  const cur = state.networks.get(state.kv, req.id);
  const prev = ownedOr404(caller, 'network', req.id, cur, networkVisible(caller, cur));
  checkRevision('network', prev.id, req.revisionNumber, prev.revisionNumber);
  const v = new Violations();
  const paths = checkUpdateMask(v, mask, NETWORK_UPDATABLE);
  v.throwIfAny();
  const next: Network = { ...prev, tags: [...prev.tags] };
  for (const p of paths) {
    switch (p) {
      case 'name':
        v.name('network.name', req.name);
        next.name = req.name;
        break;
      case 'description':
        v.description('network.description', req.description);
        next.description = req.description;
        break;
      case 'admin_state_up':
        next.adminStateUp = req.adminStateUp ?? true;
        break;
      case 'shared':
        state.attributes.authorize(caller, 'update_network', 'shared', { project_id: prev.projectId });
        if (prev.shared && !req.shared) {
          const foreign = [...state.ports.referencing('network', prev.id)].map((id) => state.ports.get(state.kv, id)).filter((p) => p && p.projectId !== prev.projectId);
          if (foreign.length > 0) {
            throw failedPrecondition(`network ${prev.id} has ports of other projects; it cannot stop being shared`, foreign.slice(0, 10).map((p) => ({ type: 'PORT', subject: p!.id, description: 'port of another project' })), 'NETWORK_IN_USE');
          }
        }
        next.shared = req.shared;
        break;
      case 'external':
        state.attributes.authorize(caller, 'update_network', 'external', { project_id: prev.projectId });
        next.external = req.external;
        break;
      case 'mtu': {
        const limit = maxMtu(state, prev.segments);
        v.check(req.mtu >= 68 && req.mtu <= limit, 'network.mtu', `must be between 68 and ${limit} for this segment type`);
        next.mtu = req.mtu;
        break;
      }
      case 'port_security_enabled':
        next.portSecurityEnabled = req.portSecurityEnabled ?? true;
        break;
      case 'tags':
        v.tags('network.tags', req.tags);
        next.tags = [...req.tags];
        break;
    }
  }
  v.throwIfAny();
  next.revisionNumber = prev.revisionNumber + 1;
  next.updatedAt = state.now();
  state.networks.put(txn, next, prev);
  changes.saved({ $case: 'network', network: next });
  return next;
}

export function deleteNetwork(state: NetworkState, caller: Caller, id: string, revision: number, txn: Txn, changes: Changes): void {
  requireWriter(caller);
  const cur = state.networks.get(state.kv, id);
  const net = ownedOr404(caller, 'network', id, cur, networkVisible(caller, cur));
  checkRevision('network', id, revision, net.revisionNumber);
  const ports = [...state.ports.referencing('network', id)];
  if (ports.length > 0) {
    throw failedPrecondition(
      `network ${id} still has ${ports.length} port(s), e.g. ${ports.slice(0, 3).join(', ')}; delete them first`,
      ports.slice(0, 20).map((p) => ({ type: 'PORT', subject: p, description: 'port on this network' })),
      'NETWORK_IN_USE',
    );
  }
  const gateways = [...state.routers.referencing('gatewayNetwork', id)];
  if (gateways.length > 0) {
    throw failedPrecondition(
      `network ${id} is the external gateway of router(s) ${gateways.join(', ')}`,
      gateways.map((r) => ({ type: 'ROUTER', subject: r, description: 'router gateway on this network' })),
      'NETWORK_IN_USE',
    );
  }
  // Subnets without allocated addresses go with their network, as Neutron users expect.
  for (const sid of net.subnetIds) {
    const s = state.subnets.get(txn, sid);
    if (s) deleteSubnetIn(state, s, txn, changes, { updateNetwork: false });
  }
  for (const s of net.segments) {
    const pool = state.segmentPool(s.networkType, s.physicalNetwork);
    if (pool) {
      pool.release(s.segmentationId);
      txn.onAbort(() => pool.claim(s.segmentationId));
    }
  }
  state.networks.delete(txn, net);
  changes.deleted({ $case: 'network', network: net });
}
