/** Reading the request headers the object handlers depend on, refusing malformed ones with 400. */
import type { IncomingMessage } from 'node:http';
import { Timestamp } from '../../common/timestamp';
import { HttpError } from './http-error';

export function singleHeader(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** X-Timestamp: every write carries the time that orders it against the other replicas' writes. */
export function requireTimestamp(req: IncomingMessage): Timestamp {
  const raw = singleHeader(req, 'x-timestamp');
  if (raw === undefined) throw new HttpError(400, 'Missing X-Timestamp header');
  const ts = Timestamp.tryParse(raw.trim());
  if (!ts) throw new HttpError(400, `Invalid X-Timestamp ${JSON.stringify(raw.slice(0, 64))}`);
  return ts;
}

/** Content-Length, or undefined when the body is chunked. */
/** A length header (Content-Length, or the proxy's X-Backend-Obj-Content-Length), or undefined. */
export function contentLength(req: IncomingMessage, header = 'Content-Length'): number | undefined {
  const raw = singleHeader(req, header.toLowerCase());
  if (raw === undefined) return undefined;
  if (!/^\d{1,16}$/.test(raw.trim())) throw new HttpError(400, `Invalid ${header}`);
  return Number(raw.trim());
}

export function isChunked(req: IncomingMessage): boolean {
  return /(^|,)\s*chunked\s*$/i.test(singleHeader(req, 'transfer-encoding') ?? '');
}

/** The MD5 the client announced in ETag (quotes optional), lower-case, or undefined. */
export function announcedEtag(req: IncomingMessage): string | undefined {
  const raw = singleHeader(req, 'etag')?.trim();
  if (!raw) return undefined;
  return raw.replace(/^"(.*)"$/, '$1').toLowerCase();
}
