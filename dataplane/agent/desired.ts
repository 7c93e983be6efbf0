/**
 * Desired dataplane state of one host, as a pure function of the controller state the agent
 * keeps (cache.ts) and the host's identity: which bridges, VXLAN devices, FDB entries and port
 * attachments must exist (L2), and which firewall chains and address sets (security groups).
 */
import { NetworkType, type Network, type Port, type SecurityGroup } from '../../proto/gen/weft/network/v1/resources';
import { Direction, Ethertype } from '../../proto/gen/weft/network/v1/resources';
import { bridgeName, tapName, VXLAN_OVERHEAD } from '../linuxbridge/names';
import type { DesiredL2, DesiredNetwork, SegmentSpec } from '../linuxbridge/l2/model';
import type { FirewallDesired, FirewallGroup, FirewallPort, FirewallRule } from '../linuxbridge/firewall/model';

export interface HostIdentity {
  host: string;
  /** This host's VTEP address; empty when it has none. */
  tunnelIp: string;
  /** physical_network -> interface. */
  bridgeMappings: Record<string, string>;
}

export interface StateView {
  networks: ReadonlyMap<string, Network>;
  ports: ReadonlyMap<string, Port>;
  securityGroups: ReadonlyMap<string, SecurityGroup>;
}

export interface HostDesired {
  l2: DesiredL2;
  firewall: FirewallDesired;
  /** The ports this host must wire (bound here by the linuxbridge driver). */
  localPorts: Port[];
  /** Ports bound here that cannot be wired, with the reason (reported as ERROR). */
  unwirable: Map<string, string>;
}

/** A port is ours when the linuxbridge driver bound it to this host. */
export function isLocalPort(p: Port, host: string): boolean {
  return p.binding?.hostId === host && p.binding.vifType === 'bridge';
}

function segmentOf(port: Port, net: Network, id: HostIdentity): SegmentSpec | string {
  const d = port.binding?.vifDetails ?? {};
  const seg = net.segments[0];
  const type = d.network_type ?? (seg ? NetworkType[seg.networkType] : '');
  const physnet = d.physical_network ?? seg?.physicalNetwork ?? '';
  const segId = Number(d.segmentation_id ?? seg?.segmentationId ?? 0);
  const kind = type.replace(/^NETWORK_TYPE_/, '').toLowerCase();
  if (kind === 'vxlan') {
    if (!id.tunnelIp) return 'this agent has no tunnel_ip for VXLAN networks';
    return { kind: 'vxlan', vni: segId };
  }
  // A local network never leaves the host: a bridge with no uplink, so no mapping or tunnel IP needed.
  if (kind === 'local') return { kind: 'local' };
  if (kind === 'flat' || kind === 'vlan') {
    const iface = id.bridgeMappings[physnet];
    if (!iface) return `no bridge mapping for physical network ${physnet || '(none)'}`;
    return kind === 'flat' ? { kind: 'flat', physicalInterface: iface } : { kind: 'vlan', physicalInterface: iface, vlanId: segId };
  }
  return `network type ${kind || 'unknown'} is not supported by the linuxbridge agent`;
}

function mtuOf(net: Network, seg: SegmentSpec): number {
  if (net.mtu) return net.mtu;
  return seg.kind === 'vxlan' ? 1500 - VXLAN_OVERHEAD : 1500;
}

function ruleOf(r: SecurityGroup['rules'][number]): FirewallRule {
  return {
    direction: r.direction === Direction.DIRECTION_EGRESS ? 'egress' : 'ingress',
    ethertype: r.ethertype === Ethertype.ETHERTYPE_IPV6 ? 'IPv6' : 'IPv4',
    protocol: r.protocol,
    portRangeMin: r.portRangeMin,
    portRangeMax: r.portRangeMax,
    remoteIpPrefix: r.remoteIpPrefix,
    remoteGroupId: r.remoteGroupId,
  };
}

function addressesOf(p: Port): string[] {
  return p.fixedIps.map((f) => f.ipAddress).filter((a) => a);
}

