/**
 * Ports: MAC and fixed-IP allocation, security-group and address-pair rules, binding fields (the
 * drivers' verdict is decided before the mutation and applied here: see port-binding.ts).
 * `savePortIn`/`releasePortIn` are shared with routers and floating IPs, which own internal ports.
 */
import { Port, PortStatus, VnicType, type FixedIp, type Network } from '../../proto/gen/weft/network/v1/resources';
import type { Caller } from '../../services/runtime/caller';
import { alreadyExists, failedPrecondition, invalidArgument, resourceExhausted } from '../../services/runtime/errors';
import type { Txn } from '../../services/runtime/store/kv';
import { canonicalAddress, cidrContains, generateMac, isValidAddress, normalizeMac, parseCidr } from './ipam';
import { applyBinding, checkPreviewedRevision, type BindingInput } from './port-binding';
import { ensureDefaultGroup } from './security-groups';
import { checkRevision, ownedOr404, readableOr404, requireWriter, visibleOr404, type Changes, type NetworkState } from './state';
import { checkUpdateMask, Violations } from './validate';

const PORT_UPDATABLE = ['name', 'description', 'admin_state_up', 'device_id', 'device_owner', 'security_group_ids', 'port_security_enabled', 'allowed_address_pairs', 'fixed_ips', 'binding', 'mac_address', 'tags'] as const;
/** Ports owned by routers and floating IPs change only through their owners' APIs. */
const MANAGED_OWNERS = ['network:router_interface', 'network:router_gateway', 'network:floatingip'];

export function portVisible(caller: Caller, p: Port | undefined): boolean {
  return !!p && (caller.isAdmin || p.projectId === caller.projectId);
}

export function getPort(state: NetworkState, caller: Caller, id: string): Port {
  return readableOr404(caller, 'port', id, state.ports.get(state.kv, id));
}

function networkUsable(caller: Caller, n: Network | undefined): boolean {
  return !!n && (caller.isAdmin || n.projectId === caller.projectId || n.shared);
}

function uniqueMac(state: NetworkState): string {
  for (let i = 0; i < 16; i++) {
    const mac = generateMac(state.config.macPrefix, state.ids.bytes(8));
    if (state.ports.referencing('mac', mac).size === 0) return mac;
  }
  throw resourceExhausted('could not find a free MAC address', 'MAC_GENERATION_FAILED');
}

/**
 * Resolves requested fixed IPs (or picks defaults) and claims them in the allocators, undone if the
 * txn aborts. `keep` are addresses the port already holds (updates).
 */
