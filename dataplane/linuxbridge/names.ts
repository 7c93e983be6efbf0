/**
 * Kernel object names the Linux-bridge backend owns. Interface names are limited to 15 bytes
 * (IFNAMSIZ - 1), so ids are cut to 11 characters like Neutron's `tap`/`brq` names; the prefixes
 * also tell the agent which kernel objects are its own (it never touches anything else).
 */
export const TAP_PREFIX = 'tap';
export const BRIDGE_PREFIX = 'brq';
export const VXLAN_PREFIX = 'vxlan-';
/** UDP port for VXLAN (IANA). */
export const VXLAN_PORT = 4789;
/** IPv4 outer header 20 + UDP 8 + VXLAN 8 + inner Ethernet 14. */
export const VXLAN_OVERHEAD = 50;

/** Host-side device of a port (the compute side creates it; the agent enslaves it). */
export function tapName(portId: string): string {
  return TAP_PREFIX + portId.slice(0, 11);
}

/** The bridge that carries one network on a host. */
export function bridgeName(networkId: string): string {
  return BRIDGE_PREFIX + networkId.slice(0, 11);
}

/** The VXLAN device of a network's segment (VNI up to 2^24 - 1 fits: "vxlan-16777215"). */
export function vxlanName(vni: number): string {
  return VXLAN_PREFIX + String(vni);
}

/** VLAN sub-interface of a physical interface: "<iface>.<vid>", shortened to fit IFNAMSIZ. */
export function vlanName(iface: string, vid: number): string {
  const suffix = '.' + String(vid);
  return iface.slice(0, 15 - suffix.length) + suffix;
}
