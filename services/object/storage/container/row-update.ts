/**
 * An object server's container row update, as the container layer reads it (pure): from one
 * request's headers (`PUT|DELETE /<dev>/<part>/<a>/<c>/<o>`) or from one entry of a batch
 * (`POST /<dev>/<part>/<a>/<c>` with `X-Backend-Storage-Layer: container-rows`: the updates an
 * object server had queued for this container while its previous one was in flight, in one
 * exchange; see http/row-batcher.ts). Both forms go through the same checks and answer with the
 * same statuses.
 */
import { objectNameProblem } from '../../common/names';
import { Timestamp } from '../../common/timestamp';
import type { RowOutcome } from './container-store';
import type { ObjectRow } from './rows';

export const ROW_METHODS = ['PUT', 'DELETE'];

/** Rows per batch at most (an object server sends fewer; a larger batch is refused whole). */
export const ROW_BATCH_MAX = 256;
/** A batch body larger than this is refused (413). */
export const ROW_BATCH_MAX_BYTES = 1024 * 1024;

/** One update: its method, object name and headers (lower-case names). */
export interface RowUpdate {
  method: string;
  object: string;
  headers: Readonly<Record<string, string>>;
}

export type ParsedRow = { ok: true; row: ObjectRow; method: 'PUT' | 'DELETE' } | { ok: false; status: 400 | 405; message: string };

/** The row an update writes, or why it is refused (the same answers as the single-request form). */
export function parseRowUpdate(u: RowUpdate): ParsedRow {
  if (u.method !== 'PUT' && u.method !== 'DELETE') return { ok: false, status: 405, message: 'Method Not Allowed' };
  const rawTs = u.headers['x-timestamp'];
  if (rawTs === undefined) return { ok: false, status: 400, message: 'Missing X-Timestamp header' };
  const ts = Timestamp.tryParse(rawTs.trim());
  if (!ts) return { ok: false, status: 400, message: `Invalid X-Timestamp ${JSON.stringify(rawTs.slice(0, 64))}` };
  if (u.method === 'DELETE') return { ok: true, method: 'DELETE', row: { name: u.object, timestamp: ts.internal, size: 0, etag: '', content_type: '', deleted: true } };
  const size = u.headers['x-size']?.trim();
  if (size === undefined) return { ok: false, status: 400, message: 'Missing x-size header' };
  if (!/^\d{1,16}$/.test(size)) return { ok: false, status: 400, message: 'Invalid X-Size' };
  const etag = u.headers['x-etag'];
  if (etag === undefined) return { ok: false, status: 400, message: 'Missing x-etag header' };
  const contentType = u.headers['x-content-type'];
  if (contentType === undefined) return { ok: false, status: 400, message: 'Missing x-content-type header' };
  return {
    ok: true,
    method: 'PUT',
    row: { name: u.object, timestamp: ts.internal, size: Number(size), etag: etag.trim().replace(/^"(.*)"$/, '$1'), content_type: contentType.trim(), deleted: false },
  };
}

/** The answer to an applied update: 404 without a live container, 202 when stale, else 201/204. */
export function rowStatus(method: 'PUT' | 'DELETE', outcome: RowOutcome): number {
  if (outcome === 'no_container') return 404;
  if (outcome === 'stale') return 202;
  return method === 'PUT' ? 201 : 204;
}

const isStringRecord = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');

/** A batch body: `{"rows": [{"method", "object", "headers"}...]}`; a message when it is not one. */
export function parseRowBatch(v: unknown): RowUpdate[] | string {
  const rows = typeof v === 'object' && v !== null ? (v as { rows?: unknown }).rows : undefined;
  if (!Array.isArray(rows) || rows.length === 0 || rows.length > ROW_BATCH_MAX) return `a batch holds 1 to ${ROW_BATCH_MAX} rows`;
  const out: RowUpdate[] = [];
  for (const r of rows as unknown[]) {
    const { method, object, headers } = (typeof r === 'object' && r !== null ? r : {}) as Record<string, unknown>;
    if (typeof method !== 'string' || typeof object !== 'string' || !isStringRecord(headers)) return 'each row needs a method, an object name and string headers';
    const problem = objectNameProblem(object);
    if (problem !== undefined) return problem;
    const lower: Record<string, string> = {};
    for (const [k, val] of Object.entries(headers)) lower[k.toLowerCase()] = val;
    out.push({ method, object, headers: lower });
  }
  return out;
}
