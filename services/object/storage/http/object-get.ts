/**
 * GET and HEAD /<device>/<partition>/<account>/<container>/<object>.
 *
 * 404 carries X-Backend-Timestamp when a tombstone is the newest version, so the proxy can tell
 * "deleted at T" from "never stored here" when it compares replicas. Conditions are evaluated
 * before any byte is read; a single Range gives 206 (416 when it starts past the end). Bodies are
 * copied from the open file with backpressure; a whole-object read fails (the connection is cut)
 * instead of completing if the bytes no longer match their MD5 (see open-object.ts).
 */
import type { HandlerContext } from './handler-context';
import type { ObjectRef } from '../diskfile/disk-file';
import { multipartFraming, parseRange, type Span } from './byte-range';
import type { OpenObject } from '../diskfile/open-object';
import { randomBytes } from 'node:crypto';
import { isExpired, bypassesExpiry } from './delete-at';
import { evaluateConditions, strongMatch, type ConditionHeaders } from './conditions';
import { singleHeader } from './request-headers';
import { objectHeaders, sendStatus, type Headers } from './respond';
import { formatHttpDate, parseHttpDate } from '../../common/http-date';
import type { ObjectMetadata } from '../diskfile/object-metadata';

function conditionHeaders(ctx: HandlerContext): ConditionHeaders {
  return {
    ifMatch: singleHeader(ctx.req, 'if-match'),
    ifNoneMatch: singleHeader(ctx.req, 'if-none-match'),
    ifModifiedSince: singleHeader(ctx.req, 'if-modified-since'),
    ifUnmodifiedSince: singleHeader(ctx.req, 'if-unmodified-since'),
  };
}

/** If-Range: serve the range only if the client's copy is still current (else the whole body). */
function rangeApplies(ctx: HandlerContext, m: ObjectMetadata): boolean {
  const ifRange = singleHeader(ctx.req, 'if-range');
  if (ifRange === undefined) return true;
  if (/^\s*(W\/)?"/.test(ifRange)) return strongMatch(ifRange, m.etag);
  const date = parseHttpDate(ifRange);
  return date !== undefined && formatHttpDate(date) === formatHttpDate(m.timestamp.lastModifiedSeconds);
}

export async function handleGetOrHead(ctx: HandlerContext, ref: ObjectRef): Promise<void> {
  const { req, res } = ctx;
  const head = req.method === 'HEAD';
  const result = await ctx.store.object(ref).read();
  const conditions = conditionHeaders(ctx);
  if (result.kind !== 'found') {
    const headers: Headers = result.kind === 'deleted' ? { 'X-Backend-Timestamp': result.timestamp.internal } : {};
    const outcome = evaluateConditions(req.method ?? 'GET', conditions, undefined);
    sendStatus(res, outcome === 412 ? 412 : 404, outcome === 412 ? 'Precondition Failed' : 'Not Found', headers);
    return;
  }
  const obj = result.object;
  const m = obj.metadata;
  if (isExpired(m, ctx.now()) && !bypassesExpiry(req)) {
    await obj.close();
    sendStatus(res, 404, 'Not Found');
    return;
  }
  const headers = objectHeaders(m);
  const outcome = evaluateConditions(req.method ?? 'GET', conditions, { etag: m.etag, lastModified: m.timestamp.lastModifiedSeconds });
  if (outcome !== 'proceed') {
    await obj.close();
    sendStatus(res, outcome, outcome === 412 ? 'Precondition Failed' : '', outcome === 304 ? headers : {});
    return;
  }
  const range = head || !rangeApplies(ctx, m) ? ({ kind: 'full' } as const) : parseRange(singleHeader(req, 'range'), m.contentLength);
  if (range.kind === 'unsatisfiable') {
    await obj.close();
    sendStatus(res, 416, 'Requested Range Not Satisfiable', { 'Content-Range': `bytes */${m.contentLength}` });
    return;
  }
  if (head) {
    await obj.close();
    res.writeHead(200, { ...headers, 'Content-Length': m.contentLength });
    res.end();
    return;
  }
  if (range.kind === 'multi') {
    await sendRanges(ctx, obj, headers, range.ranges);
    return;
  }
  const partial = range.kind === 'partial' ? range : undefined;
  if (partial) {
    res.writeHead(206, { ...headers, 'Content-Length': partial.end - partial.start + 1, 'Content-Range': `bytes ${partial.start}-${partial.end}/${m.contentLength}` });
  } else {
    res.writeHead(200, { ...headers, 'Content-Length': m.contentLength });
  }
  try {
    ctx.stats.bytesSent += await obj.copyTo(res, partial);
    res.end();
  } catch (err) {
    // The status line is gone; the only honest signal left is cutting the connection short.
    ctx.log.streamError = (err as Error).message;
    res.destroy();
  }
}

/** 206 multipart/byteranges: each range as a part with its own Content-Range (RFC 9110 §14.6). */
async function sendRanges(ctx: HandlerContext, obj: OpenObject, headers: Headers, ranges: readonly Span[]): Promise<void> {
  const m = obj.metadata;
  const boundary = randomBytes(12).toString('hex');
  const framing = multipartFraming(ranges, m.contentLength, m.contentType, boundary);
  ctx.res.writeHead(206, { ...headers, 'Content-Type': `multipart/byteranges;boundary=${boundary}`, 'Content-Length': framing.length });
  try {
    for (let i = 0; i < ranges.length; i++) {
      ctx.res.write(framing.heads[i]);
      ctx.stats.bytesSent += await obj.copyTo(ctx.res, ranges[i], { keepOpen: true });
    }
    ctx.res.end(framing.tail);
  } catch (err) {
    ctx.log.streamError = (err as Error).message;
    ctx.res.destroy();
  } finally {
    await obj.close();
  }
}
