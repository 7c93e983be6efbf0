/** What every DiskFile of one store shares (kept apart from ObjectStore to avoid an import cycle). */
import type { DeviceJournal } from './intent-journal';
import type { KeyedMutex } from './keyed-mutex';
import type { PartitionHashes } from './partition-hashes';

export interface QuarantineEvent {
  device: string;
  partition: string;
  hash: string;
  /** `/account/container/object` */
  name: string;
  reason: string;
  /** Where the hash directory went. */
  destination: string;
}

export interface StoreContext {
  readonly devicesRoot: string;
  readonly fsync: boolean;
  readonly locks: KeyedMutex;
  newId(): string;
  partitionHashes(device: string, partition: string): PartitionHashes;
  /** The device's intent journal when small changes should go through it now (fsync on only). */
  journal(device: string): DeviceJournal | undefined;
  onQuarantine(event: QuarantineEvent): void;
}
