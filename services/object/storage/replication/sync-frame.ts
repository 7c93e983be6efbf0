/**
 * The body of a hash directory push (and of its read): one JSON manifest line naming the files
 * and their sizes, then the files' bytes back to back in manifest order. Metadata files come
 * before the `.data` so the receiver knows the ETag to check the body against while it streams.
 *
 * Pure codec: `encodeManifest` / `parseManifest`; parseManifest only ever throws SyncFrameError.
 */
import { parseFileName, type FileKind } from '../diskfile/file-names';

export const MANIFEST_MAX_BYTES = 64 * 1024;

export interface FrameFile {
  name: string;
  size: number;
}

export class SyncFrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SyncFrameError';
  }
}

/** Sending order: small metadata first, the body last. */
const KIND_ORDER: Record<FileKind, number> = { dataMeta: 0, meta: 1, tombstone: 2, data: 3 };

export function sortForFrame(files: readonly FrameFile[]): FrameFile[] {
  return [...files].sort((a, b) => {
    const ka = parseFileName(a.name)?.kind ?? 'data';
    const kb = parseFileName(b.name)?.kind ?? 'data';
    return KIND_ORDER[ka] - KIND_ORDER[kb] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  });
}

export function encodeManifest(files: readonly FrameFile[]): Buffer {
  return Buffer.from(`${JSON.stringify({ version: 1, files: sortForFrame(files) })}\n`);
}

export function parseManifest(line: string): FrameFile[] {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new SyncFrameError('manifest is not JSON');
  }
  if (typeof v !== 'object' || v === null || (v as { version?: unknown }).version !== 1) throw new SyncFrameError('manifest version must be 1');
  const files = (v as { files?: unknown }).files;
  if (!Array.isArray(files) || files.length === 0 || files.length > 8) throw new SyncFrameError('manifest must list 1 to 8 files');
  const out: FrameFile[] = [];
  const seen = new Set<string>();
  for (const f of files as unknown[]) {
    const { name, size } = (typeof f === 'object' && f !== null ? f : {}) as { name?: unknown; size?: unknown };
    if (typeof name !== 'string' || !parseFileName(name)) throw new SyncFrameError(`not an object file name: ${JSON.stringify(String(name).slice(0, 80))}`);
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new SyncFrameError(`bad size for ${name}`);
    if (seen.has(name)) throw new SyncFrameError(`${name} listed twice`);
    seen.add(name);
    out.push({ name, size });
  }
  const order = sortForFrame(out).map((f) => f.name);
  if (order.some((n, i) => n !== out[i].name)) throw new SyncFrameError('metadata files must come before data files');
  return out;
}
