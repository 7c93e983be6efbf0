/**
 * Subnets: addressing validation (CIDR, gateway, pools, overlap), DNS and host routes, and the
 * per-subnet address allocator's lifecycle.
 */
import { Ipv6Mode, Subnet, type Network } from '../../proto/gen/weft/network/v1/resources';
import type { Caller } from '../../services/runtime/caller';
import { failedPrecondition } from '../../services/runtime/errors';
import type { Txn } from '../../services/runtime/store/kv';
import { cidrsOverlap, isValidAddress, parseCidr, PoolAllocator, validateSubnetAddressing } from './ipam';
import { checkRevision, ownedOr404, readableOr404, requireWriter, type Changes, type NetworkState } from './state';
import { checkUpdateMask, Violations } from './validate';

const SUBNET_UPDATABLE = ['name', 'description', 'gateway_ip', 'no_gateway', 'allocation_pools', 'dns_nameservers', 'host_routes', 'enable_dhcp', 'tags'] as const;

function networkVisible(caller: Caller, n: Network | undefined): boolean {
  return !!n && (caller.isAdmin || n.projectId === caller.projectId || n.shared || n.external);
}

export function subnetVisible(state: NetworkState, caller: Caller, s: Subnet | undefined): boolean {
  if (!s) return false;
  if (caller.isAdmin || s.projectId === caller.projectId) return true;
  return networkVisible(caller, state.networks.get(state.kv, s.networkId));
}

export function getSubnet(state: NetworkState, caller: Caller, id: string): Subnet {
  const s = state.subnets.get(state.kv, id);
  return readableOr404(caller, 'subnet', id, s, subnetVisible(state, caller, s));
}

function checkExtras(v: Violations, s: Subnet, version: number): void {
  const seen = new Set<string>();
  s.dnsNameservers.forEach((d, i) => {
    v.check(isValidAddress(d, version === 6 ? 6 : 4), `subnet.dns_nameservers[${i}]`, `must be an IPv${version} address`);
    v.check(!seen.has(d), `subnet.dns_nameservers[${i}]`, 'is repeated');
    seen.add(d);
  });
  v.check(s.dnsNameservers.length <= 5, 'subnet.dns_nameservers', 'at most 5 name servers');
  s.hostRoutes.forEach((r, i) => {
    let ok = true;
    try {
      ok = parseCidr(r.destination).version === version;
    } catch {
      ok = false;
    }
    v.check(ok, `subnet.host_routes[${i}].destination`, `must be an IPv${version} CIDR`);
    v.check(isValidAddress(r.nexthop, version === 6 ? 6 : 4), `subnet.host_routes[${i}].nexthop`, `must be an IPv${version} address`);
  });
  v.check(s.hostRoutes.length <= 20, 'subnet.host_routes', 'at most 20 host routes');
  if (version === 4) {
    v.check(s.ipv6AddressMode === Ipv6Mode.IPV6_MODE_UNSPECIFIED, 'subnet.ipv6_address_mode', 'applies to IPv6 subnets only');
    v.check(s.ipv6RaMode === Ipv6Mode.IPV6_MODE_UNSPECIFIED, 'subnet.ipv6_ra_mode', 'applies to IPv6 subnets only');
  } else if (s.ipv6AddressMode && s.ipv6RaMode) {
    v.check(s.ipv6AddressMode === s.ipv6RaMode, 'subnet.ipv6_ra_mode', 'must equal ipv6_address_mode when both are set');
  }
}

/** Validates gateway and pools against the CIDR; returns the normalized addressing. */
function addressing(v: Violations, s: Subnet): { gatewayIp: string | null; pools: { start: string; end: string }[] } | undefined {
  const res = validateSubnetAddressing({
    cidr: s.cidr,
    gatewayIp: s.noGateway ? null : s.gatewayIp || undefined,
    allocationPools: s.allocationPools.length > 0 ? s.allocationPools : undefined,
  });
  if (!res.ok) {
    for (const x of res.violations) v.add(`subnet.${x.field}`, x.description);
    return undefined;
  }
  return res.value;
}

