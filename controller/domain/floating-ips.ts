/**
 * Floating IPs: an address on an external network (held by an internal port), optionally mapped
 * to a fixed IP of a project port that a router with a gateway on that network can reach.
 */
import { FloatingIp, Status, type Port } from '../../proto/gen/weft/network/v1/resources';
import type { Caller } from '../../services/runtime/caller';
import { alreadyExists, failedPrecondition, invalidArgument, notFound, permissionDenied } from '../../services/runtime/errors';
import type { Txn } from '../../services/runtime/store/kv';
import { createInternalPort, deletePortIn } from './ports';
import { checkRevision, ownedOr404, readableOr404, requireWriter, visibleOr404, type Changes, type NetworkState } from './state';
import { checkUpdateMask, Violations } from './validate';

const FIP_UPDATABLE = ['port_id', 'fixed_ip_address', 'description', 'tags'] as const;
export const OWNER_FLOATING_IP = 'network:floatingip';

export function getFloatingIp(state: NetworkState, caller: Caller, id: string): FloatingIp {
  return readableOr404(caller, 'floating IP', id, state.floatingIps.get(state.kv, id));
}

/** Finds the fixed IP and the router that makes the association reachable, or explains why not. */
function resolveAssociation(state: NetworkState, caller: Caller, txn: Txn, fip: FloatingIp, portId: string, fixedIp: string): { port: Port; fixedIp: string; routerId: string } {
  const port = visibleOr404(caller, 'port', portId, state.ports.get(txn, portId));
  if (port.projectId !== fip.projectId) throw permissionDenied(`port ${portId} belongs to another project than the floating IP`);
  const v4 = port.fixedIps.filter((f) => !f.ipAddress.includes(':'));
  let chosen = fixedIp ? port.fixedIps.find((f) => f.ipAddress === fixedIp) : v4[0];
  if (fixedIp && !chosen) throw invalidArgument([{ field: 'floating_ip.fixed_ip_address', description: `${fixedIp} is not an address of port ${portId}` }]);
  if (!chosen) throw invalidArgument([{ field: 'floating_ip.port_id', description: `port ${portId} has no IPv4 address to map` }]);
  if (chosen.ipAddress.includes(':')) throw invalidArgument([{ field: 'floating_ip.fixed_ip_address', description: 'floating IPs map to IPv4 addresses' }]);
  for (const otherId of state.floatingIps.referencing('port', portId)) {
    const other = state.floatingIps.get(txn, otherId);
    if (other && other.id !== fip.id && other.fixedIpAddress === chosen.ipAddress && other.floatingNetworkId === fip.floatingNetworkId) {
      throw alreadyExists(`${chosen.ipAddress} of port ${portId} already has floating IP ${other.floatingIpAddress}`, 'FIXED_IP_ALREADY_MAPPED');
    }
  }
  const routers = [...state.routers.referencing('gatewayNetwork', fip.floatingNetworkId)]
    .map((id) => state.routers.get(txn, id)!)
    .filter((r) => r && r.interfaces.some((i) => i.subnetId === chosen!.subnetId));
  if (routers.length === 0) {
    throw failedPrecondition(
      `external network ${fip.floatingNetworkId} is not reachable from subnet ${chosen.subnetId}: no router has a gateway there and an interface on the subnet`,
      [{ type: 'SUBNET', subject: chosen.subnetId, description: 'needs a router to the external network' }],
      'EXTERNAL_NETWORK_UNREACHABLE',
    );
  }
  routers.sort((a, b) => a.id.localeCompare(b.id));
  return { port, fixedIp: chosen.ipAddress, routerId: routers[0].id };
}

