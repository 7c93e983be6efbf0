/**
 * Ring: lookups over one loaded ring (what proxies and storage servers ask): the partition of a
 * name, its primary devices, and its handoffs. Immutable and free of I/O and clocks: reloading is
 * RingReader's job, which swaps in a new Ring as a whole.
 */
import type { RingDevice } from './device';
import { type HandoffIndex, handoffOrder, tierKeys } from './handoffs';
import { type HashPathConfig, hashPath, partitionOfHash, validateHashPathConfig } from './hash-path';
import type { RingData } from './ring-data';
import { RingError } from './ring-error';

export interface NodesForPath {
  readonly partition: number;
  /** The primary devices, replica order, distinct. */
  readonly nodes: readonly RingDevice[];
}

export class Ring {
  private readonly index: HandoffIndex;

  constructor(
    readonly data: RingData,
    private readonly hash: HashPathConfig,
  ) {
    validateHashPathConfig(hash);
    const deviceById = new Map(data.devices.map((d) => [d.id, d]));
    const placed = new Set<number>();
    for (const row of data.assignment) for (const id of row) placed.add(id);
    const tiers: [Set<string>, Set<string>, Set<string>] = [new Set(), new Set(), new Set()];
    for (const id of placed) {
      const d = deviceById.get(id);
      if (d) tierKeys(d).forEach((k, level) => tiers[level].add(k));
    }
    this.index = {
      partPower: data.partPower,
      assignment: data.assignment,
      deviceById,
      placedTierCounts: [tiers[0].size, tiers[1].size, tiers[2].size],
      placedDevices: placed.size,
      unplacedDevices: data.devices.filter((d) => d.weight > 0 && !placed.has(d.id)),
    };
  }

  get version(): number {
    return this.data.version;
  }
  get partPower(): number {
    return this.data.partPower;
  }
  get partitionCount(): number {
    return 2 ** this.data.partPower;
  }
  get replicas(): number {
    return this.data.replicas;
  }
  get devices(): readonly RingDevice[] {
    return this.data.devices;
  }

  partitionFor(account: string, container?: string, object?: string): number {
    return partitionOfHash(hashPath(this.hash, account, container, object), this.data.partPower);
  }

  /** The primaries of a partition, in replica order. */
  getPartNodes(partition: number): RingDevice[] {
    if (!Number.isInteger(partition) || partition < 0 || partition >= this.partitionCount) {
      throw new RingError('INVALID_ARGUMENT', `partition ${partition} is outside 0..${this.partitionCount - 1}`);
    }
    const out: RingDevice[] = [];
    for (const row of this.data.assignment) {
      const d = this.index.deviceById.get(row[partition]);
      if (d && !out.includes(d)) out.push(d);
    }
    return out;
  }

  getNodes(account: string, container?: string, object?: string): NodesForPath {
    const partition = this.partitionFor(account, container, object);
    return { partition, nodes: this.getPartNodes(partition) };
  }

  /** Handoff devices for a partition, lazily, most failure-independent first (see handoffs.ts). */
  getMoreNodes(partition: number): Generator<RingDevice, void, undefined> {
    return handoffOrder(this.index, partition, this.getPartNodes(partition));
  }
}
