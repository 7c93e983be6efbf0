/**
 * The passes of a rebalance (see rebalance.ts for the order and the guarantees). Every move goes
 * through RebalanceContext.moveSlot (movement limits, bookkeeping); apart from the required
 * placements of pass 1, a move is only made when it strictly improves the ring.
 */
import type { Prng } from './prng';
import type { RebalanceContext } from './rebalance-context';

/** 1. Places every slot that has no device or sits on a removed device. */
export function placeRequired(ctx: RebalanceContext, rng: Prng | undefined): void {
  const { place, replicas } = ctx;
  for (const p of ctx.order) {
    for (let r = 0; r < replicas; r++) {
      if (!place.mustPlace(p, r)) continue;
      const n = place.collectOthers(p, r);
      // Unbounded only when the other replicas already break the bounds (e.g. a layout change).
      const target = place.choose(n, { rng }) ?? place.choose(n, { rng, bounded: false });
      if (target === null) throw new Error(`rebalance: no device for partition ${p}`);
      ctx.moveSlot(p, r, target.tierId);
    }
  }
}

/**
 * 2. Moves one replica per partition out of a tier holding more than its bound, if it fits
 * elsewhere. Of the replicas that could go, the one on the most over-full device goes, so fixing
 * dispersion also evens out the devices the partitions leave.
 */
export function improveDispersion(ctx: RebalanceContext): void {
  const { place, replicas } = ctx;
  for (const p of ctx.order) {
    let pick = -1;
    let pickWanted = 0;
    for (let r = 0; r < replicas; r++) {
      if (!ctx.canMove(p, r)) continue;
      const origin = place.assignment[r][p];
      if (place.overBoundLevel(origin, place.collectOthers(p, r)) === 0) continue;
      const wanted = place.wanted(origin);
      if (pick < 0 || wanted < pickWanted) {
        pick = r;
        pickWanted = wanted;
      }
    }
    if (pick < 0) continue;
    const target = place.choose(place.collectOthers(p, pick));
    if (target && target.tierId !== place.assignment[pick][p]) ctx.moveSlot(p, pick, target.tierId);
  }
}

/** Slots of each device in `devices`, in visiting order; `freshOnly` keeps just the fresh ones. */
function slotsByDevice(ctx: RebalanceContext, devices: readonly number[], freshOnly: boolean): Map<number, number[]> {
  const { place, replicas } = ctx;
  // An array indexed by device id: this loop runs once per slot of the ring.
  const listOf = new Array<number[] | undefined>(place.topology.idSpace).fill(undefined);
  for (const d of devices) listOf[d] = [];
  // Fresh slots first: moving them costs nothing.
  for (const wantFresh of freshOnly ? [1] : [1, 0]) {
    for (const p of ctx.order) {
      for (let r = 0; r < replicas; r++) {
        const slot = p * replicas + r;
        if (ctx.fresh[slot] === wantFresh) listOf[place.assignment[r][p]]?.push(slot);
      }
    }
  }
  return new Map(devices.map((d) => [d, listOf[d] as number[]]));
}

/**
 * Tries to move `slot` off `from` to the walk's choice, provided that device has room (the walk
 * only returns spots within the dispersion bounds). Returns the device it went to, or -1.
 */
function giveAway(ctx: RebalanceContext, slot: number, from: number): number {
  const { place, replicas } = ctx;
  const p = Math.floor(slot / replicas);
  const r = slot - p * replicas;
  if (place.assignment[r][p] !== from || !ctx.canMove(p, r)) return -1;
  const target = place.choose(place.collectOthers(p, r));
  if (target === null || target.tierId === from || place.wanted(target.tierId) <= 0) return -1;
  ctx.moveSlot(p, r, target.tierId);
  return target.tierId;
}

/**
 * 3 and 4. Over-full devices (and weight-0 devices still holding slots) give slots to devices
 * with room, one per device per round so no donor takes all the good spots. With `freshOnly`, only
 * slots placed in this rebalance move (pass 3: free of cost). When no slot of a donor fits a
 * device with room, a chain may: the donor's slot goes to a full device Z where it fits, and a
 * fresh slot of Z (no data yet) goes on to a device with room. This resolves the end game of
 * greedy placement, where the last slots' partitions already occupy every device with room; it
 * is why removing a device moves nothing but that device's data.
 */