export function createFloatingIp(state: NetworkState, caller: Caller, input: FloatingIp | undefined, txn: Txn, changes: Changes): FloatingIp {
  requireWriter(caller);
  const req = input ?? FloatingIp.fromPartial({});
  const v = new Violations();
  v.check(!req.id, 'floating_ip.id', 'is assigned by the server');
  v.uuid('floating_ip.floating_network_id', req.floatingNetworkId, true);
  v.uuid('floating_ip.port_id', req.portId, false);
  v.description('floating_ip.description', req.description);
  v.tags('floating_ip.tags', req.tags);
  if (req.projectId && req.projectId !== caller.projectId) state.attributes.authorize(caller, 'create_floating_ip', 'project_id', { project_id: req.projectId });
  v.throwIfAny();
  const net = state.networks.get(txn, req.floatingNetworkId);
  if (!net || !(net.external || caller.isAdmin || net.projectId === caller.projectId)) throw notFound('network', req.floatingNetworkId);
  if (!net.external) throw invalidArgument([{ field: 'floating_ip.floating_network_id', description: `network ${net.id} is not external` }]);
  const now = state.now();
  const fip: FloatingIp = {
    id: state.ids.uuid(),
    projectId: req.projectId || caller.projectId,
    description: req.description,
    floatingNetworkId: net.id,
    floatingIpAddress: '',
    portId: '',
    fixedIpAddress: '',
    routerId: '',
    status: Status.STATUS_DOWN,
    tags: [...req.tags],
    revisionNumber: 1,
    createdAt: now,
    updatedAt: now,
  };
  const holder = createInternalPort(state, txn, changes, {
    projectId: fip.projectId,
    networkId: net.id,
    deviceId: fip.id,
    deviceOwner: OWNER_FLOATING_IP,
    fixedIps: req.floatingIpAddress ? [{ subnetId: '', ipAddress: req.floatingIpAddress }] : undefined,
  });
  const v4 = holder.fixedIps.find((f) => !f.ipAddress.includes(':')) ?? holder.fixedIps[0];
  if (!v4) throw failedPrecondition(`external network ${net.id} has no subnet to allocate from`, [], 'NO_SUBNET');
  fip.floatingIpAddress = v4.ipAddress;
  if (req.portId) {
    const a = resolveAssociation(state, caller, txn, fip, req.portId, req.fixedIpAddress);
    fip.portId = a.port.id;
    fip.fixedIpAddress = a.fixedIp;
    fip.routerId = a.routerId;
  }
  state.floatingIps.put(txn, fip);
  changes.saved({ $case: 'floatingIp', floatingIp: fip });
  return fip;
}

export function updateFloatingIp(state: NetworkState, caller: Caller, input: FloatingIp | undefined, mask: string[] | undefined, txn: Txn, changes: Changes): FloatingIp {
  requireWriter(caller);
  const req = input ?? FloatingIp.fromPartial({});
  const prev = ownedOr404(caller, 'floating IP', req.id, state.floatingIps.get(txn, req.id));
  checkRevision('floating IP', prev.id, req.revisionNumber, prev.revisionNumber);
  const v = new Violations();
  const paths = checkUpdateMask(v, mask, FIP_UPDATABLE);
  if (paths.includes('fixed_ip_address') && !paths.includes('port_id')) v.add('update_mask', 'fixed_ip_address changes together with port_id');
  if (paths.includes('port_id')) v.uuid('floating_ip.port_id', req.portId, false);
  v.throwIfAny();
  const next: FloatingIp = { ...prev };
  if (paths.includes('description')) {
    v.description('floating_ip.description', req.description);
    next.description = req.description;
  }
  if (paths.includes('tags')) {
    v.tags('floating_ip.tags', req.tags);
    next.tags = [...req.tags];
  }
  v.throwIfAny();
  if (paths.includes('port_id')) {
    if (req.portId) {
      const a = resolveAssociation(state, caller, txn, prev, req.portId, paths.includes('fixed_ip_address') ? req.fixedIpAddress : '');
      next.portId = a.port.id;
      next.fixedIpAddress = a.fixedIp;
      next.routerId = a.routerId;
    } else {
      next.portId = '';
      next.fixedIpAddress = '';
      next.routerId = '';
    }
  }
  next.revisionNumber = prev.revisionNumber + 1;
  next.updatedAt = state.now();
  state.floatingIps.put(txn, next, prev);
  changes.saved({ $case: 'floatingIp', floatingIp: next });
  return next;
}

export function deleteFloatingIp(state: NetworkState, caller: Caller, id: string, revision: number, txn: Txn, changes: Changes): void {
  requireWriter(caller);
  const fip = ownedOr404(caller, 'floating IP', id, state.floatingIps.get(txn, id));
  checkRevision('floating IP', id, revision, fip.revisionNumber);
  for (const portId of state.ports.referencing('device', fip.id)) {
    const p = state.ports.get(txn, portId);
    if (p && p.deviceOwner === OWNER_FLOATING_IP) deletePortIn(state, txn, changes, p);
  }
  state.floatingIps.delete(txn, fip);
  changes.deleted({ $case: 'floatingIp', floatingIp: fip });
}
