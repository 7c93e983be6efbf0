/**
 * What the compute side needs to plug one port into one instance, and its validation. The spec is
 * plain data so it can come from the network API (spec-from-port.ts), a test, or an orchestrator.
 */
import { isIP } from 'node:net';
import { PlugError } from './errors';

export interface PlugAddress {
  ip: string;
  prefixLength: number;
}

export interface PlugSpec {
  /** Network namespace standing in for the instance; created when missing. */
  instance: string;
  /** Namespace holding the host end (a simulated host in tests); undefined = the current one. */
  hostNetns?: string;
  /** Host-side device name (vif_details.tap_name, see dataplane/linuxbridge/names.ts). */
  tap: string;
  /** The port's MAC, given to the instance-side device. */
  mac: string;
  mtu: number;
  addresses: PlugAddress[];
  gateways: { v4?: string; v6?: string };
  /** Instance-side device name (default eth0). */
  ifname?: string;
}

export const DEFAULT_IFNAME = 'eth0';
/** IFNAMSIZ - 1. */
const MAX_IFNAME = 15;
const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
/**
 * iproute2 keeps namespace names as files under /run/netns, and `ip` treats some words specially;
 * allowing only this set keeps a name from being read as a path or an option.
 */
const NETNS_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const IFNAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** The address in the form iproute2 prints (lower case, RFC 5952 compression), or null if invalid. */
export function canonicalIp(ip: string): string | null {
  const v = isIP(ip);
  if (v === 4) return ip;
  if (v === 6) return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  return null;
}

export function ipVersion(ip: string): 4 | 6 {
  return isIP(ip) === 6 ? 6 : 4;
}

const validIfname = (name: string): boolean => IFNAME_RE.test(name) && name.length <= MAX_IFNAME;

/** Checks the names a plug or unplug spec carries (PlugError INVALID_SPEC). */
export function validateNames(spec: { instance: string; hostNetns?: string; tap: string }): void {
  const bad = (what: string): never => {
    throw new PlugError('INVALID_SPEC', `invalid plug spec: ${what}`);
  };
  if (!NETNS_RE.test(spec.instance)) bad(`instance namespace name "${spec.instance}"`);
  if (spec.hostNetns !== undefined && !NETNS_RE.test(spec.hostNetns)) bad(`host namespace name "${spec.hostNetns}"`);
  if (spec.hostNetns === spec.instance) bad('the instance and the host namespace are the same');
  if (!validIfname(spec.tap)) bad(`tap "${spec.tap}" (1-${MAX_IFNAME} characters of [A-Za-z0-9_.-])`);
}

/** Throws PlugError INVALID_SPEC naming the first problem; returns the spec with defaults filled. */
export function validateSpec(spec: PlugSpec): Required<Omit<PlugSpec, 'hostNetns'>> & Pick<PlugSpec, 'hostNetns'> {
  const bad = (what: string): never => {
    throw new PlugError('INVALID_SPEC', `invalid plug spec: ${what}`);
  };
  const ifname = spec.ifname ?? DEFAULT_IFNAME;
  validateNames(spec);
  if (!validIfname(ifname)) bad(`ifname "${ifname}" (1-${MAX_IFNAME} characters of [A-Za-z0-9_.-])`);
  if (!MAC_RE.test(spec.mac)) bad(`MAC address "${spec.mac}"`);
  // Multicast MACs cannot be a unicast interface's address (the kernel refuses them late and vaguely).
  if (parseInt(spec.mac.slice(0, 2), 16) & 1) bad(`MAC address "${spec.mac}" is multicast`);
  if (!Number.isInteger(spec.mtu) || spec.mtu < 68 || spec.mtu > 65535) bad(`MTU ${spec.mtu} (68-65535)`);
  const addresses = spec.addresses.map((a) => {
    const ip = canonicalIp(a.ip);
    if (ip === null) return bad(`address "${a.ip}"`);
    const max = ipVersion(ip) === 4 ? 32 : 128;
    if (!Number.isInteger(a.prefixLength) || a.prefixLength < 1 || a.prefixLength > max) bad(`prefix length ${a.prefixLength} for ${ip}`);
    return { ip, prefixLength: a.prefixLength };
  });
  const gateways: PlugSpec['gateways'] = {};
  for (const family of ['v4', 'v6'] as const) {
    const gw = spec.gateways[family];
    if (gw === undefined || gw === '') continue;
    const ip = canonicalIp(gw);
    if (ip === null || `v${ipVersion(ip)}` !== family) bad(`${family} gateway "${gw}"`);
    gateways[family] = ip!;
  }
  return { instance: spec.instance, hostNetns: spec.hostNetns, tap: spec.tap, mac: spec.mac.toLowerCase(), mtu: spec.mtu, addresses, gateways, ifname };
}
