/**
 * Renders account and container listings the way Swift's proxy answers them (its
 * listing_formats middleware): the storage servers always answer JSON; the client picks JSON,
 * XML or plain text with `format=` or, without it, with its Accept header.
 *
 * Rules kept from Swift, because clients depend on them:
 * - `format=json|xml|plain` (any case) overrides Accept; an unknown `format=` value means plain.
 * - Without Accept, plain text. An Accept that cannot be parsed, or that matches none of
 *   text/plain, application/json, application/xml, text/xml, is 406.
 * - Content-Type is the chosen type with `; charset=utf-8`.
 * - An empty body is a 204: only plain text can be empty (JSON is `[]`, XML has its root element).
 * - XML: `<?xml version="1.0" encoding="UTF-8"?>` then a newline and the document. Containers
 *   list `<object>` and `<subdir name=".."><name>..</name></subdir>`; accounts list `<container>`
 *   and `<subdir name=".."/>`, with a newline after the root's start tag and after every entry
 *   (Swift's account_to_xml does that and its container_to_xml does not; clients parse both).
 * - Escaping as Python's ElementTree: text escapes & < >, attributes also " and CR/LF/TAB.
 * - A row whose content type carries `swift_bytes=N` (a static large object's manifest: the SLO
 *   middleware has the storage servers write its row so) lists `bytes` N, the SLO's size, and
 *   its content type without the parameter (Swift's override_bytes_from_content_type). The
 *   container's bytes used still counts the manifest's own size.
 * - A row whose hash carries `; slo_etag=X` (the same manifest rows) lists `hash` without the
 *   parameter (the manifest's MD5) and, in JSON, `"slo_etag": "\"X\""`, quoted as Swift's SLO
 *   middleware shows it: the ETag a GET of the object answers with. Swift's XML listings carry
 *   only name, hash, bytes, content_type and last_modified (its listing_formats builds them from
 *   the JSON after the SLO middleware has split the hash), so XML shows the plain hash and no
 *   slo_etag; plain listings are names only.
 */

import { SWIFT_BYTES_PARAM } from '../common/object-headers';

/** An object in a container listing, as the container servers send it. */
export interface ObjectListingItem {
  name: string;
  hash: string;
  bytes: number;
  content_type: string;
  last_modified: string;
  /** A static large object's ETag, quoted (JSON listings only; see withSloEtag). */
  slo_etag?: string;
}

/** A container in an account listing, as the account servers send it. */
export interface ContainerListingItem {
  name: string;
  count: number;
  bytes: number;
  last_modified: string;
}

/** A rolled-up pseudo-directory (delimiter listings). */
export interface SubdirItem {
  subdir: string;
}

export type ListingItem = ObjectListingItem | ContainerListingItem | SubdirItem;

export type ListingContentType = 'text/plain' | 'application/json' | 'application/xml' | 'text/xml';

/** Offered in this order, which decides ties (and is what a missing Accept gets: plain). */
const OFFERS: readonly ListingContentType[] = ['text/plain', 'application/json', 'application/xml', 'text/xml'];

const FORMATS: Readonly<Record<string, ListingContentType>> = {
  plain: 'text/plain',
  json: 'application/json',
  xml: 'application/xml',
};

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

interface MediaRange {
  type: string;
  subtype: string;
  q: number;
  glob: boolean;
  index: number;
}

/** Parses an Accept header; undefined when it is malformed (Swift then answers 406). */
function parseAccept(header: string): MediaRange[] | undefined {
  const out: MediaRange[] = [];
  const parts = header.split(',');
  for (let index = 0; index < parts.length; index++) {
    const part = parts[index]!.trim();
    if (part === '') continue;
    const [range, ...params] = part.split(';').map((s) => s.trim());
    const slash = range!.indexOf('/');
    if (slash < 0) return undefined;
    const type = range!.slice(0, slash).toLowerCase();
    const subtype = range!.slice(slash + 1).toLowerCase();
    if (!TOKEN.test(type) || !TOKEN.test(subtype) || (type === '*' && subtype !== '*')) return undefined;
    let q = 1;
    for (const p of params) {
      const eq = p.indexOf('=');
      if (eq < 0) return undefined;
      if (p.slice(0, eq).trim().toLowerCase() !== 'q') continue;
      const v = p.slice(eq + 1).trim();
      if (!/^(?:\d+(?:\.\d*)?|\.\d+)$/.test(v)) return undefined;
      q = Number(v);
    }
    out.push({ type, subtype, q, glob: type === '*' || subtype === '*', index });
  }
  return out;
}

