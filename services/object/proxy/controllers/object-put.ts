/**
 * Object PUT: the body is streamed to every replica at once and acknowledged on a quorum.
 *
 *  1. Checks that need no body (names, length, metadata, expiry), the container (exists,
 *     authorize), `If-None-Match: *` (412 when any replica holds the object), one timestamp
 *     for every replica.
 *  2. Uploads are opened on all primaries in parallel with `Expect: 100-continue`; a primary
 *     that cannot take it (no connection, timeout, 507) is replaced by the next handoff. Fewer
 *     than a quorum ready → 503 before reading a byte of the body.
 *  3. Client chunks are written to every live upload in batches of up to BATCH_BYTES, and
 *     reading goes on only when all of them took a batch (backpressure: memory stays at a few
 *     chunks whatever the size). The MD5 is computed on the way.
 *  4. Only a complete body (length as announced, client still there, MD5 as announced in ETag)
 *     is ended on the backends; otherwise every upload is aborted, and a storage server commits
 *     nothing without a complete body: so a truncated or mismatched upload leaves no trace.
 *  5. 201 once a quorum committed (each replica has updated its container row first, so the
 *     listing shows the object before the client hears of it); 503 without a quorum.
 *
 * Bodies of at most 64 KiB with a Content-Length skip steps 2-4 while every primary has a live
 * connection: read whole, checked, then sent whole, alone or batched (putSmallObject).
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { formatHttpDate } from '../../common/http-date';
import { OBJECT_BATCH_MAX_BODY } from '../../common/object-batch';
import { Timestamp } from '../../common/timestamp';
import type { RingDevice } from '../../ring';
import type { ProxyContext } from '../app/context';
import { plainResponse, textResponse } from '../app/responses';
import type { ProxyRequest, ProxyResponse } from '../app/types';
import { firstAcceptable, replicaSlots } from '../backend/node-calls';
import { quorumSize, quorumStatus } from '../backend/quorum';
import type { NodePlan } from '../backend/rings';
import { asBackendError, type BackendReply, type BackendRequest, type BackendUpload } from '../backend/storage-client';
import { containerPlan, containerUpdateHeaders, lookupContainer } from './object-container';
import { backendWriteHeaders, planPut } from './object-rules';
import type { ObjectNames } from './object-names';

/** Bodies from this size on send their digest in trailers (smaller ones: not worth chunking). */
export const DIGEST_TRAILER_BYTES = 1024 * 1024;

/** How long to wait for the other replicas once a quorum committed (Swift's post_quorum_timeout). */
export const POST_QUORUM_MS = 500;

/**
 * Client chunks (64 KiB socket reads) are sent on to the replicas in batches this big: one writev
 * per replica connection instead of four, each chunk still hashed as it comes (measured: proxy CPU
 * per 64 MiB PUT -15%).
 */
const BATCH_BYTES = 256 * 1024;

type Slot = { upload: BackendUpload; node: RingDevice } | { refused: BackendReply; node: RingDevice } | { error: Error; node?: RingDevice };

