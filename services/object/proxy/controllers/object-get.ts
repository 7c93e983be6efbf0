/**
 * Object GET and HEAD: the first replica that answers well serves the request.
 *
 * - Replicas are tried in ring order (primaries, then handoffs); 404, 5xx and silence move on.
 *   Ranges and conditions are passed through, so 206/304/412/416 come from the replica.
 *   With `X-Newest: true` every primary is asked and the newest version answers.
 * - A whole-object GET's bytes are verified by the storage server that reads them (MD5, last
 *   chunk held back until it matches), so no client receives bad bytes as a good body.
 * - If the replica fails mid-body, the body continues from the next replica (same version,
 *   If-Match), checked at the seam (replica-body.ts), so the client sees one uninterrupted body.
 *   Small bodies (SMALL_BODY_BYTES) are read whole first and sent as one Buffer (small-body.ts).
 */
import type { RingDevice } from '../../ring';
import type { ProxyContext } from '../app/context';
import { textResponse } from '../app/responses';
import type { ProxyRequest, ProxyResponse } from '../app/types';
import { firstAcceptable, newestAcceptable, readOrder } from '../backend/node-calls';
import { backendHeader, type BackendRequest, type BackendResponse } from '../backend/storage-client';
import { readSmallBody, SMALL_BODY_BYTES } from './small-body';
import { ReplicaBody } from './replica-body';
import { lookupContainer } from './object-container';
import type { ObjectNames } from './object-names';
import { backendReadHeaders, clientObjectHeaders, unquoteEtag } from './object-rules';

/** Statuses a replica answers with that end the search (anything else: try the next replica). */
export function isFinalReadStatus(status: number): boolean {
  return (status >= 200 && status < 300) || status === 304 || status === 412 || status === 416;
}

export async function getObject(ctx: ProxyContext, req: ProxyRequest, names: ObjectNames): Promise<ProxyResponse> {
  if (req.authorize) {
    // Only callers allowed to see the container learn whether it exists.
    const info = await lookupContainer(ctx, names.account, names.container, req.transId);
    const denied = req.authorize(req, info.exists ? { containerAcl: info.acl } : {});
    if (denied) return denied;
    if (!info.exists) return textResponse(404);
  }
  const head = req.method === 'HEAD';
  const plan = ctx.rings.objectNodes(names.account, names.container, names.object);
  const readHeaders = backendReadHeaders(req.headers);
  const build = (node: RingDevice, headers: Record<string, string> = readHeaders): BackendRequest => ({
    node,
    partition: plan.partition,
    method: head ? 'HEAD' : 'GET',
    account: names.account,
    container: names.container,
    object: names.object,
    headers,
    transId: req.transId,
  });
  const tried = new Set<RingDevice>();
  const wantNewest = /^(true|1|yes|on)$/i.test(req.headers['x-newest'] ?? '');
  const found = await (wantNewest ? newestAcceptable : firstAcceptable)(
    ctx.client,
    plan,
    (node) => {
      tried.add(node);
      return build(node);
    },
    isFinalReadStatus,
  );
  const res = found.response;
  if (!res) {
    const notFound = found.others.some((o) => o.reply?.status === 404);
    if (!notFound) ctx.logger.warn('object read: no replica answered', { txId: req.transId, errors: found.others.map((o) => o.error?.code ?? o.reply?.status) });
    return textResponse(notFound ? 404 : 503);
  }
  const headers = clientObjectHeaders(res.headers);
  if (head || res.status === 304 || res.status === 412 || res.status === 416 || res.status === 204) {
    if (head || res.status === 304) res.body.resume();
    return head || res.status === 304 ? { status: res.status, headers } : { status: res.status, headers, body: res.body };
  }
  const etag = unquoteEtag(backendHeader(res.headers, 'etag'));
  const lengthText = backendHeader(res.headers, 'content-length');
  const length = lengthText !== undefined && /^\d+$/.test(lengthText) ? Number(lengthText) : undefined;
  if (res.status !== 200 || etag === undefined || length === undefined || !/^[0-9a-f]{32}$/.test(etag)) {
    return { status: res.status, headers, body: res.body };
  }
  const remaining = (function* () {
    for (const node of readOrder(plan)) if (!tried.has(node)) yield node;
  })();
  if (length <= SMALL_BODY_BYTES) {
    const small = await readSmallBody(res, length, () => continuation(ctx, remaining, length, etag, build), (failed, error) =>
      ctx.logger.warn('object replica failed mid-body; reading the next', { txId: req.transId, node: `${failed.node.ip}:${failed.node.port}/${failed.node.device}`, error: error.message }),
    );
    if (small) return { status: 200, headers, body: small };
    ctx.logger.warn('object body could not be read from any replica', { txId: req.transId });
    return textResponse(503);
  }
  const body = new ReplicaBody(res, length, () => continuation(ctx, remaining, length, etag, build), {
    onReplicaFailed: (failed, sent, error) =>
      ctx.logger.warn('object replica failed mid-body; resuming on the next', { txId: req.transId, node: `${failed.node.ip}:${failed.node.port}/${failed.node.device}`, sent, error: error.message }),
    onGaveUp: (sent, error) => ctx.logger.warn('object body failed mid-stream; the client gets a short body', { txId: req.transId, sent, error: error.message }),
  });
  return { status: 200, headers, body };
}

/**
 * The whole body of the same version (If-Match) from the next replica that has it: a whole read,
 * so that replica verifies every byte (replica-body.ts says why not a Range).
 */
async function continuation(
  ctx: ProxyContext,
  remaining: Iterator<RingDevice>,
  total: number,
  etag: string,
  build: (node: RingDevice, headers?: Record<string, string>) => BackendRequest,
): Promise<BackendResponse | undefined> {
  for (let n = remaining.next(); !n.done; n = remaining.next()) {
    try {
      const res = await ctx.client.send(build(n.value, { 'if-match': `"${etag}"` }));
      if (res.status === 200 && backendHeader(res.headers, 'content-length') === String(total)) return res;
      res.abort();
    } catch {
      // try the next replica
    }
  }
  return undefined;
}
