/**
 * The failure-domain tree (root → region → zone → server → device) and each node's target: how
 * many of the ring's partition-replica slots it should hold.
 *
 * Targets follow two rules, in this order:
 *  1. Dispersion ("as unique as possible"): per partition, a node's replicas are spread over its
 *     children as evenly as their capacities allow. If a node holds between m_lo and m_hi replicas
 *     of a partition, a child may hold at most h = min(cap, L), where L is the smallest level with
 *     sum(min(cap, L)) >= m_hi, and at least m_lo - (sum of its siblings' h). cap is the number
 *     of devices under the child (a device holds at most one replica of a partition).
 *  2. Weight: within those per-partition bounds (times the partition count), slots are split in
 *     proportion to weight (water-filling), so weight wins wherever dispersion allows.
 * A node with target T then holds floor(T/P) or ceil(T/P) replicas of each of the P partitions;
 * ceil(T/P) is its bound, `maxPerPart`, which placement enforces and the dispersion report checks.
 * With 4 equal zones and 3 replicas, each zone may hold at most 1 replica of any partition; with 2
 * zones, each holds 1 or 2. A zone heavier than the bounds allow is capped: its devices then get
 * fewer partitions than their weight alone implies, and the balance report shows it.
 *
 * Only devices with weight > 0 are in the tree. Devices of weight 0 (draining) and removed devices
 * still have tier ids, so replicas they hold count when judging a partition's dispersion.
 */
import type { RingDevice } from './device';
import { waterFill } from './water-fill';

export const REGION = 1;
export const ZONE = 2;
export const SERVER = 3;
export const DEVICE = 4;
export type Level = 0 | typeof REGION | typeof ZONE | typeof SERVER | typeof DEVICE;
export const LEVEL_NAMES = ['root', 'region', 'zone', 'server', 'device'] as const;

export interface TierNode {
  readonly level: Level;
  /** Id of this tier within its level (for DEVICE, the device id). */
  readonly tierId: number;
  /** E.g. "r1", "r1z2", "r1z2-10.0.0.1:6200", "d7": for reports. */
  readonly label: string;
  readonly parent: TierNode | null;
  readonly children: TierNode[];
  /** Devices (of weight > 0) under this node: how many replicas of one partition it can hold. */
  deviceCount: number;
  weight: number;
  /** Slots this node should hold (see the header). */
  target: number;
  /** Most replicas of one partition this node should hold. */
  maxPerPart: number;
  /** Slots currently held by the devices under this node (kept current by the placement). */
  assigned: number;
  /**
   * Sum over the devices under this node of max(0, target − assigned): how many more slots it can
   * take without overfilling any device. Unlike target − assigned, one overfull device does not
   * hide a sibling with room. Kept current by the placement.
   */
  room: number;
  /** Tie-breaker between otherwise equal candidates, drawn from the seeded PRNG. */
  rank: number;
}

export interface Topology {
  readonly root: TierNode;
  /** tierOf[level][deviceId]: the tier id of a device at that level; -1 for unknown ids. */
  readonly tierOf: readonly Int32Array[];
  /** The tree node of each device with weight > 0 (undefined for others). */
  readonly deviceNode: readonly (TierNode | undefined)[];
  /** Array length covering every device id seen. */
  readonly idSpace: number;
  /** Tier counts per level (REGION, ZONE, SERVER), all devices included. */
  readonly tierCounts: readonly number[];
}

function node(level: Level, tierId: number, label: string, parent: TierNode | null): TierNode {
  const n: TierNode = { level, tierId, label, parent, children: [], deviceCount: 0, weight: 0, target: 0, maxPerPart: 0, assigned: 0, room: 0, rank: 0 };
  parent?.children.push(n);
  return n;
}

/**
 * Builds the tree over `devices` (those of weight > 0 become nodes); `removed` devices only get
 * tier ids. `idSpace` must exceed every device id that can appear in an assignment.
 */