function matches(range: MediaRange, offer: string): boolean {
  const [type, subtype] = offer.split('/');
  return (range.type === '*' || range.type === type) && (range.subtype === '*' || range.subtype === subtype);
}

/**
 * The content type a listing is answered in, from the query's `format` and the Accept header;
 * undefined = 406 Not Acceptable.
 */
export function listingContentType(format: string | null | undefined, accept: string | undefined): ListingContentType | undefined {
  const header = format ? (FORMATS[format.toLowerCase()] ?? 'text/plain') : accept;
  if (header === undefined || header.trim() === '') return OFFERS[0];
  const ranges = parseAccept(header);
  if (ranges === undefined) return undefined;
  if (ranges.length === 0) return OFFERS[0];
  // Highest quality first; among equals, exact types before globs, then header order.
  const ordered = [...ranges].sort((a, b) => b.q - a.q || Number(a.glob) - Number(b.glob) || a.index - b.index);
  for (const range of ordered) {
    if (range.q <= 0) continue;
    const offer = OFFERS.find((o) => matches(range, o));
    if (offer) return offer;
  }
  return undefined;
}


/** An object entry with any `swift_bytes` applied to its bytes and removed from its content type. */
export function withSwiftBytes(item: ObjectListingItem): ObjectListingItem {
  const m = SWIFT_BYTES_PARAM.exec(item.content_type);
  if (!m) return item;
  const contentType = (item.content_type.slice(0, m.index) + item.content_type.slice(m.index + m[0].length)).trimEnd();
  // A value that is not a size is dropped from the type but cannot be a size (Swift logs it).
  const value = m[1].trim();
  return { ...item, content_type: contentType, bytes: /^\d{1,16}$/.test(value) ? Number(value) : item.bytes };
}

/** What a row's hash says once its `slo_etag` parameter is taken out. */
export interface SplitHash {
  /** The hash without `slo_etag`; any other parameters kept as `; name=value`. */
  hash: string;
  /** The parameter's value, unquoted; undefined when it is empty. */
  sloEtag?: string;
}

/** The marker every split looks for first: most rows never carry it, and pay one scan. */
const SLO_ETAG_MARK = 'slo_etag';

function unquote(v: string): string {
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1).replace(/\\(.)/g, '$1') : v;
}

/**
 * Splits `<etag>; slo_etag=X` the way Swift's SLO middleware reads a listing row's hash (as a
 * header value with parameters): the value before the first `;` trimmed; parameters `name=value`
 * with names lower-cased, values trimmed and unquoted; pieces without `=` dropped; a repeated
 * name keeps its last value. Only the lower-case `slo_etag` the proxy writes is looked for, so
 * a listing without it costs one byte scan. Undefined when there is no `slo_etag` parameter: the
 * hash is then left exactly as it is, whatever else it holds. When there is one, the other
 * parameters are kept, rewritten as `; name=value`.
 */
export function splitSloEtag(raw: string): SplitHash | undefined {
  if (!raw.includes(SLO_ETAG_MARK)) return undefined;
  const [first, ...pieces] = raw.split(';');
  const params = new Map<string, string>();
  for (const piece of pieces) {
    const eq = piece.indexOf('=');
    if (eq < 0) continue;
    params.set(piece.slice(0, eq).trim().toLowerCase(), unquote(piece.slice(eq + 1).trim()));
  }
  const sloEtag = params.get(SLO_ETAG_MARK);
  if (sloEtag === undefined) return undefined;
  params.delete(SLO_ETAG_MARK);
  let hash = first.trim();
  for (const [name, value] of params) hash += `; ${name}=${value}`;
  return sloEtag === '' ? { hash } : { hash, sloEtag };
}

/**
 * An object entry with any `slo_etag` taken out of its hash into `slo_etag` (quoted, as Swift
 * lists it). An empty value only goes from the hash: `""` would name no ETag at all.
 */
export function withSloEtag(item: ObjectListingItem): ObjectListingItem {
  const split = typeof item.hash === 'string' ? splitSloEtag(item.hash) : undefined;
  if (!split) return item;
  const out: ObjectListingItem = { ...item, hash: split.hash };
  delete out.slo_etag;
  if (split.sloEtag !== undefined) out.slo_etag = `"${split.sloEtag}"`;
  return out;
}

