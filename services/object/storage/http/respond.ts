/** Writing responses: short text bodies for statuses, and an object's headers for GET/HEAD. */
import type { ServerResponse } from 'node:http';
import { formatHttpDate } from '../../common/http-date';
import { titleCaseHeader } from '../../common/object-headers';
import type { ObjectMetadata } from '../diskfile/object-metadata';
import { CLIENT_DISCONNECT } from './http-error';

const REASONS: Record<number, string> = { [CLIENT_DISCONNECT]: 'Client Disconnect' };

export type Headers = Record<string, string | number>;

/** A status with a one-line text body (none for HEAD and 204/304, which Node drops anyway). */
export function sendStatus(res: ServerResponse, status: number, message = '', headers: Headers = {}): void {
  if (res.headersSent || res.destroyed) return;
  const body = status === 204 || status === 304 || message === '' ? '' : `${message}\n`;
  const all: Headers = { ...headers, 'Content-Length': Buffer.byteLength(body) };
  if (body) all['Content-Type'] = 'text/plain; charset=utf-8';
  const reason = REASONS[status];
  if (reason) res.writeHead(status, reason, all);
  else res.writeHead(status, all);
  res.end(body);
}

/**
 * A container's or account's HEAD (204 with its headers) or GET (200 with its JSON listing): the
 * same answer shape in both layers.
 */
export function sendRecord(res: ServerResponse, headers: Headers, listingJson?: string): void {
  if (listingJson === undefined) {
    res.writeHead(204, { ...headers, 'Content-Length': 0 });
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(listingJson) });
  res.end(listingJson);
}

/** The headers describing an object (GET, HEAD, 304), in Swift's spelling. */
export function objectHeaders(m: ObjectMetadata): Headers {
  const h: Headers = {
    'Content-Type': m.contentType,
    // Quoted, as Swift's object server sends it (RFC 9110 entity-tag syntax).
    ETag: `"${m.etag}"`,
    'Last-Modified': formatHttpDate(m.timestamp.lastModifiedSeconds),
    'X-Timestamp': m.timestamp.normal,
    'X-Backend-Timestamp': m.timestamp.internal,
    'X-Backend-Data-Timestamp': m.dataTimestamp.internal,
    'Accept-Ranges': 'bytes',
  };
  for (const [name, value] of Object.entries(m.headers)) h[titleCaseHeader(name)] = value;
  return h;
}

/** A JSON answer (the backend's replication and row-batch endpoints). */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  sendJsonText(res, status, JSON.stringify(value));
}

/** A JSON answer already encoded (by a codec that defines its format). */
export function sendJsonText(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
