/**
 * Routers: gateway ports on external networks, interfaces by subnet or by port, static routes.
 * Interfaces are ports owned by the router (device_owner network:router_interface); the router
 * record lists them so agents see a router's full shape at one revision.
 */
import { Router, Status, type ExternalGateway, type Port } from '../../proto/gen/weft/network/v1/resources';
import type { RouterInterfaceInfo } from '../../proto/gen/weft/network/v1/network_service';
import type { Caller } from '../../services/runtime/caller';
import { alreadyExists, failedPrecondition, invalidArgument, notFound } from '../../services/runtime/errors';
import type { Txn } from '../../services/runtime/store/kv';
import { cidrContains, cidrsOverlap, isValidAddress, parseAddress, parseCidr } from './ipam';
import { createInternalPort, deletePortIn } from './ports';
import { subnetVisible } from './subnets';
import { checkRevision, ownedOr404, readableOr404, requireWriter, visibleOr404, type Changes, type NetworkState } from './state';
import { checkUpdateMask, Violations } from './validate';

const ROUTER_UPDATABLE = ['name', 'description', 'admin_state_up', 'external_gateway', 'routes', 'tags'] as const;
export const OWNER_INTERFACE = 'network:router_interface';
export const OWNER_GATEWAY = 'network:router_gateway';

export function getRouter(state: NetworkState, caller: Caller, id: string): Router {
  return readableOr404(caller, 'router', id, state.routers.get(state.kv, id));
}

function setGateway(state: NetworkState, caller: Caller, txn: Txn, changes: Changes, v: Violations, router: Router, gw: ExternalGateway | undefined): void {
  if (router.gatewayPortId) {
    const fips = [...state.floatingIps.referencing('router', router.id)];
    if (fips.length > 0 && (!gw || gw.networkId !== router.externalGateway?.networkId)) {
      throw failedPrecondition(`router ${router.id} serves floating IP(s) ${fips.join(', ')}`, fips.map((f) => ({ type: 'FLOATING_IP', subject: f, description: 'routed through this gateway' })), 'ROUTER_IN_USE');
    }
    const old = state.ports.get(txn, router.gatewayPortId);
    if (old) deletePortIn(state, txn, changes, old);
    router.gatewayPortId = '';
    router.externalGateway = undefined;
  }
  if (!gw || !gw.networkId) return;
  if (!v.uuid('router.external_gateway.network_id', gw.networkId, true)) return;
  const net = state.networks.get(txn, gw.networkId);
  if (!net || !(caller.isAdmin || net.projectId === caller.projectId || net.shared || net.external)) throw notFound('network', gw.networkId);
  if (!net.external) {
    v.add('router.external_gateway.network_id', `network ${net.id} is not external`);
    return;
  }
  const port = createInternalPort(state, txn, changes, {
    projectId: router.projectId,
    networkId: net.id,
    deviceId: router.id,
    deviceOwner: OWNER_GATEWAY,
    fixedIps: gw.externalFixedIps.length > 0 ? gw.externalFixedIps.map((f) => ({ subnetId: f.subnetId, ipAddress: f.ipAddress })) : undefined,
  });
  router.gatewayPortId = port.id;
  router.externalGateway = {
    networkId: net.id,
    enableSnat: gw.enableSnat ?? true,
    externalFixedIps: port.fixedIps.map((f) => ({ subnetId: f.subnetId, ipAddress: f.ipAddress })),
  };
}

/** Whether a gateway request picks its own addresses (without a network it sets no gateway at all). */
function choosesExternalIps(gw: ExternalGateway | undefined): boolean {
  return !!gw?.networkId && gw.externalFixedIps.length > 0;
}

function checkRoutes(state: NetworkState, txn: Txn, v: Violations, router: Router): void {
  const subnets = router.interfaces.map((i) => state.subnets.get(txn, i.subnetId)).filter((s) => s);
  const seen = new Set<string>();
  v.check(router.routes.length <= 50, 'router.routes', 'at most 50 routes');
  router.routes.forEach((r, i) => {
    const f = `router.routes[${i}]`;
    let dest;
    try {
      dest = parseCidr(r.destination);
    } catch (err) {
      v.add(`${f}.destination`, (err as Error).message);
    }
    if (!isValidAddress(r.nexthop)) {
      v.add(`${f}.nexthop`, 'must be an IP address');
      return;
    }
    const hop = parseAddress(r.nexthop)!;
    if (dest && dest.version !== hop.version) v.add(`${f}.nexthop`, 'IP version differs from the destination');
    const onLink = subnets.some((s) => cidrContains(parseCidr(s!.cidr), hop));
    v.check(onLink, `${f}.nexthop`, `${r.nexthop} is not on a subnet attached to the router`);
    const key = `${r.destination}|${r.nexthop}`;
    v.check(!seen.has(key), f, 'is repeated');
    seen.add(key);
  });
}

