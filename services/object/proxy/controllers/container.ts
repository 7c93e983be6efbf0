/**
 * Container requests (Swift's ContainerController): PUT creates (and auto-creates the account),
 * POST changes metadata, DELETE removes an empty container, HEAD/GET show counts and metadata,
 * GET lists the objects in plain text, JSON or XML.
 *
 * Order of work, for every method: names are checked; the container's info is read (cached) so
 * authorize() sees its ACL (a caller who may not see the container gets 401/403, never a 404
 * that tells it apart from a missing one); then the request goes to the replicas. Every change
 * carries one X-Timestamp to all replicas and needs a quorum; this proxy's info cache for the
 * container and its account is invalidated after each change.
 */
import type { ProxyContext } from '../app/context';
import { plainResponse, textResponse } from '../app/responses';
import type { ProxyRequest, ProxyResponse } from '../app/types';
import { isOwner } from '../auth/authorize';
import { accountNameProblem, containerNameProblem, MAX_CONTAINER_NAME_LENGTH, MAX_OBJECT_NAME_LENGTH } from '../../common/names';
import { Timestamp } from '../../common/timestamp';
import { containerListingJson, listingContentType, renderListing, type ListingContentType } from '../listing-format';
import { ListingQueryError, parseListingQuery } from '../listing-query';
import { createAccount } from './account-create';
import { getAccountInfo, getContainerInfo, invalidateAccountInfo, invalidateContainerInfo, rememberContainerInfo, containerInfoFromHeaders } from './container-info';
import { readContainerListing } from './container-listing';
import { requestMetadata, responseHeaders } from './container-metadata';
import { accountUpdateHeaders, readReplicas, ReplicaClientError, writeReplicas } from './container-replicas';

export const CONTAINER_METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'];

/** Account and container name checks (Swift: 400 for a container name too long, 412 otherwise). */
function nameRefusal(account: string, container: string): ProxyResponse | undefined {
  const a = accountNameProblem(account);
  if (a) return plainResponse(412, a);
  const bytes = Buffer.byteLength(container, 'utf8');
  if (bytes > MAX_CONTAINER_NAME_LENGTH) return plainResponse(400, `Container name length of ${bytes} longer than ${MAX_CONTAINER_NAME_LENGTH}`);
  const c = containerNameProblem(container);
  if (c) return plainResponse(412, c);
  return undefined;
}

/** ACLs are shown to the account's owners only (Swift's swift_owner); everyone when auth is off. */
export function showsAcl(ctx: ProxyContext, req: ProxyRequest): boolean {
  return req.authorize === undefined || isOwner(req.caller, req.account, ctx.config.auth);
}

export async function handleContainer(ctx: ProxyContext, req: ProxyRequest): Promise<ProxyResponse> {
  const container = req.container!;
  const refusal = nameRefusal(req.account, container);
  if (refusal) return refusal;
  if (!CONTAINER_METHODS.includes(req.method)) return textResponse(405, undefined, { Allow: CONTAINER_METHODS.join(', ') });

  // Changes read fresh info: a cached "not found" from before another proxy created the
  // container must not turn its POST or DELETE into a 404.
  if (req.method !== 'GET' && req.method !== 'HEAD') invalidateContainerInfo(ctx, req.account, container);
  const info = await getContainerInfo(ctx, req.account, container, req.transId);
  const denied = req.authorize?.(req, { containerAcl: info.exists ? info.acl : undefined });
  if (denied) return denied;

  switch (req.method) {
    case 'PUT':
      return putContainer(ctx, req, container);
    case 'POST':
      return info.exists ? postContainer(ctx, req, container) : textResponse(404);
    case 'DELETE':
      return info.exists ? deleteContainer(ctx, req, container) : textResponse(404);
    default:
      return showContainer(ctx, req, container);
  }
}

async function putContainer(ctx: ProxyContext, req: ProxyRequest, container: string): Promise<ProxyResponse> {
  const meta = requestMetadata('container', req.headers, { allowSysmeta: req.source !== 'client' });
  if (!meta.ok) return plainResponse(400, meta.message);

  const account = await getAccountInfo(ctx, req.account, req.transId);
  if (!account.exists) {
    if (account.deleted) return textResponse(404, 'The account was deleted');
    const created = await createAccount(ctx, req.account, req.transId);
    if (created < 200 || created >= 300) return textResponse(created === 503 ? 503 : 404);
  }

  const timestamp = Timestamp.now(ctx.clock).normal;
  const r = await writeReplicas(ctx, {
    layer: 'container',
    method: 'PUT',
    account: req.account,
    container,
    headers: (i) => ({ ...meta.headers, 'X-Timestamp': timestamp, ...accountUpdateHeaders(ctx, req.account, i) }),
    transId: req.transId,
  });
  invalidateContainerInfo(ctx, req.account, container);
  invalidateAccountInfo(ctx, req.account);
  if (r.status === 201 || r.status === 202) return textResponse(r.status);
  if (r.status === 409) return textResponse(409, 'The container was deleted by a newer request');
  return textResponse(r.status >= 500 ? 503 : r.status);
}

