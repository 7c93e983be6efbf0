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
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { ObjectRef } from '../diskfile/disk-file';
import { containerTargetFrom, withUpdateOverrides } from './container-update';
import { currentExpiry, requestDeleteAt } from './delete-at';
import type { HandlerContext, ObjectHandler } from './handler-context';
import { CLIENT_DISCONNECT, HttpError } from './http-error';
import { announcedEtag, contentLength, isChunked, requireTimestamp, singleHeader } from './request-headers';
import { sendStatus } from './respond';

/** What storing an object needs besides its request (a HandlerContext has it all). */
export type PutEnv = Omit<HandlerContext, 'req' | 'res' | 'expectContinue'>;

/**
 * A PUT's request: its headers, and its body either as it streams in (an HTTP request, whose
 * trailers may carry the proxy's digest) or already whole (an entry of a small-object batch,
 * common/object-batch.ts).
 */
export type PutRequest = { headers: IncomingHttpHeaders; stream: IncomingMessage } | { headers: IncomingHttpHeaders; body: Buffer };

export const handlePut: ObjectHandler = async (ctx, ref) => {
  const headers = await storeObject(ctx, ref, { headers: ctx.req.headers, stream: ctx.req }, () => {
    if (ctx.expectContinue) ctx.res.writeContinue();
  });
  sendStatus(ctx.res, 201, '', headers);
};

/**
 * Stores one PUT and returns the headers of its 201; a refusal is thrown (HttpError,
 * StorageError, TimestampError: error-response.ts maps them). `ready` is called once the checks
 * that need no body passed, right before the body is read (where a streamed PUT sends 100
 * Continue).
 */
export async function storeObject(env: PutEnv, ref: ObjectRef, req: PutRequest, ready: () => void): Promise<Record<string, string>> {
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
  if (expectedLength !== undefined && expectedLength > env.maxObjectSize) throw new HttpError(413, `object larger than ${env.maxObjectSize} bytes`);
  const target = containerTargetFrom(req);
  const deleteAt = requestDeleteAt(req, env.now());

  const file = env.store.object(ref);
  // Early refusal only saves the upload; the authoritative check runs again at commit.
  const { winner } = await file.state();
  if (winner && !timestamp.isNewerThan(winner.timestamp)) {
    throw new StorageError('CONFLICT', `${timestamp.internal} is not newer than ${winner.timestamp.internal}`, winner.timestamp);
  }
  // An overwritten version's expiry entry goes once this one is in (reading it costs an open,
  // so only when there is a version to replace).
  const previousDeleteAt = winner?.kind === 'data' ? (await currentExpiry(file, env.now())).deleteAt : undefined;
  ready();
  // Indexed before the object exists: the index may hold more than the disk, never less.
  if (deleteAt !== undefined) await env.expiring.add(ref.device, file.hash, { account: ref.account, container: ref.container, object: ref.object, partition: ref.partition, deleteAt });

  const writer = await file.create(timestamp);
  if (digestTrailer) writer.trustSenderDigest();
  let meta;
  try {
    if ('stream' in req) await receiveBody(env, req.stream, writer);
    else await writeWhole(env, req.body, writer);
    meta = await writer.commit({
      contentType,
      headers: { ...stored.replaceable, ...stored.sys },
      expectedLength,
      expectedEtag: announcedEtag(req),
      senderDigest: digestTrailer && 'stream' in req ? senderDigest(req.stream) : undefined,
    });
  } catch (err) {
    await writer.abort();
    if (!(err instanceof StorageError && err.code === 'CONFLICT')) env.stats.uploadsAborted++;
    throw err;
  }
  env.log.bytes = meta.contentLength;
  // Committed: the container hears of it before the client does (or it is queued for the updater).
  if (target) {
    const update = { 'X-Timestamp': timestamp.internal, 'X-Size': String(meta.contentLength), 'X-Etag': meta.etag, 'X-Content-Type': meta.contentType };
    env.log.containerUpdate = await env.updater.update(ref, target, 'PUT', withUpdateOverrides(update, req.headers), env.transId);
  }
  if (previousDeleteAt !== undefined && previousDeleteAt !== deleteAt) await env.expiring.remove(ref.device, previousDeleteAt, file.hash).catch(() => false);
  return { ETag: `"${meta.etag}"`, 'X-Backend-Timestamp': timestamp.internal };
}

async function writeWhole(env: PutEnv, body: Buffer, writer: ObjectWriter): Promise<void> {
  if (body.length > env.maxObjectSize) throw new HttpError(413, `object larger than ${env.maxObjectSize} bytes`);
  env.stats.bytesReceived += body.length;
  if (body.length > 0) await writer.write(body);
}

async function receiveBody(env: PutEnv, req: IncomingMessage, writer: ObjectWriter): Promise<void> {
  try {
    for await (const chunk of req) {
      const buf = chunk as Buffer;
      if (writer.bytesWritten + buf.length > env.maxObjectSize) throw new HttpError(413, `object larger than ${env.maxObjectSize} bytes`);
      env.stats.bytesReceived += buf.length;
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
