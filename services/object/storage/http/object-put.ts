/**
 * PUT /<device>/<partition>/<account>/<container>/<object>: store a new version.
 *
 * Checks that need no body come first (timestamp, content type, metadata limits, size, an
 * already newer version on disk), before `100 Continue` is sent, so a refused upload costs the
 * client no bytes. The body is then streamed to a temp file; only a complete body whose length
 * and MD5 match what the client announced is committed. The proxy may send the body chunked with
 * `X-Backend-Digest-Trailer: crc32` and `X-Backend-Obj-Content-Length`, then its MD5 and CRC-32
 * in trailers: the server then computes only the CRC-32 (object-writer.ts trustSenderDigest).
 * A client that goes away mid-body leaves nothing behind (499 in the log; there is nobody left
 * to answer).
 */
import { metadataProblem } from '../../common/metadata-limits';
import { storedHeadersFrom } from '../../common/object-headers';
import { StorageError } from '../diskfile/storage-error';
import type { ObjectWriter, SenderDigest } from '../diskfile/object-writer';
import type { IncomingMessage } from 'node:http';
import { containerTargetFrom, withUpdateOverrides } from './container-update';
import { currentExpiry, requestDeleteAt } from './delete-at';
import type { HandlerContext, ObjectHandler } from './handler-context';
import { CLIENT_DISCONNECT, HttpError } from './http-error';
import { announcedEtag, contentLength, isChunked, requireTimestamp, singleHeader } from './request-headers';
import { sendStatus } from './respond';

export const handlePut: ObjectHandler = async (ctx, ref) => {
  const { req } = ctx;
  const timestamp = requireTimestamp(req);
  const contentType = singleHeader(req, 'content-type');
  if (!contentType) throw new HttpError(400, 'No content type');
  const stored = storedHeadersFrom(req.headers);
  const metaProblem = metadataProblem(stored.replaceable);
  if (metaProblem) throw new HttpError(400, metaProblem);
  const digestTrailer = singleHeader(req, 'x-backend-digest-trailer') === 'crc32';
  // A body whose digest follows it in trailers is chunked; its length comes in a header.
  const expectedLength = contentLength(req) ?? contentLength(req, 'X-Backend-Obj-Content-Length');
  if (expectedLength === undefined && !isChunked(req)) throw new HttpError(411, 'Content-Length or chunked transfer encoding required');
  if (expectedLength !== undefined && expectedLength > ctx.maxObjectSize) throw new HttpError(413, `object larger than ${ctx.maxObjectSize} bytes`);
  const target = containerTargetFrom(req);
  const deleteAt = requestDeleteAt(req, ctx.now());

  const file = ctx.store.object(ref);
  // Early refusal only saves the upload; the authoritative check runs again at commit.
  const { winner } = await file.state();
  if (winner && !timestamp.isNewerThan(winner.timestamp)) {
    throw new StorageError('CONFLICT', `${timestamp.internal} is not newer than ${winner.timestamp.internal}`, winner.timestamp);
  }
  // An overwritten version's expiry entry goes once this one is in (reading it costs an open,
  // so only when there is a version to replace).
  const previousDeleteAt = winner?.kind === 'data' ? (await currentExpiry(file, ctx.now())).deleteAt : undefined;
  if (ctx.expectContinue) ctx.res.writeContinue();
  // Indexed before the object exists: the index may hold more than the disk, never less.
  if (deleteAt !== undefined) await ctx.expiring.add(ref.device, file.hash, { account: ref.account, container: ref.container, object: ref.object, partition: ref.partition, deleteAt });

  const writer = await file.create(timestamp);
  if (digestTrailer) writer.trustSenderDigest();
  let meta;
  try {
    await receiveBody(ctx, writer);
    meta = await writer.commit({
      contentType,
      headers: { ...stored.replaceable, ...stored.sys },
      expectedLength,
      expectedEtag: announcedEtag(req),
      senderDigest: digestTrailer ? senderDigest(req) : undefined,
    });
  } catch (err) {
    await writer.abort();
    if (!(err instanceof StorageError && err.code === 'CONFLICT')) ctx.stats.uploadsAborted++;
    throw err;
  }
  ctx.log.bytes = meta.contentLength;
  // Committed: the container hears of it before the client does (or it is queued for the updater).
  if (target) {
    const update = { 'X-Timestamp': timestamp.internal, 'X-Size': String(meta.contentLength), 'X-Etag': meta.etag, 'X-Content-Type': meta.contentType };
    ctx.log.containerUpdate = await ctx.updater.update(ref, target, 'PUT', withUpdateOverrides(update, req.headers), ctx.transId);
  }
  if (previousDeleteAt !== undefined && previousDeleteAt !== deleteAt) await ctx.expiring.remove(ref.device, previousDeleteAt, file.hash).catch(() => false);
  sendStatus(ctx.res, 201, '', { ETag: `"${meta.etag}"`, 'X-Backend-Timestamp': timestamp.internal });
};

async function receiveBody(ctx: HandlerContext, writer: ObjectWriter): Promise<void> {
  const { req } = ctx;
  try {
    for await (const chunk of req) {
      const buf = chunk as Buffer;
      if (writer.bytesWritten + buf.length > ctx.maxObjectSize) throw new HttpError(413, `object larger than ${ctx.maxObjectSize} bytes`);
      ctx.stats.bytesReceived += buf.length;
      await writer.write(buf);
    }
  } catch (err) {
    if (err instanceof HttpError || err instanceof StorageError) throw err;
    throw new HttpError(CLIENT_DISCONNECT, 'client disconnected mid-body');
  }
  // An aborted request may end the stream without an error; `complete` tells the difference.
  if (!req.complete) throw new HttpError(CLIENT_DISCONNECT, 'client disconnected mid-body');
}

/** The proxy's digest of the body, from the trailers (read once the body ended). */
function senderDigest(req: IncomingMessage): SenderDigest | undefined {
  const etag = req.trailers['x-backend-obj-etag']?.trim().toLowerCase();
  const crc = req.trailers['x-backend-obj-crc32']?.trim();
  if (etag === undefined || crc === undefined || !/^[0-9a-f]{1,8}$/i.test(crc)) return undefined;
  return { etag, crc32: parseInt(crc, 16) };
}
