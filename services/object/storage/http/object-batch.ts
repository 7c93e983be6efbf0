/**
 * POST /<device> with `X-Backend-Storage-Layer: object-batch`: several small object PUTs in one
 * exchange (common/object-batch.ts has the format and says why). Every entry is stored exactly
 * as a single PUT would store it (object-put.ts storeObject: same checks, same container update,
 * same statuses); entries run concurrently and independently, and the answer lists each entry's
 * status, headers and message in order. A malformed batch is 400 and stores nothing.
 */
import type { Logger } from '../../../runtime/log';
import { decodeBatch, encodeReplies, OBJECT_BATCH_MAX_BYTES, type BatchPut, type BatchReply } from '../../common/object-batch';
import { errorResponse } from './error-response';
import type { HandlerContext } from './handler-context';
import { HttpError } from './http-error';
import { storeObject, type PutEnv } from './object-put';
import { readBody } from './request-body';
import { contentLength } from './request-headers';
import { sendJsonText } from './respond';

export async function handleObjectBatch(ctx: HandlerContext, device: string, logger: Logger): Promise<void> {
  const { req, res } = ctx;
  if (req.method !== 'POST') throw new HttpError(405, 'Method Not Allowed', { Allow: 'POST' });
  const announced = contentLength(req);
  if (announced !== undefined && announced > OBJECT_BATCH_MAX_BYTES) throw new HttpError(413, `body larger than ${OBJECT_BATCH_MAX_BYTES} bytes`);
  const entries = decodeBatch(await readBody(req, OBJECT_BATCH_MAX_BYTES));
  if (typeof entries === 'string') throw new HttpError(400, entries);
  ctx.log.entries = entries.length;
  // The client requests' transaction ids, so a request can be followed into a batch.
  ctx.log.txIds = entries.map((e) => e.headers['x-trans-id'] ?? '').join(',');
  const replies = await Promise.all(entries.map((e) => storeEntry(ctx, device, e, logger)));
  ctx.log.statuses = replies.map((r) => r.status).join(',');
  sendJsonText(res, 200, encodeReplies(replies));
}

async function storeEntry(ctx: HandlerContext, device: string, e: BatchPut, logger: Logger): Promise<BatchReply> {
  // Each entry has its own log fields (the batch's log line has the statuses) and its client
  // request's transaction id, which its container update carries on.
  const env: PutEnv = { ...ctx, log: {}, transId: e.headers['x-trans-id']?.slice(0, 128) || ctx.transId };
  let reply: BatchReply;
  try {
    const headers = await storeObject(env, { device, partition: e.partition, account: e.account, container: e.container, object: e.object }, { headers: e.headers, body: e.body }, () => undefined);
    reply = { status: 201, headers };
  } catch (err) {
    const r = errorResponse(err, env.transId);
    if (r.unexpected) logger.error('batch entry failed', { txId: env.transId, object: `/${e.account}/${e.container}/${e.object}`, error: err });
    reply = { status: r.status, headers: r.headers, message: r.message };
  }
  ctx.stats.countRequest('PUT', reply.status);
  return reply;
}
