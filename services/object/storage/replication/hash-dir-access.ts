/**
 * What the replication side of the storage server needs from the object layer: where a hash
 * directory is, the device's temp dir, the per-directory lock, and suffix invalidation.
 *
 * The receiver knows hashes, not names (a tombstone carries no name), so it cannot use DiskFile;
 * it takes the same per-directory lock DiskFile writers take (ObjectStore.lockHashDir), so a
 * replication install and a client write on one object never interleave.
 */
import * as path from 'node:path';
import { addExpiryEntry, type ExpiryEntry } from '../diskfile/expirer-index';
import type { ObjectStore } from '../diskfile/object-store';

export interface HashDirAccess {
  readonly fsync: boolean;
  /** `objects/<partition>` of a device. */
  partitionDir(device: string, partition: string): string;
  hashDir(device: string, partition: string, hash: string): string;
  tmpDir(device: string): string;
  lock<T>(dir: string, fn: () => Promise<T>): Promise<T>;
  invalidate(device: string, partition: string, suffix: string): Promise<void>;
  newId(): string;
  /** Adds an expirer index entry (diskfile/expirer-index.ts), as the object layer's writers do. */
  addExpiry(device: string, hash: string, entry: ExpiryEntry): Promise<void>;
}

export function hashDirAccess(store: ObjectStore, opts: { newId: () => string }): HashDirAccess {
  // The store's own path rules (layout.ts), through a DiskFile addressed by hash.
  const partitionDir = (device: string, partition: string): string => store.objectAtHash(device, partition, '0'.repeat(32)).partitionDir;
  return {
    fsync: store.fsync,
    partitionDir,
    hashDir: (device, partition, hash) => store.objectAtHash(device, partition, hash).dir,
    tmpDir: (device) => path.join(partitionDir(device, '0'), '..', '..', 'tmp'),
    lock: (dir, fn) => store.lockHashDir(dir, fn),
    invalidate: (device, partition, suffix) => store.partitionHashes(device, partition).invalidate(suffix),
    newId: opts.newId,
    addExpiry: async (device, hash, entry) => void (await addExpiryEntry(store.devicesRoot, device, hash, entry, store.fsync)),
  };
}
