/**
 * Lists the live files of every hash directory in some suffixes of a partition (what the
 * replicator compares once suffix hashes differ). Whether a `.data` is whole is only known by
 * reading it: the sender's openHashDir skips a damaged one.
 */
import * as path from 'node:path';
import { classifyFiles } from '../diskfile/ondisk-files';
import type { HashDirAccess } from './hash-dir-access';
import type { SuffixListing } from './merge-plan';
import { listDir } from '../../common/list-dir';

const HASH = /^[0-9a-f]{32}$/;


export async function listSuffixes(access: HashDirAccess, device: string, partition: string, suffixes: readonly string[]): Promise<SuffixListing> {
  const out: SuffixListing = {};
  const partDir = access.partitionDir(device, partition);
  for (const suffix of suffixes) {
    const hashes: Record<string, string[]> = {};
    for (const hash of (await listDir(path.join(partDir, suffix))).sort()) {
      if (!HASH.test(hash) || !hash.endsWith(suffix)) continue;
      const state = classifyFiles(await listDir(path.join(partDir, suffix, hash)));
      if (!state.winner) continue;
      hashes[hash] = state.live;
    }
    out[suffix] = hashes;
  }
  return out;
}
