/**
 * What a ring file holds and what servers look things up in: the devices and, for every
 * partition, the device of each replica. Produced by RingBuilder.ringData(), written by
 * encodeRingFile(), read back by decodeRingFile().
 */
import type { RingDevice } from './device';

export interface RingData {
  /** Increases with every rebalance that changed the ring; servers log it and reload on change. */
  readonly version: number;
  /** 2^partPower partitions; a path's partition is the top partPower bits of its hash. */
  readonly partPower: number;
  readonly replicas: number;
  /** Every device the table references (weight 0 included, while it still holds data), by id. */
  readonly devices: readonly RingDevice[];
  /** assignment[replica][partition] = device id; the replicas of a partition are distinct devices. */
  readonly assignment: readonly Uint32Array[];
}

/** Largest supported partition power: 2^24 partitions × 3 replicas × 4 bytes is 200 MB of table. */
export const MAX_PART_POWER = 24;
/** More replicas than this is a configuration mistake, not a durability plan. */
export const MAX_REPLICAS = 16;
