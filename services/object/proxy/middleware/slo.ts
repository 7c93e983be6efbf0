/**
 * The static large object middleware (Swift's SLO): what `swift upload --use-slo` relies on.
 *
 * - PUT ?multipart-manifest=put: reads the client's manifest (bounded), HEADs every segment
 *   through the rest of the pipeline as the caller (so ACLs apply to segments too), and stores
 *   the manifest as an ordinary object with X-Static-Large-Object: True and system metadata
 *   (x-object-sysmeta-slo-etag / -slo-size) that clients can neither set nor see. Problems are
 *   one 400 listing every bad segment; nothing is stored then. Entries may carry a `range`
 *   (part of a segment), as in Swift.
 * - The manifest PUT also carries a container update override (Swift's
 *   X-Object-Sysmeta-Container-Update-Override-Content-Type): the container row's content type is
 *   `<type>;swift_bytes=<SLO size>`, so listings report the SLO's size (listing-format.ts strips
 *   the parameter into `bytes`) while the container's bytes used counts the manifest itself.
 *   Likewise the row's etag is `<manifest MD5>; slo_etag=<SLO ETag>` (Swift's
 *   X-Object-Sysmeta-Container-Update-Override-Etag): JSON listings show `hash` (the manifest's
 *   MD5, what the row's object really holds) and `slo_etag` (the quoted ETag a GET answers with).
 * - GET/HEAD of a manifest answers for the whole: total Content-Length, the SLO ETag (quoted),
 *   and the segments' bytes streamed in order through sub-requests, each checked against the
 *   ETag the manifest recorded (a changed segment ends the stream early, so the client notices).
 *   A single Range is served over the concatenation of the selected bytes. ?multipart-manifest=get
 *   returns the manifest.
 * - DELETE ?multipart-manifest=delete deletes the segments (nested SLOs included), then the
 *   manifest, answering in the bulk-delete format Swift uses.
 *
 * The SLO is recognized by its system metadata only: X-Static-Large-Object is a header clients
 * could set with a POST, so it is refused on PUT, dropped from POST, and never trusted.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { plainResponse, textResponse } from '../app/responses';
import type { Handler, Middleware, ProxyRequest, ProxyResponse } from '../app/types';
import { contentTypeFor } from '../controllers/object-rules';
import { SYSMETA_CONTAINER_UPDATE_OVERRIDE_CONTENT_TYPE, SYSMETA_CONTAINER_UPDATE_OVERRIDE_ETAG, sloEtagOverride } from '../../common/object-headers';
import {
  checkSegments,
  entryLength,
  entrySpan,
  narrowEntries,
  normalizeEtag,
  parseManifestInput,
  parseRange,
  parseStoredManifest,
  planPieces,
  quotedEtag,
  splitSegmentPath,
  type SegmentHead,
  type SegmentPiece,
  type SloLimits,
  type StoredSegment,
} from './slo-manifest';

export const SLO_ETAG = 'x-object-sysmeta-slo-etag';
export const SLO_SIZE = 'x-object-sysmeta-slo-size';
/** Nested manifests deeper than this are refused (Swift's max_slo_recursion_depth). */
const MAX_DEPTH = 10;
/** Segment HEADs in flight at once while checking a manifest. */
const HEAD_CONCURRENCY = 4;

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 412: 'Precondition Failed', 416: 'Requested Range Not Satisfiable', 500: 'Internal Error', 503: 'Service Unavailable' };

export function header(res: ProxyResponse, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(res.headers)) {
    if (k.toLowerCase() !== lower) continue;
    return Array.isArray(v) ? v.join(', ') : String(v);
  }
  return undefined;
}

function withoutHeaders(headers: ProxyResponse['headers'], names: readonly string[]): ProxyResponse['headers'] {
  const drop = new Set(names.map((n) => n.toLowerCase()));
  const out: ProxyResponse['headers'] = {};
  for (const [k, v] of Object.entries(headers)) if (!drop.has(k.toLowerCase())) out[k] = v;
  return out;
}

function discard(body: ProxyResponse['body']): void {
  if (body instanceof Readable) body.destroy();
}

/**
 * Reads a body, failing past `limit` bytes. A request body that is too large is drained (so the
 * client can read the answer on the same connection); a response body is destroyed.
 */
