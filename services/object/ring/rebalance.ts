/**
 * One rebalance: from the current assignment table and device set to the next table, moving as
 * little data as possible. Pure: no clock (the hour is passed in), no I/O, randomness injected.
 *
 * Four passes (passes.ts), each built on Placement.choose(), the walk described in placement.ts:
 *  1. Required: slots with no device (a new ring) or on a removed device are placed. These are the
 *     only data moves that ignore min_part_hours.
 *  2. Dispersion: a partition with more replicas in some region, zone or server than the tier's
 *     as-unique-as-possible bound (topology.ts) moves one of them to a spot within every bound,
 *     e.g. when a third zone joins a two-zone ring.
 *  3. Settle: devices left over target by pass 1 shed slots placed in this rebalance (which hold
 *     no data yet), directly or through a two-step chain, to devices with room.
 *  4. Balance: devices still over target (and weight-0 devices, whose target is 0) give slots,
 *     round-robin, to the walk's choice when that device has room. The walk only returns spots
 *     within the bounds, so balance never costs dispersion.
 *
 * Movement limits, as in Swift (rebalance-context.ts): a partition that already moved a replica in
 * this rebalance, or within the last `minPartHours` hours, is not touched by passes 2 and 4, so at
 * most one replica of any partition is in flight at a time (removed devices excepted).
 *
 * Every accepted move strictly improves the ring (a replica back within bounds, or two devices
 * closer to their targets), so pass 4 moves at most sum(max(0, held − target)) replicas, and
 * running rebalance again on its own output moves nothing unless movement limits held something
 * back (RebalanceResult.overTarget says so).
 */
import type { RingDevice } from './device';
import { improveDispersion, placeRequired, shedExcess } from './passes';
import { Placement, UNASSIGNED } from './placement';
import { type Prng, shuffle } from './prng';
import { RebalanceContext } from './rebalance-context';
import { RingError } from './ring-error';
import { allNodes, buildTopology, planTargets } from './topology';

export interface RebalanceInput {
  readonly partPower: number;
  readonly replicas: number;
  /** Devices staying in the ring, whatever their weight (weight 0 drains a device). */
  readonly devices: readonly RingDevice[];
  /** Devices leaving the ring: every slot they hold is re-placed. */
  readonly removed: readonly RingDevice[];
  /** Current table, replica-major ([replica][partition] = device id), or null for a new ring. Not mutated. */
  readonly assignment: readonly Int32Array[] | null;
  /** Per partition, the hour (since the epoch) a replica of it last moved; null for a new ring. Not mutated. */
  readonly movedAtHour: Uint32Array | null;
  readonly minPartHours: number;
  /** The current hour since the epoch (the caller's clock). */
  readonly nowHour: number;
  readonly rng: Prng;
}

export interface RebalanceResult {
  readonly assignment: Int32Array[];
  readonly movedAtHour: Uint32Array;
  /** Replicas now on a different device than before (data that has to move). */
  readonly movedSlots: number;
  /** Partitions with at least one moved replica. */
  readonly movedPartitions: number;
  /** Slots that had no device before (all of them for a new ring). */
  readonly placedSlots: number;
  /**
   * Slots still above their devices' targets (weight-0 devices: all they hold). Above 0 after a
   * rebalance means movement limits or the layout held moves back: rebalance again once
   * minPartHours have passed.
   */
  readonly overTarget: number;
}

export function rebalance(input: RebalanceInput): RebalanceResult {
  const { replicas, rng } = input;
  const partitions = 2 ** input.partPower;
  const active = input.devices.filter((d) => d.weight > 0);
  if (active.length < replicas) {
    throw new RingError('INSUFFICIENT_DEVICES', `${replicas} replicas need at least ${replicas} devices with weight > 0; there are ${active.length}`);
  }

  const before = input.assignment ?? Array.from({ length: replicas }, () => new Int32Array(partitions).fill(UNASSIGNED));
  const assignment = before.map((row) => Int32Array.from(row));
  let idSpace = 0;
  for (const d of [...input.devices, ...input.removed]) idSpace = Math.max(idSpace, d.id + 1);
  for (const row of assignment) for (let p = 0; p < partitions; p++) idSpace = Math.max(idSpace, row[p] + 1);

  const topology = buildTopology(input.devices, input.removed, idSpace);
  planTargets(topology.root, partitions, replicas);
  for (const n of allNodes(topology.root)) n.rank = rng.nextUint32();
  // Ids in the table that belong to no device (should not happen) are treated like removed ones.
  const known = new Set([...input.devices, ...input.removed].map((d) => d.id));
  const leaving = new Set(input.removed.map((d) => d.id));
  for (const row of assignment) for (let p = 0; p < partitions; p++) if (row[p] !== UNASSIGNED && !known.has(row[p])) leaving.add(row[p]);

  const place = new Placement({ topology, assignment, partitions, leaving });
  const order = shuffle(rng, Uint32Array.from({ length: partitions }, (_, i) => i));
  const ctx = new RebalanceContext({ place, order, movedAtHour: input.movedAtHour, minPartHours: input.minPartHours, nowHour: input.nowHour });
  const staying = [...input.devices].sort((a, b) => a.id - b.id).map((d) => d.id);

  // A new ring is dealt by sampling (see Placement.choose); refilling a few slots by "most room"
  // lands them right on the targets.
  placeRequired(ctx, input.assignment === null ? rng : undefined);
  improveDispersion(ctx);
  shedExcess(ctx, staying, true);
  shedExcess(ctx, staying, false);

  // Account for what actually changed (a slot moved away and back again did not move).
  const movedAtHour = input.movedAtHour ? Uint32Array.from(input.movedAtHour) : new Uint32Array(partitions);
  let movedSlots = 0;
  let placedSlots = 0;
  let movedPartitions = 0;
  for (let p = 0; p < partitions; p++) {
    let changed = false;
    for (let r = 0; r < replicas; r++) {
      const was = before[r][p];
      if (assignment[r][p] === was) continue;
      changed = true;
      if (was === UNASSIGNED) placedSlots++;
      else movedSlots++;
    }
    if (changed) {
      movedAtHour[p] = input.nowHour;
      if (before.some((row) => row[p] !== UNASSIGNED)) movedPartitions++;
    }
  }
  let overTarget = 0;
  for (const id of staying) overTarget += Math.max(0, -place.wanted(id));
  return { assignment, movedAtHour, movedSlots, movedPartitions, placedSlots, overTarget };
}