function allocateFixedIps(
  state: NetworkState,
  txn: Txn,
  v: Violations,
  net: Network,
  requested: FixedIp[] | undefined,
  keep: FixedIp[] = [],
  opts: { allowGateway?: boolean } = {},
): FixedIp[] {
  const subnets = net.subnetIds.map((id) => state.subnets.get(txn, id)!).filter((s) => s);
  const out: FixedIp[] = [];
  const kept = new Set(keep.map((k) => `${k.subnetId}/${k.ipAddress}`));
  if (requested === undefined) {
    // Default: one address from the first IPv4 subnet with room, one from the first IPv6 subnet with room.
    for (const version of [4, 6]) {
      const candidates = subnets.filter((s) => s.ipVersion === version);
      if (candidates.length === 0) continue;
      let got = false;
      for (const s of candidates) {
        const alloc = state.allocator(s.id);
        const ip = alloc.allocate();
        if (ip !== null) {
          txn.onAbort(() => alloc.release(ip));
          out.push({ subnetId: s.id, ipAddress: ip });
          got = true;
          break;
        }
      }
      if (!got) throw resourceExhausted(`no free IPv${version} address left on network ${net.id}`, 'IP_ADDRESSES_EXHAUSTED');
    }
    return out;
  }
  const seen = new Set<string>();
  requested.forEach((f, i) => {
    const field = `port.fixed_ips[${i}]`;
    let subnet = f.subnetId ? subnets.find((s) => s.id === f.subnetId) : undefined;
    if (f.subnetId && !subnet) {
      v.add(`${field}.subnet_id`, `subnet ${f.subnetId} is not on network ${net.id}`);
      return;
    }
    if (!f.subnetId) {
      if (!f.ipAddress) {
        v.add(field, 'needs subnet_id, ip_address or both');
        return;
      }
      if (!isValidAddress(f.ipAddress)) {
        v.add(`${field}.ip_address`, 'is not a valid IP address');
        return;
      }
      subnet = subnets.find((s) => cidrContains(parseCidr(s.cidr), f.ipAddress));
      if (!subnet) {
        v.add(`${field}.ip_address`, `${f.ipAddress} is in no subnet of network ${net.id}`);
        return;
      }
    }
    const s = subnet!;
    const alloc = state.allocator(s.id);
    if (!f.ipAddress) {
      const ip = alloc.allocate();
      if (ip === null) throw resourceExhausted(`subnet ${s.id} has no free address left`, 'IP_ADDRESSES_EXHAUSTED');
      txn.onAbort(() => alloc.release(ip));
      out.push({ subnetId: s.id, ipAddress: ip });
      return;
    }
    if (!isValidAddress(f.ipAddress, s.ipVersion === 6 ? 6 : 4)) {
      v.add(`${field}.ip_address`, `is not a valid IPv${s.ipVersion} address`);
      return;
    }
    const canonical = canonicalAddress(f.ipAddress)!;
    const key = `${s.id}/${canonical}`;
    if (seen.has(key)) {
      v.add(`${field}.ip_address`, 'is requested twice');
      return;
    }
    seen.add(key);
    if (kept.has(key)) {
      out.push({ subnetId: s.id, ipAddress: canonical });
      return;
    }
    const res = alloc.reserve(canonical, { allowGateway: opts.allowGateway });
    if (res === 'in-use') throw alreadyExists(`IP address ${canonical} is already allocated in subnet ${s.id}`, 'IP_ADDRESS_IN_USE');
    if (res !== 'ok') {
      v.add(`${field}.ip_address`, reserveReason(res, canonical, s.cidr));
      return;
    }
    txn.onAbort(() => alloc.release(canonical));
    out.push({ subnetId: s.id, ipAddress: canonical });
  });
  return out;
}

function reserveReason(res: string, ip: string, cidr: string): string {
  switch (res) {
    case 'outside-subnet':
      return `${ip} is outside ${cidr}`;
    case 'gateway':
      return `${ip} is the subnet's gateway address`;
    default:
      return `${ip} cannot be used in ${cidr} (${res})`;
  }
}


function releaseIps(state: NetworkState, txn: Txn, ips: FixedIp[]): void {
  for (const f of ips) {
    let alloc;
    try {
      alloc = state.allocator(f.subnetId);
    } catch {
      continue;
    }
    alloc.release(f.ipAddress);
    txn.onAbort(() => alloc.reserve(f.ipAddress, { allowGateway: true }));
  }
}

function checkSecurity(state: NetworkState, caller: Caller, txn: Txn, v: Violations, projectId: string, port: Port): void {
  if (!port.portSecurityEnabled) {
    v.check(port.securityGroupIds.length === 0, 'port.security_group_ids', 'must be empty when port_security_enabled is false');
    v.check(port.allowedAddressPairs.length === 0, 'port.allowed_address_pairs', 'must be empty when port_security_enabled is false');
    return;
  }
  port.securityGroupIds.forEach((id, i) => {
    if (!v.uuid(`port.security_group_ids[${i}]`, id, true)) return;
    const g = state.securityGroups.get(txn, id);
    if (!g || (g.projectId !== projectId && !caller.isAdmin)) v.add(`port.security_group_ids[${i}]`, `security group ${id} not found`);
  });
  v.check(new Set(port.securityGroupIds).size === port.securityGroupIds.length, 'port.security_group_ids', 'must not repeat a group');
  port.allowedAddressPairs.forEach((p, i) => {
    const f = `port.allowed_address_pairs[${i}]`;
    let ok = isValidAddress(p.ipAddress);
    if (!ok) {
      try {
        parseCidr(p.ipAddress);
        ok = true;
      } catch {
        ok = false;
      }
    }
    v.check(ok, `${f}.ip_address`, 'must be an IP address or CIDR');
    if (p.macAddress) {
      const m = normalizeMac(p.macAddress);
      if (v.check(m !== null, `${f}.mac_address`, 'must be a unicast MAC address')) p.macAddress = m!;
    } else {
      p.macAddress = port.macAddress;
    }
  });
  v.check(port.allowedAddressPairs.length <= 10, 'port.allowed_address_pairs', 'at most 10 pairs');
}

