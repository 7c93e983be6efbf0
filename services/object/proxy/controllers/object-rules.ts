/**
 * The object controller's pure rules, apart from any I/O so they can be tested exhaustively:
 * Swift's checks on names, sizes, metadata and expiry (check_object_creation), which client
 * headers go to the storage servers, and which of their headers go back to the client.
 *
 * Messages follow Swift's wording where clients or operators may match on them.
 */
import { metadataProblem } from '../../common/metadata-limits';
import { ALLOWED_HEADERS, SYSMETA_PREFIX, USER_META_PREFIX } from '../../common/object-headers';
import { accountNameProblem, containerNameProblem, MAX_CONTAINER_NAME_LENGTH, MAX_OBJECT_NAME_LENGTH, objectNameProblem } from '../../common/names';

/** A refusal: status and the text body to send. */
export interface Refusal {
  status: number;
  message: string;
}

/** Account, container and object names (the path parser left them unchecked). */
export function objectPathProblem(account: string, container: string, object: string): Refusal | undefined {
  const a = accountNameProblem(account);
  if (a) return { status: 412, message: a };
  const cBytes = Buffer.byteLength(container, 'utf8');
  if (cBytes > MAX_CONTAINER_NAME_LENGTH) return { status: 400, message: `Container name length of ${cBytes} longer than ${MAX_CONTAINER_NAME_LENGTH}` };
  const c = containerNameProblem(container);
  if (c) return { status: 412, message: c };
  const oBytes = Buffer.byteLength(object, 'utf8');
  if (oBytes > MAX_OBJECT_NAME_LENGTH) return { status: 400, message: `Object name length of ${oBytes} longer than ${MAX_OBJECT_NAME_LENGTH}` };
  const o = objectNameProblem(object);
  if (o) return { status: 412, message: o };
  return undefined;
}

/** How a PUT body is framed. */
export type BodyFraming = { kind: 'length'; length: number } | { kind: 'chunked' };

export interface PutPlan {
  framing: BodyFraming;
  contentType: string;
  /** The MD5 the client announced (lower-case hex, unquoted), if any. */
  etag?: string;
  /** Absolute expiry (seconds since the epoch), from X-Delete-At or X-Delete-After. */
  deleteAt?: number;
}

/** Swift's check_object_creation, plus framing and expiry, for a PUT. */
export function planPut(headers: Record<string, string>, opts: { maxObjectSize: number; nowSeconds: number; objectName: string }): { ok: true; plan: PutPlan } | { ok: false; refusal: Refusal } {
  const te = headers['transfer-encoding'];
  const lenText = headers['content-length'];
  let framing: BodyFraming;
  if (te !== undefined) {
    if (!/^\s*chunked\s*$/i.test(te)) return { ok: false, refusal: { status: 501, message: 'Not Implemented: Transfer-Encoding' } };
    framing = { kind: 'chunked' };
  } else if (lenText !== undefined) {
    if (!/^\d{1,16}$/.test(lenText.trim())) return { ok: false, refusal: { status: 400, message: 'Invalid Content-Length' } };
    framing = { kind: 'length', length: Number(lenText.trim()) };
  } else {
    return { ok: false, refusal: { status: 411, message: 'Missing Content-Length header.' } };
  }
  if (framing.kind === 'length' && framing.length > opts.maxObjectSize) return { ok: false, refusal: { status: 413, message: 'Your request is too large.' } };
  const meta = metadataProblem(storedHeaders(headers));
  if (meta) return { ok: false, refusal: { status: 400, message: meta } };
  const expiry = deleteAtFrom(headers, opts.nowSeconds);
  if (!expiry.ok) return { ok: false, refusal: expiry.refusal };
  const rawEtag = headers['etag']?.trim();
  const etag = rawEtag ? rawEtag.replace(/^"(.*)"$/, '$1').toLowerCase() : undefined;
  const plan: PutPlan = { framing, contentType: contentTypeFor(headers['content-type'], opts.objectName) };
  if (etag) plan.etag = etag;
  if (expiry.deleteAt !== undefined) plan.deleteAt = expiry.deleteAt;
  return { ok: true, plan };
}

/** POST checks: metadata and expiry (no body rules). */
export function planPost(headers: Record<string, string>, nowSeconds: number): { ok: true; deleteAt?: number } | { ok: false; refusal: Refusal } {
  const meta = metadataProblem(storedHeaders(headers));
  if (meta) return { ok: false, refusal: { status: 400, message: meta } };
  const expiry = deleteAtFrom(headers, nowSeconds);
  if (!expiry.ok) return { ok: false, refusal: expiry.refusal };
  return expiry.deleteAt === undefined ? { ok: true } : { ok: true, deleteAt: expiry.deleteAt };
}

