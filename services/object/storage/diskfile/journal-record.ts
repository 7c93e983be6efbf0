/**
 * The records of a device's intent journal (intent-journal.ts), pure.
 *
 * A record is one file a change put into a hash directory, with its complete content: a small
 * object's `.data` (body and footer), a tombstone, a POST's `.meta`. Layout, little-endian:
 *
 *   magic "WJR1" | u32 head length | u32 body length | u32 CRC-32 | head | body
 *
 * The head is UTF-8 JSON `{"d": "objects/<partition>/<suffix>/<hash>", "n": "<file name>"}`; the
 * CRC-32 covers both lengths, the head and the body, so a damaged length is caught like damaged
 * content. A journal is read front to back and ends at the first record that does not decode:
 * that is a write torn by a crash (or damage), and nothing after it was ever acknowledged (see
 * intent-journal.ts: a failed append retires its segment).
 *
 * The decoder trusts nothing: the directory must be a hash directory of this layout and the name
 * one of our file names, so a damaged journal cannot make the replay write anywhere else.
 */
import { crc32 } from 'node:zlib';
import { parseFileName } from './file-names';

export const RECORD_MAGIC = 0x3152_4a57; // "WJR1" read as a little-endian u32
export const RECORD_HEADER_BYTES = 16;
/** Heads are two short paths; anything longer is damage. */
export const MAX_HEAD_BYTES = 1024;
/** Larger files take the per-file fsync path; a longer body in a journal is damage. */
export const MAX_BODY_BYTES = 1 << 20;

export interface JournalRecord {
  /** The hash directory, relative to the device: `objects/<partition>/<suffix>/<hash>`. */
  dir: string;
  /** The file's name in it (`<ts>.data`, `<ts>.ts`, `<ts>.meta`). */
  name: string;
  /** The file's complete content, in pieces (written with one writev). */
  body: readonly Buffer[];
}

export interface DecodedRecord {
  dir: string;
  name: string;
  body: Buffer;
  /** Where the record starts in the decoded buffer. */
  offset: number;
}

export interface DecodeResult {
  records: DecodedRecord[];
  /** Bytes of whole, valid records from the start. */
  validBytes: number;
  /** Why decoding stopped before the end (a torn or damaged record), if it did. */
  problem?: string;
}

const HASH_DIR = /^objects\/(\d{1,10})\/([0-9a-f]{3})\/([0-9a-f]{32})$/;
const JOURNALED_KINDS = new Set(['data', 'tombstone', 'meta']);

/** Why a directory (relative to its device) cannot be named in a record, if it cannot. */
export function recordDirProblem(dir: string): string | undefined {
  const m = HASH_DIR.exec(dir);
  if (!m) return `not a hash directory: ${JSON.stringify(dir)}`;
  if (!m[3].endsWith(m[2])) return `suffix ${m[2]} does not end hash ${m[3]}`;
  return undefined;
}

/** Why a record's directory and name cannot be journaled (or replayed), if they cannot. */
export function recordTargetProblem(dir: string, name: string): string | undefined {
  const dirProblem = recordDirProblem(dir);
  if (dirProblem) return dirProblem;
  const f = parseFileName(name);
  if (!f || !JOURNALED_KINDS.has(f.kind)) return `not a journaled file name: ${JSON.stringify(name)}`;
  return undefined;
}

/** The partition and suffix of a valid record directory. */
export function recordPartition(dir: string): { partition: string; suffix: string } {
  const m = HASH_DIR.exec(dir);
  if (!m) throw new Error(`not a hash directory: ${dir}`);
  return { partition: m[1], suffix: m[2] };
}

/** The record as buffers for one writev (the body's pieces are not copied). */
export function encodeRecord(r: JournalRecord): Buffer[] {
  const problem = recordTargetProblem(r.dir, r.name);
  if (problem) throw new Error(problem);
  const head = Buffer.from(JSON.stringify({ d: r.dir, n: r.name }));
  if (head.length > MAX_HEAD_BYTES) throw new Error('journal record head too long');
  const bodyLength = r.body.reduce((n, b) => n + b.length, 0);
  if (bodyLength > MAX_BODY_BYTES) throw new Error(`journal record body of ${bodyLength} bytes is over ${MAX_BODY_BYTES}`);
  const header = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
  header.writeUInt32LE(RECORD_MAGIC, 0);
  header.writeUInt32LE(head.length, 4);
  header.writeUInt32LE(bodyLength, 8);
  let crc = crc32(header.subarray(4, 12));
  crc = crc32(head, crc);
  for (const b of r.body) crc = crc32(b, crc);
  header.writeUInt32LE(crc, 12);
  return [header, head, ...r.body];
}

export function encodedLength(pieces: readonly Buffer[]): number {
  return pieces.reduce((n, b) => n + b.length, 0);
}

/** Decodes the whole records at the start of `buf` (see the header for where it stops). */
export function decodeRecords(buf: Buffer): DecodeResult {
  const records: DecodedRecord[] = [];
  let off = 0;
  const stop = (problem: string): DecodeResult => ({ records, validBytes: off, problem });
  while (off < buf.length) {
    if (buf.length - off < RECORD_HEADER_BYTES) return stop(`torn record header at ${off}`);
    if (buf.readUInt32LE(off) !== RECORD_MAGIC) return stop(`no record magic at ${off}`);
    const headLength = buf.readUInt32LE(off + 4);
    const bodyLength = buf.readUInt32LE(off + 8);
    if (headLength > MAX_HEAD_BYTES || bodyLength > MAX_BODY_BYTES) return stop(`impossible record lengths at ${off}`);
    const end = off + RECORD_HEADER_BYTES + headLength + bodyLength;
    if (end > buf.length) return stop(`torn record at ${off}`);
    const head = buf.subarray(off + RECORD_HEADER_BYTES, off + RECORD_HEADER_BYTES + headLength);
    const body = buf.subarray(off + RECORD_HEADER_BYTES + headLength, end);
    let crc = crc32(buf.subarray(off + 4, off + 12));
    crc = crc32(head, crc);
    crc = crc32(body, crc);
    if (crc !== buf.readUInt32LE(off + 12)) return stop(`record CRC-32 mismatch at ${off}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(head.toString('utf8'));
    } catch {
      return stop(`record head is not JSON at ${off}`);
    }
    const dir = (parsed as { d?: unknown } | null)?.d;
    const name = (parsed as { n?: unknown } | null)?.n;
    if (typeof dir !== 'string' || typeof name !== 'string') return stop(`record head without a directory and name at ${off}`);
    const problem = recordTargetProblem(dir, name);
    if (problem) return stop(`${problem} at ${off}`);
    records.push({ dir, name, body, offset: off });
    off = end;
  }
  return { records, validBytes: off };
}
