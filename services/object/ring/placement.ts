/**
 * The working state of one rebalance: the assignment table, the tree with live slot counts, and
 * the one decision everything else is built from: where would this partition's replica go best?
 *
 * Dispersion is judged against the plan (topology.ts): each tier may hold at most `maxPerPart`
 * replicas of a partition, the as-unique-as-possible bound its share allows. A replica "fits" a
 * device when, counting it, no tier on the device's path exceeds its bound and the device does
 * not hold the partition yet.
 *
 * "Best" is a walk down the tree that, at each level, skips children the replica would not fit,
 * then takes the child holding the fewest of the partition's *other* replicas (spread wider than
 * the bound requires when that is free), then the one with the most room (slots its devices still
 * want: balance), then the least overfull (target − assigned, when every candidate is full), then
 * the lower seeded rank (a reproducible tie-break). It visits the children of one node per level:
 * O(levels × fan-out × replicas), never the whole ring.
 */
import { type Prng, below } from './prng';
import { DEVICE, REGION, type TierNode, type Topology, allNodes } from './topology';

/** Sentinel for a slot with no device (a new ring, or a slot whose device was removed and dropped). */
export const UNASSIGNED = -1;

export class Placement {
  /** Slots per device id (every device, whatever its weight). */
  readonly slotCount: Int32Array;
  /** Scratch: the partition's other replicas for the current question (see collectOthers). */
  readonly others: Int32Array;
  /** Per child of the node being walked: its count of others, or -1 when the replica cannot go there. */
  private readonly childCounts: Int32Array;

  readonly topology: Topology;
  /** assignment[replica][partition] = device id or UNASSIGNED; mutated in place by move(). */
  readonly assignment: Int32Array[];
  readonly partitions: number;
  /** Ids whose slots must be vacated (removed devices); their replicas never count as "others". */
  readonly leaving: ReadonlySet<number>;

  constructor(opts: { topology: Topology; assignment: Int32Array[]; partitions: number; leaving: ReadonlySet<number> }) {
    const { topology, assignment, partitions } = opts;
    this.topology = topology;
    this.assignment = assignment;
    this.partitions = partitions;
    this.leaving = opts.leaving;
    this.slotCount = new Int32Array(topology.idSpace);
    this.others = new Int32Array(assignment.length);
    let fanOut = 1;
    for (const node of allNodes(topology.root)) fanOut = Math.max(fanOut, node.children.length);
    this.childCounts = new Int32Array(fanOut);
    for (const row of assignment) {
      for (let p = 0; p < partitions; p++) {
        const d = row[p];
        if (d === UNASSIGNED) continue;
        this.slotCount[d]++;
        for (let n: TierNode | null | undefined = topology.deviceNode[d]; n; n = n.parent) n.assigned++;
      }
    }
    for (const leaf of topology.deviceNode) {
      if (!leaf) continue;
      const room = Math.max(0, leaf.target - leaf.assigned);
      for (let n: TierNode | null = leaf; n; n = n.parent) n.room += room;
    }
  }

  /** True when the slot must be (re)placed whatever the cost: empty, or on a leaving device. */
  mustPlace(partition: number, replica: number): boolean {
    const d = this.assignment[replica][partition];
    return d === UNASSIGNED || this.leaving.has(d);
  }

  /**
   * Fills `this.others` with the devices of the partition's other replicas and returns how many.
   * Skips `exceptReplica` and every slot that must be placed (empty or on a leaving device), so
   * replicas still waiting for a spot never count.
   */
  collectOthers(partition: number, exceptReplica: number): number {
    let n = 0;
    for (let r = 0; r < this.assignment.length; r++) {
      if (r === exceptReplica) continue;
      const d = this.assignment[r][partition];
      if (d !== UNASSIGNED && !this.leaving.has(d)) this.others[n++] = d;
    }
    return n;
  }

  /** How many of the first `n` others are in `node`'s subtree. */
  private countIn(node: TierNode, n: number): number {
    const ids = this.topology.tierOf[node.level];
    let c = 0;
    for (let i = 0; i < n; i++) if (ids[this.others[i]] === node.tierId) c++;
    return c;
  }

  /**
   * Whether one more replica fits `device` given the first `n` others (see the header). Devices
   * of weight 0 and removed devices never fit.
   */
  fits(device: number, n: number): boolean {
    const leaf = this.topology.deviceNode[device];
    if (!leaf) return false;
    for (let i = 0; i < n; i++) if (this.others[i] === device) return false;
    for (let node = leaf.parent; node && node.level >= REGION; node = node.parent) {
      if (this.countIn(node, n) >= node.maxPerPart) return false;
    }
    return true;
  }

