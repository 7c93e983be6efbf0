/**
 * Object GET and HEAD: the first replica that answers well serves the request.
 *
 * - Replicas are tried in ring order (primaries, then handoffs); 404, 5xx and silence move on.
 *   Ranges and conditions are passed through, so 206/304/412/416 come from the replica.
 *   With `X-Newest: true` every primary is asked and the newest version answers.
 * - A whole-object GET is checked while streaming (object-checksum.ts: MD5 and length, the
 *   last chunk held back until they match), so no client receives bad bytes as a good body.
 * - If the replica fails mid-body, the rest is fetched from the next replica with
 *   `Range: bytes=<sent>-` and `If-Match: <etag>` (the same version only), so the client sees
 *   one uninterrupted body.
 */
import { pipeline, Readable } from 'node:stream';
import type { RingDevice } from '../../ring';
import type { ProxyContext } from '../app/context';
import { textResponse } from '../app/responses';
import type { ProxyRequest, ProxyResponse } from '../app/types';
import { firstAcceptable, newestAcceptable, readOrder } from '../backend/node-calls';
import { backendHeader, type BackendRequest, type BackendResponse } from '../backend/storage-client';
import { ChecksumGuard } from './object-checksum';
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
  const source = Readable.from(resumingBody({ ctx, first: res, remaining, total: length, etag, transId: req.transId, build }), { objectMode: false });
  const guard = new ChecksumGuard(etag, length);
  pipeline(source, guard, (err) => {
    if (err && err.name !== 'AbortError' && (err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') {
      ctx.logger.warn('object body failed mid-stream', { txId: req.transId, error: err.message });
    }
  });
  return { status: 200, headers, body: guard };
}

interface ResumeOptions {
  ctx: ProxyContext;
  first: BackendResponse;
  remaining: Iterator<RingDevice>;
  total: number;
  etag: string;
  transId: string;
  /** A request for the object on a node; `headers` replace the client's range/conditions. */
  build: (node: RingDevice, headers?: Record<string, string>) => BackendRequest;
}

/** The object's bytes, continuing on another replica (same ETag) when one fails mid-body. */
async function* resumingBody(o: ResumeOptions): AsyncGenerator<Buffer, void, undefined> {
  let current: BackendResponse | undefined = o.first;
  let sent = 0;
  try {
    for (;;) {
      let failure: unknown;
      try {
        for await (const chunk of current.body) {
          sent += (chunk as Buffer).length;
          yield chunk as Buffer;
        }
        if (current.body.complete || sent === o.total) return;
        failure = new Error('response cut short');
      } catch (err) {
        failure = err;
      }
      current.abort();
      o.ctx.logger.warn('object replica failed mid-body; resuming on the next', { txId: o.transId, node: `${current.node.ip}:${current.node.port}/${current.node.device}`, sent, error: String(failure) });
      current = await resumeFrom(o, sent);
      if (!current) throw failure instanceof Error ? failure : new Error(String(failure));
    }
  } finally {
    if (current && !current.body.complete) current.abort();
  }
}

async function resumeFrom(o: ResumeOptions, offset: number): Promise<BackendResponse | undefined> {
  for (let n = o.remaining.next(); !n.done; n = o.remaining.next()) {
    try {
      const res = await o.ctx.client.send(o.build(n.value, { range: `bytes=${offset}-`, 'if-match': `"${o.etag}"` }));
      const range = backendHeader(res.headers, 'content-range');
      if (res.status === 206 && range === `bytes ${offset}-${o.total - 1}/${o.total}`) return res;
      res.abort();
    } catch {
      // try the next replica
    }
  }
  return undefined;
}