/** An object entry as listings show it: swift_bytes and slo_etag applied. */
export function withListingParams(item: ObjectListingItem): ObjectListingItem {
  return withSloEtag(withSwiftBytes(item));
}

function isObjectItem(item: ListingItem): item is ObjectListingItem {
  return 'content_type' in item && typeof item.content_type === 'string';
}

/** Applies withListingParams (swift_bytes and slo_etag) to every object entry of a container listing. */
export function applyListingParams(items: readonly ListingItem[]): ListingItem[] {
  return items.map((item) => (isObjectItem(item) ? withListingParams(item) : item));
}

/**
 * A container listing's JSON as the storage servers sent it, with swift_bytes and slo_etag
 * applied. The common listing has no SLO rows: then the same bytes come back, not re-encoded
 * (also when a name merely contains one of the markers and no row changes).
 */
export function containerListingJson(json: Buffer): Buffer {
  if (!json.includes('swift_bytes=') && !json.includes(SLO_ETAG_MARK)) return json;
  let items: unknown;
  try {
    items = JSON.parse(json.toString('utf8'));
  } catch {
    return json;
  }
  if (!Array.isArray(items) || !items.every((i) => typeof i === 'object' && i !== null)) return json;
  const listed = items as ListingItem[];
  const applied = applyListingParams(listed);
  if (applied.every((item, i) => item === listed[i])) return json;
  return Buffer.from(JSON.stringify(applied), 'utf8');
}

export function escapeXmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeXmlAttribute(s: string): string {
  return escapeXmlText(s).replace(/"/g, '&quot;').replace(/\r/g, '&#13;').replace(/\n/g, '&#10;').replace(/\t/g, '&#09;');
}

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

function isSubdir(item: ListingItem): item is SubdirItem {
  return 'subdir' in item;
}

function element(name: string, value: string | number): string {
  return `<${name}>${escapeXmlText(String(value))}</${name}>`;
}

/** The root element with no children is written self-closing, as ElementTree does. */
function root(tag: string, name: string, inner: string): string {
  const open = `<${tag} name="${escapeXmlAttribute(name)}"`;
  return inner === '' ? `${open} />` : `${open}>${inner}</${tag}>`;
}

export function containerListingXml(container: string, items: readonly ListingItem[]): string {
  let inner = '';
  for (const item of items) {
    if (isSubdir(item)) {
      inner += `<subdir name="${escapeXmlAttribute(item.subdir)}">${element('name', item.subdir)}</subdir>`;
    } else {
      const o = item as ObjectListingItem;
      inner += `<object>${element('name', o.name)}${element('hash', o.hash)}${element('bytes', o.bytes)}${element('content_type', o.content_type)}${element('last_modified', o.last_modified)}</object>`;
    }
  }
  return XML_DECLARATION + root('container', container, inner);
}

export function accountListingXml(account: string, items: readonly ListingItem[]): string {
  let inner = '\n';
  for (const item of items) {
    if (isSubdir(item)) {
      inner += `<subdir name="${escapeXmlAttribute(item.subdir)}" />\n`;
    } else {
      const c = item as ContainerListingItem;
      inner += `<container>${element('name', c.name)}${element('count', c.count)}${element('bytes', c.bytes)}${element('last_modified', c.last_modified)}</container>\n`;
    }
  }
  return XML_DECLARATION + root('account', account, inner);
}

export function listingText(items: readonly ListingItem[]): string {
  return items.map((item) => `${isSubdir(item) ? item.subdir : item.name}\n`).join('');
}

export interface RenderedListing {
  /** 200, or 204 when the body is empty. */
  status: 200 | 204;
  contentType: string;
  body: Buffer;
}

export interface ListingToRender {
  /** Whose listing: a container lists objects, an account containers. */
  kind: 'container' | 'account';
  /** The container's (or account's) name, for the XML root. */
  name: string;
  contentType: ListingContentType;
  items: readonly ListingItem[];
}

export function renderListing(l: ListingToRender): RenderedListing {
  const items = l.kind === 'container' ? applyListingParams(l.items) : l.items;
  let text: string;
  if (l.contentType === 'application/json') text = JSON.stringify(items);
  else if (l.contentType === 'text/plain') text = listingText(items);
  else text = l.kind === 'container' ? containerListingXml(l.name, items) : accountListingXml(l.name, items);
  const body = Buffer.from(text, 'utf8');
  return { status: body.length === 0 ? 204 : 200, contentType: `${l.contentType}; charset=utf-8`, body };
}
