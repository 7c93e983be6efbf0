/**
 * Pipeline response headers and JSON listings → ObjectService messages. Pure.
 *
 * Header names are read in lower case (see lowerCaseHeaders); values are latin1 as the pipeline
 * keeps them and are decoded to Unicode here. Missing or malformed numbers read as 0 and missing
 * dates as unset: a response is described as far as it describes itself.
 */
import type { Account, Container, GetObjectHeader, ListContainersResponse, ListObjectsResponse, Object as StoredObject } from '../../../../proto/gen/weft/object/v1/object_service';
import { fromHeaderValue } from './header-text';
import { SETTABLE_HEADERS } from './request-mapping';

type Headers = Record<string, string>;

function int(value: string | undefined): number {
  if (value === undefined) return 0;
  const n = Number(value.trim());
  return Number.isFinite(n) ? Math.trunc(n) : 0;
}

function httpDate(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/** Swift listings' `2016-12-21T14:47:20.123450`: UTC without a zone designator. */
export function listingDate(value: unknown): Date | undefined {
  if (typeof value !== 'string' || !value) return undefined;
  const withZone = /(Z|[+-]\d\d:?\d\d)$/.test(value) ? value : value + 'Z';
  const ms = Date.parse(withZone);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

function unquote(etag: string | undefined): string {
  if (!etag) return '';
  const t = etag.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

/** `prefix<key>` headers → key (lower case) → Unicode value, minus the excluded keys. */
function metadata(h: Headers, prefix: string, exclude: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(h)) {
    if (!name.startsWith(prefix)) continue;
    const key = name.slice(prefix.length);
    if (key && !exclude.includes(key)) out[key] = fromHeaderValue(value);
  }
  return out;
}

/** `bytes first-last/complete` → its numbers, or undefined. */
export function parseContentRange(value: string | undefined): { first: number; last: number; complete: number } | undefined {
  const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(value?.trim() ?? '');
  return m ? { first: Number(m[1]), last: Number(m[2]), complete: Number(m[3]) } : undefined;
}

export interface ObjectPath {
  account: string;
  container: string;
  name: string;
}

/** An object as HEAD/GET/PUT responses describe it. */
export function objectFromHeaders(h: Headers, path: ObjectPath): StoredObject {
  const range = parseContentRange(h['content-range']);
  const headers: Record<string, string> = {};
  for (const name of SETTABLE_HEADERS) if (h[name] !== undefined) headers[name] = fromHeaderValue(h[name]);
  return {
    account: path.account,
    container: path.container,
    name: path.name,
    size: range ? range.complete : int(h['content-length']),
    etag: unquote(h.etag),
    contentType: fromHeaderValue(h['content-type'] ?? ''),
    lastModified: httpDate(h['last-modified']),
    metadata: metadata(h, 'x-object-meta-'),
    timestamp: h['x-timestamp'] ?? '',
    deleteAt: int(h['x-delete-at']),
    headers,
    largeObject: (h['x-static-large-object'] ?? '').toLowerCase() === 'true',
  };
}

/** The first message of a download: the object and which bytes follow. */
export function getObjectHeader(h: Headers, path: ObjectPath): GetObjectHeader {
  const object = objectFromHeaders(h, path);
  const range = parseContentRange(h['content-range']);
  const length = int(h['content-length']);
  return { object, rangeOffset: range ? range.first : 0, rangeLength: range ? range.last - range.first + 1 : length };
}

const CONTAINER_QUOTA_KEYS = ['quota-bytes', 'quota-count'];

export function containerFromHeaders(h: Headers, account: string, name: string): Container {
  return {
    account,
    name,
    objectCount: int(h['x-container-object-count']),
    bytesUsed: int(h['x-container-bytes-used']),
    metadata: metadata(h, 'x-container-meta-', CONTAINER_QUOTA_KEYS),
    readAcl: fromHeaderValue(h['x-container-read'] ?? ''),
    writeAcl: fromHeaderValue(h['x-container-write'] ?? ''),
    quotaBytes: int(h['x-container-meta-quota-bytes']),
    quotaCount: int(h['x-container-meta-quota-count']),
    timestamp: h['x-timestamp'] ?? '',
    lastModified: undefined,
  };
}

export function accountFromHeaders(h: Headers, name: string): Account {
  return {
    name,
    containerCount: int(h['x-account-container-count']),
    objectCount: int(h['x-account-object-count']),
    bytesUsed: int(h['x-account-bytes-used']),
    metadata: metadata(h, 'x-account-meta-', ['quota-bytes']),
    quotaBytes: int(h['x-account-meta-quota-bytes']),
    timestamp: h['x-timestamp'] ?? '',
  };
}

/** A listing body that is not what the pipeline promised (a JSON array of entries). */
export class ListingFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ListingFormatError';
  }
}

