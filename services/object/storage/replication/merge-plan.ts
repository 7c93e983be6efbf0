/**
 * What replication changes (pure): both sides decide with the same rule as a hash directory's
 * reader (ondisk-files.ts), so "the peer would take this file" is exactly "the file is live in
 * the union of both listings and the peer lacks it". A push therefore never replaces newer data
 * (older files come out obsolete in the union) and tombstones travel like any other file.
 */
import { classifyFiles } from '../diskfile/ondisk-files';
import type { SuffixHashes } from '../diskfile/partition-hashes';

/** The files of `incoming` that `existing` lacks and that would be live in their union. */
export function filesToInstall(existing: readonly string[], incoming: readonly string[]): string[] {
  const have = new Set(existing);
  const live = classifyFiles([...new Set([...existing, ...incoming])]).live;
  const wanted = new Set(incoming);
  return live.filter((f) => wanted.has(f) && !have.has(f));
}

/** Suffixes whose local hash the peer does not share (Swift's rule: only local suffixes count). */
export function suffixesToSync(local: SuffixHashes, remote: SuffixHashes): string[] {
  return Object.keys(local)
    .filter((s) => local[s] !== remote[s])
    .sort();
}

/** hash → live file names, per suffix (a suffix listing, as the listing endpoint answers it). */
export type SuffixListing = Record<string, Record<string, string[]>>;

export interface HashToPush {
  suffix: string;
  hash: string;
  /** What the peer would install (for logs and stats). */
  files: string[];
}

/** The hash directories of `local` that would change something on the peer holding `remote`. */
export function hashesToPush(local: SuffixListing, remote: SuffixListing): HashToPush[] {
  const out: HashToPush[] = [];
  for (const suffix of Object.keys(local).sort()) {
    const theirs = remote[suffix] ?? {};
    for (const hash of Object.keys(local[suffix]).sort()) {
      const files = filesToInstall(theirs[hash] ?? [], local[suffix][hash]);
      if (files.length > 0) out.push({ suffix, hash, files });
    }
  }
  return out;
}
