/**
 * Walks the hash directories of a device's objects (`objects/<partition>/<suffix>/<hash>`), in
 * name order, skipping anything that is not ours (hashes.json, temp files, stray names). Entries
 * removed while walking are simply not there: writers run concurrently.
 */
import * as path from 'node:path';
import { OBJECTS_DIR } from '../storage/diskfile/layout';
import { listDir } from '../common/list-dir';

const listSorted = (dir: string): Promise<string[]> => listDir(dir, { sorted: true });

export interface HashDirEntry {
  device: string;
  partition: string;
  suffix: string;
  hash: string;
  dir: string;
}


export async function* walkHashDirs(devicesRoot: string, device: string, signal?: AbortSignal): AsyncGenerator<HashDirEntry> {
  const root = path.join(devicesRoot, device, OBJECTS_DIR);
  for (const partition of (await listSorted(root)).filter((n) => /^\d{1,10}$/.test(n))) {
    for (const suffix of (await listSorted(path.join(root, partition))).filter((n) => /^[0-9a-f]{3}$/.test(n))) {
      for (const hash of await listSorted(path.join(root, partition, suffix))) {
        if (signal?.aborted) return;
        if (!/^[0-9a-f]{32}$/.test(hash) || !hash.endsWith(suffix)) continue;
        yield { device, partition, suffix, hash, dir: path.join(root, partition, suffix, hash) };
      }
    }
  }
}
