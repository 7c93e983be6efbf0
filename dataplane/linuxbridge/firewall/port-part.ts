/**
 * The pieces of the ruleset that belong to one group or one port, rendered on their own so they
 * can be memoized (render-memo.ts) and assembled into tables (render.ts). Pure.
 *
 * A group's part is its rules as nft matches; it depends on the group's rules alone (not on its
 * members, which only fill the remote-group sets). A port's part is everything the port
 * contributes — anti-spoofing elements, its three chains, the remote-group sets its rules name,
 * whether it is stateful — and depends on the port, its id and its groups' parts.
 */
import type { IpVersion } from '../../../controller/domain/ipam/address';
import { fromPortRules, portAddresses, spoofElements, type SpoofElements } from './anti-spoof';
import type { FirewallGroup, FirewallPort } from './model';
import { egressChain, fromChain, ingressChain, remoteSetName } from './naming';
import type { ChainSpec } from './ruleset';
import { portSgRules } from './sg-chains';
import { ruleMatch } from './sg-rules';

export interface RemoteSetRef {
  name: string;
  groupId: string;
  version: IpVersion;
}

/** One group's rules as matches. */
export interface GroupPart {
  stateful: boolean;
  matches: { ingress: string[]; egress: string[] };
  /** Remote-group sets the rules name, in rule order (may repeat). */
  remoteSets: RemoteSetRef[];
  /** Rules that could not be rendered (left out: fail closed). */
  problems: string[];
}

/** What one port with port security on contributes to the tables. Treat as immutable (memoized). */
export interface PortPart {
  /** Anti-spoofing elements per set, in insertion order. */
  spoof: SpoofElements;
  /** from_<tap> (bridge), egress_<tap> and ingress_<tap> (inet). */
  from: ChainSpec;
  egress: ChainSpec;
  ingress: ChainSpec;
  remoteSets: RemoteSetRef[];
  stateful: boolean;
  /** Reasons, in the order they were found. */
  problems: string[];
  /** Map keys and values as the tables spell them: the id, the id as sender bits, the jumps. */
  text: { id: string; senderMark: string; fromJump: string; egressJump: string; ingressJump: string };
}

export function renderGroupPart(group: FirewallGroup): GroupPart {
  const part: GroupPart = { stateful: group.stateful, matches: { ingress: [], egress: [] }, remoteSets: [], problems: [] };
  for (const rule of group.rules) {
    const m = ruleMatch(rule, (groupId, version) => {
      const name = remoteSetName(groupId, version);
      part.remoteSets.push({ name, groupId, version });
      return name;
    });
    if (m.ok) part.matches[rule.direction].push(m.match);
    else part.problems.push(`security group ${group.id}: ${m.reason}`);
  }
  return part;
}

/**
 * `groups` holds the part of each of the port's groups, undefined for an unknown one, in the
 * port's order. A port is stateless only when all its groups are known and stateless (the API
 * forbids mixing).
 */
export function renderPortPart(port: FirewallPort, id: number, groups: readonly (GroupPart | undefined)[]): PortPart {
  const problems: string[] = [];
  const spoof = spoofElements(port.tap, portAddresses(port, (reason) => void problems.push(reason)));
  const matches = { ingress: [] as string[], egress: [] as string[] };
  const remoteSets: RemoteSetRef[] = [];
  groups.forEach((g, i) => {
    if (g === undefined) {
      problems.push(`security group ${port.securityGroupIds[i]} is unknown`);
      return;
    }
    matches.ingress.push(...g.matches.ingress);
    matches.egress.push(...g.matches.egress);
    remoteSets.push(...g.remoteSets);
    problems.push(...g.problems);
  });
  const from = fromChain(port.tap);
  const egress = egressChain(port.tap);
  const ingress = ingressChain(port.tap);
  return {
    spoof,
    from: { name: from, rules: fromPortRules(id) },
    egress: { name: egress, rules: portSgRules('egress', matches.egress) },
    ingress: { name: ingress, rules: portSgRules('ingress', matches.ingress) },
    remoteSets,
    stateful: groups.length === 0 || groups.some((g) => g === undefined || g.stateful),
    problems,
    text: { id: String(id), senderMark: String(id * 0x10000), fromJump: `jump ${from}`, egressJump: `jump ${egress}`, ingressJump: `jump ${ingress}` },
  };
}
