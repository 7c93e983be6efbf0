/**
 * The small-object PUT batch (pure codec; docs/object-storage.md, "internal protocol").
 *
 * Under load the proxy has many small uploads in flight to the same storage server device. Each
 * as its own HTTP exchange costs both sides more CPU than the object itself (request and
 * response parsing, 100 Continue, a socket write per step). So a proxy sends a small PUT alone
 * when nothing is in flight to that device, and the ones that arrive meanwhile together, as one
 * `POST /<device>` with `X-Backend-Storage-Layer: object-batch`. The storage server stores each
 * entry exactly as it would a single PUT (same checks, same statuses) and answers every entry's
 * status in order. Entries are independent: one refused entry does not affect the others.
 *
 * Request body: for each entry, `u32 BE head length | head JSON | u32 BE body length | body`.
 * The head is `{"partition","account","container","object","headers"}` with lower-case header
 * names and string values. Answer: `200 {"replies":[{"status","headers","message"}...]}`.
 */
import { accountNameProblem, containerNameProblem, objectNameProblem, partitionProblem } from './names';

/** Entries per batch at most (a proxy sends fewer; a larger batch is refused whole). */
export const OBJECT_BATCH_MAX_ENTRIES = 64;
/** Bodies up to this size go into batches; larger ones stream in their own PUT. */
export const OBJECT_BATCH_MAX_BODY = 64 * 1024;
/** A batch request larger than this is refused (413): entries at their largest, plus heads. */
export const OBJECT_BATCH_MAX_BYTES = OBJECT_BATCH_MAX_ENTRIES * (OBJECT_BATCH_MAX_BODY + 16 * 1024);
/** A head (names and headers) larger than this is refused. */
const MAX_HEAD_BYTES = 16 * 1024 - 8;

/** One object PUT of a batch. */
export interface BatchPut {
  partition: string;
  account: string;
  container: string;
  object: string;
  /** The PUT's headers, lower-case names. */
  headers: Readonly<Record<string, string>>;
  body: Buffer;
}

/** One entry's answer. */
export interface BatchReply {
  status: number;
  /** The headers a single PUT would have answered with (ETag, X-Backend-Timestamp). */
  headers: Record<string, string>;
  /** The status text a single PUT would have sent as its body (refusals). */
  message?: string;
}

function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n, 0);
  return b;
}

/** The request body, as pieces for one writev (bodies are not copied). */
export function encodeBatch(entries: readonly BatchPut[]): Buffer[] {
  const out: Buffer[] = [];
  for (const e of entries) {
    const head = Buffer.from(JSON.stringify({ partition: e.partition, account: e.account, container: e.container, object: e.object, headers: e.headers }), 'utf8');
    out.push(u32(head.length), head, u32(e.body.length), e.body);
  }
  return out;
}

const isStringRecord = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');

/**
 * The entries of a request body (bodies are views into `buf`), or why it is not a batch: any
 * malformed entry refuses the whole batch, so nothing of a garbled request is stored.
 */
export function decodeBatch(buf: Buffer): BatchPut[] | string {
  const out: BatchPut[] = [];
  let off = 0;
  while (off < buf.length) {
    if (out.length === OBJECT_BATCH_MAX_ENTRIES) return `a batch holds 1 to ${OBJECT_BATCH_MAX_ENTRIES} entries`;
    if (buf.length - off < 4) return `entry ${out.length}: truncated head length`;
    const headLen = buf.readUInt32BE(off);
    off += 4;
    if (headLen > MAX_HEAD_BYTES) return `entry ${out.length}: head larger than ${MAX_HEAD_BYTES} bytes`;
    if (buf.length - off < headLen) return `entry ${out.length}: truncated head`;
    let head: unknown;
    try {
      head = JSON.parse(buf.toString('utf8', off, off + headLen));
    } catch {
      return `entry ${out.length}: head is not JSON`;
    }
    off += headLen;
    if (buf.length - off < 4) return `entry ${out.length}: truncated body length`;
    const bodyLen = buf.readUInt32BE(off);
    off += 4;
    if (bodyLen > OBJECT_BATCH_MAX_BODY) return `entry ${out.length}: body larger than ${OBJECT_BATCH_MAX_BODY} bytes`;
    if (buf.length - off < bodyLen) return `entry ${out.length}: truncated body`;
    const body = buf.subarray(off, off + bodyLen);
    off += bodyLen;
    const entry = parseHead(head, body);
    if (typeof entry === 'string') return `entry ${out.length}: ${entry}`;
    out.push(entry);
  }
  if (out.length === 0) return `a batch holds 1 to ${OBJECT_BATCH_MAX_ENTRIES} entries`;
  return out;
}

function parseHead(v: unknown, body: Buffer): BatchPut | string {
  const { partition, account, container, object, headers } = (typeof v === 'object' && v !== null && !Array.isArray(v) ? v : {}) as Record<string, unknown>;
  if (typeof partition !== 'string' || typeof account !== 'string' || typeof container !== 'string' || typeof object !== 'string') return 'needs partition, account, container and object names';
  if (!isStringRecord(headers)) return 'needs string headers';
  const problem = partitionProblem(partition) ?? accountNameProblem(account) ?? containerNameProblem(container) ?? objectNameProblem(object);
  if (problem !== undefined) return problem;
  const lower: Record<string, string> = {};
  for (const [k, val] of Object.entries(headers)) lower[k.toLowerCase()] = val;
  return { partition, account, container, object, headers: lower, body };
}

/** The answer body. */
export function encodeReplies(replies: readonly BatchReply[]): string {
  return JSON.stringify({ replies });
}

/** The replies of an answer to a batch of `count` entries; undefined when it is not one. */
export function decodeReplies(text: string, count: number): BatchReply[] | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  const replies = typeof v === 'object' && v !== null ? (v as { replies?: unknown }).replies : undefined;
  if (!Array.isArray(replies) || replies.length !== count) return undefined;
  const out: BatchReply[] = [];
  for (const r of replies as unknown[]) {
    const { status, headers, message } = (typeof r === 'object' && r !== null ? r : {}) as Record<string, unknown>;
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 999 || !isStringRecord(headers)) return undefined;
    if (message !== undefined && typeof message !== 'string') return undefined;
    out.push(message === undefined ? { status, headers } : { status, headers, message });
  }
  return out;
}
