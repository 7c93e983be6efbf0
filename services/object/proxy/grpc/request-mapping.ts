/**
 * ObjectService request messages → the pipeline's request shape (method, path parts, headers,
 * query), as the Swift HTTP face would have built them from the equivalent HTTP request.
 *
 * Pure. Validates only what the gRPC face alone can get wrong: a path part that HTTP could never
 * carry (empty, or a container holding `/`), metadata keys that cannot become header names, and
 * option combinations with no HTTP equivalent. Everything else (name lengths, UTF-8, metadata
 * limits, ACL syntax, quotas) is the pipeline's job, so both faces enforce the same rules.
 */
import { invalidArgument, type FieldViolation } from '../../../runtime/errors';
import type {
  ByteRange,
  CreateContainerRequest,
  DeleteContainerRequest,
  DeleteObjectRequest,
  GetAccountRequest,
  GetContainerRequest,
  GetObjectMetadataRequest,
  GetObjectRequest,
  ListContainersRequest,
  ListObjectsRequest,
  PutObjectHeader,
  UpdateAccountRequest,
  UpdateContainerRequest,
  UpdateObjectMetadataRequest,
} from '../../../../proto/gen/weft/object/v1/object_service';
import { isHeaderToken, toHeaderValue } from './header-text';

/** What a face turns into a ProxyRequest (it adds the trans id, token, body and source). */
export interface RequestPlan {
  method: string;
  /** '' = the caller's own account, resolved by the auth middleware. */
  account: string;
  container?: string;
  object?: string;
  query: URLSearchParams;
  /** Lower-case names, latin1 values (see header-text.ts). */
  headers: Record<string, string>;
}

/** Listing page size when the request gives none (Swift's own default, 10000, is a lot for a page). */
export const DEFAULT_PAGE_SIZE = 1000;

/** Stored headers a client may set besides metadata (Swift's allowed_headers without the system ones). */
export const SETTABLE_HEADERS: readonly string[] = [
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'expires',
  'x-robots-tag',
];

const MD5_HEX = /^[0-9a-fA-F]{32}$/;

class Violations {
  readonly list: FieldViolation[] = [];
  constructor(private readonly prefix: string) {}
  add(field: string, description: string): void {
    this.list.push({ field: this.prefix + field, description });
  }
  throwIfAny(): void {
    if (this.list.length) throw invalidArgument(this.list);
  }
}

function checkAccount(v: Violations, account: string): void {
  if (account.includes('/')) v.add('account', 'must not contain "/"');
}

function checkContainer(v: Violations, container: string): void {
  if (container === '') v.add('container', 'is required');
  else if (container.includes('/')) v.add('container', 'must not contain "/"');
}

function checkObject(v: Violations, object: string): void {
  if (object === '') v.add('object', 'is required');
}

function metaHeaders(v: Violations, field: string, prefix: string, metadata: Record<string, string>, out: Record<string, string>): void {
  for (const [key, value] of Object.entries(metadata)) {
    if (!isHeaderToken(key)) {
      v.add(`${field}[${JSON.stringify(key)}]`, 'keys must be non-empty and use only header name characters (letters, digits, -, _, ...)');
      continue;
    }
    out[prefix + key.toLowerCase()] = toHeaderValue(value);
  }
}

function settableHeaders(v: Violations, headers: Record<string, string>, out: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!SETTABLE_HEADERS.includes(lower)) {
      v.add(`headers[${JSON.stringify(name)}]`, `not a settable header (allowed: ${SETTABLE_HEADERS.join(', ')})`);
      continue;
    }
    out[lower] = toHeaderValue(value);
  }
}

function expiryHeaders(v: Violations, deleteAt: number, deleteAfter: number, out: Record<string, string>): void {
  if (deleteAt < 0) v.add('delete_at', 'must not be negative');
  if (deleteAfter < 0) v.add('delete_after', 'must not be negative');
  if (deleteAt > 0 && deleteAfter > 0) v.add('delete_after', 'give delete_at or delete_after, not both');
  if (deleteAt > 0) out['x-delete-at'] = String(deleteAt);
  if (deleteAfter > 0) out['x-delete-after'] = String(deleteAfter);
}

function objectPath(v: Violations, r: { account: string; container: string; object: string }): void {
  checkAccount(v, r.account);
  checkContainer(v, r.container);
  checkObject(v, r.object);
}

