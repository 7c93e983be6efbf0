/**
 * What a hash directory's listing means (pure; Swift's `get_ondisk_files`).
 *
 * The newest `.data` or `.ts` decides what the object is (last writer wins by timestamp, not by
 * arrival; on equal timestamps the tombstone wins, as in Swift), and a `.meta` counts only when
 * newer than the winning `.data`. A `.data` carries its metadata in a footer (data-footer.ts);
 * one written before the footer existed has a `<ts>.meta.json` beside it instead, which is kept
 * with it (`dataMeta`) and tells readers to take the metadata from there.
 *
 * `live` names the object's state as replication compares it: the winner and a newer `.meta`,
 * never the `.meta.json`, so a replica holding the old two-file form and one holding the footer
 * form of the same version agree. Everything else of ours is obsolete: older versions, older
 * POSTs, and `.meta.json` files without their `.data`. Obsolete files are removed by the writer
 * holding the directory's lock; readers only ignore them.
 */
import type { Timestamp } from '../../common/timestamp';
import { parseFileName, type OnDiskFile } from './file-names';

export interface OnDiskState {
  /** The newest `.data` or `.ts`, if any. */
  winner?: OnDiskFile;
  /** The `.meta.json` of a `.data` winner written in the two-file form (absent: the footer form). */
  dataMeta?: OnDiskFile;
  /** The newest POST newer than a `.data` winner. */
  meta?: OnDiskFile;
  /** The winner and a newer `.meta`, sorted (what replication compares; never a `.meta.json`). */
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
  const live = [winner, meta].filter((f): f is OnDiskFile => f !== undefined).map((f) => f.name);
  const keep = new Set(dataMeta ? [...live, dataMeta.name] : live);
  return {
    winner,
    dataMeta,
    meta,
    live: live.sort(),
    obsolete: files.filter((f) => !keep.has(f.name)).map((f) => f.name).sort(),
  };
}
