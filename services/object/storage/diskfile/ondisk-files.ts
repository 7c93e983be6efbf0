/**
 * What a hash directory's listing means (pure; Swift's `get_ondisk_files`).
 *
 * The newest `.data` or `.ts` decides what the object is (last writer wins by timestamp, not by
 * arrival; on equal timestamps the tombstone wins, as in Swift). A `.data` counts only with its
 * `.meta.json` (written before it), and a `.meta` only when newer than the winning `.data`.
 * Everything else of ours is obsolete: older versions, older POSTs, and `.meta.json` files whose
 * `.data` never arrived (a crash between the two renames). Obsolete files are removed by the
 * writer holding the directory's lock; readers only ignore them.
 */
import type { Timestamp } from '../../common/timestamp';
import { parseFileName, type OnDiskFile } from './file-names';

export interface OnDiskState {
  /** The newest `.data` or `.ts`, if any. */
  winner?: OnDiskFile;
  /** The `.meta.json` of a `.data` winner (absent means the object is damaged). */
  dataMeta?: OnDiskFile;
  /** The newest POST newer than a `.data` winner. */
  meta?: OnDiskFile;
  /** The files that make up the current state, sorted (what replication compares). */
  live: string[];
  /** Our files that no longer matter. */
  obsolete: string[];
}

export function classifyFiles(names: readonly string[]): OnDiskState {
  const files = names.map(parseFileName).filter((f): f is OnDiskFile => f !== undefined);
  let winner: OnDiskFile | undefined;
  for (const f of files) {
    if (f.kind !== 'data' && f.kind !== 'tombstone') continue;
    const c = winner ? f.timestamp.compare(winner.timestamp) : 1;
    if (c > 0 || (c === 0 && f.kind === 'tombstone')) winner = f;
  }
  let dataMeta: OnDiskFile | undefined;
  let meta: OnDiskFile | undefined;
  if (winner?.kind === 'data') {
    const at: Timestamp = winner.timestamp;
    dataMeta = files.find((f) => f.kind === 'dataMeta' && f.timestamp.equals(at));
    for (const f of files) {
      if (f.kind === 'meta' && f.timestamp.isNewerThan(at) && (!meta || f.timestamp.isNewerThan(meta.timestamp))) meta = f;
    }
  }
  const keep = new Set([winner, dataMeta, meta].filter((f): f is OnDiskFile => f !== undefined).map((f) => f.name));
  return {
    winner,
    dataMeta,
    meta,
    live: [...keep].sort(),
    obsolete: files.filter((f) => !keep.has(f.name)).map((f) => f.name).sort(),
  };
}