export interface InternalPortSpec {
  projectId: string;
  networkId: string;
  deviceId: string;
  deviceOwner: string;
  fixedIps?: FixedIp[];
  name?: string;
}

/** Creates a router/floating-IP port (no security groups, no quota of the user's). */
export function createInternalPort(state: NetworkState, txn: Txn, changes: Changes, spec: InternalPortSpec): Port {
  const net = state.networks.get(txn, spec.networkId)!;
  const v = new Violations();
  // A router interface takes its subnet's gateway address; no other port may.
  const fixedIps = allocateFixedIps(state, txn, v, net, spec.fixedIps, [], { allowGateway: spec.deviceOwner === 'network:router_interface' });
  v.throwIfAny();
  const now = state.now();
  const port: Port = {
    ...Port.fromPartial({}),
    id: state.ids.uuid(),
    projectId: spec.projectId,
    name: spec.name ?? '',
    networkId: net.id,
    macAddress: uniqueMac(state),
    fixedIps,
    deviceId: spec.deviceId,
    deviceOwner: spec.deviceOwner,
    adminStateUp: true,
    status: PortStatus.PORT_STATUS_DOWN,
    portSecurityEnabled: false,
    binding: { hostId: '', vnicType: VnicType.VNIC_TYPE_NORMAL, vifType: 'unbound', vifDetails: {}, profile: {} },
    revisionNumber: 1,
    createdAt: now,
    updatedAt: now,
  };
  state.ports.put(txn, port);
  changes.saved({ $case: 'port', port });
  return port;
}

export function createPort(
  state: NetworkState,
  caller: Caller,
  input: Port | undefined,
  txn: Txn,
  changes: Changes,
  opts: {
    noSecurityGroups?: boolean;
    /** The id to give the port (the one its preview showed the mechanism drivers). */
    id?: string;
    binding?: BindingInput;
  } = {},
): Port {
  requireWriter(caller);
  const req = input ?? Port.fromPartial({});
  const v = new Violations();
  v.name('port.name', req.name);
  v.description('port.description', req.description);
  v.tags('port.tags', req.tags);
  v.check(!req.id, 'port.id', 'is assigned by the server');
  v.uuid('port.network_id', req.networkId, true);
  v.check(req.deviceId.length <= 255, 'port.device_id', 'at most 255 characters');
  v.check(req.deviceOwner.length <= 255, 'port.device_owner', 'at most 255 characters');
  const owner = { project_id: req.projectId || caller.projectId };
  if (req.projectId && req.projectId !== caller.projectId) state.attributes.authorize(caller, 'create_port', 'project_id', owner);
  if (req.binding?.hostId) state.attributes.authorize(caller, 'create_port', 'binding:host_id', owner);
  if (MANAGED_OWNERS.includes(req.deviceOwner) && !caller.isAdmin) v.add('port.device_owner', `${req.deviceOwner} ports are created by their owning API`);
  let mac = '';
  if (req.macAddress) {
    const m = normalizeMac(req.macAddress);
    if (v.check(m !== null, 'port.mac_address', 'must be a unicast MAC address')) mac = m!;
  }
  v.throwIfAny();
  const netCur = state.networks.get(txn, req.networkId);
  const net = visibleOr404(caller, 'network', req.networkId, netCur, networkUsable(caller, netCur));
  if (mac && state.ports.referencing('mac', mac).size > 0) throw alreadyExists(`MAC address ${mac} is already in use`, 'MAC_ADDRESS_IN_USE');
  const projectId = req.projectId || caller.projectId;
  const portSecurity = req.portSecurityEnabled ?? net.portSecurityEnabled;
  const now = state.now();
  const port: Port = {
    id: opts.id ?? state.ids.uuid(),
    projectId,
    name: req.name,
    description: req.description,
    networkId: net.id,
    macAddress: mac || uniqueMac(state),
    fixedIps: [],
    deviceId: req.deviceId,
    deviceOwner: req.deviceOwner,
    adminStateUp: req.adminStateUp ?? true,
    status: PortStatus.PORT_STATUS_DOWN,
    statusReason: '',
    securityGroupIds: [...req.securityGroupIds],
    portSecurityEnabled: portSecurity,
    allowedAddressPairs: req.allowedAddressPairs.map((p) => ({ ...p })),
    binding: {
      hostId: req.binding?.hostId ?? '',
      vnicType: req.binding?.vnicType || VnicType.VNIC_TYPE_NORMAL,
      vifType: '',
      vifDetails: {},
      profile: { ...(req.binding?.profile ?? {}) },
    },
    tags: [...req.tags],
    revisionNumber: 1,
    createdAt: now,
    updatedAt: now,
  };
  checkSecurity(state, caller, txn, v, projectId, port);
  v.throwIfAny();
  port.fixedIps = allocateFixedIps(state, txn, v, net, req.fixedIps.length > 0 ? req.fixedIps : undefined);
  v.throwIfAny();
  if (opts.noSecurityGroups && port.securityGroupIds.length > 0) {
    throw invalidArgument([{ field: 'no_security_groups', description: 'contradicts port.security_group_ids' }]);
  }
  if (port.portSecurityEnabled && port.securityGroupIds.length === 0 && !opts.noSecurityGroups) {
    port.securityGroupIds = [ensureDefaultGroup(state, txn, changes, projectId)];
  }
  applyBinding(port, undefined, opts.binding);
  state.ports.put(txn, port);
  changes.saved({ $case: 'port', port });
  return port;
}