export function shedExcess(ctx: RebalanceContext, devices: readonly number[], freshOnly: boolean): void {
  const { place } = ctx;
  const donors = devices.filter((d) => place.wanted(d) < 0);
  if (donors.length === 0 || (freshOnly && ctx.freshCount === 0)) return;
  const slots = slotsByDevice(ctx, donors, freshOnly);
  const cursor = new Map(donors.map((d) => [d, 0]));
  const chains = new Chains(ctx);
  let progress = true;
  while (progress) {
    progress = false;
    for (const donor of donors) {
      if (place.wanted(donor) >= 0) continue;
      const list = slots.get(donor) as number[];
      let i = cursor.get(donor) as number;
      let gave = false;
      while (!gave && i < list.length) {
        const slot = list[i++];
        const to = giveAway(ctx, slot, donor);
        if (to >= 0) {
          chains.noteFresh(to, slot);
          gave = true;
        }
      }
      cursor.set(donor, i);
      if (!gave) gave = chains.shed(donor, list);
      progress ||= gave;
    }
  }
}

/**
 * Two moves that take one slot off a donor without overfilling anyone: a movable slot s of the
 * donor goes to a full device Z (s fits there) while a fresh slot t of Z goes on to a device with
 * room. Only s can be a data move, so a chain costs what a direct move would.
 */
class Chains {
  /** Fresh slots per device of weight > 0 (built on first use, then kept current). */
  private freshOn: Map<number, number[]> | null = null;
  /** Per device, how far its fresh slots have been tried as the onward step. */
  private readonly onwardCursor = new Map<number, number>();
  /** Donors for which no chain was found (rooms only shrink, so retrying rarely helps). */
  private readonly stuck = new Set<number>();

  constructor(private readonly ctx: RebalanceContext) {}

  noteFresh(device: number, slot: number): void {
    this.freshOn?.get(device)?.push(slot);
  }

  private index(): Map<number, number[]> {
    if (this.freshOn) return this.freshOn;
    const { place, replicas } = this.ctx;
    const freshOn = new Map<number, number[]>();
    for (const leaf of place.topology.deviceNode) if (leaf) freshOn.set(leaf.tierId, []);
    if (this.ctx.freshCount > 0) {
      const listOf = place.topology.deviceNode.map((leaf) => (leaf ? freshOn.get(leaf.tierId) : undefined));
      for (const p of this.ctx.order) {
        for (let r = 0; r < replicas; r++) {
          if (this.ctx.fresh[p * replicas + r] === 1) listOf[place.assignment[r][p]]?.push(p * replicas + r);
        }
      }
    }
    this.freshOn = freshOn;
    return freshOn;
  }

  shed(donor: number, donorSlots: readonly number[]): boolean {
    if (this.stuck.has(donor)) return false;
    const { place, replicas } = this.ctx;
    const freshOn = this.index();
    for (const z of freshOn.keys()) {
      if (z === donor) continue;
      const onward = this.onward(z);
      if (onward === null) continue;
      const tPart = Math.floor(onward.slot / replicas);
      for (const s of donorSlots) {
        const p = Math.floor(s / replicas);
        const r = s - p * replicas;
        if (p === tPart || place.assignment[r][p] !== donor || !this.ctx.canMove(p, r)) continue;
        if (!place.fits(z, place.collectOthers(p, r))) continue;
        this.ctx.moveSlot(tPart, onward.slot - tPart * replicas, onward.to);
        this.ctx.moveSlot(p, r, z);
        this.noteFresh(onward.to, onward.slot);
        this.noteFresh(z, s);
        return true;
      }
    }
    this.stuck.add(donor);
    return false;
  }

  /** A fresh slot on `z` that could move straight to a device with room, and that device. */
  private onward(z: number): { slot: number; to: number } | null {
    const { place, replicas } = this.ctx;
    const list = this.index().get(z) as number[];
    let i = this.onwardCursor.get(z) ?? 0;
    for (; i < list.length; i++) {
      const t = list[i];
      const p = Math.floor(t / replicas);
      const r = t - p * replicas;
      if (place.assignment[r][p] !== z) continue;
      const target = place.choose(place.collectOthers(p, r));
      if (target === null || target.tierId === z || place.wanted(target.tierId) <= 0) continue;
      this.onwardCursor.set(z, i);
      return { slot: t, to: target.tierId };
    }
    this.onwardCursor.set(z, i);
    return null;
  }
}
