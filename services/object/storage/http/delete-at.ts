/**
 * X-Delete-At at the object layer (Swift's object server): an integer time in seconds. A PUT or
 * POST setting it in the past is refused (400), since the object would be born expired; an object
 * whose X-Delete-At has passed reads as missing (404 on GET/HEAD/POST) even before the expirer
 * has deleted it. Requests with `X-Backend-Replication: true` still see it (the replicator must
 * move it like any other object until its tombstone exists).
 */
import type { DiskFile } from '../diskfile/disk-file';
import type { ObjectMetadata } from '../diskfile/object-metadata';
import { HttpError } from './http-error';
import { singleHeader, type HeaderSource } from './request-headers';

function parseSeconds(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = v.trim();
  return /^\d{1,10}$/.test(t) ? Number(t) : undefined;
}

/** The request's X-Delete-At; 400 when malformed or not in the future (at `nowMs`). */
export function requestDeleteAt(req: HeaderSource, nowMs: number): number | undefined {
  const raw = singleHeader(req, 'x-delete-at');
  if (raw === undefined) return undefined;
  const at = parseSeconds(raw);
  if (at === undefined) throw new HttpError(400, 'Non-integer X-Delete-At');
  if (at * 1000 <= nowMs) throw new HttpError(400, 'X-Delete-At in past');
  return at;
}

/** The X-Delete-At an object carries (its stored header), if any. */
export function storedDeleteAt(m: ObjectMetadata): number | undefined {
  return parseSeconds(m.headers['x-delete-at']);
}

export function isExpired(m: ObjectMetadata, nowMs: number): boolean {
  const at = storedDeleteAt(m);
  return at !== undefined && at * 1000 <= nowMs;
}

/** Replication reads and writes objects as they are, expired or not. */
export function bypassesExpiry(req: HeaderSource): boolean {
  return /^(true|1|yes|on|t|y)$/i.test(singleHeader(req, 'x-backend-replication')?.trim() ?? '');
}

/** The X-If-Delete-At of an expirer's DELETE (400 when malformed). */
export function ifDeleteAt(req: HeaderSource): number | undefined {
  const raw = singleHeader(req, 'x-if-delete-at');
  if (raw === undefined) return undefined;
  const at = parseSeconds(raw);
  if (at === undefined) throw new HttpError(400, 'Bad X-If-Delete-At header value');
  return at;
}

/** What an object is now, as far as expiry goes (opens and closes its newest version). */
export async function currentExpiry(file: DiskFile, nowMs: number): Promise<{ kind: 'missing' | 'deleted' | 'found'; deleteAt?: number; expired: boolean }> {
  const r = await file.read();
  if (r.kind !== 'found') return { kind: r.kind, expired: false };
  const m = r.object.metadata;
  await r.object.close();
  return { kind: 'found', deleteAt: storedDeleteAt(m), expired: isExpired(m, nowMs) };
}