export async function putObject(ctx: ProxyContext, req: ProxyRequest, names: ObjectNames): Promise<ProxyResponse> {
  const nowMs = ctx.clock();
  const planned = planPut(req.headers, { maxObjectSize: ctx.config.maxObjectSize, nowSeconds: nowMs / 1000, objectName: names.object });
  if (!planned.ok) return plainResponse(planned.refusal.status, planned.refusal.message);
  const plan = planned.plan;

  const info = await lookupContainer(ctx, names.account, names.container, req.transId);
  const denied = req.authorize?.(req, info.exists ? { containerAcl: info.acl } : {});
  if (denied) return denied;
  if (!info.exists) return textResponse(404);

  const objPlan = ctx.rings.objectNodes(names.account, names.container, names.object);
  const ifNoneMatch = req.headers['if-none-match']?.trim();
  if (ifNoneMatch !== undefined) {
    // Swift supports only `*` here: "create, but never overwrite".
    if (ifNoneMatch !== '*') return plainResponse(400, 'If-None-Match only supports *');
    if (await objectExists(ctx, objPlan, names, req.transId)) return textResponse(412);
  }
  const timestamp = Timestamp.fromMillis(ctx.clock());
  const cPlan = containerPlan(ctx, names.account, names.container);
  const headers: Record<string, string | number> = backendWriteHeaders(req.headers, { timestamp: timestamp.internal, contentType: plan.contentType, deleteAt: plan.deleteAt });
  if (plan.etag) headers['etag'] = plan.etag;
  // Large and chunked bodies: the replicas check a CRC-32 against the MD5 and CRC-32 this proxy
  // sends after the body (trailers), instead of each hashing MD5 again (3 of the 4 MD5 passes).
  const digestTrailer = plan.framing.kind === 'chunked' || plan.framing.length >= DIGEST_TRAILER_BYTES;
  if (plan.framing.kind === 'length' && !digestTrailer) headers['content-length'] = plan.framing.length;
  else headers['transfer-encoding'] = 'chunked';
  if (digestTrailer) {
    headers['x-backend-digest-trailer'] = 'crc32';
    if (plan.framing.kind === 'length') headers['x-backend-obj-content-length'] = plan.framing.length;
  }
  // Small bodies skip the 100 Continue handshake, so they would be stored on whichever replicas
  // answer even when fewer than a quorum do: taken only while every primary has a live
  // connection (the handshake path, which writes nothing without a quorum, covers the rest).
  if (plan.framing.kind === 'length' && plan.framing.length <= OBJECT_BATCH_MAX_BODY && objPlan.primaries.every((n) => ctx.client.hasConnection(n))) {
    const smallHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) smallHeaders[k] = String(v);
    return putSmallObject(ctx, req, names, { objPlan, cPlan, headers: smallHeaders, length: plan.framing.length, etag: plan.etag, timestamp });
  }
  const build = (node: RingDevice, index: number): BackendRequest => ({
    node,
    partition: objPlan.partition,
    method: 'PUT',
    account: names.account,
    container: names.container,
    object: names.object,
    headers: { ...headers, ...containerUpdateHeaders(cPlan, index) },
    transId: req.transId,
  });

  const slots = await openUploads(ctx, objPlan, build);
  const uploads = slots.flatMap((s) => ('upload' in s ? [s.upload] : []));
  const quorum = quorumSize(objPlan.replicas);
  const abortAll = (): void => uploads.forEach((u) => u.abort());
  if (uploads.length < quorum) {
    abortAll();
    const statuses = slots.map((s) => ('refused' in s ? s.refused.status : 0));
    const status = quorumStatus(statuses, objPlan.replicas);
    ctx.logger.warn('object PUT without enough replicas', { txId: req.transId, ready: uploads.length, quorum, statuses, errors: slots.flatMap((s) => ('error' in s ? [s.error.message] : [])) });
    return textResponse(status >= 200 && status < 300 ? 503 : status);
  }

  const body = req.body ?? Readable.from([]);
  const md5 = createHash('md5');
  let crc = 0;
  let received = 0;
  let batch: Buffer[] = [];
  let batchBytes = 0;
  const flush = async (): Promise<boolean> => {
    if (batch.length === 0) return true;
    const bufs = batch;
    batch = [];
    batchBytes = 0;
    await Promise.all(uploads.map((u) => (u.failure ? undefined : u.writeAll(bufs).catch(() => undefined))));
    return uploads.filter((u) => !u.failure).length >= quorum;
  };
  const lostQuorum = (): ProxyResponse => {
    abortAll();
    ctx.logger.warn('object PUT lost its quorum mid-body', { txId: req.transId });
    return textResponse(503, undefined, { Connection: 'close' });
  };
  try {
    // Leaving the loop early (413, lost quorum) must not destroy the client's connection before it is answered.
    for await (const chunk of body.iterator({ destroyOnReturn: false })) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      received += buf.length;
      if (received > ctx.config.maxObjectSize) {
        abortAll();
        // The rest of the body is not wanted: answer, then close the connection (not reset it first).
        return textResponse(413, 'Your request is too large.', { Connection: 'close' });
      }
      md5.update(buf);
      if (digestTrailer) crc = crc32(buf, crc);
      batch.push(buf);
      batchBytes += buf.length;
      if (batchBytes >= BATCH_BYTES && !(await flush())) return lostQuorum();
    }
    if (!(await flush())) return lostQuorum();
  } catch {
    abortAll();
    return textResponse(499, 'Client disconnected while uploading');
  }
  const incomplete = ('complete' in body && !(body as IncomingMessage).complete) || (plan.framing.kind === 'length' && received !== plan.framing.length);
  if (incomplete) {
    abortAll();
    return textResponse(499, 'Client disconnected while uploading');
  }
  const etag = md5.digest('hex');
  if (plan.etag !== undefined && plan.etag !== etag) {
    abortAll();
    return textResponse(422, 'The object was not stored: its MD5 does not match the ETag sent');
  }

  const live = uploads.filter((u) => !u.failure);
  const trailers = digestTrailer ? { 'X-Backend-Obj-Etag': etag, 'X-Backend-Obj-Crc32': crc.toString(16) } : undefined;
  const verdicts = await finishUploads(live, quorum, trailers);
  const statuses = [...verdicts, ...new Array<number>(objPlan.replicas - verdicts.length).fill(0)];
  const committed = verdicts.filter((s) => s === 201).length;
  if (committed >= quorum) {
    return {
      status: 201,
      headers: { 'Content-Type': 'text/html; charset=UTF-8', 'Content-Length': 0, Etag: etag, 'Last-Modified': formatHttpDate(timestamp.lastModifiedSeconds) },
    };
  }
  const status = quorumStatus(statuses, objPlan.replicas);
  ctx.logger.warn('object PUT without a quorum', { txId: req.transId, statuses: verdicts, errors: uploads.flatMap((u) => (u.failure ? [u.failure.message] : [])) });
  return textResponse(status >= 200 && status < 300 ? 503 : status);
}

