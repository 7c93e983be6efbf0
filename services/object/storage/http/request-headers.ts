/** Reading the request headers the object handlers depend on, refusing malformed ones with 400. */
import type { IncomingHttpHeaders } from 'node:http';
import { Timestamp } from '../../common/timestamp';
import { HttpError } from './http-error';

/**
 * What the header readers need of a request: an HTTP request, or one entry of a small-object
 * batch (common/object-batch.ts), which goes through the same checks.
 */
export interface HeaderSource {
  readonly headers: IncomingHttpHeaders;
}

export function singleHeader(req: HeaderSource, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** X-Timestamp: every write carries the time that orders it against the other replicas' writes. */
export function requireTimestamp(req: HeaderSource): Timestamp {
  const raw = singleHeader(req, 'x-timestamp');
  if (raw === undefined) throw new HttpError(400, 'Missing X-Timestamp header');
  const ts = Timestamp.tryParse(raw.trim());
  if (!ts) throw new HttpError(400, `Invalid X-Timestamp ${JSON.stringify(raw.slice(0, 64))}`);
  return ts;
}

/** A length header (Content-Length, or the proxy's X-Backend-Obj-Content-Length), or undefined. */
export function contentLength(req: HeaderSource, header = 'Content-Length'): number | undefined {
  const raw = singleHeader(req, header.toLowerCase());
  if (raw === undefined) return undefined;
  if (!/^\d{1,16}$/.test(raw.trim())) throw new HttpError(400, `Invalid ${header}`);
  return Number(raw.trim());
}

export function isChunked(req: HeaderSource): boolean {
  return /(^|,)\s*chunked\s*$/i.test(singleHeader(req, 'transfer-encoding') ?? '');
}

/** The MD5 the client announced in ETag (quotes optional), lower-case, or undefined. */
export function announcedEtag(req: HeaderSource): string | undefined {
  const raw = singleHeader(req, 'etag')?.trim();
  if (!raw) return undefined;
  return raw.replace(/^"(.*)"$/, '$1').toLowerCase();
}
