/**
 * Desired L2 state, normalized and checked against what the host has, before any diffing:
 * which networks are buildable, the names each one claims, the FDB it needs, and — for what
 * cannot be built — the reason its ports will be reported ERROR.
 *
 * Guarantees the planner relies on:
 * - networks and ports come out sorted by id, so plans are deterministic;
 * - every kernel name (bridge, segment device, tap) is claimed by at most one owner: the first
 *   network/port in id order wins and later claimants get a problem, so two owners never make the
 *   planner flip a device back and forth;
 * - a network with a problem is *frozen*: its names stay reserved (never deleted as stale, never
 *   touched), so a transient problem (a NIC renamed for a moment) cannot tear down a bridge.
 */
import { isIPv4 } from 'node:net';
import { ZERO_MAC, isMultiRemoteMac, normalizeMac } from '../kernel/addresses';
import { BRIDGE_PREFIX, VXLAN_PREFIX, vlanName, vxlanName } from '../names';
import type { DesiredL2, DesiredNetwork, DesiredPort } from './model';
import type { ObservedIndex } from './observed-index';

export interface FdbTarget {
  mac: string;
  dst: string;
}

export interface PortTarget {
  port: DesiredPort;
  /** Set when the port cannot be wired (its tap name is claimed by someone else). */
  problem?: string;
}

export interface NetworkTarget {
  net: DesiredNetwork;
  /** Set when the network cannot be built; it is then frozen (see the file comment). */
  problem?: string;
  /** The device that carries the segment: the VXLAN device, the VLAN sub-interface or the NIC; null for a local network (no uplink). */
  segmentDevice: string | null;
  ports: PortTarget[];
  /** VXLAN only: the flood entries (one per remote VTEP) then one entry per remote MAC. */
  fdb: FdbTarget[];
}

export interface Targets {
  localIp: string;
  networks: NetworkTarget[];
  /** Every name claimed by a desired network or port (healthy or frozen). */
  claimed: Map<string, string>;
  /** Link name → the bridge it must be enslaved to (segment devices and present taps of healthy networks). */
  members: Map<string, string>;
}

export function isOurName(name: string): boolean {
  return name.startsWith(BRIDGE_PREFIX) || name.startsWith(VXLAN_PREFIX);
}

function byId<T>(key: (t: T) => string): (a: T, b: T) => number {
  return (a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
}

function segmentDeviceOf(net: DesiredNetwork): string | null {
  const s = net.segment;
  if (s.kind === 'local') return null;
  if (s.kind === 'vxlan') return vxlanName(s.vni);
  if (s.kind === 'vlan') return vlanName(s.physicalInterface, s.vlanId);
  return s.physicalInterface;
}

/** Why the network's segment cannot be built on this host, if it cannot. */
function segmentProblem(net: DesiredNetwork, localIp: string, obs: ObservedIndex, device: string | null): string | undefined {
  const s = net.segment;
  if (s.kind === 'local') return undefined;
  if (s.kind === 'vxlan') {
    if (!Number.isInteger(s.vni) || s.vni < 1 || s.vni > 0xffffff) return `invalid VNI ${s.vni}`;
    if (!isIPv4(localIp)) return localIp ? `local tunnel address ${localIp} is not IPv4` : 'this host has no tunnel IP for VXLAN networks';
    return undefined;
  }
  const nic = obs.link(s.physicalInterface);
  if (!nic) return `physical interface ${s.physicalInterface} not found`;
  if (isOurName(s.physicalInterface)) return `physical interface ${s.physicalInterface} is a device this agent manages`;
  if (s.kind === 'flat') return undefined;
  if (!Number.isInteger(s.vlanId) || s.vlanId < 1 || s.vlanId > 4094) return `invalid VLAN id ${s.vlanId}`;
  const vlan = device === null ? undefined : obs.link(device);
  // The VLAN device's name has no prefix of ours, so a mismatching one is never deleted: report it.
  if (vlan && (vlan.kind !== 'vlan' || vlan.vlan?.id !== s.vlanId || vlan.vlan.parentIndex !== nic.index)) {
    return `device ${device} exists but is not VLAN ${s.vlanId} on ${s.physicalInterface}`;
  }
  return undefined;
}

function fdbTargets(net: DesiredNetwork, localIp: string): FdbTarget[] {
  if (net.segment.kind !== 'vxlan') return [];
  const remotes = net.remotes.filter((r) => isIPv4(r.ip) && r.ip !== localIp).sort(byId((r) => r.ip));
  const flood = [...new Set(remotes.map((r) => r.ip))].map((dst) => ({ mac: ZERO_MAC, dst }));
  // A unicast MAC lives behind one VTEP; if two claim it (a port moving), the first in address order wins.
  const unicast = new Map<string, string>();
  for (const r of remotes) {
    for (const raw of r.macs) {
      const mac = normalizeMac(raw);
      if (mac && !isMultiRemoteMac(mac) && !unicast.has(mac)) unicast.set(mac, r.ip);
    }
  }
  const macs = [...unicast.entries()].sort(byId(([mac]) => mac)).map(([mac, dst]) => ({ mac, dst }));
  return [...flood, ...macs];
}

export function buildTargets(desired: DesiredL2, obs: ObservedIndex): Targets {
  const claimed = new Map<string, string>();
  const members = new Map<string, string>();
  const networks: NetworkTarget[] = [];
  const claim = (name: string, owner: string): string | undefined => {
    const holder = claimed.get(name);
    if (holder !== undefined) return `device ${name} is already claimed by ${holder}`;
    claimed.set(name, owner);
    return undefined;
  };
  // A network without ports on this host needs no bridge: it is treated as absent (torn down).
  const nets = desired.networks.filter((n) => n.ports.length > 0).sort(byId((n) => n.networkId));
  for (const net of nets) {
    const owner = `network ${net.networkId}`;
    const segmentDevice = segmentDeviceOf(net);
    const existing = obs.link(net.bridge);
    let problem =
      claim(net.bridge, owner) ??
      (segmentDevice === null ? undefined : claim(segmentDevice, owner)) ??
      segmentProblem(net, desired.localIp, obs, segmentDevice);
    if (!problem && existing && existing.kind !== 'bridge' && !isOurName(net.bridge)) {
      problem = `device ${net.bridge} exists and is not a bridge`;
    }
    const ports: PortTarget[] = [];
    for (const port of [...net.ports].sort(byId((p) => p.portId))) {
      const portProblem = claim(port.tap, `port ${port.portId}`);
      ports.push(portProblem ? { port, problem: portProblem } : { port });
      if (!problem && !portProblem && obs.link(port.tap)) members.set(port.tap, net.bridge);
    }
    if (!problem && segmentDevice !== null) members.set(segmentDevice, net.bridge);
    networks.push({ net, problem, segmentDevice, ports, fdb: problem ? [] : fdbTargets(net, desired.localIp) });
  }
  return { localIp: desired.localIp, networks, claimed, members };
}