export function createSubnet(state: NetworkState, caller: Caller, input: Subnet | undefined, txn: Txn, changes: Changes): Subnet {
  requireWriter(caller);
  const req = input ?? Subnet.fromPartial({});
  const v = new Violations();
  v.name('subnet.name', req.name);
  v.description('subnet.description', req.description);
  v.tags('subnet.tags', req.tags);
  v.check(!req.id, 'subnet.id', 'is assigned by the server');
  v.uuid('subnet.network_id', req.networkId, true);
  let version = 0;
  try {
    version = parseCidr(req.cidr).version;
  } catch (err) {
    v.add('subnet.cidr', req.cidr ? (err as Error).message : 'is required');
  }
  if (req.ipVersion) v.check(req.ipVersion === 4 || req.ipVersion === 6, 'subnet.ip_version', 'must be 4 or 6');
  if (req.ipVersion && version) v.check(req.ipVersion === version, 'subnet.ip_version', `does not match the IPv${version} cidr`);
  v.throwIfAny();
  const netCur = state.networks.get(txn, req.networkId);
  const net = ownedOr404(caller, 'network', req.networkId, netCur, networkVisible(caller, netCur));
  const addr = addressing(v, req);
  checkExtras(v, req, version);
  v.throwIfAny();
  for (const sid of net.subnetIds) {
    const other = state.subnets.get(txn, sid);
    if (other && cidrsOverlap(parseCidr(other.cidr), parseCidr(req.cidr))) {
      v.add('subnet.cidr', `overlaps subnet ${other.id} (${other.cidr}) on the same network`);
    }
  }
  v.throwIfAny();
  const now = state.now();
  const subnet: Subnet = {
    id: state.ids.uuid(),
    projectId: net.projectId === caller.projectId || !caller.isAdmin ? caller.projectId : req.projectId || net.projectId,
    name: req.name,
    description: req.description,
    networkId: net.id,
    ipVersion: version,
    cidr: req.cidr,
    gatewayIp: addr!.gatewayIp ?? '',
    noGateway: addr!.gatewayIp === null,
    allocationPools: addr!.pools,
    dnsNameservers: [...req.dnsNameservers],
    hostRoutes: req.hostRoutes.map((r) => ({ ...r })),
    enableDhcp: req.enableDhcp ?? true,
    ipv6AddressMode: req.ipv6AddressMode,
    ipv6RaMode: req.ipv6RaMode,
    tags: [...req.tags],
    revisionNumber: 1,
    createdAt: now,
    updatedAt: now,
  };
  state.subnets.put(txn, subnet);
  state.setAllocator(txn, subnet.id, state.buildAllocator(subnet));
  const nextNet: Network = { ...net, subnetIds: [...net.subnetIds, subnet.id], revisionNumber: net.revisionNumber + 1, updatedAt: now };
  state.networks.put(txn, nextNet, net);
  changes.saved({ $case: 'subnet', subnet });
  changes.saved({ $case: 'network', network: nextNet });
  return subnet;
}

