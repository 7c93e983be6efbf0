/**
 * Account requests (Swift's AccountController): HEAD/GET show the counts and metadata, GET lists
 * the containers (plain, JSON, XML); POST changes metadata; PUT and DELETE create and delete
 * whole accounts (authorize() lets only reseller admins do that).
 *
 * authorize() runs first, before anything is read: an account's existence is only for those who
 * may see it. A missing account that the caller may access answers as an empty one (Swift's
 * account_autocreate: projects need no provisioning); it is really created by its first
 * container PUT or POST. A deleted account answers 410 Gone, and its PUT 403 "Recently deleted"
 * (Swift's), until the reaper has emptied it and, past the reclaim age, had its record
 * reclaimed; then it can be created again.
 */
import type { ProxyContext } from '../app/context';
import { plainResponse, textResponse } from '../app/responses';
import type { ProxyRequest, ProxyResponse } from '../app/types';
import { accountNameProblem, MAX_CONTAINER_NAME_LENGTH } from '../../common/names';
import { Timestamp } from '../../common/timestamp';
import { listingContentType, renderListing, type ContainerListingItem, type SubdirItem } from '../listing-format';
import { ListingQueryError, parseListingQuery, storageListingQuery } from '../listing-query';
import { createAccount } from './account-create';
import { accountInfoFromHeaders, getAccountInfo, invalidateAccountInfo, rememberAccountInfo } from './container-info';
import { requestMetadata, responseHeaders } from './container-metadata';
import { parseListingBody, readReplicas, ReplicaClientError, writeReplicas } from './container-replicas';

export const ACCOUNT_METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'];

export async function handleAccount(ctx: ProxyContext, req: ProxyRequest): Promise<ProxyResponse> {
  const problem = accountNameProblem(req.account);
  if (problem) return plainResponse(412, problem);
  if (!ACCOUNT_METHODS.includes(req.method)) return textResponse(405, undefined, { Allow: ACCOUNT_METHODS.join(', ') });
  const denied = req.authorize?.(req, {});
  if (denied) return denied;
  switch (req.method) {
    case 'PUT':
      return putAccount(ctx, req);
    case 'POST':
      return postAccount(ctx, req);
    case 'DELETE':
      return deleteAccount(ctx, req);
    default:
      return showAccount(ctx, req);
  }
}

async function putAccount(ctx: ProxyContext, req: ProxyRequest): Promise<ProxyResponse> {
  const meta = requestMetadata('account', req.headers, { allowSysmeta: req.source !== 'client' });
  if (!meta.ok) return plainResponse(400, meta.message);
  const status = await createAccount(ctx, req.account, req.transId, meta.headers);
  if (status === 201 || status === 202) return textResponse(status);
  if (status === 403) return plainResponse(403, 'Recently deleted');
  if (status === 409) return textResponse(409, 'The account was deleted by a newer request');
  return textResponse(status >= 500 ? 503 : status);
}

async function postAccount(ctx: ProxyContext, req: ProxyRequest): Promise<ProxyResponse> {
  const meta = requestMetadata('account', req.headers, { allowSysmeta: req.source !== 'client' });
  if (!meta.ok) return plainResponse(400, meta.message);
  const timestamp = Timestamp.now(ctx.clock).normal;
  const r = await writeReplicas(ctx, { layer: 'account', method: 'POST', account: req.account, headers: () => ({ ...meta.headers, 'X-Timestamp': timestamp }), transId: req.transId });
  invalidateAccountInfo(ctx, req.account);
  if (r.status >= 200 && r.status < 300) return textResponse(204);
  if (r.status === 404) {
    // Auto-create with the metadata, but never bring back a deleted account (the replicas would
    // accept a newer PUT): it stays deleted until the reaper is done, as in Swift.
    if ((await getAccountInfo(ctx, req.account, req.transId)).deleted) return textResponse(404, 'The account was deleted');
    const created = await createAccount(ctx, req.account, req.transId, meta.headers);
    if (created >= 200 && created < 300) return textResponse(204);
    // 403: recently deleted (the replicas refuse to recreate it), as the check above.
    return textResponse(created === 409 || created === 403 ? 404 : created >= 500 ? 503 : created);
  }
  return textResponse(r.status >= 500 ? 503 : r.status);
}