export function createRouter(state: NetworkState, caller: Caller, input: Router | undefined, txn: Txn, changes: Changes): Router {
  requireWriter(caller);
  const req = input ?? Router.fromPartial({});
  const v = new Violations();
  v.name('router.name', req.name);
  v.description('router.description', req.description);
  v.tags('router.tags', req.tags);
  v.check(!req.id, 'router.id', 'is assigned by the server');
  v.check(req.interfaces.length === 0, 'router.interfaces', 'are read only; use AddRouterInterface');
  v.check(req.routes.length === 0, 'router.routes', 'need interfaces first; set them with UpdateRouter');
  if (req.projectId && req.projectId !== caller.projectId) state.attributes.authorize(caller, 'create_router', 'project_id', { project_id: req.projectId });
  if (choosesExternalIps(req.externalGateway)) state.attributes.authorize(caller, 'create_router', 'external_gateway:external_fixed_ips', { project_id: req.projectId || caller.projectId });
  v.throwIfAny();
  const now = state.now();
  const router: Router = {
    id: state.ids.uuid(),
    projectId: req.projectId || caller.projectId,
    name: req.name,
    description: req.description,
    adminStateUp: req.adminStateUp ?? true,
    status: Status.STATUS_ACTIVE,
    externalGateway: undefined,
    routes: [],
    interfaces: [],
    tags: [...req.tags],
    revisionNumber: 1,
    createdAt: now,
    updatedAt: now,
    gatewayPortId: '',
  };
  setGateway(state, caller, txn, changes, v, router, req.externalGateway);
  v.throwIfAny();
  state.routers.put(txn, router);
  changes.saved({ $case: 'router', router });
  return router;
}

export function updateRouter(state: NetworkState, caller: Caller, input: Router | undefined, mask: string[] | undefined, txn: Txn, changes: Changes): Router {
  requireWriter(caller);
  const req = input ?? Router.fromPartial({});
  const prev = ownedOr404(caller, 'router', req.id, state.routers.get(txn, req.id));
  checkRevision('router', prev.id, req.revisionNumber, prev.revisionNumber);
  const v = new Violations();
  const paths = checkUpdateMask(v, mask, ROUTER_UPDATABLE);
  v.throwIfAny();
  const next = Router.fromPartial(prev);
  for (const p of paths) {
    switch (p) {
      case 'name':
        v.name('router.name', req.name);
        next.name = req.name;
        break;
      case 'description':
        v.description('router.description', req.description);
        next.description = req.description;
        break;
      case 'admin_state_up':
        next.adminStateUp = req.adminStateUp ?? true;
        break;
      case 'routes':
        next.routes = req.routes.map((r) => ({ ...r }));
        checkRoutes(state, txn, v, next);
        break;
      case 'tags':
        v.tags('router.tags', req.tags);
        next.tags = [...req.tags];
        break;
      case 'external_gateway':
        break;
    }
  }
  v.throwIfAny();
  if (paths.includes('external_gateway')) {
    if (choosesExternalIps(req.externalGateway)) state.attributes.authorize(caller, 'update_router', 'external_gateway:external_fixed_ips', { project_id: prev.projectId });
    const same = req.externalGateway?.networkId && req.externalGateway.networkId === prev.externalGateway?.networkId && req.externalGateway.externalFixedIps.length === 0;
    if (same) next.externalGateway = { ...prev.externalGateway!, enableSnat: req.externalGateway!.enableSnat ?? true };
    else setGateway(state, caller, txn, changes, v, next, req.externalGateway);
    v.throwIfAny();
  }
  next.revisionNumber = prev.revisionNumber + 1;
  next.updatedAt = state.now();
  state.routers.put(txn, next, prev);
  changes.saved({ $case: 'router', router: next });
  return next;
}

export function deleteRouter(state: NetworkState, caller: Caller, id: string, revision: number, txn: Txn, changes: Changes): void {
  requireWriter(caller);
  const router = ownedOr404(caller, 'router', id, state.routers.get(txn, id));
  checkRevision('router', id, revision, router.revisionNumber);
  if (router.interfaces.length > 0) {
    throw failedPrecondition(
      `router ${id} still has ${router.interfaces.length} interface(s); remove them first`,
      router.interfaces.map((i) => ({ type: 'ROUTER_INTERFACE', subject: i.portId, description: `interface on subnet ${i.subnetId}` })),
      'ROUTER_IN_USE',
    );
  }
  const v = new Violations();
  setGateway(state, caller, txn, changes, v, Router.fromPartial(router), undefined);
  state.routers.delete(txn, router);
  changes.deleted({ $case: 'router', router });
}

function exactlyOne(subnetId: string, portId: string): void {
  if (!!subnetId === !!portId) {
    throw invalidArgument([{ field: subnetId ? 'port_id' : 'subnet_id', description: 'give exactly one of subnet_id or port_id' }]);
  }
}