export function updateSubnet(
  state: NetworkState,
  caller: Caller,
  input: Subnet | undefined,
  mask: string[] | undefined,
  txn: Txn,
  changes: Changes,
): Subnet {
  requireWriter(caller);
  const req = input ?? Subnet.fromPartial({});
  const cur = state.subnets.get(txn, req.id);
  const prev = ownedOr404(caller, 'subnet', req.id, cur, subnetVisible(state, caller, cur));
  checkRevision('subnet', prev.id, req.revisionNumber, prev.revisionNumber);
  const v = new Violations();
  const paths = checkUpdateMask(v, mask, SUBNET_UPDATABLE);
  v.throwIfAny();
  const next: Subnet = { ...prev };
  let readdress = false;
  for (const p of paths) {
    switch (p) {
      case 'name':
        v.name('subnet.name', req.name);
        next.name = req.name;
        break;
      case 'description':
        v.description('subnet.description', req.description);
        next.description = req.description;
        break;
      case 'gateway_ip':
        next.gatewayIp = req.gatewayIp;
        readdress = true;
        break;
      case 'no_gateway':
        next.noGateway = req.noGateway;
        readdress = true;
        break;
      case 'allocation_pools':
        next.allocationPools = req.allocationPools.map((x) => ({ ...x }));
        readdress = true;
        break;
      case 'dns_nameservers':
        next.dnsNameservers = [...req.dnsNameservers];
        break;
      case 'host_routes':
        next.hostRoutes = req.hostRoutes.map((r) => ({ ...r }));
        break;
      case 'enable_dhcp':
        next.enableDhcp = req.enableDhcp ?? true;
        break;
      case 'tags':
        v.tags('subnet.tags', req.tags);
        next.tags = [...req.tags];
        break;
    }
  }
  checkExtras(v, next, next.ipVersion);
  if (readdress) {
    if (next.noGateway) next.gatewayIp = '';
    // When only the gateway moved, recompute default pools; explicit pools are kept as given.
    if (!paths.includes('allocation_pools') && isDefaultPools(prev)) next.allocationPools = [];
    const addr = addressing(v, next);
    v.throwIfAny();
    next.gatewayIp = addr!.gatewayIp ?? '';
    next.noGateway = addr!.gatewayIp === null;
    next.allocationPools = addr!.pools;
    const routers = [...state.routers.referencing('subnet', prev.id)];
    if (routers.length > 0 && (next.gatewayIp !== prev.gatewayIp || next.noGateway !== prev.noGateway)) {
      throw failedPrecondition(
        `router(s) ${routers.join(', ')} use the gateway address ${prev.gatewayIp} of subnet ${prev.id}; remove the interface first`,
        routers.map((r) => ({ type: 'ROUTER', subject: r, description: 'holds the gateway address' })),
        'SUBNET_GATEWAY_IN_USE',
      );
    }
    const allocator = state.buildAllocator(next);
    for (const portId of state.ports.referencing('subnet', prev.id)) {
      const port = state.ports.get(txn, portId);
      for (const ip of port?.fixedIps ?? []) {
        if (ip.subnetId !== prev.id) continue;
        // Router interfaces hold their subnet's gateway; anyone else on the new gateway is a conflict.
        if (allocator.reserve(ip.ipAddress, { allowGateway: port?.deviceOwner === 'network:router_interface' }) !== 'ok') {
          v.add('subnet.gateway_ip', `address ${ip.ipAddress} is allocated to port ${portId}`);
        }
      }
    }
    v.throwIfAny();
    state.setAllocator(txn, next.id, allocator);
  }
  v.throwIfAny();
  next.revisionNumber = prev.revisionNumber + 1;
  next.updatedAt = state.now();
  state.subnets.put(txn, next, prev);
  changes.saved({ $case: 'subnet', subnet: next });
  return next;
}

function isDefaultPools(s: Subnet): boolean {
  const def = validateSubnetAddressing({ cidr: s.cidr, gatewayIp: s.noGateway ? null : s.gatewayIp });
  return def.ok && JSON.stringify(def.value.pools) === JSON.stringify(s.allocationPools);
}

export function deleteSubnet(state: NetworkState, caller: Caller, id: string, revision: number, txn: Txn, changes: Changes): void {
  requireWriter(caller);
  const cur = state.subnets.get(txn, id);
  const subnet = ownedOr404(caller, 'subnet', id, cur, subnetVisible(state, caller, cur));
  checkRevision('subnet', id, revision, subnet.revisionNumber);
  deleteSubnetIn(state, subnet, txn, changes, { updateNetwork: true });
}

/** Deletes a subnet that has no allocated addresses (shared with network deletion). */
export function deleteSubnetIn(state: NetworkState, subnet: Subnet, txn: Txn, changes: Changes, opts: { updateNetwork: boolean }): void {
  const holders = [...state.ports.referencing('subnet', subnet.id)];
  if (holders.length > 0) {
    throw failedPrecondition(
      `subnet ${subnet.id} has ${holders.length} allocated address(es), held by port(s) ${holders.slice(0, 3).join(', ')}`,
      holders.slice(0, 20).map((p) => ({ type: 'PORT', subject: p, description: 'holds an address in this subnet' })),
      'SUBNET_IN_USE',
    );
  }
  const routers = [...state.routers.referencing('subnet', subnet.id)];
  if (routers.length > 0) {
    throw failedPrecondition(`subnet ${subnet.id} is attached to router(s) ${routers.join(', ')}`, routers.map((r) => ({ type: 'ROUTER', subject: r, description: 'router interface on this subnet' })), 'SUBNET_IN_USE');
  }
  state.subnets.delete(txn, subnet);
  state.setAllocator(txn, subnet.id, undefined);
  changes.deleted({ $case: 'subnet', subnet });
  if (opts.updateNetwork) {
    const net = state.networks.get(txn, subnet.networkId);
    if (net) {
      const next: Network = { ...net, subnetIds: net.subnetIds.filter((x) => x !== subnet.id), revisionNumber: net.revisionNumber + 1, updatedAt: state.now() };
      state.networks.put(txn, next, net);
      changes.saved({ $case: 'network', network: next });
    }
  }
}

export type { PoolAllocator };
