/**
 * Memoized rendering of the ruleset's per-group and per-port parts, so that rebuilding the ruleset
 * after one port changed renders that port alone (OVN's incremental processing, at the scale of one
 * host's firewall).
 *
 * Every entry is checked against the full content of what it was rendered from — a group by its
 * rules and statefulness, a port by all its fields (compared one by one; see samePort), its id and
 * the versions of its groups' parts, a remote-group set by its member list — so a hit is always
 * what rendering afresh would give, and the memo needs no invalidation for correctness. A fresh
 * `RenderMemo` is the full recompute, and is what `buildRuleset` uses when given none. Entries not
 * used by the latest build are dropped when it ends, so the memo holds one host's ports, no more.
 *
 * What stays proportional to the host: assembling the tables from the parts and diffing them
 * (map insertions and string comparisons per element, no rendering, no hashing).
 *
 * Parts handed out are shared between builds: nobody may mutate them (chain hashes are memoized on
 * the ChainSpec objects, see ruleset.ts).
 */
import type { IpVersion } from '../../../controller/domain/ipam/address';
import { canonicalBlocks, formatPrefix, parsePrefix, type Prefix } from './addresses';
import type { FirewallGroup, FirewallPort } from './model';
import { renderGroupPart, renderPortPart, type GroupPart, type PortPart } from './port-part';

/** Work done and avoided, for tests asserting what was re-rendered. Cumulative. */
export interface RenderCounters {
  portsRendered: number;
  portsReused: number;
  groupsRendered: number;
  groupsReused: number;
  remoteSetsRendered: number;
  remoteSetsReused: number;
}

/** A member address parsed, with its canonical spelling. */
interface Block {
  prefix: Prefix;
  text: string;
}

/** A group's part with a version that changes whenever the part is rendered anew. */
export interface VersionedGroupPart {
  part: GroupPart;
  version: number;
}

interface Entry<T> {
  key: string;
  value: T;
  /** The build that last used it. */
  used: number;
}

/** Per-field equality of an object type: the compiler insists on every field being compared. */
type FieldEquality<T> = { [K in keyof T]-?: (a: T[K], b: T[K]) => boolean };

type AddressPair = FirewallPort['allowedAddressPairs'][number];

const same = <T>(a: T, b: T): boolean => a === b;
const sameList = <T>(eq: (a: T, b: T) => boolean) => (a: readonly T[], b: readonly T[]): boolean => a.length === b.length && a.every((x, i) => eq(x, b[i]));

function sameFields<T extends object>(fields: FieldEquality<T>): (a: T, b: T) => boolean {
  const keys = Object.keys(fields) as (keyof T)[];
  const eq = <K extends keyof T>(k: K, a: T, b: T): boolean => fields[k](a[k], b[k]);
  return (a, b) => keys.every((k) => eq(k, a, b));
}

const samePair = sameFields<AddressPair>({ ipAddress: same, macAddress: same });

/**
 * Whether two ports render the same. Compared field by field rather than through a serialized
 * key: no allocation for the thousand ports that did not change.
 */
const samePort = sameFields<FirewallPort>({
  portId: same,
  tap: same,
  bridge: same,
  mac: same,
  fixedIps: sameList(same),
  allowedAddressPairs: sameList(samePair),
  portSecurityEnabled: same,
  securityGroupIds: sameList(same),
});

export class RenderMemo {
  readonly counters: RenderCounters = { portsRendered: 0, portsReused: 0, groupsRendered: 0, groupsReused: 0, remoteSetsRendered: 0, remoteSetsReused: 0 };
  private readonly groups = new Map<string, Entry<VersionedGroupPart>>();
  /** By tap (a tap names at most one rendered port per build); `input` is a copy of what was rendered. */
  private readonly ports = new Map<string, { input: FirewallPort; id: number; groupVersions: string; part: PortPart; used: number }>();
  /** By set name. */
  private readonly remoteSets = new Map<string, Entry<{ elements: string[]; parsed: Map<string, Block | null> }>>();
  private build = 0;
  /** Group part versions are never reused: a port rendered with version v saw exactly that rendering. */
  private nextVersion = 1;

  /** Starts a build; `endBuild` drops what it did not use. */
  beginBuild(): void {
    this.build++;
  }

  endBuild(): void {
    for (const m of [this.groups, this.ports, this.remoteSets] as Map<string, { used: number }>[]) {
      for (const [k, e] of m) if (e.used !== this.build) m.delete(k);
    }
  }

  /** Forgets everything: the next build renders from scratch. */
  clear(): void {
    this.groups.clear();
    this.ports.clear();
    this.remoteSets.clear();
  }

  /** The group's part, versioned. */
  group(group: FirewallGroup): VersionedGroupPart {
    const key = JSON.stringify([group.stateful, group.rules]);
    const hit = this.groups.get(group.id);
    if (hit !== undefined && hit.key === key) {
      hit.used = this.build;
      this.counters.groupsReused++;
      return hit.value;
    }
    this.counters.groupsRendered++;
    const value = { part: renderGroupPart(group), version: this.nextVersion++ };
    this.groups.set(group.id, { key, value, used: this.build });
    return value;
  }

  /** The port's part; `groups` as for renderPortPart, each with its version from `group()`. */
  port(port: FirewallPort, id: number, groups: readonly (VersionedGroupPart | undefined)[]): PortPart {
    const groupVersions = groups.map((g) => (g === undefined ? '-' : g.version)).join(',');
    const hit = this.ports.get(port.tap);
    if (hit !== undefined && hit.id === id && hit.groupVersions === groupVersions && samePort(hit.input, port)) {
      hit.used = this.build;
      this.counters.portsReused++;
      return hit.part;
    }
    this.counters.portsRendered++;
    const part = renderPortPart(port, id, groups.map((g) => g?.part));
    // A copy: callers may change their desired state in place.
    this.ports.set(port.tap, { input: structuredClone(port), id, groupVersions, part, used: this.build });
    return part;
  }

  /**
   * The canonical elements of a remote-group set (see canonicalPrefixes). Each member address is
   * parsed and formatted once while it stays a member, so a membership change costs a sort.
   */
  remoteElements(setName: string, members: readonly string[], version: IpVersion): string[] {
    const key = members.join(',');
    const hit = this.remoteSets.get(setName);
    if (hit !== undefined && hit.key === key) {
      hit.used = this.build;
      this.counters.remoteSetsReused++;
      return hit.value.elements;
    }
    this.counters.remoteSetsRendered++;
    const known = hit?.value.parsed ?? new Map<string, Block | null>();
    const parsed = new Map<string, Block | null>();
    const blocks: Block[] = [];
    for (const m of members) {
      let b = known.get(m);
      if (b === undefined) {
        const prefix = parsePrefix(m, version);
        b = prefix === null ? null : { prefix, text: formatPrefix(prefix) };
      }
      parsed.set(m, b);
      if (b !== null) blocks.push(b);
    }
    const value = { elements: canonicalBlocks(blocks).map((b) => b.text), parsed };
    this.remoteSets.set(setName, { key, value, used: this.build });
    return value.elements;
  }
}