export function addRouterInterface(state: NetworkState, caller: Caller, req: { routerId: string; subnetId: string; portId: string }, txn: Txn, changes: Changes): RouterInterfaceInfo {
  requireWriter(caller);
  exactlyOne(req.subnetId, req.portId);
  const router = ownedOr404(caller, 'router', req.routerId, state.routers.get(txn, req.routerId));
  let port: Port;
  if (req.subnetId) {
    const subCur = state.subnets.get(txn, req.subnetId);
    const subnet = visibleOr404(caller, 'subnet', req.subnetId, subCur, subnetVisible(state, caller, subCur));
    if (subnet.noGateway || !subnet.gatewayIp) throw failedPrecondition(`subnet ${subnet.id} has no gateway address for the router to take`, [], 'SUBNET_NO_GATEWAY');
    checkAttachable(state, txn, router, subnet.id);
    const res = state.allocator(subnet.id).isAllocated(subnet.gatewayIp);
    if (res) throw alreadyExists(`gateway address ${subnet.gatewayIp} of subnet ${subnet.id} is already in use`, 'IP_ADDRESS_IN_USE');
    port = createInternalPort(state, txn, changes, {
      projectId: router.projectId,
      networkId: subnet.networkId,
      deviceId: router.id,
      deviceOwner: OWNER_INTERFACE,
      fixedIps: [{ subnetId: subnet.id, ipAddress: subnet.gatewayIp }],
    });
  } else {
    const prev = ownedOr404(caller, 'port', req.portId, state.ports.get(txn, req.portId));
    if (prev.deviceId || prev.deviceOwner) throw failedPrecondition(`port ${prev.id} is in use by ${prev.deviceOwner || 'device'} ${prev.deviceId}`, [], 'PORT_IN_USE');
    if (prev.fixedIps.length !== 1) throw failedPrecondition(`port ${prev.id} must have exactly one fixed IP to become a router interface`, [], 'PORT_FIXED_IPS');
    checkAttachable(state, txn, router, prev.fixedIps[0].subnetId);
    port = { ...prev, deviceId: router.id, deviceOwner: OWNER_INTERFACE, revisionNumber: prev.revisionNumber + 1, updatedAt: state.now() };
    state.ports.put(txn, port, prev);
    changes.saved({ $case: 'port', port });
  }
  const subnetId = port.fixedIps[0].subnetId;
  const next: Router = { ...router, interfaces: [...router.interfaces, { portId: port.id, subnetId }], revisionNumber: router.revisionNumber + 1, updatedAt: state.now() };
  state.routers.put(txn, next, router);
  changes.saved({ $case: 'router', router: next });
  return { routerId: router.id, subnetId, portId: port.id, projectId: router.projectId };
}

function checkAttachable(state: NetworkState, txn: Txn, router: Router, subnetId: string): void {
  const subnet = state.subnets.get(txn, subnetId)!;
  for (const i of router.interfaces) {
    if (i.subnetId === subnetId) throw alreadyExists(`router ${router.id} already has an interface on subnet ${subnetId}`, 'ROUTER_INTERFACE_EXISTS');
    const other = state.subnets.get(txn, i.subnetId);
    if (other && cidrsOverlap(parseCidr(other.cidr), parseCidr(subnet.cidr))) {
      throw invalidArgument([{ field: 'subnet_id', description: `${subnet.cidr} overlaps ${other.cidr} already attached to router ${router.id}` }]);
    }
  }
}

export function removeRouterInterface(state: NetworkState, caller: Caller, req: { routerId: string; subnetId: string; portId: string }, txn: Txn, changes: Changes): RouterInterfaceInfo {
  requireWriter(caller);
  exactlyOne(req.subnetId, req.portId);
  const router = ownedOr404(caller, 'router', req.routerId, state.routers.get(txn, req.routerId));
  const iface = router.interfaces.find((i) => (req.subnetId ? i.subnetId === req.subnetId : i.portId === req.portId));
  if (!iface) throw notFound('router interface', req.subnetId || req.portId);
  const port = state.ports.get(txn, iface.portId);
  // Floating IPs reach their ports through this interface; keep them working or refuse.
  for (const fipId of state.floatingIps.referencing('router', router.id)) {
    const fip = state.floatingIps.get(txn, fipId);
    const target = fip?.portId ? state.ports.get(txn, fip.portId) : undefined;
    if (target?.fixedIps.some((f) => f.subnetId === iface.subnetId && f.ipAddress === fip!.fixedIpAddress)) {
      throw failedPrecondition(`floating IP ${fipId} reaches its port through this interface`, [{ type: 'FLOATING_IP', subject: fipId, description: 'routed through this interface' }], 'ROUTER_INTERFACE_IN_USE');
    }
  }
  const next: Router = { ...router, interfaces: router.interfaces.filter((i) => i !== iface), revisionNumber: router.revisionNumber + 1, updatedAt: state.now() };
  const v = new Violations();
  checkRoutes(state, txn, v, next);
  if (!v.empty) throw failedPrecondition(`router ${router.id} has routes whose next hop needs this interface`, [], 'ROUTER_ROUTES_USE_INTERFACE');
  if (port) deletePortIn(state, txn, changes, port);
  state.routers.put(txn, next, router);
  changes.saved({ $case: 'router', router: next });
  return { routerId: router.id, subnetId: iface.subnetId, portId: iface.portId, projectId: router.projectId };
}
