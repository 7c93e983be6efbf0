/**
 * Which request headers an object keeps, and how they come back on GET/HEAD (Swift's rules).
 *
 * - `X-Object-Meta-*`: user metadata. A POST replaces the whole set.
 * - a few standard headers clients may set on an object (Swift's default `allowed_headers`):
 *   also replaced by a POST.
 * - `X-Object-Sysmeta-*`: system metadata set by the proxy and its middleware (e.g. large object
 *   manifests). Stored with the data and never changed by a POST, so users cannot forge it.
 *
 * Header names are kept lower-case; values are kept as Node hands them over: one char per byte
 * (latin1), so any UTF-8 a client sent goes back byte for byte.
 */
import type { IncomingHttpHeaders } from 'node:http';

export const USER_META_PREFIX = 'x-object-meta-';
export const SYSMETA_PREFIX = 'x-object-sysmeta-';

/**
 * Container update overrides (Swift's): headers that replace the etag, size or content type an
 * object server reports to the container layer, weakest first. The proxy's SLO middleware sets
 * the sysmeta one (stored with the manifest); storage/http/container-update.ts applies them.
 */
export const CONTAINER_UPDATE_OVERRIDE_PREFIXES = ['x-backend-container-update-override-', `${SYSMETA_PREFIX}container-update-override-`] as const;
export const SYSMETA_CONTAINER_UPDATE_OVERRIDE_CONTENT_TYPE = `${SYSMETA_PREFIX}container-update-override-content-type`;

/**
 * `;swift_bytes=N` in a container row's content type (what listings take as the object's size),
 * with the space Swift's parser allows before the name; group 1 is the value.
 */
export const SWIFT_BYTES_PARAM = /;\s*swift_bytes=([^;]*)/;

export const SYSMETA_CONTAINER_UPDATE_OVERRIDE_ETAG = `${SYSMETA_PREFIX}container-update-override-etag`;

/**
 * `; slo_etag=X` in a container row's etag (Swift's): the SLO ETag a static large object's GET
 * answers with, next to the manifest's own MD5, which stays the row's hash. Spaces around `=`
 * are allowed as Swift's header parameter parser allows them; group 1 is the value.
 */
export const SLO_ETAG_PARAM = /;\s*slo_etag\s*=([^;]*)/;

/**
 * The container row etag a manifest PUT asks for: `<manifest MD5>; slo_etag=<SLO ETag>`, the
 * form Swift's SLO middleware writes (both unquoted; listings quote the SLO ETag).
 */
export function sloEtagOverride(manifestEtag: string, sloEtag: string): string {
  return `${manifestEtag}; slo_etag=${sloEtag}`;
}

/** Standard headers an object stores and returns (Swift's `allowed_headers` default). */
export const ALLOWED_HEADERS: readonly string[] = [
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'expires',
  'x-delete-at',
  'x-object-manifest',
  'x-robots-tag',
  'x-static-large-object',
];

/** Lower-case header name → value (latin1 string: one char per byte). */
export type HeaderBag = Record<string, string>;

export interface StoredHeaders {
  /** User metadata and allowed headers: what a POST replaces. */
  replaceable: HeaderBag;
  /** System metadata: fixed by the PUT. */
  sys: HeaderBag;
}

function headerValue(v: string | string[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(', ') : v;
}

/** Picks the headers an object stores from a request's headers (Node lower-cases names). */
export function storedHeadersFrom(headers: IncomingHttpHeaders): StoredHeaders {
  const replaceable: HeaderBag = {};
  const sys: HeaderBag = {};
  for (const [name, raw] of Object.entries(headers)) {
    const value = headerValue(raw);
    if (value === undefined) continue;
    if (name.startsWith(USER_META_PREFIX) || ALLOWED_HEADERS.includes(name)) replaceable[name] = value;
    else if (name.startsWith(SYSMETA_PREFIX)) sys[name] = value;
  }
  return { replaceable, sys };
}

/** The user metadata in a bag, keyed by the name after `X-Object-Meta-`. */
export function userMetadata(bag: HeaderBag): HeaderBag {
  const out: HeaderBag = {};
  for (const [name, value] of Object.entries(bag)) {
    if (name.startsWith(USER_META_PREFIX)) out[name.slice(USER_META_PREFIX.length)] = value;
  }
  return out;
}

/**
 * `x-object-meta-color` → `X-Object-Meta-Color`: the capitalization Swift answers with (HTTP
 * names are case-insensitive, but some clients compare them literally). A letter is upper-cased
 * when the character before it is not a letter, like Python's str.title().
 */
export function titleCaseHeader(name: string): string {
  let out = '';
  let prevLetter = false;
  for (const ch of name) {
    const isLetter = ch.toLowerCase() !== ch.toUpperCase();
    out += isLetter ? (prevLetter ? ch.toLowerCase() : ch.toUpperCase()) : ch;
    prevLetter = isLetter;
  }
  return out;
}
