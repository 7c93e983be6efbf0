/**
 * Balance and dispersion of a builder's assignment: what `weft-ring show` prints and what tests
 * assert on.
 *
 * - Balance of a device: how far its partition-replica count is from the share its weight alone
 *   implies, in percent (+ over, − under). The ring's balance is the largest absolute value over
 *   devices of weight > 0, or MAX_BALANCE when a device of weight 0 still holds partitions.
 *   A device's `target` is its share after dispersion caps (see topology.ts): when the two
 *   differ, the layout, not the builder, is what keeps the balance from 0.
 * - Dispersion: the percentage of partitions with more replicas in some region, zone or server than
 *   that tier's as-unique-as-possible maximum. 0 means every partition is spread as widely as the
 *   devices allow. Per level, `histogram[k]` counts partitions whose most-loaded tier of that level
 *   holds k replicas.
 */
import type { RingDevice } from './device';
import { UNASSIGNED } from './placement';
import { DEVICE, LEVEL_NAMES, REGION, SERVER, ZONE, allNodes, buildTopology, planTargets } from './topology';

/** Reported when a zero-weight device still holds partitions (as Swift does). */
export const MAX_BALANCE = 999.99;

export interface DeviceReport {
  readonly device: RingDevice;
  /** Partition replicas held. */
  readonly partitions: number;
  /** Replicas the device's weight alone implies (fractional). */
  readonly weightShare: number;
  /** Replicas the builder aims for (weight share within dispersion caps). */
  readonly target: number;
  /** percent over (+) or under (−) weightShare; MAX_BALANCE for weight 0 holding partitions. */
  readonly balance: number;
}

export interface TierLevelReport {
  readonly level: 'region' | 'zone' | 'server';
  readonly tiers: number;
  readonly histogram: readonly number[];
  /** Partitions with more replicas in some tier of this level than its maximum. */
  readonly overMax: number;
}

export interface RingReport {
  readonly partitions: number;
  readonly replicas: number;
  readonly balance: number;
  readonly dispersion: number;
  readonly devices: readonly DeviceReport[];
  readonly levels: readonly TierLevelReport[];
}

export interface ReportInput {
  readonly partPower: number;
  readonly replicas: number;
  readonly devices: readonly RingDevice[];
  /** Devices removed since the last rebalance (still holding slots; not reported per device). */
  readonly removed?: readonly RingDevice[];
  readonly assignment: readonly ArrayLike<number>[] | null;
}

export function ringReport(input: ReportInput): RingReport {
  const partitions = 2 ** input.partPower;
  const { replicas } = input;
  const removed = input.removed ?? [];
  let idSpace = 0;
  for (const d of [...input.devices, ...removed]) idSpace = Math.max(idSpace, d.id + 1);
  const held = new Map<number, number>();
  if (input.assignment) {
    for (const row of input.assignment) {
      for (let p = 0; p < partitions; p++) {
        const d = row[p];
        if (d !== UNASSIGNED) held.set(d, (held.get(d) ?? 0) + 1);
      }
    }
  }
  const topology = buildTopology(input.devices, removed, idSpace);
  const weighted = input.devices.filter((d) => d.weight > 0);
  // Targets need as many weighted devices as replicas (rebalance refuses fewer); until then they are 0.
  if (weighted.length >= replicas) planTargets(topology.root, partitions, replicas);
  const totalWeight = weighted.reduce((s, d) => s + d.weight, 0);

  let balance = 0;
  const devices = [...input.devices]
    .sort((a, b) => a.id - b.id)
    .map((device): DeviceReport => {
      const count = held.get(device.id) ?? 0;
      const weightShare = totalWeight > 0 ? (partitions * replicas * device.weight) / totalWeight : 0;
      let b: number;
      if (device.weight > 0) b = (100 * (count - weightShare)) / weightShare;
      else b = count > 0 ? MAX_BALANCE : 0;
      balance = Math.max(balance, Math.abs(b));
      return { device, partitions: count, weightShare, target: topology.deviceNode[device.id]?.target ?? 0, balance: b };
    });

  // Per level, the as-unique-as-possible maximum of each tier with weighted devices.
  const maxOf = [new Map<number, number>(), new Map<number, number>(), new Map<number, number>(), new Map<number, number>()];
  for (const n of allNodes(topology.root)) if (n.level >= REGION && n.level < DEVICE) maxOf[n.level].set(n.tierId, n.maxPerPart);

  const histograms = [0, 0, 0].map(() => new Array<number>(replicas + 1).fill(0));
  const overMax = [0, 0, 0];
  let dispersed = 0;
  if (input.assignment) {
    const ids = new Int32Array(replicas);
    for (let p = 0; p < partitions; p++) {
      let bad = false;
      for (let level = REGION; level <= SERVER; level++) {
        const tierOf = topology.tierOf[level];
        let n = 0;
        for (const row of input.assignment) if (row[p] !== UNASSIGNED) ids[n++] = tierOf[row[p]];
        let most = 0;
        let over = false;
        for (let i = 0; i < n; i++) {
          let c = 0;
          for (let j = 0; j < n; j++) if (ids[j] === ids[i]) c++;
          most = Math.max(most, c);
          const max = maxOf[level].get(ids[i]);
          if (max !== undefined && c > max) over = true;
        }
        histograms[level - 1][most]++;
        if (over) {
          overMax[level - 1]++;
          bad = true;
        }
      }
      if (bad) dispersed++;
    }
  }
  return {
    partitions,
    replicas,
    balance,
    dispersion: input.assignment ? (100 * dispersed) / partitions : 0,
    devices,
    levels: [REGION, ZONE, SERVER].map((level, i) => ({
      level: LEVEL_NAMES[level] as TierLevelReport['level'],
      tiers: topology.tierCounts[level],
      histogram: histograms[i],
      overMax: overMax[i],
    })),
  };
}
