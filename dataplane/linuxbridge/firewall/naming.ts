/**
 * Names of the objects in the `weft` tables. Per-port chains are named after the port's tap, so a
 * reader of `nft list ruleset` can tell whose chain it is; the observer relies on the prefixes.
 */
import { createHash } from 'node:crypto';
import type { IpVersion } from '../../../controller/domain/ipam/address';

/** bridge family: base chain on the bridge forward hook (marks, anti-spoofing dispatch). */
export const L2_FORWARD_CHAIN = 'l2_forward';
/** bridge family: tap → port id (the persisted id store), also used to mark the egress port. */
export const PORT_IDS_MAP = 'port_ids';
/** bridge family: tap → jump to the port's chain (marks the sender, then anti-spoofing). */
export const FROM_PORT_MAP = 'from_port';
/** bridge family: the shared anti-spoofing chain and its sets, keyed by the sending tap. */
export const ANTI_SPOOF_CHAIN = 'anti_spoof';
/** tap . MAC: the MACs a port may send from. */
export const SPOOF_MACS_SET = 'spoof_macs';
/** tap . ether source . ARP sender MAC . ARP sender IP. */
export const SPOOF_ARP_SET = 'spoof_arp';
/** tap . MAC . IPv4 source (hosts and blocks). */
export const SPOOF_V4_SET = 'spoof_v4';
/** tap . MAC . IPv6 source. */
export const SPOOF_V6_SET = 'spoof_v6';
/** tap . neighbor advertisement target (as a 128-bit integer). */
export const SPOOF_ND_SET = 'spoof_nd';
/** inet family: base chain at raw priority that puts each bridge's packets in its conntrack zone. */
export const ZONE_CHAIN = 'zone_prerouting';
/** inet family: bridge → conntrack zone (the persisted zone store). */
export const ZONES_MAP = 'zones';
/** inet family: base chain on forward that dispatches to the ports' security group chains. */
export const SG_FORWARD_CHAIN = 'sg_forward';
/** inet family: (source port id << 16) → jump to that port's egress chain. */
export const EGRESS_MAP = 'egress';
/** inet family: destination port id → jump to that port's ingress chain. */
export const INGRESS_MAP = 'ingress';
/** inet family: shared chains run for every filtered sender / receiver before its own chain (named apart from the per-port prefixes, so no tap name can collide with them). */
export const EGRESS_COMMON_CHAIN = 'sg_egress';
export const INGRESS_COMMON_CHAIN = 'sg_ingress';
/** inet family: marks (sender bits / receiver bits) of ports whose groups are stateful. */
export const STATEFUL_OUT_SET = 'stateful_out';
export const STATEFUL_IN_SET = 'stateful_in';
/** inet family: ICMPv6 types every filtered port may send / receive (ND, MLD, RS / RA). */
export const ICMPV6_OUT_SET = 'icmpv6_out';
export const ICMPV6_IN_SET = 'icmpv6_in';

export const FROM_PREFIX = 'from_';
export const EGRESS_PREFIX = 'egress_';
export const INGRESS_PREFIX = 'ingress_';
export const REMOTE_SET_PREFIX = 'rg_';

export const fromChain = (tap: string): string => FROM_PREFIX + tap;
export const egressChain = (tap: string): string => EGRESS_PREFIX + tap;
export const ingressChain = (tap: string): string => INGRESS_PREFIX + tap;

/** Interface names we are willing to put in scripts: what Weft's own names.ts produces, and then some. */
const IFNAME = /^[A-Za-z][A-Za-z0-9_.-]{0,14}$/;

export function isSafeIfname(name: string): boolean {
  return IFNAME.test(name);
}

/**
 * The set of a group's member addresses of one version. Ids that are not plain identifiers are
 * cleaned and suffixed with a hash of the original, so two ids never share a set.
 */
export function remoteSetName(groupId: string, version: IpVersion): string {
  const clean = groupId.replace(/[^A-Za-z0-9_-]/g, '_');
  const id = clean === groupId ? groupId : `${clean}_${createHash('sha256').update(groupId).digest('hex').slice(0, 8)}`;
  return `${REMOTE_SET_PREFIX}${id}_${version}`;
}