/** Whether any replica (in read order) holds a live version of the object. */
async function objectExists(ctx: ProxyContext, plan: NodePlan, names: ObjectNames, transId: string): Promise<boolean> {
  const found = await firstAcceptable(ctx.client, plan, (node) => ({ node, partition: plan.partition, method: 'HEAD', account: names.account, container: names.container, object: names.object, transId }), (s) => s >= 200 && s < 300);
  found.response?.body.resume();
  return found.response !== undefined;
}

/**
 * Opens an upload per primary slot, in parallel; a slot whose node cannot take it (no answer,
 * 507) moves on to the next handoff. Other refusals (409 newer data, 400, 413) are final.
 */
async function openUploads(ctx: ProxyContext, plan: NodePlan, build: (node: RingDevice, index: number) => BackendRequest): Promise<Slot[]> {
  const open = async (node: RingDevice, index: number): Promise<Slot> => {
    try {
      const opened = await ctx.client.openUpload(build(node, index));
      return opened.kind === 'continue' ? { upload: opened.upload, node } : { refused: opened.reply, node };
    } catch (err) {
      return { error: asBackendError(err), node };
    }
  };
  return Promise.all(replicaSlots(plan, open, (slot) => 'error' in slot || ('refused' in slot && slot.refused.status === 507)));
}

/** Ends every upload and collects the statuses (0 = no answer); see awaitQuorum. */
function finishUploads(uploads: BackendUpload[], quorum: number, trailers?: Record<string, string>): Promise<number[]> {
  return awaitQuorum(
    uploads.map((u) =>
      u.finish(trailers).then(
        (reply) => reply.status,
        () => 0,
      ),
    ),
    quorum,
  );
}