export function desiredState(view: StateView, id: HostIdentity): HostDesired {
  const localPorts = [...view.ports.values()].filter((p) => isLocalPort(p, id.host)).sort((a, b) => (a.id < b.id ? -1 : 1));
  const unwirable = new Map<string, string>();
  const networks = new Map<string, DesiredNetwork>();
  const fwPorts: FirewallPort[] = [];
  for (const p of localPorts) {
    const net = view.networks.get(p.networkId);
    if (!net) {
      unwirable.set(p.id, `network ${p.networkId} is unknown to the agent`);
      continue;
    }
    const seg = segmentOf(p, net, id);
    if (typeof seg === 'string') {
      unwirable.set(p.id, seg);
      continue;
    }
    let dn = networks.get(net.id);
    if (!dn) {
      dn = { networkId: net.id, bridge: bridgeName(net.id), mtu: mtuOf(net, seg), segment: seg, ports: [], remotes: [] };
      networks.set(net.id, dn);
    }
    const tap = p.binding?.vifDetails.tap_name || tapName(p.id);
    dn.ports.push({ portId: p.id, tap, mac: p.macAddress, adminUp: (p.adminStateUp ?? true) && (net.adminStateUp ?? true) });
    fwPorts.push({
      portId: p.id,
      tap,
      bridge: dn.bridge,
      mac: p.macAddress,
      fixedIps: addressesOf(p),
      allowedAddressPairs: p.allowedAddressPairs.map((a) => ({ ipAddress: a.ipAddress, macAddress: a.macAddress })),
      portSecurityEnabled: p.portSecurityEnabled ?? true,
      securityGroupIds: [...p.securityGroupIds],
    });
  }
  // l2 population: the VTEPs of the other hosts with ports on our networks, and their MACs.
  const remotes = new Map<string, Map<string, string[]>>();
  for (const p of view.ports.values()) {
    if (!networks.has(p.networkId) || p.binding?.hostId === id.host || !p.binding?.hostId) continue;
    const vtep = p.binding.vifDetails.tunnel_ip;
    if (!vtep || vtep === id.tunnelIp || !p.macAddress) continue;
    let byIp = remotes.get(p.networkId);
    if (!byIp) remotes.set(p.networkId, (byIp = new Map()));
    const macs = byIp.get(vtep) ?? [];
    macs.push(p.macAddress);
    byIp.set(vtep, macs);
  }
  for (const dn of networks.values()) {
    if (dn.segment.kind !== 'vxlan') continue;
    const byIp = remotes.get(dn.networkId);
    if (!byIp) continue;
    dn.remotes = [...byIp.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([ip, macs]) => ({ ip, macs: macs.sort() }));
  }
  return { l2: { localIp: id.tunnelIp, networks: [...networks.values()] }, firewall: { ports: fwPorts, groups: groupsFor(view, fwPorts) }, localPorts, unwirable };
}

/** The groups our ports use, plus every group their rules name as remote, with member addresses. */
function groupsFor(view: StateView, ports: FirewallPort[]): FirewallGroup[] {
  const wanted = new Set<string>();
  for (const p of ports) for (const g of p.securityGroupIds) wanted.add(g);
  for (const g of [...wanted]) {
    for (const r of view.securityGroups.get(g)?.rules ?? []) if (r.remoteGroupId) wanted.add(r.remoteGroupId);
  }
  const members = new Map<string, { v4: string[]; v6: string[] }>();
  for (const g of wanted) members.set(g, { v4: [], v6: [] });
  for (const p of view.ports.values()) {
    for (const g of p.securityGroupIds) {
      const m = members.get(g);
      if (!m) continue;
      for (const a of addressesOf(p)) (a.includes(':') ? m.v6 : m.v4).push(a);
    }
  }
  const out: FirewallGroup[] = [];
  for (const g of [...wanted].sort()) {
    const sg = view.securityGroups.get(g);
    const m = members.get(g)!;
    out.push({ id: g, stateful: sg?.stateful ?? true, rules: (sg?.rules ?? []).map(ruleOf), members: { v4: [...new Set(m.v4)].sort(), v6: [...new Set(m.v6)].sort() } });
  }
  return out;
}
