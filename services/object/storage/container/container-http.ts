/**
 * The container layer over HTTP (Swift's container server), on the same server as the objects.
 * Every request to it carries `X-Backend-Storage-Layer: container` (the router picks the layer
 * by that header, since the object paths are the same):
 *
 * - `/<device>/<partition>/<account>/<container>`: PUT (create; X-Timestamp; metadata in
 *   X-Container-Meta-*, X-Container-Sysmeta-*, X-Container-Read/-Write), HEAD and GET (counts,
 *   bytes, metadata; GET lists the objects as JSON: `prefix`, `delimiter`, `marker`,
 *   `end_marker`, `limit` (default and maximum 10000), `reverse`, `path`), POST (metadata), DELETE (409
 *   when not empty, 404 when absent or already deleted).
 * - `/<device>/<partition>/<account>/<container>/<object>`: an object row update as the object servers send it, PUT (X-Timestamp, X-Size,
 *   X-Etag, X-Content-Type) or DELETE (X-Timestamp). 201/204 when applied, 202 when an equal or
 *   newer row is already held (nothing to do, not an error), 404 without a live container.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { metadataProblem } from '../../common/metadata-limits';
import { USER_META_PREFIX, titleCaseHeader } from '../../common/object-headers';
import { HttpError } from '../http/http-error';
import { requireTimestamp } from '../http/request-headers';
import { readBody } from '../http/request-body';
import { sendJson, sendRecord, sendStatus, type Headers } from '../http/respond';
import { updateTargetFrom } from '../http/update-target';
import type { AccountReporter } from './account-reporter';
import type { ContainerRef, ContainerStore } from './container-store';
import { DEFAULT_LISTING_LIMIT, type ListingEntry, type ListingParams } from './listing';
import { isDeleted, liveMetadata, type ContainerRecord } from './rows';
import { parseRowBatch, parseRowUpdate, ROW_BATCH_MAX_BYTES, ROW_METHODS, rowStatus } from './row-update';

export const CONTAINER_META_PREFIX = 'x-container-meta-';
const SYSMETA_PREFIX = 'x-container-sysmeta-';
const ACL_HEADERS = ['x-container-read', 'x-container-write'];

export const CONTAINER_METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'];

export interface ContainerExchange {
  req: IncomingMessage;
  res: ServerResponse;
  containers: ContainerStore;
  /** Tells the account layer about container changes (coalesced; see account-reporter.ts). */
  reporter: AccountReporter;
}

/** The container metadata a request carries (lower-case names; '' values remove items). */
export function containerMetadataFrom(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(req.headers)) {
    if (raw === undefined) continue;
    const value = (Array.isArray(raw) ? raw.join(', ') : raw).trim();
    if (name.startsWith(CONTAINER_META_PREFIX) || name.startsWith(SYSMETA_PREFIX) || ACL_HEADERS.includes(name)) out[name] = value;
  }
  // Swift's limits apply to user metadata, counted without the prefix, as for objects.
  const user: Record<string, string> = {};
  for (const [name, value] of Object.entries(out)) {
    if (name.startsWith(CONTAINER_META_PREFIX)) user[USER_META_PREFIX + name.slice(CONTAINER_META_PREFIX.length)] = value;
  }
  const problem = metadataProblem(user);
  if (problem) throw new HttpError(400, problem);
  return out;
}

function recordHeaders(r: ContainerRecord): Headers {
  const h: Headers = {
    'X-Container-Object-Count': r.objectCount,
    'X-Container-Bytes-Used': r.bytesUsed,
    'X-Timestamp': r.created.slice(0, 16),
    'X-Put-Timestamp': r.putTimestamp.slice(0, 16),
    'X-Backend-Timestamp': r.created,
    'X-Backend-Put-Timestamp': r.putTimestamp,
    'X-Backend-Delete-Timestamp': r.deleteTimestamp || '0000000000.00000',
  };
  for (const [name, value] of Object.entries(liveMetadata(r.metadata))) h[titleCaseHeader(name)] = value;
  return h;
}

/** Swift's listing `last_modified`: ISO 8601, UTC, microseconds, no zone suffix. */
export function listingDate(internal: string): string {
  const [whole, frac = '0'] = internal.slice(0, 16).split('.');
  return `${new Date(Number(whole) * 1000).toISOString().slice(0, 19)}.${frac.padEnd(6, '0').slice(0, 6)}`;
}

/** Listing entries as Swift's JSON format (content types go back as the UTF-8 they came in). */
export function listingJson(entries: ListingEntry[]): string {
  return JSON.stringify(
    entries.map((e) =>
      e.kind === 'subdir'
        ? { subdir: e.subdir }
        : {
            name: e.row.name,
            hash: e.row.etag,
            bytes: e.row.size,
            content_type: Buffer.from(e.row.content_type, 'latin1').toString('utf8'),
            last_modified: listingDate(e.row.timestamp),
          },
    ),
  );
}

