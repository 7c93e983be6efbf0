/**
 * One security group rule → the nft match that selects the packets it allows (inet family, where
 * the packet is seen after br_netfilter). Rules only ever allow, so a rule that cannot be rendered
 * is left out: the port is then filtered more tightly than asked (fail closed), never less.
 *
 * Semantics follow Neutron: the port range is the packet's destination port in both directions;
 * for ICMP, port_range_min is the type and port_range_max the code (0 = any); the remote end is the
 * source of ingress packets and the destination of egress packets.
 */
import type { IpVersion } from '../../../controller/domain/ipam/address';
import { formatPrefix, parsePrefix } from './addresses';
import type { FirewallRule } from './model';

export type RuleMatch = { ok: true; match: string } | { ok: false; reason: string };

/** Names the set holding a group's member addresses of one version. */
export type RemoteSetName = (groupId: string, version: IpVersion) => string;

const PROTOCOL_NUMBERS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58, 'ipv6-icmp': 58, sctp: 132 };
const PORT_PROTOCOLS: Record<number, string> = { 6: 'tcp', 17: 'udp', 132: 'sctp' };

/** The rule's IP protocol number, null for any, undefined when the text is not a protocol. */
function protocolNumber(text: string, version: IpVersion): number | null | undefined {
  const p = text.trim().toLowerCase();
  if (p === '' || p === 'any') return null;
  const n = p in PROTOCOL_NUMBERS ? PROTOCOL_NUMBERS[p] : /^\d{1,3}$/.test(p) && Number(p) <= 255 ? Number(p) : undefined;
  // Neutron accepts "icmp" with IPv6 and means ICMPv6.
  return n === 1 && version === 6 ? 58 : n;
}

function protocolMatch(proto: number | null, rule: FirewallRule, version: IpVersion): string[] {
  if (proto === null) return [];
  const { portRangeMin: min, portRangeMax: max } = rule;
  const portProto = PORT_PROTOCOLS[proto];
  if (portProto !== undefined) {
    if (!min && !max) return [`meta l4proto ${portProto}`];
    const lo = min || max;
    const hi = max || min;
    return [`${portProto} dport ${lo === hi ? String(lo) : `${lo}-${hi}`}`];
  }
  const icmp = proto === 1 && version === 4 ? 'icmp' : proto === 58 && version === 6 ? 'icmpv6' : null;
  if (icmp !== null) {
    const out = [`meta l4proto ${icmp === 'icmp' ? 'icmp' : 'ipv6-icmp'}`];
    if (min) out.push(`${icmp} type ${min}`);
    if (min && max) out.push(`${icmp} code ${max}`);
    return out;
  }
  return [`meta l4proto ${proto}`];
}

/** The match for `rule`, without a verdict. */
export function ruleMatch(rule: FirewallRule, remoteSet: RemoteSetName): RuleMatch {
  const version: IpVersion = rule.ethertype === 'IPv6' ? 6 : 4;
  const parts = [`meta nfproto ipv${version}`];
  const proto = protocolNumber(rule.protocol, version);
  if (proto === undefined) return { ok: false, reason: `unknown protocol '${rule.protocol}'` };
  parts.push(...protocolMatch(proto, rule, version));

  const addr = `${version === 4 ? 'ip' : 'ip6'} ${rule.direction === 'ingress' ? 'saddr' : 'daddr'}`;
  if (rule.remoteIpPrefix !== '') {
    const prefix = parsePrefix(rule.remoteIpPrefix, version);
    if (prefix === null) return { ok: false, reason: `remote prefix '${rule.remoteIpPrefix}' is not an IPv${version} address or CIDR` };
    if (prefix.len > 0) parts.push(`${addr} ${formatPrefix(prefix)}`);
  }
  if (rule.remoteGroupId !== '') parts.push(`${addr} @${remoteSet(rule.remoteGroupId, version)}`);
  return { ok: true, match: parts.join(' ') };
}