  /**
   * The first level (REGION, ZONE or SERVER) at which the replica on `device` is over its tier's
   * bound, counting it and the first `n` others; 0 when it is within every bound (or on a device
   * of weight 0, which has no bounds: the balance pass drains it).
   */
  overBoundLevel(device: number, n: number): number {
    const leaf = this.topology.deviceNode[device];
    if (!leaf) return 0;
    let level = 0;
    for (let node = leaf.parent; node && node.level >= REGION; node = node.parent) {
      if (this.countIn(node, n) + 1 > node.maxPerPart) level = node.level;
    }
    return level;
  }

  /**
   * The best device for one more replica of a partition whose other replicas are the first `n`
   * entries of `this.others` (see the header). With `bounded` false, tiers' bounds are ignored
   * (only "a device holds one replica of a partition" stays): for a replica that must be placed
   * even though the others already break the bounds. Null when nothing fits.
   *
   * With `rng`, a level's pick among its least-loaded children is random in proportion to room.
   * Dealing a whole new ring by "most room" alone would hand out devices in a fixed rotation, so
   * that, say, device 0's partitions all share the same other zones, and later rebalances would
   * find no partition on device 0 that fits anywhere new. Sampling like this is drawing without
   * replacement: counts still land on the targets, without the pattern.
   */
  choose(n: number, opts: { rng?: Prng; bounded?: boolean } = {}): TierNode | null {
    const bounded = opts.bounded ?? true;
    const deviceNode = this.topology.deviceNode;
    const counts = this.childCounts;
    let node = this.topology.root;
    while (node.level !== DEVICE) {
      const children = node.children;
      const ids = this.topology.tierOf[node.level + 1];
      let best: TierNode | null = null;
      let bestCount = 0;
      let bestRoom = 0;
      let bestWanted = 0;
      for (let c = 0; c < children.length; c++) {
        const child = children[c];
        let count = 0;
        let busy = 0;
        for (let i = 0; i < n; i++) {
          const d = this.others[i];
          if (ids[d] === child.tierId) {
            count++;
            if (deviceNode[d] !== undefined) busy++;
          }
        }
        const full = child.deviceCount - busy <= 0 || (bounded && child.level !== DEVICE && count >= child.maxPerPart);
        counts[c] = full ? -1 : count;
        if (full) continue;
        const room = child.room;
        const wanted = child.target - child.assigned;
        if (
          best === null ||
          count < bestCount ||
          (count === bestCount && (room > bestRoom || (room === bestRoom && (wanted > bestWanted || (wanted === bestWanted && child.rank < best.rank)))))
        ) {
          best = child;
          bestCount = count;
          bestRoom = room;
          bestWanted = wanted;
        }
      }
      if (best === null) return null;
      if (opts.rng && bestRoom > 0) best = this.sample(children, bestCount, opts.rng);
      node = best;
    }
    return node;
  }

  /** Among children whose count (in childCounts) is `count`, one drawn in proportion to room. */
  private sample(children: readonly TierNode[], count: number, rng: Prng): TierNode {
    let total = 0;
    for (let c = 0; c < children.length; c++) if (this.childCounts[c] === count) total += children[c].room;
    let x = below(rng, total);
    for (let c = 0; c < children.length; c++) {
      if (this.childCounts[c] !== count) continue;
      if (x < children[c].room) return children[c];
      x -= children[c].room;
    }
    throw new Error('sample: ran past the total');
  }

  /** Slots the device still wants (negative when it holds more than its target; weight 0 → −held). */
  wanted(device: number): number {
    const n = this.topology.deviceNode[device];
    return n ? n.target - n.assigned : -this.slotCount[device];
  }

  /** Puts the slot on `device`, keeping every count current. */
  move(partition: number, replica: number, device: number): void {
    const row = this.assignment[replica];
    const from = row[partition];
    if (from !== UNASSIGNED) this.adjust(from, -1);
    this.adjust(device, +1);
    row[partition] = device;
  }

  private adjust(device: number, delta: number): void {
    this.slotCount[device] += delta;
    const leaf = this.topology.deviceNode[device];
    if (!leaf) return;
    const roomBefore = Math.max(0, leaf.target - leaf.assigned);
    const roomDelta = Math.max(0, leaf.target - leaf.assigned - delta) - roomBefore;
    for (let n: TierNode | null = leaf; n; n = n.parent) {
      n.assigned += delta;
      n.room += roomDelta;
    }
  }
}