export function updatePort(
  state: NetworkState,
  caller: Caller,
  input: Port | undefined,
  mask: string[] | undefined,
  txn: Txn,
  changes: Changes,
  opts: {
    /** The drivers' verdict when the mask changes the binding. */
    binding?: BindingInput;
    /** The revision the drivers were shown (see checkPreviewedRevision). */
    previewedRevision?: number;
  } = {},
): Port {
  requireWriter(caller);
  const req = input ?? Port.fromPartial({});
  const prev = ownedOr404(caller, 'port', req.id, state.ports.get(txn, req.id));
  checkRevision('port', prev.id, req.revisionNumber, prev.revisionNumber);
  checkPreviewedRevision(prev, opts.previewedRevision);
  const v = new Violations();
  const paths = checkUpdateMask(v, mask, PORT_UPDATABLE);
  v.throwIfAny();
  if (MANAGED_OWNERS.includes(prev.deviceOwner) && !caller.isAdmin && paths.some((p) => !['name', 'description', 'tags'].includes(p))) {
    throw failedPrecondition(`port ${prev.id} is owned by ${prev.deviceOwner}; change it through that API`, [], 'PORT_MANAGED');
  }
  const next: Port = Port.fromPartial(prev);
  const net = state.networks.get(txn, prev.networkId)!;
  for (const p of paths) {
    switch (p) {
      case 'name':
        v.name('port.name', req.name);
        next.name = req.name;
        break;
      case 'description':
        v.description('port.description', req.description);
        next.description = req.description;
        break;
      case 'admin_state_up':
        next.adminStateUp = req.adminStateUp ?? true;
        break;
      case 'device_id':
        v.check(req.deviceId.length <= 255, 'port.device_id', 'at most 255 characters');
        next.deviceId = req.deviceId;
        break;
      case 'device_owner':
        v.check(req.deviceOwner.length <= 255, 'port.device_owner', 'at most 255 characters');
        if (MANAGED_OWNERS.includes(req.deviceOwner) && !caller.isAdmin) v.add('port.device_owner', `${req.deviceOwner} ports are managed by their owning API`);
        next.deviceOwner = req.deviceOwner;
        break;
      case 'security_group_ids':
        next.securityGroupIds = [...req.securityGroupIds];
        break;
      case 'port_security_enabled':
        next.portSecurityEnabled = req.portSecurityEnabled ?? net.portSecurityEnabled;
        break;
      case 'allowed_address_pairs':
        next.allowedAddressPairs = req.allowedAddressPairs.map((x) => ({ ...x }));
        break;
      case 'binding':
        state.attributes.authorize(caller, 'update_port', 'binding:host_id', { project_id: prev.projectId });
        next.binding = {
          hostId: req.binding?.hostId ?? '',
          vnicType: req.binding?.vnicType || VnicType.VNIC_TYPE_NORMAL,
          vifType: '',
          vifDetails: {},
          profile: { ...(req.binding?.profile ?? {}) },
        };
        break;
      case 'mac_address': {
        state.attributes.authorize(caller, 'update_port', 'mac_address', { project_id: prev.projectId });
        if (prev.binding?.hostId) throw failedPrecondition('a bound port keeps its MAC address; unbind it first', [], 'PORT_BOUND');
        const m = normalizeMac(req.macAddress);
        if (v.check(m !== null, 'port.mac_address', 'must be a unicast MAC address')) {
          if (m !== prev.macAddress && state.ports.referencing('mac', m!).size > 0) throw alreadyExists(`MAC address ${m} is already in use`, 'MAC_ADDRESS_IN_USE');
          next.macAddress = m!;
        }
        break;
      }
      case 'fixed_ips':
        break;
      case 'tags':
        v.tags('port.tags', req.tags);
        next.tags = [...req.tags];
        break;
    }
  }
  if (paths.includes('port_security_enabled') && next.portSecurityEnabled && !paths.includes('security_group_ids') && next.securityGroupIds.length === 0) {
    next.securityGroupIds = [ensureDefaultGroup(state, txn, changes, next.projectId)];
  }
  if (paths.includes('port_security_enabled') && !next.portSecurityEnabled && !paths.includes('security_group_ids')) {
    v.check(next.securityGroupIds.length === 0, 'port.security_group_ids', 'must be cleared (in the same update) when disabling port security');
  }
  checkSecurity(state, caller, txn, v, next.projectId, next);
  v.throwIfAny();
  if (paths.includes('fixed_ips')) {
    const requested = req.fixedIps;
    const fresh = allocateFixedIps(state, txn, v, net, requested, prev.fixedIps);
    v.throwIfAny();
    const keep = new Set(fresh.map((f) => `${f.subnetId}/${f.ipAddress}`));
    releaseIps(state, txn, prev.fixedIps.filter((f) => !keep.has(`${f.subnetId}/${f.ipAddress}`)));
    next.fixedIps = fresh;
  }
  if (paths.includes('binding')) applyBinding(next, prev, opts.binding);
  next.revisionNumber = prev.revisionNumber + 1;
  next.updatedAt = state.now();
  state.ports.put(txn, next, prev);
  changes.saved({ $case: 'port', port: next });
  return next;
}

