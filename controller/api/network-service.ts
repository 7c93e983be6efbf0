/**
 * gRPC handlers of weft.network.v1.NetworkService: thin adapters from requests to the domain
 * modules, plus listing (index choice, visibility, filters, paging) and Watch.
 */
import type {
  AddRouterInterfaceRequest,
  CreateFloatingIpRequest,
  CreateNetworkRequest,
  CreatePortRequest,
  CreateRouterRequest,
  CreateSecurityGroupRequest,
  CreateSecurityGroupRuleRequest,
  CreateSubnetRequest,
  DeleteFloatingIpRequest,
  DeleteNetworkRequest,
  DeletePortRequest,
  DeleteRouterRequest,
  DeleteSecurityGroupRequest,
  DeleteSecurityGroupRuleRequest,
  DeleteSubnetRequest,
  GetFloatingIpRequest,
  GetNetworkRequest,
  GetPortRequest,
  GetRouterRequest,
  GetSecurityGroupRequest,
  GetSecurityGroupRuleRequest,
  GetSubnetRequest,
  ListFloatingIpsRequest,
  ListNetworksRequest,
  ListPortsRequest,
  ListRoutersRequest,
  ListSecurityGroupRulesRequest,
  ListSecurityGroupsRequest,
  ListSubnetsRequest,
  RemoveRouterInterfaceRequest,
  UpdateFloatingIpRequest,
  UpdateNetworkRequest,
  UpdatePortRequest,
  UpdateRouterRequest,
  UpdateSecurityGroupRequest,
  UpdateSubnetRequest,
  WatchRequest,
  WatchResponse,
  Change,
} from '../../proto/gen/weft/network/v1/network_service';
import { readsAllProjects, type Caller } from '../../services/runtime/caller';
import type { PolicyEngine } from '../../services/runtime/policy/engine';
import { actionName } from '../policy';
import type { StreamHandler, UnaryHandler } from '../../services/runtime/server';
import { followChangeLog } from '../../services/runtime/store/follow';
import * as fips from '../domain/floating-ips';
import * as networks from '../domain/networks';
import * as ports from '../domain/ports';
import * as routers from '../domain/routers';
import * as sgs from '../domain/security-groups';
import { canWrite, type NetworkState } from '../domain/state';
import * as subnets from '../domain/subnets';
import type { Identified, Table } from '../../services/runtime/store/table';
import { decodePageToken, encodePageToken, pageSize } from './paging';
import { guardAll } from './guard';
import type { PortChanges } from '../drivers/port-changes';
import { canonicalAddress, normalizeMac } from '../domain/ipam';


const hasTags = (tags: string[], want: string[]): boolean => want.every((t) => tags.includes(t));

async function listPage<T extends Identified>(
  state: NetworkState,
  table: Table<T>,
  req: { pageSize: number; pageToken: string },
  filters: Record<string, unknown>,
  index: { name: string; value: string } | undefined,
  match: (r: T) => boolean,
): Promise<{ items: T[]; next: string; revision: number }> {
  await state.settled();
  const limit = pageSize(req.pageSize);
  const afterId = decodePageToken(req.pageToken, filters);
  const revision = state.changelog.revision;
  const { items, lastId } = await table.page(state.kv, { index, afterId, limit, match });
  return { items, next: lastId ? encodePageToken(lastId, filters) : '', revision };
}

/**
 * `portChanges` routes port create/update/delete through the mechanism drivers
 * (controller/drivers/port-changes.ts).
 */
