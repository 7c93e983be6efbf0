/**
 * Validates a listing request's query (account or container GET) before anything is sent to the
 * storage servers, with Swift's rules and status codes:
 * - `limit`: digits only count (anything else is ignored and the default applies, as in Swift);
 *   above the maximum is 412 "Maximum limit is N".
 * - `delimiter`: one character (412 "Bad delimiter" otherwise, as Swift's container server).
 * - `prefix`, `marker`, `end_marker`, `path`: no NUL, no more bytes than the longest name the
 *   listing can hold (400): a longer one could not match anything and only costs the servers.
 * - `path` (containers only): Swift's pseudo-directory listing, i.e. prefix = path + '/' and
 *   delimiter '/', listing only the names directly under it (listing-path.ts).
 * - `reverse`: Swift's true values (true, 1, yes, on, t, y; any case).
 */

export interface ListingQuery {
  prefix?: string;
  delimiter?: string;
  marker?: string;
  endMarker?: string;
  limit: number;
  reverse: boolean;
  /** Swift's `path=` (container listings only); prefix and delimiter are derived from it. */
  path?: string;
}

export class ListingQueryError extends Error {
  constructor(
    readonly status: 400 | 412,
    message: string,
  ) {
    super(message);
    this.name = 'ListingQueryError';
  }
}

export interface ListingQueryLimits {
  /** The largest (and default) `limit`. */
  maxLimit: number;
  /** Bytes: the longest name the listing can hold (objects 1024, containers 256). */
  maxNameBytes: number;
  /** Whether `path=` is honoured (container listings; Swift's account server ignores it). */
  allowPath: boolean;
}

const TRUE_VALUES = ['true', '1', 'yes', 'on', 't', 'y'];

export function isTrueValue(v: string | null): boolean {
  return v !== null && TRUE_VALUES.includes(v.trim().toLowerCase());
}

/** Parses and validates; throws ListingQueryError (400 or 412). */
export function parseListingQuery(query: URLSearchParams, limits: ListingQueryLimits): ListingQuery {
  const text = (name: string): string | undefined => {
    const v = query.get(name);
    if (v === null) return undefined;
    if (v.includes('\u0000')) throw new ListingQueryError(400, `${name} holds a NUL character`);
    if (v.includes('\ufffd')) throw new ListingQueryError(400, `${name} is not valid UTF-8`);
    if (Buffer.byteLength(v, 'utf8') > limits.maxNameBytes) throw new ListingQueryError(400, `${name} is longer than ${limits.maxNameBytes} bytes`);
    return v;
  };
  let limit = limits.maxLimit;
  const rawLimit = query.get('limit');
  if (rawLimit !== null && /^\d+$/.test(rawLimit)) {
    limit = rawLimit.length > 15 ? Number.MAX_SAFE_INTEGER : Number(rawLimit);
    if (limit > limits.maxLimit) throw new ListingQueryError(412, `Maximum limit is ${limits.maxLimit}`);
  }
  const delimiter = text('delimiter');
  if (delimiter !== undefined && Array.from(delimiter).length > 1) throw new ListingQueryError(412, 'Bad delimiter');
  const out: ListingQuery = {
    prefix: text('prefix'),
    delimiter: delimiter || undefined,
    marker: text('marker') || undefined,
    endMarker: text('end_marker') || undefined,
    limit,
    reverse: isTrueValue(query.get('reverse')),
  };
  if (limits.allowPath) {
    const path = text('path');
    if (path !== undefined) {
      out.path = path;
      out.prefix = pathPrefix(path);
      out.delimiter = '/';
    }
  }
  return out;
}

/** The prefix a `path=` listing covers: '' for the top level, else the path with one '/'. */
export function pathPrefix(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? '' : `${trimmed}/`;
}

/** The query string for the storage servers (always JSON; they do not know `path`). */
export function storageListingQuery(q: ListingQuery, overrides: Partial<ListingQuery> = {}): string {
  const merged = { ...q, ...overrides };
  const params = new URLSearchParams();
  params.set('format', 'json');
  params.set('limit', String(merged.limit));
  if (merged.prefix) params.set('prefix', merged.prefix);
  if (merged.delimiter) params.set('delimiter', merged.delimiter);
  if (merged.marker) params.set('marker', merged.marker);
  if (merged.endMarker) params.set('end_marker', merged.endMarker);
  if (merged.reverse) params.set('reverse', 'true');
  return params.toString();
}