async function deleteAccount(ctx: ProxyContext, req: ProxyRequest): Promise<ProxyResponse> {
  const timestamp = Timestamp.now(ctx.clock).normal;
  const r = await writeReplicas(ctx, { layer: 'account', method: 'DELETE', account: req.account, headers: () => ({ 'X-Timestamp': timestamp }), transId: req.transId });
  invalidateAccountInfo(ctx, req.account);
  // Its containers' cached info would let objects be written into a deleted account.
  ctx.infoCache.deletePrefix(`c\u0000${req.account}\u0000`);
  if (r.status >= 200 && r.status < 300) return textResponse(204);
  return textResponse(r.status >= 500 ? 503 : r.status);
}

async function showAccount(ctx: ProxyContext, req: ProxyRequest): Promise<ProxyResponse> {
  const contentType = listingContentType(req.query.get('format'), req.headers['accept']);
  if (contentType === undefined) return textResponse(406);
  let storageQuery: URLSearchParams | undefined;
  if (req.method === 'GET') {
    try {
      const q = parseListingQuery(req.query, { maxLimit: ctx.config.containerListingLimit, maxNameBytes: MAX_CONTAINER_NAME_LENGTH, allowPath: false });
      storageQuery = new URLSearchParams(storageListingQuery(q));
    } catch (err) {
      if (err instanceof ListingQueryError) return plainResponse(err.status, err.message);
      throw err;
    }
  }
  let read;
  try {
    read = await readReplicas(ctx, { layer: 'account', method: req.method === 'HEAD' ? 'HEAD' : 'GET', account: req.account, query: storageQuery, transId: req.transId });
  } catch (err) {
    if (err instanceof ReplicaClientError) return plainResponse(err.status, err.message);
    throw err;
  }
  let headers: Record<string, string>;
  let items: Array<ContainerListingItem | SubdirItem> = [];
  if (read.found) {
    rememberAccountInfo(ctx, req.account, accountInfoFromHeaders(read.status, read.headers));
    headers = responseHeaders('account', read.headers, { showAcl: false });
    // JSON is what the replicas speak: pass their bytes on as they are.
    if (req.method === 'GET' && contentType === 'application/json') {
      return { status: 200, headers: { ...headers, 'Content-Type': `${contentType}; charset=utf-8`, 'Content-Length': read.body.length }, body: read.body };
    }
    if (req.method === 'GET') items = parseListingBody<ContainerListingItem | SubdirItem>(read.body);
  } else {
    const info = rememberAccountInfo(ctx, req.account, accountInfoFromHeaders(404, read.headers));
    if (info.deleted) return textResponse(410, 'The account was deleted');
    headers = emptyAccountHeaders(ctx);
  }
  if (req.method === 'HEAD') return { status: 204, headers: { ...headers, 'Content-Type': `${contentType}; charset=utf-8`, 'Content-Length': 0 } };
  const rendered = renderListing({ kind: 'account', name: req.account, contentType, items });
  return {
    status: rendered.status,
    headers: { ...headers, 'Content-Type': rendered.contentType, 'Content-Length': rendered.body.length },
    body: rendered.status === 204 ? undefined : rendered.body,
  };
}

/** What an account that does not exist yet looks like (Swift's account_listing_response). */
function emptyAccountHeaders(ctx: ProxyContext): Record<string, string> {
  const now = Timestamp.now(ctx.clock).normal;
  return {
    'X-Account-Container-Count': '0',
    'X-Account-Object-Count': '0',
    'X-Account-Bytes-Used': '0',
    'X-Timestamp': now,
    'X-Put-Timestamp': now,
    'Accept-Ranges': 'bytes',
  };
}