export function buildTopology(devices: readonly RingDevice[], removed: readonly RingDevice[], idSpace: number): Topology {
  const leaving = new Set(removed.map((d) => d.id));
  const sorted = [...devices, ...removed].sort((a, b) => a.id - b.id);
  const tierOf = [new Int32Array(0), new Int32Array(idSpace), new Int32Array(idSpace), new Int32Array(idSpace), new Int32Array(idSpace)];
  for (let l = REGION; l <= DEVICE; l++) tierOf[l].fill(-1);
  const ids = [new Map<string, number>(), new Map<string, number>(), new Map<string, number>(), new Map<string, number>()];
  const idFor = (level: number, key: string): number => {
    const m = ids[level];
    let id = m.get(key);
    if (id === undefined) {
      id = m.size;
      m.set(key, id);
    }
    return id;
  };

  const root = node(0, 0, 'ring', null);
  const nodes = new Map<string, TierNode>();
  const deviceNode: (TierNode | undefined)[] = new Array<TierNode | undefined>(idSpace).fill(undefined);
  for (const d of sorted) {
    const keys = [`r${d.region}`, `r${d.region}z${d.zone}`, `r${d.region}z${d.zone}-${d.ip}:${d.port}`];
    tierOf[REGION][d.id] = idFor(REGION, keys[0]);
    tierOf[ZONE][d.id] = idFor(ZONE, keys[1]);
    tierOf[SERVER][d.id] = idFor(SERVER, keys[2]);
    tierOf[DEVICE][d.id] = d.id;
    if (!(d.weight > 0) || leaving.has(d.id)) continue;
    let parent = root;
    for (let level = REGION; level <= SERVER; level++) {
      const key = keys[level - 1];
      let n = nodes.get(key);
      if (!n) {
        n = node(level as Level, tierOf[level][d.id], key, parent);
        nodes.set(key, n);
      }
      parent = n;
    }
    const leaf = node(DEVICE, d.id, `d${d.id}`, parent);
    deviceNode[d.id] = leaf;
    for (let n: TierNode | null = leaf; n; n = n.parent) {
      n.deviceCount++;
      n.weight += d.weight;
    }
  }
  return { root, tierOf, deviceNode, idSpace, tierCounts: [0, ids[REGION].size, ids[ZONE].size, ids[SERVER].size] };
}

/** Fills in `target` and `maxPerPart` for the whole tree (see the header for the rules). */
export function planTargets(root: TierNode, partitions: number, replicas: number): void {
  root.target = partitions * replicas;
  root.maxPerPart = replicas;
  const visit = (n: TierNode): void => {
    if (n.children.length === 0) return;
    const mHi = Math.ceil(n.target / partitions);
    const mLo = Math.floor(n.target / partitions);
    const caps = n.children.map((c) => c.deviceCount);
    // Callers guarantee at least `replicas` devices, so the loop ends by level max(caps).
    if (caps.reduce((s, c) => s + c, 0) < mHi) throw new Error(`planTargets: ${n.label} has fewer devices than replicas`);
    let level = 0;
    while (caps.reduce((s, c) => s + Math.min(c, level), 0) < mHi) level++;
    const hiPer = caps.map((c) => Math.min(c, level));
    const sumHi = hiPer.reduce((s, h) => s + h, 0);
    const loPer = hiPer.map((h) => Math.max(0, mLo - (sumHi - h)));
    const shares = waterFill(
      n.target,
      n.children.map((c) => c.weight),
      loPer.map((x) => x * partitions),
      hiPer.map((x) => x * partitions),
    );
    n.children.forEach((c, i) => {
      c.target = shares[i];
      c.maxPerPart = Math.ceil(shares[i] / partitions);
      visit(c);
    });
  };
  visit(root);
}

/** Every node of the tree, parents before children. */
export function allNodes(root: TierNode): TierNode[] {
  const out: TierNode[] = [];
  const stack = [root];
  while (stack.length) {
    const n = stack.pop() as TierNode;
    out.push(n);
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
  }
  return out;
}
