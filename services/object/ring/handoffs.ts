/**
 * Handoff order: where a partition's replicas go when primaries are down, most useful first.
 *
 * The order is four sweeps over the ring's own table, each taking devices that add a failure
 * domain the partition does not have yet: first devices in a new region, then in a new zone, then
 * on a new server, then any device not used yet. A sweep visits every partition exactly once in a
 * pseudo-random order fixed by the partition number (a start and an odd stride, which together
 * step through all 2^k partitions), taking each visited partition's replicas in order. Reading the
 * table, rather than the device list, makes handoffs follow weights (a device with more partitions
 * is met sooner) and keeps the order mostly the same from one ring version to the next, because a
 * rebalance changes few table entries. Devices of weight > 0 that hold no partition yet come last,
 * by id, so every device that holds partitions or has weight appears exactly once across
 * primaries and handoffs (a draining device still holding data can be a handoff; it is full of
 * data to move anyway, and Swift does the same).
 */
import { createHash } from 'node:crypto';
import type { RingDevice } from './device';

/** What the sweeps need, precomputed once per loaded ring (see Ring). */
export interface HandoffIndex {
  readonly partPower: number;
  readonly assignment: readonly Uint32Array[];
  readonly deviceById: ReadonlyMap<number, RingDevice>;
  /** Distinct regions, zones and servers among devices holding at least one partition. */
  readonly placedTierCounts: readonly [number, number, number];
  readonly placedDevices: number;
  /** Devices with weight > 0 that hold no partition (appended at the end). */
  readonly unplacedDevices: readonly RingDevice[];
}

/** Tier keys at the region, zone and server levels. */
export function tierKeys(d: RingDevice): [string, string, string] {
  return [`r${d.region}`, `r${d.region}z${d.zone}`, `r${d.region}z${d.zone}-${d.ip}:${d.port}`];
}

export function* handoffOrder(index: HandoffIndex, partition: number, primaries: readonly RingDevice[]): Generator<RingDevice, void, undefined> {
  const partitions = 2 ** index.partPower;
  const usedDevices = new Set<number>();
  const used: [Set<string>, Set<string>, Set<string>] = [new Set(), new Set(), new Set()];
  const take = (d: RingDevice): void => {
    usedDevices.add(d.id);
    tierKeys(d).forEach((k, level) => used[level].add(k));
  };
  primaries.forEach(take);

  const digest = createHash('md5').update(String(partition)).digest();
  const mask = partitions - 1;
  const start = digest.readUInt32BE(0) & mask;
  const stride = (digest.readUInt32BE(4) & mask) | 1;

  // Levels 0..2 look for a new region/zone/server; level 3 for any unused device.
  for (let level = 0; level < 4; level++) {
    const exhausted = (): boolean => (level < 3 ? used[level].size >= index.placedTierCounts[level] : usedDevices.size >= index.placedDevices);
    for (let i = 0, q = start; i < partitions && !exhausted(); i++, q = (q + stride) & mask) {
      for (const row of index.assignment) {
        const d = index.deviceById.get(row[q]);
        if (d === undefined || usedDevices.has(d.id)) continue;
        if (level < 3 && used[level].has(tierKeys(d)[level])) continue;
        take(d);
        yield d;
        if (exhausted()) break;
      }
    }
  }
  for (const d of index.unplacedDevices) {
    if (usedDevices.has(d.id)) continue;
    usedDevices.add(d.id);
    yield d;
  }
}
