/**
 * Desired firewall state → the ruleset of our two tables (pure).
 *
 * Why two tables: on this kernel conntrack is not available in the bridge family, while with
 * br_netfilter on, bridged IPv4/IPv6 packets also traverse the inet hooks, where conntrack works but
 * the in/out interface is the bridge, not the port. So the bridge family identifies the ports and
 * carries them to the inet family in the packet mark:
 *
 *   bridge weft — forward hook, priority -200 (before br_netfilter runs the inet hooks)
 *     l2_forward:  mark := 0; mark := port_ids[oifname]          (low 16 bits: receiving port)
 *                  iifname vmap from_port → from_<tap>            (high 16 bits: sending port)
 *     from_<tap>:  mark |= id << 16; jump anti_spoof
 *     anti_spoof:  stateless source checks against spoof_* sets keyed by tap (anti-spoof.ts)
 *   inet weft
 *     zone_prerouting (prerouting, -300): ct zone := zones[bridge]   (one zone per network)
 *     sg_forward (forward, 0): sender's egress checks, then receiver's ingress checks (sg-chains.ts)
 *     egress_<tap>, ingress_<tap>: the port's own group rules, default drop
 *     rg_<group>_<4|6>: member addresses of remote groups (elements change, rules do not)
 *
 * Per port there are three small chains and a handful of set and map elements; everything the
 * ports share lives in shared chains and sets. That keeps a thousand-port table fast to load and
 * to list, and makes most changes (addresses, membership, statefulness) element diffs. Each port's
 * and group's share is rendered on its own (port-part.ts), so that render-memo.ts can reuse the
 * shares whose input did not change; this file assembles them into the two tables.
 *
 * ARP never reaches the inet hooks, so ARP anti-spoofing lives in the bridge family. Ports with port
 * security off get no chains and no id: frames to or from them are judged only by the other end's
 * chains. l2_forward resets the mark of every bridged frame in the namespace: the agent's host
 * namespace is Weft's, and a stale mark would send a packet through the wrong port's rules.
 */
import { ANTI_SPOOF_RULES, type SpoofElements } from './anti-spoof';
import { allocateIds, type FirewallIds } from './ids';
import type { FirewallDesired } from './model';
import {
  ANTI_SPOOF_CHAIN,
  EGRESS_COMMON_CHAIN,
  EGRESS_MAP,
  FROM_PORT_MAP,
  ICMPV6_IN_SET,
  ICMPV6_OUT_SET,
  INGRESS_COMMON_CHAIN,
  INGRESS_MAP,
  L2_FORWARD_CHAIN,
  PORT_IDS_MAP,
  SG_FORWARD_CHAIN,
  SPOOF_ARP_SET,
  SPOOF_MACS_SET,
  SPOOF_ND_SET,
  SPOOF_V4_SET,
  SPOOF_V6_SET,
  STATEFUL_IN_SET,
  STATEFUL_OUT_SET,
  ZONE_CHAIN,
  ZONES_MAP,
  isSafeIfname,
} from './naming';
import { EMPTY_OBSERVED } from './observe';
import type { RemoteSetRef } from './port-part';
import { RenderMemo, type VersionedGroupPart } from './render-memo';
import { fullTableCommands, type ChainSpec, type Ruleset, type SetSpec } from './ruleset';
import { EGRESS_COMMON_RULES, ICMPV6_IN_TYPES, ICMPV6_OUT_TYPES, INGRESS_COMMON_RULES, SG_FORWARD_RULES } from './sg-chains';

/** Something in the input that could not be rendered as asked; the port is filtered more tightly instead. */
export interface RenderProblem {
  portId: string;
  reason: string;
}

export interface BuiltRuleset {
  ruleset: Ruleset;
  problems: RenderProblem[];
}

const L2_FORWARD: ChainSpec = {
  name: L2_FORWARD_CHAIN,
  base: { type: 'filter', hook: 'forward', priority: -200, policy: 'accept' },
  rules: ['meta mark set 0x00000000', `meta mark set oifname map @${PORT_IDS_MAP}`, `iifname vmap @${FROM_PORT_MAP}`],
};

const ANTI_SPOOF: ChainSpec = { name: ANTI_SPOOF_CHAIN, rules: [...ANTI_SPOOF_RULES] };