/** X-Delete-After (seconds from now) wins over X-Delete-At (absolute), as in Swift. */
export function deleteAtFrom(headers: Record<string, string>, nowSeconds: number): { ok: true; deleteAt?: number } | { ok: false; refusal: Refusal } {
  const after = headers['x-delete-after'];
  if (after !== undefined) {
    if (!/^\s*\d{1,12}\s*$/.test(after)) {
      return { ok: false, refusal: { status: 400, message: /^\s*-\d+\s*$/.test(after) ? 'X-Delete-After in past' : 'Non-integer X-Delete-After' } };
    }
    return { ok: true, deleteAt: Math.floor(nowSeconds) + Number(after.trim()) };
  }
  const at = headers['x-delete-at'];
  if (at !== undefined) {
    if (!/^\s*-?\d{1,12}\s*$/.test(at)) return { ok: false, refusal: { status: 400, message: 'Non-integer X-Delete-At' } };
    const value = Number(at.trim());
    if (value <= nowSeconds) return { ok: false, refusal: { status: 400, message: 'X-Delete-At in past' } };
    return { ok: true, deleteAt: value };
  }
  return { ok: true };
}

/** Common types by extension, for PUTs without Content-Type (Swift guesses from the name too). */
const TYPES: Record<string, string> = {
  txt: 'text/plain',
  html: 'text/html',
  htm: 'text/html',
  css: 'text/css',
  csv: 'text/csv',
  js: 'application/javascript',
  json: 'application/json',
  xml: 'application/xml',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  tar: 'application/x-tar',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  svg: 'image/svg+xml',
  mp4: 'video/mp4',
  iso: 'application/x-iso9660-image',
  qcow2: 'application/octet-stream',
};

export function contentTypeFor(given: string | undefined, objectName: string): string {
  const t = given?.trim();
  if (t) return t;
  const m = /\.([A-Za-z0-9]+)$/.exec(objectName);
  return (m && TYPES[m[1].toLowerCase()]) || 'application/octet-stream';
}

/** The headers an object stores (user metadata, Swift's allowed headers, sysmeta set by middleware). */
export function storedHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(USER_META_PREFIX) || name.startsWith(SYSMETA_PREFIX) || ALLOWED_HEADERS.includes(name)) out[name] = value;
  }
  return out;
}

/**
 * Headers for the storage servers' PUT or POST: what the object stores, the content type and
 * the expiry (X-Delete-After already turned into X-Delete-At, so every replica agrees).
 */
export function backendWriteHeaders(headers: Record<string, string>, opts: { timestamp: string; contentType?: string; deleteAt?: number }): Record<string, string> {
  const out = storedHeaders(headers);
  delete out['x-delete-at'];
  out['x-timestamp'] = opts.timestamp;
  if (opts.contentType !== undefined) out['content-type'] = opts.contentType;
  if (opts.deleteAt !== undefined) out['x-delete-at'] = String(opts.deleteAt);
  return out;
}

/** Request headers a GET/HEAD passes to the replica (ranges and conditions). */
const READ_HEADERS = ['range', 'if-range', 'if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since'];

export function backendReadHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of READ_HEADERS) if (headers[name] !== undefined) out[name] = headers[name];
  return out;
}

/**
 * A replica's object headers as the client sees them: internal X-Backend-* and hop-by-hop
 * headers dropped. (System metadata stays: middleware may need it; the HTTP face removes it
 * before anything reaches a client.)
 */
const DROP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'date', 'x-trans-id', 'server']);

export function clientObjectHeaders(backend: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(backend)) {
    if (raw === undefined || DROP.has(name) || name.startsWith('x-backend-')) continue;
    const value = Array.isArray(raw) ? raw.join(', ') : raw;
    // Swift clients see a plain object's ETag unquoted (only large objects' ETags are quoted,
    // which is how clients tell them apart); replicas quote it as HTTP does.
    out[titleCase(name)] = name === 'etag' ? (unquoteEtag(value) ?? value) : value;
  }
  return out;
}

/** Header names repeat on every response: each is converted once (bounded, for hostile names). */
const TITLE_CASED = new Map<string, string>();
const TITLE_CASE_CACHE_SIZE = 1024;

function titleCase(name: string): string {
  let out = TITLE_CASED.get(name);
  if (out !== undefined) return out;
  out = name === 'etag' ? 'Etag' : name.replace(/(^|-)([a-z])/g, (_m, dash: string, ch: string) => dash + ch.toUpperCase());
  if (TITLE_CASED.size < TITLE_CASE_CACHE_SIZE) TITLE_CASED.set(name, out);
  return out;
}

/** `"abc"` or `abc` → `abc` (lower-case), or undefined. */
export function unquoteEtag(v: string | undefined): string | undefined {
  const t = v?.trim();
  return t ? t.replace(/^"(.*)"$/, '$1').toLowerCase() : undefined;
}
