/**
 * Security group chains (inet family, where br_netfilter shows bridged packets to conntrack).
 *
 * Shared chains do what is the same for every filtered port, so per-port chains hold only the
 * port's own rules (and `nft -j list` stays small enough to observe a thousand ports quickly):
 *
 *   sg_forward:  sender filtered?   jump sg_egress
 *                receiver filtered? jump sg_ingress
 *   sg_egress:   DHCP/ND basics; conntrack shortcuts if the sender is in stateful_out;
 *                mark.high vmap egress → egress_<tap>: its rules `return` (allowed), else drop
 *   sg_ingress:  DHCP/ND basics; conntrack shortcuts if the receiver is in stateful_in;
 *                mark.low vmap ingress → ingress_<tap>: its rules `accept`, else drop
 *
 * A `return` from sg_egress (or from egress_<tap> through it) means "the sender may send this":
 * sg_forward then runs the receiver's ingress checks. Default deny is the final drop of each
 * per-port chain.
 *
 * Established flows: only packets in the reply direction (and related ones, e.g. ICMP errors) skip
 * the rules. Packets in the original direction are matched against the current rules every time,
 * so a connection survives any rule change that still allows it and stops when its rule (or its
 * remote-group membership) goes away — what Neutron gets by deleting conntrack entries on removal.
 * Stateless ports are not in the stateful sets: replies pass only if a rule allows them.
 */
import { EGRESS_COMMON_CHAIN, EGRESS_MAP, ICMPV6_IN_SET, ICMPV6_OUT_SET, INGRESS_COMMON_CHAIN, INGRESS_MAP, STATEFUL_IN_SET, STATEFUL_OUT_SET } from './naming';

/** Mark bits holding the sending port's id (egress) and the receiving port's id (ingress). */
export const SENDER_BITS = '0xffff0000';
export const RECEIVER_BITS = '0x0000ffff';

/** ICMPv6 a port may always send: MLD (130-132, 143), router solicitation, neighbor solicitation/advertisement (nft's names, as nft -j prints them). */
export const ICMPV6_OUT_TYPES = ['mld-listener-query', 'mld-listener-report', 'mld-listener-done', 'nd-router-solicit', 'nd-neighbor-solicit', 'nd-neighbor-advert', 'mld2-listener-report'];
/** ICMPv6 a port may always receive: MLD query, router advertisement, neighbor solicitation/advertisement. */
export const ICMPV6_IN_TYPES = ['mld-listener-query', 'nd-router-advert', 'nd-neighbor-solicit', 'nd-neighbor-advert'];

export const SG_FORWARD_RULES: readonly string[] = [
  `meta mark & ${SENDER_BITS} != 0x00000000 jump ${EGRESS_COMMON_CHAIN}`,
  `meta mark & ${RECEIVER_BITS} != 0x00000000 jump ${INGRESS_COMMON_CHAIN}`,
];

const sender = `meta mark & ${SENDER_BITS}`;
const receiver = `meta mark & ${RECEIVER_BITS}`;

export const EGRESS_COMMON_RULES: readonly string[] = [
  'udp sport 68 udp dport 67 return',
  // Instances must not answer DHCP (v4 or v6) for others, nor advertise themselves as routers.
  'udp sport 67 udp dport 68 drop',
  'udp sport 546 udp dport 547 return',
  'udp sport 547 udp dport 546 drop',
  'icmpv6 type nd-router-advert drop',
  `icmpv6 type @${ICMPV6_OUT_SET} return`,
  `${sender} @${STATEFUL_OUT_SET} ct state invalid drop`,
  `${sender} @${STATEFUL_OUT_SET} ct state related return`,
  `${sender} @${STATEFUL_OUT_SET} ct state established ct direction reply return`,
  // Nothing after this: an allowed packet returns from egress_<tap> to here and must fall through.
  `${sender} vmap @${EGRESS_MAP}`,
];

export const INGRESS_COMMON_RULES: readonly string[] = [
  'udp sport 67 udp dport 68 accept',
  'ip6 saddr fe80::/10 udp sport 547 udp dport 546 accept',
  `icmpv6 type @${ICMPV6_IN_SET} accept`,
  `${receiver} @${STATEFUL_IN_SET} ct state invalid drop`,
  `${receiver} @${STATEFUL_IN_SET} ct state related accept`,
  `${receiver} @${STATEFUL_IN_SET} ct state established ct direction reply accept`,
  `${receiver} vmap @${INGRESS_MAP}`,
];

/**
 * A port's chain for one direction: its groups' rule matches, sorted and deduplicated (allow rules
 * commute, and a stable order keeps the chain hash independent of how the controller lists them),
 * then the default drop.
 */
export function portSgRules(direction: 'ingress' | 'egress', matches: readonly string[]): string[] {
  const allow = direction === 'ingress' ? 'accept' : 'return';
  return [...[...new Set(matches)].sort().map((m) => `${m} ${allow}`), 'counter drop'];
}
