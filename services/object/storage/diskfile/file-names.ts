/**
 * Names of the files in a hash directory (`objects/<partition>/<suffix>/<hash>/`):
 *
 * | name                      | content                                                   |
 * | ------------------------- | --------------------------------------------------------- |
 * | `<ts>.data`               | the object's bytes as uploaded, then its metadata footer   |
 * | `<ts>.meta.json`          | the two-file form's metadata of the same-timestamp `.data` |
 * | `<ts>.ts`                 | tombstone of a DELETE at `ts` (empty)                      |
 * | `<ts>.meta`               | metadata set by a POST at `ts` (JSON)                      |
 *
 * `<ts>` is the internal timestamp form, so names of one kind also sort by time. Anything else in
 * a hash directory is not ours and is left alone.
 */
import { Timestamp } from '../../common/timestamp';

export type FileKind = 'data' | 'dataMeta' | 'tombstone' | 'meta';

const EXTENSIONS: Record<FileKind, string> = { data: '.data', dataMeta: '.meta.json', tombstone: '.ts', meta: '.meta' };
// Longest extension first: '.meta.json' must not be read as '.json' after a '.meta' timestamp.
const ORDER: FileKind[] = ['dataMeta', 'data', 'tombstone', 'meta'];

export interface OnDiskFile {
  name: string;
  kind: FileKind;
  timestamp: Timestamp;
}

export function fileName(kind: FileKind, timestamp: Timestamp): string {
  return timestamp.internal + EXTENSIONS[kind];
}

/** The kind and timestamp of a file name, or undefined for names that are not ours. */
export function parseFileName(name: string): OnDiskFile | undefined {
  for (const kind of ORDER) {
    const ext = EXTENSIONS[kind];
    if (!name.endsWith(ext)) continue;
    const timestamp = Timestamp.tryParse(name.slice(0, -ext.length));
    // Only the canonical spelling counts: `1.5.data` and `0000000001.50000.data` must not both exist.
    if (!timestamp || timestamp.internal !== name.slice(0, -ext.length)) return undefined;
    return { name, kind, timestamp };
  }
  return undefined;
}