async function readBody(body: ProxyResponse['body'] | Readable, limit: number, onTooLarge: 'drain' | 'destroy' = 'destroy'): Promise<Buffer | 'too-large'> {
  if (body === undefined) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body);
  if (Buffer.isBuffer(body)) return body.length > limit ? 'too-large' : body;
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of body) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    n += b.length;
    if (n > limit) {
      if (onTooLarge === 'drain') body.resume();
      else body.destroy();
      return 'too-large';
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

function isSlo(res: ProxyResponse): boolean {
  return res.status >= 200 && res.status < 300 && header(res, SLO_ETAG) !== undefined;
}

/** A sub-request on behalf of `req` (same caller, same authorization, same transaction). */
function subRequest(req: ProxyRequest, method: string, container: string, object: string, headers: Record<string, string> = {}, body?: Readable): ProxyRequest {
  const sub: ProxyRequest = { method, account: req.account, container, object, query: new URLSearchParams(), headers, transId: req.transId, source: 'slo', caller: req.caller, authorize: req.authorize };
  if (body) sub.body = body;
  return sub;
}

function httpDateToIso(v: string | undefined): string {
  const t = v ? Date.parse(v) : NaN;
  return Number.isNaN(t) ? '' : new Date(t).toISOString().replace('Z', '').replace(/\.(\d{3})$/, '.$1000');
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export function createSloMiddleware(ctx: { config: { slo: SloLimits } }): Middleware {
  const limits = ctx.config.slo;
  return (next: Handler): Handler => {
    /** HEADs a segment as the caller; nested SLOs report their SLO ETag and size. */
    const headSegment = async (req: ProxyRequest, container: string, object: string): Promise<SegmentHead> => {
      const res = await next(subRequest(req, 'HEAD', container, object));
      discard(res.body);
      if (res.status < 200 || res.status >= 300) return { found: false, status: res.status, statusText: STATUS_TEXT[res.status] ?? '' };
      const subSlo = isSlo(res);
      const etag = normalizeEtag(subSlo ? header(res, SLO_ETAG) : header(res, 'etag')) ?? '';
      const size = Number(subSlo ? header(res, SLO_SIZE) : header(res, 'content-length'));
      return { found: true, etag, size: Number.isSafeInteger(size) ? size : 0, contentType: header(res, 'content-type') ?? '', lastModified: httpDateToIso(header(res, 'last-modified')), subSlo };
    };

    /** Fetches a stored manifest (not through this middleware): the response and its segments. */
    const loadManifest = async (req: ProxyRequest, container: string, object: string): Promise<{ res: ProxyResponse; segments?: StoredSegment[] }> => {
      const res = await next(subRequest(req, 'GET', container, object));
      if (!isSlo(res)) return { res };
      const body = await readBody(res.body, limits.maxManifestSize * 4);
      if (body === 'too-large') return { res: { ...res, body: undefined } };
      return { res: { ...res, body: undefined }, segments: parseStoredManifest(body) };
    };

    /** Replaces nested SLO entries by their own segments, recursively (bounded depth). */
    const flatten = async (req: ProxyRequest, segments: StoredSegment[], depth: number): Promise<StoredSegment[]> => {
      if (!segments.some((s) => s.sub_slo)) return segments;
      if (depth >= MAX_DEPTH) throw new Error(`nested SLO manifests deeper than ${MAX_DEPTH}`);
      const out: StoredSegment[] = [];
      for (const seg of segments) {
        if (!seg.sub_slo) {
          out.push(seg);
          continue;
        }
        const parts = splitSegmentPath(seg.name);
        const nested = parts && (await loadManifest(req, parts[0], parts[1]));
        if (!nested?.segments) throw new Error(`nested manifest ${seg.name} could not be read`);
        const flat = await flatten(req, nested.segments, depth + 1);
        // A ranged entry naming a nested SLO selects bytes of the nested SLO's whole.
        out.push(...(seg.range === undefined ? flat : narrowEntries(flat, entrySpan(seg))));
      }
      return out;
    };

    const putManifest = async (req: ProxyRequest): Promise<ProxyResponse> => {
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > limits.maxManifestSize) {
        req.body?.resume();
        return textResponse(413, `Manifest File > ${limits.maxManifestSize} bytes`);
      }
      const body = await readBody(req.body, limits.maxManifestSize, 'drain');
      if (body === 'too-large') return textResponse(413, `Manifest File > ${limits.maxManifestSize} bytes`);
      const parsed = parseManifestInput(body, limits);
      // Swift answers a bad manifest with its errors as plain text, one a line.
      if (!parsed.ok) return parsed.status === 400 ? plainResponse(400, parsed.errors.map((e) => `${e}\n`).join('')) : textResponse(parsed.status, parsed.errors.join('\n'));
      const heads = await mapLimited(parsed.segments, HEAD_CONCURRENCY, (s) => headSegment(req, s.container, s.object));
      const checked = checkSegments(parsed.segments, heads, limits, `/${req.container}/${req.object}`);
      if (!checked.ok) return { status: 400, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: `Errors:\n${checked.errors.join('\n')}\n` };
      const wanted = normalizeEtag(req.headers['etag']);
      if (wanted !== undefined && wanted !== checked.etag) return textResponse(422, 'Etag does not match the MD5 of the segments\u2019 ETags');
      const manifest = Buffer.from(JSON.stringify(checked.stored));
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (!['content-length', 'transfer-encoding', 'etag', 'expect'].includes(k)) headers[k] = v;
      headers['content-length'] = String(manifest.length);
      headers['x-static-large-object'] = 'True';
      headers[SLO_ETAG] = checked.etag;
      headers[SLO_SIZE] = String(checked.size);
      headers[SYSMETA_CONTAINER_UPDATE_OVERRIDE_CONTENT_TYPE] = `${contentTypeFor(req.headers['content-type'], req.object!)};swift_bytes=${checked.size}`;
      // Set, never merged with an incoming value: nothing before this middleware may write it
      // (the gatekeeper drops clients' sysmeta), so any value here would be forged.
      headers[SYSMETA_CONTAINER_UPDATE_OVERRIDE_ETAG] = sloEtagOverride(createHash('md5').update(manifest).digest('hex'), checked.etag);
      const res = await next(subRequest(req, 'PUT', req.container!, req.object!, headers, Readable.from([manifest])));
      if (res.status !== 201) return res;
      return { ...res, headers: { ...withoutHeaders(res.headers, ['etag']), Etag: quotedEtag(checked.etag) } };
    };

    /** Opens one piece of a segment, checked against the manifest; throws when it cannot be served. */
    const openPiece = async (req: ProxyRequest, piece: SegmentPiece): Promise<ProxyResponse> => {
      const parts = splitSegmentPath(piece.segment.name);
      if (!parts) throw new Error(`bad segment name ${piece.segment.name}`);
      const whole = piece.start === 0 && piece.end === piece.segment.bytes - 1;
      const res = await next(subRequest(req, 'GET', parts[0], parts[1], whole ? {} : { range: `bytes=${piece.start}-${piece.end}` }));
      if (res.status !== 200 && res.status !== 206) {
        discard(res.body);
        throw new Error(`segment ${piece.segment.name}: ${res.status}`);
      }
      if (normalizeEtag(header(res, 'etag')) !== normalizeEtag(piece.segment.hash)) {
        discard(res.body);
        throw new Error(`segment ${piece.segment.name} changed since the manifest was written`);
      }
      return res;
    };

    /** `first` is the manifest's own answer; `hasManifestBody` when it carries the whole manifest. */
    const serve = async (req: ProxyRequest, first: ProxyResponse, hasManifestBody: boolean): Promise<ProxyResponse> => {
      const etag = normalizeEtag(header(first, SLO_ETAG)) ?? '';
      const base = { ...withoutHeaders(first.headers, ['etag', 'content-length', 'content-range', 'x-static-large-object']), Etag: quotedEtag(etag), 'X-Static-Large-Object': 'True', 'Accept-Ranges': 'bytes' };
      let size = Number(header(first, SLO_SIZE));
      if (req.method === 'HEAD' && Number.isSafeInteger(size)) {
        discard(first.body);
        return { status: 200, headers: { ...base, 'Content-Length': size }, body: undefined };
      }
      let manifestBody: Buffer | 'too-large';
      if (hasManifestBody) {
        manifestBody = await readBody(first.body, limits.maxManifestSize * 4);
      } else {
        // A Range or HEAD applied to the manifest itself: fetch it whole.
        discard(first.body);
        const again = await next(subRequest(req, 'GET', req.container!, req.object!));
        if (!isSlo(again)) return again;
        manifestBody = await readBody(again.body, limits.maxManifestSize * 4);
      }
      const stored = manifestBody === 'too-large' ? undefined : parseStoredManifest(manifestBody);
      if (!stored) return textResponse(500, 'Unable to load the SLO manifest');
      let segments: StoredSegment[];
      try {
        segments = await flatten(req, stored, 1);
      } catch (err) {
        return textResponse(409, `Unable to load the SLO manifest: ${(err as Error).message}`);
      }
      size = segments.reduce((n, s) => n + entryLength(s), 0);
      if (req.method === 'HEAD') return { status: 200, headers: { ...base, 'Content-Length': size }, body: undefined };
      const range = parseRange(req.headers['range'], size);
      if (range === 'unsatisfiable') return { ...textResponse(416, 'Requested Range Not Satisfiable'), headers: { ...textResponse(416).headers, 'Content-Range': `bytes */${size}` } };
      const pieces = planPieces(segments, range);
      const length = range ? range.end - range.start + 1 : size;
      // The first segment is opened before answering, so a broken SLO is a clean 409 rather
      // than a 200 that stops short (later segments can only fail mid-stream).
      let opened: ProxyResponse | undefined;
      if (pieces.length > 0) {
        try {
          opened = await openPiece(req, pieces[0]);
        } catch (err) {
          return textResponse(409, `Unable to load the SLO segments: ${(err as Error).message}`);
        }
      }
      async function* stream(): AsyncGenerator<Buffer> {
        for (const [i, piece] of pieces.entries()) {
          const res = i === 0 && opened ? opened : await openPiece(req, piece);
          let got = 0;
          const body = res.body;
          if (body instanceof Readable) {
            for await (const chunk of body) {
              const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
              got += b.length;
              yield b;
            }
          } else if (body !== undefined) {
            const b = Buffer.from(body);
            got += b.length;
            yield b;
          }
          if (got !== piece.end - piece.start + 1) throw new Error(`segment ${piece.segment.name}: ${got} bytes instead of ${piece.end - piece.start + 1}`);
        }
      }
      const headers: ProxyResponse['headers'] = { ...base, 'Content-Length': length };
      if (range) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`;
      return { status: range ? 206 : 200, headers, body: Readable.from(stream()) };
    };

    const deleteManifest = async (req: ProxyRequest): Promise<ProxyResponse> => {
      const { res, segments } = await loadManifest(req, req.container!, req.object!);
      if (res.status < 200 || res.status >= 300) return res;
      if (!segments) return textResponse(400, 'Not an SLO manifest');
      // Segments first (nested manifests' segments before the nested manifest), the manifest last.
      const order: string[] = [];
      const collect = async (list: StoredSegment[], depth: number): Promise<void> => {
        for (const seg of list) {
          const parts = splitSegmentPath(seg.name);
          if (seg.sub_slo && parts && depth < MAX_DEPTH) {
            const nested = await loadManifest(req, parts[0], parts[1]);
            if (nested.segments) await collect(nested.segments, depth + 1);
          }
          order.push(seg.name);
        }
      };
      await collect(segments, 1);
      order.push(`/${req.container}/${req.object}`);
      let deleted = 0;
      let notFound = 0;
      const errors: [string, string][] = [];
      for (const name of order) {
        const parts = splitSegmentPath(name);
        if (!parts) {
          errors.push([name, '400 Bad Request']);
          continue;
        }
        const r = await next(subRequest(req, 'DELETE', parts[0], parts[1]));
        discard(r.body);
        if (r.status >= 200 && r.status < 300) deleted++;
        else if (r.status === 404) notFound++;
        else errors.push([name, `${r.status} ${STATUS_TEXT[r.status] ?? ''}`.trim()]);
      }
      const status = errors.length ? '400 Bad Request' : '200 OK';
      if ((req.headers['accept'] ?? '').includes('application/json')) {
        return { status: 200, headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: JSON.stringify({ 'Number Deleted': deleted, 'Number Not Found': notFound, 'Response Body': '', 'Response Status': status, Errors: errors }) };
      }
      const lines = [`Number Deleted: ${deleted}`, `Number Not Found: ${notFound}`, 'Response Body: ', `Response Status: ${status}`, 'Errors:', ...errors.map(([n, s]) => `${n}, ${s}`)];
      return { status: 200, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: lines.join('\n') + '\n' };
    };

    return async (req: ProxyRequest): Promise<ProxyResponse> => {
      if (req.source !== 'client' || req.container === undefined || req.object === undefined) return next(req);
      const mm = req.query.get('multipart-manifest');
      switch (req.method) {
        case 'PUT':
          if (mm === 'put') return putManifest(req);
          if (req.headers['x-static-large-object'] !== undefined) return textResponse(400, 'X-Static-Large-Object is a reserved header. To create a static large object add query param multipart-manifest=put.');
          return next(req);
        case 'POST': {
          if (req.headers['x-static-large-object'] === undefined) return next(req);
          const headers = { ...req.headers };
          delete headers['x-static-large-object'];
          return next({ ...req, headers });
        }
        case 'DELETE':
          return mm === 'delete' ? deleteManifest(req) : next(req);
        case 'GET':
        case 'HEAD': {
          const res = await next(req);
          if (res.status === 416 && req.headers['range'] !== undefined && mm !== 'get') {
            // The Range was judged against the manifest's own size; judge it against the whole.
            const probe = await next(subRequest(req, 'HEAD', req.container, req.object));
            if (!isSlo(probe)) return res;
            discard(res.body);
            return serve(req, probe, false);
          }
          if (!isSlo(res)) return res;
          if (mm === 'get') return { ...res, headers: { ...withoutHeaders(res.headers, ['content-type']), 'Content-Type': 'application/json; charset=utf-8', 'X-Static-Large-Object': 'True' } };
          return serve(req, res, res.status === 200 && req.method === 'GET' && req.headers['range'] === undefined);
        }
        default:
          return next(req);
      }
    };
  };
}