/** The listing query parameters; 400 for malformed values, 412 for a limit above the maximum. */
export function listingParams(url: string): ListingParams {
  const q = url.indexOf('?');
  const query = new URLSearchParams(q >= 0 ? url.slice(q + 1) : '');
  const text = (name: string): string | undefined => {
    const v = query.get(name);
    if (v === null) return undefined;
    if (v.includes('\u0000')) throw new HttpError(400, `${name} holds a NUL character`);
    if (v.includes('\ufffd')) throw new HttpError(400, `${name} is not valid UTF-8`);
    return v;
  };
  let limit = DEFAULT_LISTING_LIMIT;
  const rawLimit = query.get('limit');
  if (rawLimit !== null) {
    if (!/^\d{1,9}$/.test(rawLimit)) throw new HttpError(400, 'limit must be a non-negative integer');
    limit = Number(rawLimit);
    if (limit > DEFAULT_LISTING_LIMIT) throw new HttpError(412, `Maximum limit is ${DEFAULT_LISTING_LIMIT}`);
  }
  const delimiter = text('delimiter');
  if (delimiter !== undefined && delimiter.length > 1) throw new HttpError(412, 'Bad delimiter');
  const reverse = (query.get('reverse') ?? '').toLowerCase();
  const params: ListingParams = {
    prefix: text('prefix'),
    delimiter: delimiter || undefined,
    marker: text('marker'),
    endMarker: text('end_marker'),
    limit,
    reverse: ['true', '1', 'yes', 'on', 't', 'y'].includes(reverse),
  };
  // Swift's `path` overrides prefix and delimiter: prefix = path without trailing '/' plus '/'.
  const path = text('path');
  if (path !== undefined) {
    params.prefix = path === '' ? '' : `${path.replace(/\/+$/, '')}/`;
    params.delimiter = '/';
    params.path = params.prefix;
  }
  return params;
}

export async function handleContainer(x: ContainerExchange, ref: ContainerRef): Promise<void> {
  const { req, res, containers } = x;
  switch (req.method) {
    case 'PUT': {
      const timestamp = requireTimestamp(req);
      const accountTarget = updateTargetFrom(req, 'Account');
      const outcome = await containers.putContainer(ref, timestamp, containerMetadataFrom(req), accountTarget);
      const status = outcome === 'created' ? 201 : outcome === 'accepted' ? 202 : 409;
      // Committed: the account hears of it before the client does (or it is queued for the updater).
      if (accountTarget && status !== 409) await x.reporter.report(ref);
      return sendStatus(res, status, status === 409 ? 'Conflict: the container was deleted later' : '', { 'X-Backend-Timestamp': timestamp.internal });
    }
    case 'POST': {
      const timestamp = requireTimestamp(req);
      const ok = await containers.postContainer(ref, timestamp, containerMetadataFrom(req));
      return sendStatus(res, ok ? 204 : 404, ok ? '' : 'Not Found');
    }
    case 'DELETE': {
      const timestamp = requireTimestamp(req);
      const accountTarget = updateTargetFrom(req, 'Account');
      const outcome = await containers.deleteContainer(ref, timestamp, accountTarget);
      if (outcome === 'deleted') {
        if (accountTarget) await x.reporter.report(ref);
        return sendStatus(res, 204);
      }
      if (outcome === 'not_found') return sendStatus(res, 404, 'Not Found');
      return sendStatus(res, 409, outcome === 'not_empty' ? 'Conflict: the container is not empty' : 'Conflict: the container was created later');
    }
    case 'HEAD':
    case 'GET': {
      const params = req.method === 'GET' ? listingParams(req.url ?? '') : undefined;
      const rec = await containers.record(ref);
      if (!rec || isDeleted(rec)) {
        const h: Headers = rec ? { 'X-Backend-Delete-Timestamp': rec.deleteTimestamp } : {};
        return sendStatus(res, 404, 'Not Found', h);
      }
      return sendRecord(res, recordHeaders(rec), params ? listingJson(await containers.list(ref, params)) : undefined);
    }
    default:
      return sendStatus(res, 405, 'Method Not Allowed', { Allow: CONTAINER_METHODS.join(', ') });
  }
}

/** The request's headers as one string each (lower-case names, as Node gives them). */
function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

export async function handleObjectRow(x: ContainerExchange, ref: ContainerRef, object: string): Promise<void> {
  const { req, res, containers } = x;
  const parsed = parseRowUpdate({ method: req.method ?? '', object, headers: flatHeaders(req) });
  if (!parsed.ok) {
    if (parsed.status === 405) return sendStatus(res, 405, 'Method Not Allowed', { Allow: ROW_METHODS.join(', ') });
    throw new HttpError(parsed.status, parsed.message);
  }
  const status = rowStatus(parsed.method, await containers.updateRow(ref, parsed.row));
  if (status === 404) return sendStatus(res, 404, 'Not Found');
  if (status !== 202) x.reporter.changed(ref);
  sendStatus(res, status, '', { 'X-Backend-Timestamp': parsed.row.timestamp });
}

/**
 * A batch of row updates for one container (`X-Backend-Storage-Layer: container-rows`): each row
 * is checked and applied as its single-request form would be (the store group-commits rows that
 * arrive together), and the answer lists each row's status in order. A malformed batch is 400
 * and applies nothing.
 */
export async function handleRowBatch(x: ContainerExchange, ref: ContainerRef): Promise<void> {
  const { req, res, containers } = x;
  if (req.method !== 'POST') return sendStatus(res, 405, 'Method Not Allowed', { Allow: 'POST' });
  const raw = await readBody(req, ROW_BATCH_MAX_BYTES);
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HttpError(400, 'row batch is not JSON');
  }
  const rows = parseRowBatch(body);
  if (typeof rows === 'string') throw new HttpError(400, rows);
  const statuses = await Promise.all(
    rows.map(async (u) => {
      const parsed = parseRowUpdate(u);
      return parsed.ok ? rowStatus(parsed.method, await containers.updateRow(ref, parsed.row)) : parsed.status;
    }),
  );
  if (statuses.some((s) => s === 201 || s === 204)) x.reporter.changed(ref);
  sendJson(res, 200, { statuses });
}