async function postContainer(ctx: ProxyContext, req: ProxyRequest, container: string): Promise<ProxyResponse> {
  const meta = requestMetadata('container', req.headers, { allowSysmeta: req.source !== 'client' });
  if (!meta.ok) return plainResponse(400, meta.message);
  const timestamp = Timestamp.now(ctx.clock).normal;
  const r = await writeReplicas(ctx, { layer: 'container', method: 'POST', account: req.account, container, headers: () => ({ ...meta.headers, 'X-Timestamp': timestamp }), transId: req.transId });
  invalidateContainerInfo(ctx, req.account, container);
  if (r.status >= 200 && r.status < 300) return textResponse(204);
  return textResponse(r.status >= 500 ? 503 : r.status);
}

async function deleteContainer(ctx: ProxyContext, req: ProxyRequest, container: string): Promise<ProxyResponse> {
  const timestamp = Timestamp.now(ctx.clock).normal;
  const r = await writeReplicas(ctx, {
    layer: 'container',
    method: 'DELETE',
    account: req.account,
    container,
    headers: (i) => ({ 'X-Timestamp': timestamp, ...accountUpdateHeaders(ctx, req.account, i) }),
    transId: req.transId,
  });
  invalidateContainerInfo(ctx, req.account, container);
  invalidateAccountInfo(ctx, req.account);
  if (r.status >= 200 && r.status < 300) return textResponse(204);
  if (r.status === 409) return textResponse(409, 'There was a conflict when trying to complete your request.');
  return textResponse(r.status >= 500 ? 503 : r.status);
}

async function showContainer(ctx: ProxyContext, req: ProxyRequest, container: string): Promise<ProxyResponse> {
  const contentType = listingContentType(req.query.get('format'), req.headers['accept']);
  if (contentType === undefined) return textResponse(406);
  if (req.method === 'HEAD') {
    const read = await readReplicas(ctx, { layer: 'container', method: 'HEAD', account: req.account, container, transId: req.transId });
    if (!read.found) {
      rememberContainerInfo(ctx, req.account, container, containerInfoFromHeaders(404, {}));
      return textResponse(404);
    }
    rememberContainerInfo(ctx, req.account, container, containerInfoFromHeaders(read.status, read.headers));
    return { status: 204, headers: { ...responseHeaders('container', read.headers, { showAcl: showsAcl(ctx, req) }), 'Content-Type': `${contentType}; charset=utf-8`, 'Content-Length': 0 } };
  }
  return listContainer(ctx, req, container, contentType);
}

async function listContainer(ctx: ProxyContext, req: ProxyRequest, container: string, contentType: ListingContentType): Promise<ProxyResponse> {
  let query;
  try {
    query = parseListingQuery(req.query, { maxLimit: ctx.config.containerListingLimit, maxNameBytes: MAX_OBJECT_NAME_LENGTH, allowPath: true });
  } catch (err) {
    if (err instanceof ListingQueryError) return plainResponse(err.status, err.message);
    throw err;
  }
  let read;
  try {
    read = await readContainerListing(ctx, { account: req.account, container, query, transId: req.transId });
  } catch (err) {
    if (err instanceof ReplicaClientError) return plainResponse(err.status, err.message);
    throw err;
  }
  if (!read.found) {
    invalidateContainerInfo(ctx, req.account, container);
    return textResponse(404);
  }
  rememberContainerInfo(ctx, req.account, container, containerInfoFromHeaders(200, read.headers));
  // JSON is what the replicas speak: pass their bytes on rather than re-encode 10,000 entries.
  const rendered =
    contentType === 'application/json' && read.json
      ? { status: 200 as const, contentType: `${contentType}; charset=utf-8`, body: containerListingJson(read.json) }
      : renderListing({ kind: 'container', name: container, contentType, items: read.items() });
  return {
    status: rendered.status,
    headers: { ...responseHeaders('container', read.headers, { showAcl: showsAcl(ctx, req) }), 'Content-Type': rendered.contentType, 'Content-Length': rendered.body.length },
    body: rendered.status === 204 ? undefined : rendered.body,
  };
}