function entries(body: string): Record<string, unknown>[] {
  if (body.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new ListingFormatError('listing is not JSON');
  }
  if (!Array.isArray(parsed)) throw new ListingFormatError('listing is not a JSON array');
  return parsed.map((e: unknown, i) => {
    if (typeof e !== 'object' || e === null) throw new ListingFormatError(`listing entry ${i} is not an object`);
    return e as Record<string, unknown>;
  });
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0);

/**
 * The page token for the next page: the last entry's name (Swift's marker) when the page is
 * full, else '' (the last page). A full last page costs one extra, empty call, as in Swift.
 */
function nextToken(names: readonly string[], limit: number): string {
  return names.length >= limit && names.length > 0 ? names[names.length - 1] : '';
}

/** A listing's entries split into items and subdirs, with the page token over both (in order). */
function splitListing<T>(body: string, limit: number, item: (e: Record<string, unknown>, name: string) => T): { items: T[]; subdirs: string[]; nextPageToken: string } {
  const items: T[] = [];
  const subdirs: string[] = [];
  const order: string[] = [];
  for (const e of entries(body)) {
    if (typeof e.subdir === 'string') {
      subdirs.push(e.subdir);
      order.push(e.subdir);
      continue;
    }
    const name = str(e.name);
    order.push(name);
    items.push(item(e, name));
  }
  return { items, subdirs, nextPageToken: nextToken(order, limit) };
}

export function objectListing(body: string, h: Headers, account: string, container: string, limit: number): ListObjectsResponse {
  const { items, subdirs, nextPageToken } = splitListing<StoredObject>(body, limit, (e, name) => ({
    account,
    container,
    name,
    size: num(e.bytes),
    // A static large object lists its manifest's MD5 as `hash` and the ETag its GET answers
    // with as `slo_etag` (listing-format.ts); Object.etag is the latter, as on HEAD/GET.
    etag: unquote(str(e.slo_etag ?? e.hash)),
    contentType: str(e.content_type),
    lastModified: listingDate(e.last_modified),
    metadata: {},
    timestamp: '',
    deleteAt: 0,
    headers: {},
    largeObject: typeof e.slo_etag === 'string',
  }));
  return {
    objects: items,
    subdirs,
    nextPageToken,
    objectCount: int(h['x-container-object-count']),
    bytesUsed: int(h['x-container-bytes-used']),
  };
}

export function containerListing(body: string, h: Headers, account: string, limit: number): ListContainersResponse {
  const { items, subdirs, nextPageToken } = splitListing<Container>(body, limit, (e, name) => ({
    account,
    name,
    objectCount: num(e.count),
    bytesUsed: num(e.bytes),
    metadata: {},
    readAcl: '',
    writeAcl: '',
    quotaBytes: 0,
    quotaCount: 0,
    timestamp: '',
    lastModified: listingDate(e.last_modified),
  }));
  return {
    containers: items,
    subdirs,
    nextPageToken,
    containerCount: int(h['x-account-container-count']),
    objectCount: int(h['x-account-object-count']),
    bytesUsed: int(h['x-account-bytes-used']),
  };
}
