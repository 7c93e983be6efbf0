/**
 * Anti-spoofing (bridge family, stateless): what each filtered port may send from.
 *
 * One shared chain, `anti_spoof`, checks every frame a filtered port sends against named sets keyed
 * by the sending tap, so a port's addresses are set elements, not rules: an address change is an
 * element diff, and a thousand ports cost a thousand elements rather than thousands of anonymous
 * sets (which the kernel names by linear search: creating n of them is O(n²)).
 *
 * Allowed: the port's MAC with its fixed IPs, allowed address pairs (MAC '' = the port's), the
 * EUI-64 link-local address of every allowed MAC, `0.0.0.0` for DHCP discovery and ARP probes
 * (RFC 5227; receivers learn nothing from them), `::` for DAD and MLD reports, and ARP whose sender
 * MAC and IP form an allowed pair. A neighbor advertisement for a target the port does not own is
 * dropped even from a good source. Everything else — other ethertypes, VLAN tags — is dropped. This
 * runs before br_netfilter hands the packet to the inet hooks, so a spoofed packet never reaches a
 * conntrack "established" shortcut.
 */
import type { IpVersion } from '../../../controller/domain/ipam/address';
import { canonicalPrefixes, eui64LinkLocal, normalizeMac, parsePrefix, prefixHexRange, type Prefix } from './addresses';
import type { FirewallPort } from './model';
import { ANTI_SPOOF_CHAIN, SPOOF_ARP_SET, SPOOF_MACS_SET, SPOOF_ND_SET, SPOOF_V4_SET, SPOOF_V6_SET } from './naming';

/** What a port may send from: its MACs, and per MAC the address blocks of each version. */
export interface PortAddresses {
  macs: string[];
  /** mac → address texts (hosts and CIDRs), of each version. */
  v4: Map<string, string[]>;
  v6: Map<string, string[]>;
}

function push(map: Map<string, string[]>, mac: string, addr: string): void {
  map.set(mac, [...(map.get(mac) ?? []), addr]);
}

/**
 * Collects the port's allowed sources. Unparsable entries are reported through `problem` and left
 * out, which blocks traffic from them (fail closed). Returns null when the port's own MAC is bad:
 * then nothing it sends is allowed.
 */
export function portAddresses(port: FirewallPort, problem: (reason: string) => void): PortAddresses | null {
  const mac = normalizeMac(port.mac);
  if (mac === null) {
    problem(`MAC '${port.mac}' is not a MAC address`);
    return null;
  }
  const out: PortAddresses = { macs: [mac], v4: new Map(), v6: new Map() };
  const add = (m: string, p: Prefix, text: string): void => {
    if (!out.macs.includes(m)) out.macs.push(m);
    push(p.version === 4 ? out.v4 : out.v6, m, text);
  };
  for (const ip of port.fixedIps) {
    const p = parsePrefix(ip);
    if (p === null || p.len !== (p.version === 4 ? 32 : 128)) problem(`fixed IP '${ip}' is not an address`);
    else add(mac, p, ip);
  }
  for (const pair of port.allowedAddressPairs) {
    const pairMac = pair.macAddress === '' ? mac : normalizeMac(pair.macAddress);
    const p = parsePrefix(pair.ipAddress);
    if (pairMac === null) problem(`allowed address pair MAC '${pair.macAddress}' is not a MAC address`);
    else if (p === null) problem(`allowed address pair IP '${pair.ipAddress}' is not an address or CIDR`);
    else add(pairMac, p, pair.ipAddress);
  }
  for (const m of out.macs) push(out.v6, m, eui64LinkLocal(m));
  return out;
}

/** Elements (canonical key text) this port contributes to each anti-spoofing set. */
export type SpoofElements = Record<'macs' | 'arp' | 'v4' | 'v6' | 'nd', string[]>;

/**
 * The port's elements. Within one (tap, MAC) the blocks are made disjoint, because an interval set
 * refuses overlapping elements (a fixed IP inside an allowed CIDR is common).
 */
export function spoofElements(tap: string, a: PortAddresses | null): SpoofElements {
  const out: SpoofElements = { macs: [], arp: [], v4: [], v6: [], nd: [] };
  if (a === null) return out;
  const blocks = (m: Map<string, string[]>, mac: string, v: IpVersion): string[] => canonicalPrefixes(m.get(mac) ?? [], v);
  for (const mac of a.macs) {
    out.macs.push(`${tap} . ${mac}`);
    for (const b of blocks(a.v4, mac, 4)) {
      out.arp.push(`${tap} . ${mac} . ${mac} . ${b}`);
      out.v4.push(`${tap} . ${mac} . ${b}`);
    }
    for (const b of blocks(a.v6, mac, 6)) out.v6.push(`${tap} . ${mac} . ${b}`);
  }
  const allV6 = canonicalPrefixes([...a.v6.values()].flat(), 6);
  for (const b of allV6) {
    const p = parsePrefix(b, 6);
    if (p !== null) out.nd.push(`${tap} . ${prefixHexRange(p)}`);
  }
  return out;
}

const ARP_ETHERNET_IPV4 = 'arp htype 1 arp ptype ip arp hlen 6 arp plen 4';

/** The shared chain every filtered port's frames jump to (after their port chain set the mark). */
export const ANTI_SPOOF_RULES: readonly string[] = [
  `${ARP_ETHERNET_IPV4} iifname . ether saddr . arp saddr ether . arp saddr ip @${SPOOF_ARP_SET} return`,
  `${ARP_ETHERNET_IPV4} arp saddr ip 0.0.0.0 iifname . ether saddr @${SPOOF_MACS_SET} iifname . arp saddr ether @${SPOOF_MACS_SET} return`,
  `ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 iifname . ether saddr @${SPOOF_MACS_SET} return`,
  `iifname . ether saddr . ip saddr @${SPOOF_V4_SET} return`,
  // The NA target field (bytes 8-23 of the ICMPv6 header); nft 1.0.6 has no name for it.
  `icmpv6 type nd-neighbor-advert iifname . @th,64,128 != @${SPOOF_ND_SET} drop`,
  // From `::`: MLDv1 report, neighbor solicitation (DAD), MLDv2 report.
  `ip6 saddr :: icmpv6 type { 131, 135, 143 } iifname . ether saddr @${SPOOF_MACS_SET} return`,
  `iifname . ether saddr . ip6 saddr @${SPOOF_V6_SET} return`,
  'counter drop',
];

/** The per-port chain: record the sender's port id in the high 16 bits of the mark, then check it. */
export function fromPortRules(portId: number): string[] {
  return [`meta mark set meta mark | 0x${(portId * 0x10000).toString(16).padStart(8, '0')}`, `jump ${ANTI_SPOOF_CHAIN}`];
}