const ZONE_PREROUTING: ChainSpec = {
  name: ZONE_CHAIN,
  base: { type: 'filter', hook: 'prerouting', priority: -300, policy: 'accept' },
  rules: [`ct zone set iifname map @${ZONES_MAP}`],
};

const SG_FORWARD: ChainSpec = {
  name: SG_FORWARD_CHAIN,
  base: { type: 'filter', hook: 'forward', priority: 0, policy: 'accept' },
  rules: [...SG_FORWARD_RULES],
};

const EGRESS_COMMON: ChainSpec = { name: EGRESS_COMMON_CHAIN, rules: [...EGRESS_COMMON_RULES] };
const INGRESS_COMMON: ChainSpec = { name: INGRESS_COMMON_CHAIN, rules: [...INGRESS_COMMON_RULES] };

interface SetOptions {
  kind?: 'set' | 'map';
  declaration: string;
  keyType: string;
  valueType?: string;
  interval?: boolean;
  ifnameKey?: boolean;
  elements?: Iterable<[string, string]>;
}

function setSpec(name: string, o: SetOptions): SetSpec {
  const flags = o.interval ? ['interval'] : [];
  return {
    kind: o.kind ?? 'set',
    name,
    declaration: o.declaration + (o.interval ? ' flags interval;' : ''),
    shape: { keyType: o.keyType, ...(o.valueType ? { valueType: o.valueType } : {}), flags },
    ifnameKey: o.ifnameKey ?? false,
    elements: new Map(o.elements ?? []),
    verdicts: o.valueType === 'verdict',
  };
}

const map = (name: string, keyType: string, valueType: string, declaration: string, ifnameKey: boolean): SetSpec =>
  setSpec(name, { kind: 'map', declaration, keyType, valueType, ifnameKey });

/**
 * Builds both tables for `desired`, with port ids and zones from `ids` (see allocateIds). With a
 * `memo`, groups, ports and remote-group sets whose input did not change since the memo's last
 * build are not rendered again (see render-memo.ts); without one, everything is rendered afresh.
 * The result is the same either way.
 */