/** The `Range` header for a ByteRange. */
function rangeHeader(v: Violations, range: ByteRange): string | undefined {
  if (range.offset < 0) {
    if (range.length !== 0) v.add('range.length', 'must be 0 with a negative offset (a suffix range)');
    return `bytes=${range.offset}`;
  }
  if (range.length < 0) {
    v.add('range.length', 'must not be negative');
    return undefined;
  }
  return range.length === 0 ? `bytes=${range.offset}-` : `bytes=${range.offset}-${range.offset + range.length - 1}`;
}

/** An ETag condition value: quoted unless it is `*` or already quoted. */
function etagCondition(value: string): string {
  const t = value.trim();
  return t === '*' || t.startsWith('"') || t.startsWith('W/') ? t : `"${t}"`;
}

export function planPutObject(h: PutObjectHeader): RequestPlan {
  const v = new Violations('header.');
  objectPath(v, h);
  const headers: Record<string, string> = {};
  if (h.contentType) headers['content-type'] = toHeaderValue(h.contentType);
  metaHeaders(v, 'metadata', 'x-object-meta-', h.metadata, headers);
  settableHeaders(v, h.headers, headers);
  expiryHeaders(v, h.deleteAt, h.deleteAfter, headers);
  if (h.etag) {
    if (!MD5_HEX.test(h.etag)) v.add('etag', 'must be an MD5 in hex (32 characters)');
    else headers.etag = h.etag.toLowerCase();
  }
  if (h.contentLength !== undefined) {
    if (h.contentLength < 0) v.add('content_length', 'must not be negative');
    else headers['content-length'] = String(h.contentLength);
  } else {
    headers['transfer-encoding'] = 'chunked';
  }
  v.throwIfAny();
  return { method: 'PUT', account: h.account, container: h.container, object: h.object, query: new URLSearchParams(), headers };
}

export function planGetObject(r: GetObjectRequest): RequestPlan {
  const v = new Violations('');
  objectPath(v, r);
  const headers: Record<string, string> = {};
  if (r.range) {
    const range = rangeHeader(v, r.range);
    if (range) headers.range = range;
  }
  if (r.ifMatch) headers['if-match'] = etagCondition(r.ifMatch);
  if (r.ifNoneMatch) headers['if-none-match'] = etagCondition(r.ifNoneMatch);
  if (r.ifModifiedSince) headers['if-modified-since'] = r.ifModifiedSince.toUTCString();
  if (r.ifUnmodifiedSince) headers['if-unmodified-since'] = r.ifUnmodifiedSince.toUTCString();
  v.throwIfAny();
  return { method: 'GET', account: r.account, container: r.container, object: r.object, query: new URLSearchParams(), headers };
}

/** Whether a GET carried conditions (so a 412 means "condition failed", not "bad request"). */
export function isConditional(r: GetObjectRequest): boolean {
  return Boolean(r.ifMatch || r.ifNoneMatch || r.ifModifiedSince || r.ifUnmodifiedSince);
}

export function planHeadObject(r: GetObjectMetadataRequest): RequestPlan {
  const v = new Violations('');
  objectPath(v, r);
  v.throwIfAny();
  return { method: 'HEAD', account: r.account, container: r.container, object: r.object, query: new URLSearchParams(), headers: {} };
}

export function planPostObject(r: UpdateObjectMetadataRequest): RequestPlan {
  const v = new Violations('');
  objectPath(v, r);
  const headers: Record<string, string> = {};
  if (r.contentType) headers['content-type'] = toHeaderValue(r.contentType);
  metaHeaders(v, 'metadata', 'x-object-meta-', r.metadata, headers);
  settableHeaders(v, r.headers, headers);
  expiryHeaders(v, r.deleteAt, r.deleteAfter, headers);
  v.throwIfAny();
  return { method: 'POST', account: r.account, container: r.container, object: r.object, query: new URLSearchParams(), headers };
}

export function planDeleteObject(r: DeleteObjectRequest): RequestPlan {
  const v = new Violations('');
  objectPath(v, r);
  v.throwIfAny();
  return { method: 'DELETE', account: r.account, container: r.container, object: r.object, query: new URLSearchParams(), headers: {} };
}

interface ListingParams {
  pageSize: number;
  pageToken: string;
  prefix: string;
  delimiter: string;
  endMarker: string;
  reverse: boolean;
}

