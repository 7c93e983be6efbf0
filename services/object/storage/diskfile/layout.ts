/**
 * Paths of one device (docs/object-storage.md, "On-disk layout"). Every path the object layer
 * touches is built here, so the layout can be read in one place.
 */
import * as path from 'node:path';
import { hashSuffix } from '../../common/hash-path';

export const OBJECTS_DIR = 'objects';
export const TMP_DIR = 'tmp';
export const QUARANTINE_DIR = path.join('quarantined', 'objects');
/** Container updates that could not be delivered, for the updater (see http/container-update.ts). */
export const ASYNC_PENDING_DIR = 'async_pending';
export const HASHES_FILE = 'hashes.json';
/** Suffixes whose hash is stale, one per line, appended by writers (see partition-hashes.ts). */
export const HASHES_INVALID_FILE = 'hashes.invalid';

export function devicePath(devicesRoot: string, device: string): string {
  return path.join(devicesRoot, device);
}

export function partitionPath(devicesRoot: string, device: string, partition: string): string {
  return path.join(devicesRoot, device, OBJECTS_DIR, partition);
}

export function hashDirPath(devicesRoot: string, device: string, partition: string, hash: string): string {
  return path.join(partitionPath(devicesRoot, device, partition), hashSuffix(hash), hash);
}

export function tmpPath(devicesRoot: string, device: string): string {
  return path.join(devicesRoot, device, TMP_DIR);
}

export function quarantinePath(devicesRoot: string, device: string): string {
  return path.join(devicesRoot, device, QUARANTINE_DIR);
}

/** `<device>/async_pending/<suffix>/<hash>-<timestamp>`: one queued container update. */
export function asyncPendingPath(devicesRoot: string, device: string, hash: string, timestamp: string): string {
  return path.join(devicesRoot, device, ASYNC_PENDING_DIR, hashSuffix(hash), `${hash}-${timestamp}`);
}