export function networkServiceHandlers(
  state: NetworkState,
  policy: PolicyEngine | undefined,
  portChanges: PortChanges,
): {
  unary: Record<string, UnaryHandler<never, unknown>>;
  streaming: Record<string, StreamHandler<never, unknown>>;
} {
  const m = state.mutate.bind(state);
  const read = async <T>(fn: () => T): Promise<T> => {
    await state.settled();
    return fn();
  };
  // Admins and services read every project (and may narrow a list to one); others read their own.
  const projectFilter = (caller: Caller, requested: string): string | undefined => (readsAllProjects(caller) ? requested || undefined : caller.projectId);

  const unary = {
    // ---- networks ----
    CreateNetwork: (r: CreateNetworkRequest, c: Caller) => m((t, ch) => networks.createNetwork(state, c, r.network, t, ch)),
    GetNetwork: (r: GetNetworkRequest, c: Caller) => read(() => networks.getNetwork(state, c, r.id)),
    UpdateNetwork: (r: UpdateNetworkRequest, c: Caller) => m((t, ch) => networks.updateNetwork(state, c, r.network, r.updateMask, t, ch)),
    DeleteNetwork: (r: DeleteNetworkRequest, c: Caller) => m((t, ch) => networks.deleteNetwork(state, c, r.id, r.revisionNumber, t, ch)).then(() => ({})),
    ListNetworks: async (r: ListNetworksRequest, c: Caller) => {
      const filters = { name: r.name, shared: r.shared, external: r.external, tags: r.tags, project: r.projectId };
      const all = readsAllProjects(c);
      const proj = all ? r.projectId : '';
      const page = await listPage(state, state.networks, r, filters, undefined, (n) =>
        (all || networks.networkVisible(c, n)) &&
        (!r.name || n.name === r.name) &&
        (!r.shared || n.shared) &&
        (!r.external || n.external) &&
        (!proj || n.projectId === proj) &&
        hasTags(n.tags, r.tags),
      );
      return { networks: page.items, nextPageToken: page.next, revision: page.revision };
    },
    // ---- subnets ----
    CreateSubnet: (r: CreateSubnetRequest, c: Caller) => m((t, ch) => subnets.createSubnet(state, c, r.subnet, t, ch)),
    GetSubnet: (r: GetSubnetRequest, c: Caller) => read(() => subnets.getSubnet(state, c, r.id)),
    UpdateSubnet: (r: UpdateSubnetRequest, c: Caller) => m((t, ch) => subnets.updateSubnet(state, c, r.subnet, r.updateMask, t, ch)),
    DeleteSubnet: (r: DeleteSubnetRequest, c: Caller) => m((t, ch) => subnets.deleteSubnet(state, c, r.id, r.revisionNumber, t, ch)).then(() => ({})),
    ListSubnets: async (r: ListSubnetsRequest, c: Caller) => {
      const filters = { name: r.name, net: r.networkId, v: r.ipVersion, cidr: r.cidr, tags: r.tags, project: r.projectId };
      const proj = projectFilter(c, r.projectId);
      const all = readsAllProjects(c);
      const page = await listPage(state, state.subnets, r, filters, r.networkId ? { name: 'network', value: r.networkId } : undefined, (s) =>
        (all || subnets.subnetVisible(state, c, s)) &&
        (!r.name || s.name === r.name) &&
        (!r.ipVersion || s.ipVersion === r.ipVersion) &&
        (!r.cidr || s.cidr === r.cidr) &&
        (!(all && proj) || s.projectId === proj) &&
        hasTags(s.tags, r.tags),
      );
      return { subnets: page.items, nextPageToken: page.next, revision: page.revision };
    },
    // ---- ports ----
    CreatePort: (r: CreatePortRequest, c: Caller) => portChanges.create(c, r),
    GetPort: (r: GetPortRequest, c: Caller) => read(() => ports.getPort(state, c, r.id)),
    UpdatePort: (r: UpdatePortRequest, c: Caller) => portChanges.update(c, r),
    DeletePort: (r: DeletePortRequest, c: Caller) => portChanges.delete(c, r).then(() => ({})),
    ListPorts: async (r: ListPortsRequest, c: Caller) => {
      const proj = projectFilter(c, r.projectId);
      const mac = r.macAddress ? normalizeMac(r.macAddress) ?? r.macAddress : '';
      const ip = r.ipAddress ? canonicalAddress(r.ipAddress) ?? r.ipAddress : '';
      const filters = { name: r.name, net: r.networkId, dev: r.deviceId, own: r.deviceOwner, host: r.hostId, proj, sg: r.securityGroupId, sub: r.subnetId, mac, ip, tags: r.tags };
      const index = r.deviceId
        ? { name: 'device', value: r.deviceId }
        : r.hostId
          ? { name: 'host', value: r.hostId }
          : r.networkId
            ? { name: 'network', value: r.networkId }
            : proj
              ? { name: 'project', value: proj }
              : undefined;
      const all = readsAllProjects(c);
      const page = await listPage(state, state.ports, r, filters, index, (p) =>
        (all || ports.portVisible(c, p)) &&
        (!proj || p.projectId === proj) &&
        (!r.name || p.name === r.name) &&
        (!r.networkId || p.networkId === r.networkId) &&
        (!r.deviceId || p.deviceId === r.deviceId) &&
        (!r.deviceOwner || p.deviceOwner === r.deviceOwner) &&
        (!r.hostId || p.binding?.hostId === r.hostId) &&
        (!r.securityGroupId || p.securityGroupIds.includes(r.securityGroupId)) &&
        (!r.subnetId || p.fixedIps.some((f) => f.subnetId === r.subnetId)) &&
        (!mac || p.macAddress === mac) &&
        (!ip || p.fixedIps.some((f) => f.ipAddress === ip)) &&
        hasTags(p.tags, r.tags),
      );
      return { ports: page.items, nextPageToken: page.next, revision: page.revision };
    },
    // ---- routers ----
    CreateRouter: (r: CreateRouterRequest, c: Caller) => m((t, ch) => routers.createRouter(state, c, r.router, t, ch)),
    GetRouter: (r: GetRouterRequest, c: Caller) => read(() => routers.getRouter(state, c, r.id)),
    UpdateRouter: (r: UpdateRouterRequest, c: Caller) => m((t, ch) => routers.updateRouter(state, c, r.router, r.updateMask, t, ch)),
    DeleteRouter: (r: DeleteRouterRequest, c: Caller) => m((t, ch) => routers.deleteRouter(state, c, r.id, r.revisionNumber, t, ch)).then(() => ({})),
    ListRouters: async (r: ListRoutersRequest, c: Caller) => {
      const proj = projectFilter(c, r.projectId);
      const filters = { name: r.name, proj, tags: r.tags };
      const page = await listPage(state, state.routers, r, filters, proj ? { name: 'project', value: proj } : undefined, (x) =>
        (readsAllProjects(c) || x.projectId === c.projectId) && (!r.name || x.name === r.name) && hasTags(x.tags, r.tags),
      );
      return { routers: page.items, nextPageToken: page.next, revision: page.revision };
    },
    AddRouterInterface: (r: AddRouterInterfaceRequest, c: Caller) => m((t, ch) => routers.addRouterInterface(state, c, r, t, ch)),
    RemoveRouterInterface: (r: RemoveRouterInterfaceRequest, c: Caller) => m((t, ch) => routers.removeRouterInterface(state, c, r, t, ch)),
    // ---- security groups ----
    CreateSecurityGroup: (r: CreateSecurityGroupRequest, c: Caller) => m((t, ch) => sgs.createSecurityGroup(state, c, r.securityGroup, t, ch)),
    GetSecurityGroup: (r: GetSecurityGroupRequest, c: Caller) => read(() => sgs.getSecurityGroup(state, c, r.id)),
    UpdateSecurityGroup: (r: UpdateSecurityGroupRequest, c: Caller) => m((t, ch) => sgs.updateSecurityGroup(state, c, r.securityGroup, r.updateMask, t, ch)),
    DeleteSecurityGroup: (r: DeleteSecurityGroupRequest, c: Caller) => m((t, ch) => sgs.deleteSecurityGroup(state, c, r.id, r.revisionNumber, t, ch)).then(() => ({})),
    ListSecurityGroups: async (r: ListSecurityGroupsRequest, c: Caller) => {
      // Orchestration users expect `default` to exist as soon as they look (Neutron does the same).
      if (canWrite(c) && !sgs.findDefaultGroup(state, state.kv, c.projectId)) {
        await m((t, ch) => sgs.ensureDefaultGroup(state, t, ch, c.projectId));
      }
      const proj = projectFilter(c, r.projectId);
      const filters = { name: r.name, proj, tags: r.tags };
      const page = await listPage(state, state.securityGroups, r, filters, proj ? { name: 'project', value: proj } : undefined, (x) =>
        (readsAllProjects(c) || x.projectId === c.projectId) && (!r.name || x.name === r.name) && hasTags(x.tags, r.tags),
      );
      return { securityGroups: page.items, nextPageToken: page.next, revision: page.revision };
    },
    CreateSecurityGroupRule: (r: CreateSecurityGroupRuleRequest, c: Caller) => m((t, ch) => sgs.createRule(state, c, r.securityGroupRule, t, ch)),
    GetSecurityGroupRule: (r: GetSecurityGroupRuleRequest, c: Caller) => read(() => sgs.getRule(state, c, r.id)),
    DeleteSecurityGroupRule: (r: DeleteSecurityGroupRuleRequest, c: Caller) => m((t, ch) => sgs.deleteRule(state, c, r.id, r.revisionNumber, t, ch)).then(() => ({})),
    ListSecurityGroupRules: async (r: ListSecurityGroupRulesRequest, c: Caller) => {
      const proj = projectFilter(c, r.projectId);
      const filters = { sg: r.securityGroupId, proj, rg: r.remoteGroupId, tags: r.tags };
      const index = r.securityGroupId ? { name: 'group', value: r.securityGroupId } : proj ? { name: 'project', value: proj } : undefined;
      const page = await listPage(state, state.rules, r, filters, index, (x) =>
        (readsAllProjects(c) || x.projectId === c.projectId) &&
        (!proj || x.projectId === proj) &&
        (!r.securityGroupId || x.securityGroupId === r.securityGroupId) &&
        (!r.remoteGroupId || x.remoteGroupId === r.remoteGroupId) &&
        hasTags(x.tags, r.tags),
      );
      return { securityGroupRules: page.items, nextPageToken: page.next, revision: page.revision };
    },
    // ---- floating IPs ----
    CreateFloatingIp: (r: CreateFloatingIpRequest, c: Caller) => m((t, ch) => fips.createFloatingIp(state, c, r.floatingIp, t, ch)),
    GetFloatingIp: (r: GetFloatingIpRequest, c: Caller) => read(() => fips.getFloatingIp(state, c, r.id)),
    UpdateFloatingIp: (r: UpdateFloatingIpRequest, c: Caller) => m((t, ch) => fips.updateFloatingIp(state, c, r.floatingIp, r.updateMask, t, ch)),
    DeleteFloatingIp: (r: DeleteFloatingIpRequest, c: Caller) => m((t, ch) => fips.deleteFloatingIp(state, c, r.id, r.revisionNumber, t, ch)).then(() => ({})),
    ListFloatingIps: async (r: ListFloatingIpsRequest, c: Caller) => {
      const proj = projectFilter(c, r.projectId);
      const filters = { net: r.floatingNetworkId, port: r.portId, router: r.routerId, addr: r.floatingIpAddress, proj, tags: r.tags };
      const page = await listPage(state, state.floatingIps, r, filters, proj ? { name: 'project', value: proj } : undefined, (x) =>
        (readsAllProjects(c) || x.projectId === c.projectId) &&
        (!r.floatingNetworkId || x.floatingNetworkId === r.floatingNetworkId) &&
        (!r.portId || x.portId === r.portId) &&
        (!r.routerId || x.routerId === r.routerId) &&
        (!r.floatingIpAddress || x.floatingIpAddress === r.floatingIpAddress) &&
        hasTags(x.tags, r.tags),
      );
      return { floatingIps: page.items, nextPageToken: page.next, revision: page.revision };
    },
    GetRevision: async () => {
      await state.settled();
      return { revision: state.changelog.revision, oldestRevision: state.changelog.oldest };
    },
  };

  const streaming = {
    Watch: (r: WatchRequest, c: Caller, stream: { send(msg: WatchResponse): Promise<void>; signal: AbortSignal }) =>
      followChangeLog(state.changelog, { fromRevision: r.fromRevision, signal: stream.signal, settled: () => state.settled(), send: (ev) => sendVisible(c, ev, stream.send) }),
  };
  return { unary: guardAll(policy, actionName, unary), streaming: guardAll(policy, actionName, streaming) };
}

function changeVisible(c: Caller, ch: Change): boolean {
  if (readsAllProjects(c) || ch.projectId === c.projectId) return true;
  if (ch.value?.$case === 'network') return ch.value.value.shared || ch.value.value.external;
  return false;
}

async function sendVisible(c: Caller, ev: WatchResponse, send: (m: WatchResponse) => Promise<void>): Promise<void> {
  if (readsAllProjects(c)) return send(ev);
  const changes = ev.changes.filter((ch) => changeVisible(c, ch));
  if (changes.length > 0) await send({ revision: ev.revision, changes });
}