/** The listing query (always JSON: the face parses it into messages). */
function listingQuery(v: Violations, p: ListingParams): URLSearchParams {
  if (p.pageSize < 0) v.add('page_size', 'must not be negative');
  const q = new URLSearchParams({ format: 'json', limit: String(p.pageSize > 0 ? p.pageSize : DEFAULT_PAGE_SIZE) });
  if (p.pageToken) q.set('marker', p.pageToken);
  if (p.prefix) q.set('prefix', p.prefix);
  if (p.delimiter) q.set('delimiter', p.delimiter);
  if (p.endMarker) q.set('end_marker', p.endMarker);
  if (p.reverse) q.set('reverse', 'true');
  return q;
}

/** The page size a listing plan asked for (to tell whether a page was full). */
export function plannedLimit(plan: RequestPlan): number {
  return Number(plan.query.get('limit') ?? DEFAULT_PAGE_SIZE);
}

export function planListObjects(r: ListObjectsRequest): RequestPlan {
  const v = new Violations('');
  checkAccount(v, r.account);
  checkContainer(v, r.container);
  const query = listingQuery(v, r);
  v.throwIfAny();
  return { method: 'GET', account: r.account, container: r.container, query, headers: {} };
}

export function planListContainers(r: ListContainersRequest): RequestPlan {
  const v = new Violations('');
  checkAccount(v, r.account);
  const query = listingQuery(v, r);
  v.throwIfAny();
  return { method: 'GET', account: r.account, query, headers: {} };
}

function quotaHeader(v: Violations, field: string, name: string, value: number | undefined, out: Record<string, string>, removeWithZero: boolean): void {
  if (value === undefined) return;
  if (value < 0) v.add(field, 'must not be negative');
  else if (value > 0) out[name] = String(value);
  else if (removeWithZero) out[name] = '';
}

export function planPutContainer(r: CreateContainerRequest): RequestPlan {
  const v = new Violations('');
  checkAccount(v, r.account);
  checkContainer(v, r.container);
  const headers: Record<string, string> = {};
  metaHeaders(v, 'metadata', 'x-container-meta-', r.metadata, headers);
  if (r.readAcl) headers['x-container-read'] = toHeaderValue(r.readAcl);
  if (r.writeAcl) headers['x-container-write'] = toHeaderValue(r.writeAcl);
  quotaHeader(v, 'quota_bytes', 'x-container-meta-quota-bytes', r.quotaBytes, headers, false);
  quotaHeader(v, 'quota_count', 'x-container-meta-quota-count', r.quotaCount, headers, false);
  v.throwIfAny();
  return { method: 'PUT', account: r.account, container: r.container, query: new URLSearchParams(), headers };
}

export function planHeadContainer(r: GetContainerRequest | DeleteContainerRequest, method: 'HEAD' | 'DELETE' = 'HEAD'): RequestPlan {
  const v = new Violations('');
  checkAccount(v, r.account);
  checkContainer(v, r.container);
  v.throwIfAny();
  return { method, account: r.account, container: r.container, query: new URLSearchParams(), headers: {} };
}

export function planPostContainer(r: UpdateContainerRequest): RequestPlan {
  const v = new Violations('');
  checkAccount(v, r.account);
  checkContainer(v, r.container);
  const headers: Record<string, string> = {};
  metaHeaders(v, 'metadata', 'x-container-meta-', r.metadata, headers);
  if (r.readAcl !== undefined) headers['x-container-read'] = toHeaderValue(r.readAcl);
  if (r.writeAcl !== undefined) headers['x-container-write'] = toHeaderValue(r.writeAcl);
  quotaHeader(v, 'quota_bytes', 'x-container-meta-quota-bytes', r.quotaBytes, headers, true);
  quotaHeader(v, 'quota_count', 'x-container-meta-quota-count', r.quotaCount, headers, true);
  v.throwIfAny();
  return { method: 'POST', account: r.account, container: r.container, query: new URLSearchParams(), headers };
}

export function planHeadAccount(r: GetAccountRequest): RequestPlan {
  const v = new Violations('');
  checkAccount(v, r.account);
  v.throwIfAny();
  return { method: 'HEAD', account: r.account, query: new URLSearchParams(), headers: {} };
}

export function planPostAccount(r: UpdateAccountRequest): RequestPlan {
  const v = new Violations('');
  checkAccount(v, r.account);
  const headers: Record<string, string> = {};
  metaHeaders(v, 'metadata', 'x-account-meta-', r.metadata, headers);
  quotaHeader(v, 'quota_bytes', 'x-account-meta-quota-bytes', r.quotaBytes, headers, true);
  v.throwIfAny();
  return { method: 'POST', account: r.account, query: new URLSearchParams(), headers };
}