/**
 * The statuses of the replica writes as they answer (0 = no answer; never rejects). Resolves
 * once all answered, or POST_QUORUM_MS after a quorum committed (the stragglers finish on their
 * own).
 */
function awaitQuorum(writes: Promise<number>[], quorum: number): Promise<number[]> {
  return new Promise((resolve) => {
    const statuses: number[] = [];
    let committed = 0;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      resolve(statuses.slice());
    };
    if (writes.length === 0) return finish();
    for (const w of writes) {
      void w.then((status) => {
        statuses.push(status);
        if (status === 201 && ++committed === quorum && statuses.length < writes.length) setTimeout(finish, POST_QUORUM_MS).unref();
        if (statuses.length === writes.length) finish();
      });
    }
  });
}

interface SmallPutPlan {
  objPlan: NodePlan;
  cPlan: NodePlan;
  /** The backend PUT's headers, without the container update's and the length. */
  headers: Record<string, string>;
  length: number;
  etag?: string;
  timestamp: Timestamp;
}

/**
 * A PUT whose body is at most OBJECT_BATCH_MAX_BODY bytes: the body is read whole first and its
 * MD5 checked against the ETag sent, so a truncated or mismatched upload reaches no storage
 * server at all. It then goes to every replica slot as one small PUT (alone, or in a batch with
 * other PUTs for the same device; put-batcher.ts); a slot whose device cannot take it (no
 * answer, 507) moves on to the next handoff, other refusals are final, as for streamed bodies.
 */
async function putSmallObject(ctx: ProxyContext, req: ProxyRequest, names: ObjectNames, p: SmallPutPlan): Promise<ProxyResponse> {
  const chunks: Buffer[] = [];
  let received = 0;
  const body = req.body ?? Readable.from([]);
  try {
    for await (const chunk of body.iterator({ destroyOnReturn: false })) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      received += buf.length;
      if (received > p.length) break;
      chunks.push(buf);
    }
  } catch {
    return textResponse(499, 'Client disconnected while uploading');
  }
  if (received !== p.length || ('complete' in body && !(body as IncomingMessage).complete)) return textResponse(499, 'Client disconnected while uploading');
  const whole = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received);
  const etag = createHash('md5').update(whole).digest('hex');
  if (p.etag !== undefined && p.etag !== etag) return textResponse(422, 'The object was not stored: its MD5 does not match the ETag sent');

  const { objPlan } = p;
  const errors: string[] = [];
  const write = async (node: RingDevice, index: number): Promise<number> => {
    try {
      const headers = { ...p.headers, ...containerUpdateHeaders(p.cPlan, index), 'content-length': String(whole.length) };
      return (await ctx.client.putSmall({ node, partition: objPlan.partition, account: names.account, container: names.container, object: names.object, headers, body: whole, transId: req.transId })).status;
    } catch (err) {
      errors.push(asBackendError(err).message);
      return 0;
    }
  };
  const writes = replicaSlots(objPlan, write, (status) => status === 0 || status === 507);
  const quorum = quorumSize(objPlan.replicas);
  const verdicts = await awaitQuorum(writes, quorum);
  if (verdicts.filter((s) => s === 201).length >= quorum) {
    return {
      status: 201,
      headers: { 'Content-Type': 'text/html; charset=UTF-8', 'Content-Length': 0, Etag: etag, 'Last-Modified': formatHttpDate(p.timestamp.lastModifiedSeconds) },
    };
  }
  const statuses = [...verdicts, ...new Array<number>(objPlan.replicas - verdicts.length).fill(0)];
  const status = quorumStatus(statuses, objPlan.replicas);
  ctx.logger.warn('object PUT without a quorum', { txId: req.transId, statuses: verdicts, errors });
  return textResponse(status >= 200 && status < 300 ? 503 : status);
}