export function deletePort(state: NetworkState, caller: Caller, id: string, revision: number, txn: Txn, changes: Changes, opts: { previewedRevision?: number } = {}): void {
  requireWriter(caller);
  const port = ownedOr404(caller, 'port', id, state.ports.get(txn, id));
  checkRevision('port', id, revision, port.revisionNumber);
  checkPreviewedRevision(port, opts.previewedRevision);
  if (MANAGED_OWNERS.includes(port.deviceOwner)) {
    throw failedPrecondition(
      `port ${id} is owned by ${port.deviceOwner} ${port.deviceId}; remove it through that API`,
      [{ type: port.deviceOwner === 'network:floatingip' ? 'FLOATING_IP' : 'ROUTER', subject: port.deviceId, description: 'owns this port' }],
      'PORT_MANAGED',
    );
  }
  deletePortIn(state, txn, changes, port);
}

/** Removes a port, frees its addresses and disassociates floating IPs pointing at it. */
export function deletePortIn(state: NetworkState, txn: Txn, changes: Changes, port: Port): void {
  for (const fipId of [...state.floatingIps.referencing('port', port.id)]) {
    const fip = state.floatingIps.get(txn, fipId);
    if (!fip) continue;
    const next = { ...fip, portId: '', fixedIpAddress: '', routerId: '', revisionNumber: fip.revisionNumber + 1, updatedAt: state.now() };
    state.floatingIps.put(txn, next, fip);
    changes.saved({ $case: 'floatingIp', floatingIp: next });
  }
  releaseIps(state, txn, port.fixedIps);
  state.ports.delete(txn, port);
  changes.deleted({ $case: 'port', port });
}
