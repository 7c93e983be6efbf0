/**
 * Paths of one device (docs/object-storage.md, "On-disk layout"). Every path the object layer
 * touches is built here, so the layout can be read in one place.
 */
import * as path from 'node:path';
import { hashSuffix } from '../../common/hash-path';

export const OBJECTS_DIR = 'objects';
export const TMP_DIR = 'tmp';
export const QUARANTINE_DIR = path.join('quarantined', 'objects');
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