export function buildRuleset(desired: FirewallDesired, ids: FirewallIds, memo: RenderMemo = new RenderMemo()): BuiltRuleset {
  memo.beginBuild();
  const problems: RenderProblem[] = [];
  const groups = new Map(desired.groups.map((g) => [g.id, g]));
  const groupParts = new Map<string, VersionedGroupPart>();
  const groupPart = (id: string): VersionedGroupPart | undefined => {
    let part = groupParts.get(id);
    if (part === undefined) {
      const g = groups.get(id);
      if (g === undefined) return undefined;
      part = memo.group(g);
      groupParts.set(id, part);
    }
    return part;
  };
  const portIds = map(PORT_IDS_MAP, 'ifname', 'mark', 'type ifname : mark;', true);
  const fromPort = map(FROM_PORT_MAP, 'ifname', 'verdict', 'type ifname : verdict;', true);
  const spoof: Record<keyof SpoofElements, SetSpec> = {
    macs: setSpec(SPOOF_MACS_SET, { declaration: 'type ifname . ether_addr;', keyType: 'ifname . ether_addr', ifnameKey: true }),
    arp: setSpec(SPOOF_ARP_SET, { declaration: 'type ifname . ether_addr . ether_addr . ipv4_addr;', keyType: 'ifname . ether_addr . ether_addr . ipv4_addr', interval: true, ifnameKey: true }),
    v4: setSpec(SPOOF_V4_SET, { declaration: 'type ifname . ether_addr . ipv4_addr;', keyType: 'ifname . ether_addr . ipv4_addr', interval: true, ifnameKey: true }),
    v6: setSpec(SPOOF_V6_SET, { declaration: 'type ifname . ether_addr . ipv6_addr;', keyType: 'ifname . ether_addr . ipv6_addr', interval: true, ifnameKey: true }),
    nd: setSpec(SPOOF_ND_SET, { declaration: 'typeof iifname . @th,64,128;', keyType: 'ifname . integer', interval: true, ifnameKey: true }),
  };
  const spoofKinds = Object.keys(spoof) as (keyof SpoofElements)[];
  const zones = map(ZONES_MAP, 'ifname', 'integer', 'typeof iifname : ct zone;', true);
  const egress = map(EGRESS_MAP, 'mark', 'verdict', 'type mark : verdict;', false);
  const ingress = map(INGRESS_MAP, 'mark', 'verdict', 'type mark : verdict;', false);
  const icmpOut = setSpec(ICMPV6_OUT_SET, { declaration: 'type icmpv6_type;', keyType: 'icmpv6_type', elements: ICMPV6_OUT_TYPES.map((t) => [t, '']) });
  const icmpIn = setSpec(ICMPV6_IN_SET, { declaration: 'type icmpv6_type;', keyType: 'icmpv6_type', elements: ICMPV6_IN_TYPES.map((t) => [t, '']) });
  const statefulOut = setSpec(STATEFUL_OUT_SET, { declaration: 'type mark;', keyType: 'mark' });
  const statefulIn = setSpec(STATEFUL_IN_SET, { declaration: 'type mark;', keyType: 'mark' });
  const bridgeChains: ChainSpec[] = [L2_FORWARD, ANTI_SPOOF];
  const inetChains: ChainSpec[] = [ZONE_PREROUTING, SG_FORWARD, EGRESS_COMMON, INGRESS_COMMON];
  const remoteSets = new Map<string, RemoteSetRef>();

  const seenTaps = new Set<string>();
  const ports = [...desired.ports].sort((a, b) => (a.tap < b.tap ? -1 : a.tap > b.tap ? 1 : 0));
  for (const port of ports) {
    const problem = (reason: string): void => void problems.push({ portId: port.portId, reason });
    if (!isSafeIfname(port.tap) || !isSafeIfname(port.bridge)) {
      problem(`tap '${port.tap}' or bridge '${port.bridge}' is not an interface name`);
      continue;
    }
    if (seenTaps.has(port.tap)) {
      problem(`tap ${port.tap} is used by another port`);
      continue;
    }
    seenTaps.add(port.tap);
    const zone = ids.zones.get(port.bridge);
    if (zone === undefined) throw new Error(`no zone allocated for bridge ${port.bridge}`);
    zones.elements.set(port.bridge, String(zone));
    if (!port.portSecurityEnabled) continue;
    const id = ids.ports.get(port.tap);
    if (id === undefined) throw new Error(`no id allocated for port ${port.tap}`);

    const part = memo.port(port, id, port.securityGroupIds.map(groupPart));
    part.problems.forEach(problem);
    for (const k of spoofKinds) for (const e of part.spoof[k]) spoof[k].elements.set(e, '');
    for (const ref of part.remoteSets) remoteSets.set(ref.name, ref);
    const { text } = part;
    if (part.stateful) {
      statefulOut.elements.set(text.senderMark, '');
      statefulIn.elements.set(text.id, '');
    }
    bridgeChains.push(part.from);
    inetChains.push(part.egress, part.ingress);
    portIds.elements.set(port.tap, text.id);
    fromPort.elements.set(port.tap, text.fromJump);
    egress.elements.set(text.senderMark, text.egressJump);
    ingress.elements.set(text.id, text.ingressJump);
  }

  const rgSets = [...remoteSets.values()]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map(({ name, groupId, version }) => {
      const members = groups.get(groupId)?.members;
      const keyType = version === 4 ? 'ipv4_addr' : 'ipv6_addr';
      const elements = memo.remoteElements(name, (version === 4 ? members?.v4 : members?.v6) ?? [], version).map((m): [string, string] => [m, '']);
      return setSpec(name, { declaration: `type ${keyType};`, keyType, interval: true, elements });
    });
  memo.endBuild();
  return {
    ruleset: {
      bridge: { family: 'bridge', sets: [portIds, fromPort, ...Object.values(spoof)], chains: bridgeChains },
      inet: { family: 'inet', sets: [zones, egress, ingress, statefulOut, statefulIn, icmpOut, icmpIn, ...rgSets], chains: inetChains },
    },
    problems,
  };
}

/** The complete script for `ruleset`: both tables replaced in one nft transaction. */
export function rulesetScript(ruleset: Ruleset): string {
  return [...fullTableCommands(ruleset.bridge), ...fullTableCommands(ruleset.inet)].join('\n') + '\n';
}

/**
 * The complete nft script for `desired` (both tables from scratch, atomically). Without `ids`,
 * ids are allocated as on an empty host.
 */
export function renderFirewall(desired: FirewallDesired, ids: FirewallIds = allocateIds(desired, EMPTY_OBSERVED)): string {
  return rulesetScript(buildRuleset(desired, ids).ruleset);
}
