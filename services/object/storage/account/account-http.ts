/**
 * The account layer over HTTP (Swift's account server), with `X-Backend-Storage-Layer: account`:
 *
 * - `/<device>/<partition>/<account>`: PUT (create; X-Timestamp; X-Account-Meta-*,
 *   X-Account-Sysmeta-*), HEAD and GET (X-Account-Container-Count, -Object-Count, -Bytes-Used,
 *   metadata; GET lists the containers as JSON `{name, count, bytes, last_modified}` and
 *   `{subdir}` with the container listing's parameters), POST (metadata), DELETE (marks the
 *   account deleted whatever it holds; the reaper removes its data later). A PUT of a deleted
 *   account is 403 "Recently deleted" (Swift's), until the reaper has the record reclaimed:
 *   DELETE with `X-Backend-Reclaim-Before: <timestamp>` (account-reclaim.ts) removes a deleted
 *   record whose DELETE is older than that timestamp and which holds no live container (204;
 *   404 when there is no record; 409 with `X-Backend-Reclaim-Refused: live | too_recent |
 *   not_empty` otherwise); `X-Backend-Reclaim-Dry-Run: true` only checks (204 = would reclaim).
 * - `/<device>/<partition>/<account>/<container>`: a container server's report, PUT with
 *   X-Put-Timestamp, X-Delete-Timestamp, X-Object-Count, X-Bytes-Used. 201 applied, 202 stale,
 *   404 without a live account (a deleted account takes reports that delete a container).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { metadataProblem } from '../../common/metadata-limits';
import { USER_META_PREFIX, titleCaseHeader } from '../../common/object-headers';
import { Timestamp } from '../../common/timestamp';
import { listingDate, listingParams } from '../container/container-http';
import type { ListingEntry } from '../container/listing';
import { liveMetadata } from '../container/rows';
import { HttpError } from '../http/http-error';
import { requireTimestamp, singleHeader } from '../http/request-headers';
import { sendRecord, sendStatus, type Headers } from '../http/respond';
import { accountDeleted, type AccountRecord, type AccountRef, type AccountStore, type ContainerRow } from './account-store';

export const ACCOUNT_META_PREFIX = 'x-account-meta-';
const SYSMETA_PREFIX = 'x-account-sysmeta-';
export const ACCOUNT_METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'];

export interface AccountExchange {
  req: IncomingMessage;
  res: ServerResponse;
  accounts: AccountStore;
}

export function accountMetadataFrom(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  const user: Record<string, string> = {};
  for (const [name, raw] of Object.entries(req.headers)) {
    if (raw === undefined) continue;
    const value = (Array.isArray(raw) ? raw.join(', ') : raw).trim();
    if (name.startsWith(ACCOUNT_META_PREFIX)) user[USER_META_PREFIX + name.slice(ACCOUNT_META_PREFIX.length)] = value;
    if (name.startsWith(ACCOUNT_META_PREFIX) || name.startsWith(SYSMETA_PREFIX)) out[name] = value;
  }
  const problem = metadataProblem(user);
  if (problem) throw new HttpError(400, problem);
  return out;
}

function recordHeaders(r: AccountRecord): Headers {
  const h: Headers = {
    'X-Account-Container-Count': r.containerCount,
    'X-Account-Object-Count': r.objectCount,
    'X-Account-Bytes-Used': r.bytesUsed,
    'X-Timestamp': r.created.slice(0, 16),
    'X-Put-Timestamp': r.putTimestamp.slice(0, 16),
    'X-Backend-Timestamp': r.created,
    'X-Backend-Put-Timestamp': r.putTimestamp,
    'X-Backend-Delete-Timestamp': r.deleteTimestamp || '0000000000.00000',
  };
  for (const [name, value] of Object.entries(liveMetadata(r.metadata))) h[titleCaseHeader(name)] = value;
  return h;
}

export function accountListingJson(entries: ListingEntry<ContainerRow>[]): string {
  return JSON.stringify(
    entries.map((e) => (e.kind === 'subdir' ? { subdir: e.subdir } : { name: e.row.name, count: e.row.object_count, bytes: e.row.bytes_used, last_modified: listingDate(e.row.put_timestamp) })),
  );
}

export async function handleAccount(x: AccountExchange, ref: AccountRef): Promise<void> {
  const { req, res, accounts } = x;
  switch (req.method) {
    case 'PUT': {
      const timestamp = requireTimestamp(req);
      const outcome = await accounts.putAccount(ref, timestamp, accountMetadataFrom(req), { refuseDeleted: true });
      if (outcome === 'recently_deleted') return sendRecentlyDeleted(x, ref);
      const status = outcome === 'created' ? 201 : outcome === 'accepted' ? 202 : 409;
      return sendStatus(res, status, status === 409 ? 'Conflict: the account was deleted later' : '', { 'X-Backend-Timestamp': timestamp.internal });
    }
    case 'POST': {
      const timestamp = requireTimestamp(req);
      const ok = await accounts.postAccount(ref, timestamp, accountMetadataFrom(req));
      return sendStatus(res, ok ? 204 : 404, ok ? '' : 'Not Found');
    }
    case 'DELETE': {
      const timestamp = requireTimestamp(req);
      const reclaimBefore = singleHeader(req, RECLAIM_BEFORE);
      if (reclaimBefore !== undefined) return reclaim(x, ref, timestamp, reclaimBefore);
      const outcome = await accounts.deleteAccount(ref, timestamp);
      if (outcome === 'deleted') return sendStatus(res, 204);
      if (outcome === 'not_found') return sendStatus(res, 404, 'Not Found');
      return sendStatus(res, 409, 'Conflict: the account was created later');
    }
    case 'HEAD':
    case 'GET': {
      const params = req.method === 'GET' ? listingParams(req.url ?? '') : undefined;
      const rec = await accounts.record(ref);
      if (!rec || accountDeleted(rec)) {
        const h: Headers = rec ? { 'X-Backend-Delete-Timestamp': rec.deleteTimestamp, 'X-Account-Status': 'Deleted' } : {};
        return sendStatus(res, 404, 'Not Found', h);
      }
      return sendRecord(res, recordHeaders(rec), params ? accountListingJson(await accounts.list(ref, params)) : undefined);
    }
    default:
      return sendStatus(res, 405, 'Method Not Allowed', { Allow: ACCOUNT_METHODS.join(', ') });
  }
}

const RECLAIM_BEFORE = 'x-backend-reclaim-before';
const RECLAIM_DRY_RUN = 'x-backend-reclaim-dry-run';

async function sendRecentlyDeleted(x: AccountExchange, ref: AccountRef): Promise<void> {
  const rec = await x.accounts.record(ref);
  const h: Headers = { 'X-Account-Status': 'Deleted' };
  if (rec?.deleteTimestamp) h['X-Backend-Delete-Timestamp'] = rec.deleteTimestamp;
  sendStatus(x.res, 403, 'Recently deleted', h);
}

async function reclaim(x: AccountExchange, ref: AccountRef, now: Timestamp, before: string): Promise<void> {
  const cutoff = Timestamp.tryParse(before.trim());
  if (!cutoff) throw new HttpError(400, `Invalid ${RECLAIM_BEFORE}`);
  const dryRun = (singleHeader(x.req, RECLAIM_DRY_RUN) ?? '').trim().toLowerCase() === 'true';
  const outcome = await x.accounts.reclaimAccount(ref, { cutoff, now, dryRun });
  if (outcome === 'reclaimed' || outcome === 'reclaim') return sendStatus(x.res, 204);
  if (outcome === 'not_found') return sendStatus(x.res, 404, 'Not Found');
  sendStatus(x.res, 409, `Conflict: not reclaimable (${outcome})`, { 'X-Backend-Reclaim-Refused': outcome });
}

function timestampHeader(req: IncomingMessage, name: string, required: boolean): string {
  const v = singleHeader(req, name)?.trim();
  if (v === undefined || v === '' || /^0+(\.0+)?$/.test(v)) {
    if (required) throw new HttpError(400, `Missing ${name} header`);
    return '';
  }
  try {
    return Timestamp.parse(v).internal;
  } catch {
    throw new HttpError(400, `Invalid ${name}`);
  }
}

function countHeader(req: IncomingMessage, name: string): number {
  const v = singleHeader(req, name)?.trim() ?? '0';
  if (!/^\d{1,16}$/.test(v)) throw new HttpError(400, `Invalid ${name}`);
  return Number(v);
}

export async function handleContainerRow(x: AccountExchange, ref: AccountRef, container: string): Promise<void> {
  const { req, res, accounts } = x;
  if (req.method !== 'PUT') return sendStatus(res, 405, 'Method Not Allowed', { Allow: 'PUT' });
  const row = {
    name: container,
    put_timestamp: timestampHeader(req, 'x-put-timestamp', true),
    delete_timestamp: timestampHeader(req, 'x-delete-timestamp', false),
    object_count: countHeader(req, 'x-object-count'),
    bytes_used: countHeader(req, 'x-bytes-used'),
  };
  const outcome = await accounts.updateContainerRow(ref, row);
  if (outcome === 'no_account') return sendStatus(res, 404, 'Not Found');
  sendStatus(res, outcome === 'stale' ? 202 : 201);
}
