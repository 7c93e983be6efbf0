/**
 * The L2 reconcile model of the Linux-bridge backend: what a host should have (DesiredL2, built by
 * the agent from controller state), what it has (ObservedL2, read from the kernel), and the
 * ordered steps between them (L2Action). All plain data, so the planner is a pure function.
 */
import type { ObservedFdbEntry, ObservedLink } from '../kernel/types';

export type { ObservedFdbEntry, ObservedLink } from '../kernel/types';

export type SegmentSpec =
  | { kind: 'vxlan'; vni: number }
  /** A network that never leaves the host: a bridge with its taps and no uplink. */
  | { kind: 'local' }
  | { kind: 'flat'; physicalInterface: string }
  | { kind: 'vlan'; physicalInterface: string; vlanId: number };

export interface DesiredPort {
  portId: string;
  /** Host-side device the compute side creates (a tap or the host end of a veth). */
  tap: string;
  mac: string;
  adminUp: boolean;
}

/** A remote host's tunnel IP and the MACs of that network's ports behind it. */
export interface RemoteVtep {
  ip: string;
  macs: string[];
}

export interface DesiredNetwork {
  networkId: string;
  bridge: string;
  /** The network's MTU (for VXLAN, already net of VXLAN_OVERHEAD); applied to bridge, segment device (if any) and taps. */
  mtu: number;
  segment: SegmentSpec;
  ports: DesiredPort[];
  /** Only used for VXLAN segments. */
  remotes: RemoteVtep[];
}

export interface DesiredL2 {
  /** This host's VTEP address (IPv4); may be '' when the host has no VXLAN networks. */
  localIp: string;
  networks: DesiredNetwork[];
}

export interface ObservedL2 {
  links: ObservedLink[];
  /** FDB remotes of our VXLAN devices only. */
  fdb: ObservedFdbEntry[];
}

/** Who an action is for, so a failure can be reported against a network or a port. */
export interface ActionOwner {
  networkId?: string;
  portId?: string;
}

export type L2Action = ActionOwner &
  (
    | { op: 'createBridge'; name: string; mtu: number }
    | { op: 'createVxlan'; name: string; vni: number; local: string; port: number; mtu: number }
    | { op: 'createVlan'; name: string; parent: string; vlanId: number; mtu: number }
    | { op: 'deleteLink'; name: string; reason: string }
    /** `master: null` releases the link from whatever it is enslaved to. */
    | { op: 'setMaster'; name: string; master: string | null }
    | { op: 'setUp'; name: string; up: boolean }
    | { op: 'setMtu'; name: string; mtu: number }
    | { op: 'addFdb'; device: string; mac: string; dst: string }
    | { op: 'removeFdb'; device: string; mac: string; dst: string }
  );

export type L2ActionOp = L2Action['op'];

export type PortStateValue = 'ACTIVE' | 'DOWN' | 'ERROR';

export interface PortState {
  state: PortStateValue;
  reason?: string;
}
