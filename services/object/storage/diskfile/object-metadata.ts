/**
 * The metadata files of an object, and the metadata a reader sees.
 *
 * A PUT's metadata is stored in its `.data`'s footer (data-footer.ts; `<ts>.meta.json` beside
 * the `.data` in the two-file form written before, and in replication frames); a POST's in
 * `<ts>.meta`. A reader sees
 * the PUT's metadata with the replaceable headers (user metadata, allowed headers) and, when
 * given, the content type taken from the newest POST; system metadata always comes from the PUT.
 * Both files are JSON with a `version` so the format can evolve; an unreadable file means a
 * damaged object (the caller quarantines it).
 */
import { SYSMETA_PREFIX, type HeaderBag } from '../../common/object-headers';
import { Timestamp } from '../../common/timestamp';

/** A PUT's metadata: the JSON of a `.data`'s footer (or of a two-file form's `<ts>.meta.json`). */
export interface DataMetadataFile {
  version: 1;
  /** `/account/container/object`: which name this hash is (auditor, replicator, debugging). */
  name: string;
  /** Internal form. */
  timestamp: string;
  contentLength: number;
  /** MD5 of the body, lower-case hex. */
  etag: string;
  contentType: string;
  /** Stored headers (user metadata, allowed headers, system metadata). */
  headers: HeaderBag;
}

/** Contents of `<ts>.meta` (a POST). */
export interface PostMetadataFile {
  version: 1;
  timestamp: string;
  /** Set when the POST changed the content type. */
  contentType?: string;
  /** The new user metadata and allowed headers (replacing the previous ones entirely). */
  headers: HeaderBag;
}

/** What a GET or HEAD answers with. */
export interface ObjectMetadata {
  name: string;
  /** When the body was written (the `.data`'s timestamp). */
  dataTimestamp: Timestamp;
  /** The newest of the `.data` and the `.meta` timestamps: the object's X-Timestamp. */
  timestamp: Timestamp;
  contentLength: number;
  etag: string;
  contentType: string;
  headers: HeaderBag;
}

function isHeaderBag(v: unknown): v is HeaderBag {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

function record(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Parses a `.meta.json`; undefined when it is not a valid one. */
export function parseDataMetadata(text: string): DataMetadataFile | undefined {
  const v = record(text);
  if (!v || v.version !== 1) return undefined;
  const { name, timestamp, contentLength, etag, contentType, headers } = v;
  if (typeof name !== 'string' || typeof timestamp !== 'string' || !Timestamp.tryParse(timestamp)) return undefined;
  if (typeof contentLength !== 'number' || !Number.isSafeInteger(contentLength) || contentLength < 0) return undefined;
  if (typeof etag !== 'string' || !/^[0-9a-f]{32}$/.test(etag) || typeof contentType !== 'string' || !isHeaderBag(headers)) return undefined;
  return { version: 1, name, timestamp, contentLength, etag, contentType, headers };
}

/** Parses a `.meta`; undefined when it is not a valid one. */
export function parsePostMetadata(text: string): PostMetadataFile | undefined {
  const v = record(text);
  if (!v || v.version !== 1) return undefined;
  const { timestamp, contentType, headers } = v;
  if (typeof timestamp !== 'string' || !Timestamp.tryParse(timestamp) || !isHeaderBag(headers)) return undefined;
  if (contentType !== undefined && typeof contentType !== 'string') return undefined;
  return contentType === undefined ? { version: 1, timestamp, headers } : { version: 1, timestamp, contentType, headers };
}

/** The metadata a reader sees: the PUT's, with a newer POST's replaceable part applied. */
export function mergeMetadata(data: DataMetadataFile, post?: PostMetadataFile): ObjectMetadata {
  const dataTimestamp = Timestamp.parse(data.timestamp);
  if (!post) {
    return { name: data.name, dataTimestamp, timestamp: dataTimestamp, contentLength: data.contentLength, etag: data.etag, contentType: data.contentType, headers: { ...data.headers } };
  }
  const headers: HeaderBag = {};
  for (const [k, v] of Object.entries(data.headers)) if (k.startsWith(SYSMETA_PREFIX)) headers[k] = v;
  for (const [k, v] of Object.entries(post.headers)) if (!k.startsWith(SYSMETA_PREFIX)) headers[k] = v;
  return {
    name: data.name,
    dataTimestamp,
    timestamp: Timestamp.parse(post.timestamp),
    contentLength: data.contentLength,
    etag: data.etag,
    contentType: post.contentType ?? data.contentType,
    headers,
  };
}
