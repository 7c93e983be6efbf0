/**
 * What the rtnetlink adapter reports about the kernel and what it accepts, as plain data: the
 * planner works on these shapes only, so it can be tested without a kernel (and the test simulator
 * implements `L2Kernel` with them).
 */

/**
 * `IFLA_INFO_KIND` of a link. Physical NICs and loopback have none (''); a tap created by a
 * hypervisor is 'tun'. Other kinds appear as the kernel names them.
 */
export type LinkKind = 'bridge' | 'vxlan' | 'veth' | 'tun' | 'vlan' | '' | (string & {});

export interface VxlanInfo {
  vni: number;
  /** Local (source) tunnel address, null when the device has none. */
  local: string | null;
  /** Destination UDP port. */
  port: number;
  learning: boolean;
}

export interface VlanInfo {
  id: number;
  /** ifindex of the device the VLAN rides on (IFLA_LINK). */
  parentIndex: number;
}

export interface ObservedLink {
  index: number;
  name: string;
  kind: LinkKind;
  /** ifindex of the bridge (or bond, ...) this link is enslaved to; null when it has no master. */
  masterIndex: number | null;
  mtu: number;
  /** The administrative IFF_UP flag (not the carrier / operational state). */
  up: boolean;
  /** Lower-case, colon-separated; '' when the link has no hardware address. */
  mac: string;
  vxlan?: VxlanInfo;
  vlan?: VlanInfo;
}

/** One remote of a VXLAN device's forwarding database (`bridge fdb ... self dst <ip>`). */
export interface ObservedFdbEntry {
  /** Name of the VXLAN device. */
  device: string;
  /** Lower-case, colon-separated; 00:00:00:00:00:00 is the flood (BUM) entry. */
  mac: string;
  /** Remote VTEP address. */
  dst: string;
}

export interface BridgeSpec {
  name: string;
  mtu?: number;
}

export interface VxlanSpec {
  name: string;
  vni: number;
  /** Local tunnel address (IPv4). */
  local: string;
  /** Destination UDP port; the adapter's default is VXLAN_PORT (4789). */
  port?: number;
  mtu?: number;
}

export interface VlanSpec {
  name: string;
  /** Name of the device the VLAN rides on. */
  parent: string;
  vlanId: number;
  mtu?: number;
}

export interface FdbSpec {
  /** Name of the VXLAN device. */
  device: string;
  mac: string;
  dst: string;
}

/** A link appeared, changed or went away (RTNLGRP_LINK notification). */
export interface LinkChange {
  type: 'new' | 'del';
  link: ObservedLink;
}

export interface LinkWatchHandlers {
  onChange: (change: LinkChange) => void;
  /**
   * The subscription failed or lost notifications (ENOBUFS when the socket buffer overflowed):
   * the consumer must re-read the full state, since events may be missing.
   */
  onError?: (err: Error) => void;
}

/**
 * The kernel operations the L2 executor needs. Every method acts in the network namespace of the
 * process that opened the socket. Devices are named, not indexed: names are what the planner
 * knows, and they stay valid across the re-creation of a device.
 */
export interface L2Kernel {
  listLinks(): Promise<ObservedLink[]>;
  /** FDB remotes of VXLAN devices (only NTF_SELF entries with a destination); all of them, or one device's. */
  listFdb(options?: { device?: string; links?: readonly ObservedLink[] }): Promise<ObservedFdbEntry[]>;
  createBridge(spec: BridgeSpec): Promise<void>;
  /** Unicast-only VXLAN: no group, no default remote, learning off. */
  createVxlan(spec: VxlanSpec): Promise<void>;
  createVlan(spec: VlanSpec): Promise<void>;
  /** Enslave `name` to the bridge `master`, or release it from its master when `master` is null. */
  setMaster(name: string, master: string | null): Promise<void>;
  setUp(name: string, up: boolean): Promise<void>;
  setMtu(name: string, mtu: number): Promise<void>;
  /** Deleting a device that is already gone succeeds. */
  deleteLink(name: string): Promise<void>;
  /**
   * Adds a permanent remote: the all-zeros and multicast MACs accumulate remotes (like
   * `bridge fdb append`); a unicast MAC has one remote, which this replaces (`bridge fdb replace`).
   */
  addFdb(entry: FdbSpec): Promise<void>;
  /** Removes one remote of one MAC; removing an absent entry succeeds. */
  removeFdb(entry: FdbSpec): Promise<void>;
}
