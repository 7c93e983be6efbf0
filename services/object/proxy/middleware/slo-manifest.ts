/**
 * Static large object manifests (Swift's SLO), pure: parsing what a client PUTs with
 * ?multipart-manifest=put, checking it against what the segments really are, the stored form,
 * the SLO's ETag, and which byte ranges of which segments serve a Range of the whole.
 *
 * Client form: `[{"path": "/container/object", "etag": "<md5>"|null, "size_bytes": n|null}, ...]`.
 * Stored form (what ?multipart-manifest=get returns, as in Swift):
 * `[{"name": "/container/object", "hash": "<etag>", "bytes": n, "content_type": "...",
 *   "last_modified": "...", "sub_slo": true?}, ...]`.
 * The SLO's ETag is the MD5 of its segments' ETags concatenated (a nested SLO contributes its own
 * SLO ETag); responses quote it.
 */
import { createHash } from 'node:crypto';

export interface SloLimits {
  maxManifestSegments: number;
  maxManifestSize: number;
  minSegmentSize: number;
}

/** One segment as the client asked for it. */
export interface SegmentRequest {
  index: number;
  container: string;
  object: string;
  etag?: string;
  sizeBytes?: number;
}

export type ParseResult = { ok: true; segments: SegmentRequest[] } | { ok: false; status: 400 | 413; errors: string[] };

const ALLOWED_KEYS = new Set(['path', 'etag', 'size_bytes']);

/** `/c/o` → [c, o] (the object part may hold slashes); undefined when it does not name an object. */
export function splitSegmentPath(path: string): [string, string] | undefined {
  const m = /^\/?([^/]+)\/(.+)$/.exec(path);
  return m ? [m[1], m[2]] : undefined;
}

/** Normalizes an ETag from a client or a server: unquoted, lower case. */
export function normalizeEtag(v: string | undefined | null): string | undefined {
  const t = v?.trim();
  return t ? t.replace(/^"(.*)"$/, '$1').toLowerCase() : undefined;
}

/** Parses and checks the client's manifest (shape and limits; not the segments themselves). */
export function parseManifestInput(body: Buffer, limits: SloLimits): ParseResult {
  if (body.length > limits.maxManifestSize) return { ok: false, status: 413, errors: [`Manifest File > ${limits.maxManifestSize} bytes`] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, status: 400, errors: ['Manifest must be valid JSON.'] };
  }
  if (!Array.isArray(parsed)) return { ok: false, status: 400, errors: ['Manifest must be a list.'] };
  if (parsed.length === 0) return { ok: false, status: 400, errors: ['Manifest must have at least one segment.'] };
  if (parsed.length > limits.maxManifestSegments) return { ok: false, status: 400, errors: [`Number of segments must be <= ${limits.maxManifestSegments}`] };
  const errors: string[] = [];
  const segments: SegmentRequest[] = [];
  parsed.forEach((item: unknown, index) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      errors.push(`Index ${index}: not a JSON object`);
      return;
    }
    const rec = item as Record<string, unknown>;
    const extra = Object.keys(rec).filter((k) => !ALLOWED_KEYS.has(k));
    if (extra.length) {
      errors.push(`Index ${index}: extraneous keys ${extra.map((k) => JSON.stringify(k)).join(', ')}`);
      return;
    }
    if (typeof rec.path !== 'string') {
      errors.push(`Index ${index}: "path" must be a string`);
      return;
    }
    const parts = splitSegmentPath(rec.path);
    if (!parts) {
      errors.push(`Index ${index}: path does not refer to an object. Path must be of the form /container/object.`);
      return;
    }
    if (rec.etag !== undefined && rec.etag !== null && typeof rec.etag !== 'string') {
      errors.push(`Index ${index}: "etag" must be a string or null`);
      return;
    }
    const size = rec.size_bytes;
    if (size !== undefined && size !== null && (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)) {
      errors.push(`Index ${index}: "size_bytes" must be a non-negative integer or null`);
      return;
    }
    const seg: SegmentRequest = { index, container: parts[0], object: parts[1] };
    const etag = normalizeEtag(rec.etag as string | null | undefined);
    if (etag) seg.etag = etag;
    if (typeof size === 'number') seg.sizeBytes = size;
    segments.push(seg);
  });
  if (errors.length) return { ok: false, status: 400, errors };
  return { ok: true, segments };
}

/** What a HEAD of a segment found (through the pipeline, as the caller). */
export type SegmentHead =
  | { found: true; etag: string; size: number; contentType: string; lastModified: string; subSlo: boolean }
  | { found: false; status: number; statusText: string };

/** One stored manifest entry. */
export interface StoredSegment {
  name: string;
  hash: string;
  bytes: number;
  content_type: string;
  last_modified: string;
  sub_slo?: boolean;
}

export type CheckResult = { ok: true; stored: StoredSegment[]; etag: string; size: number } | { ok: false; errors: string[] };

/**
 * Checks the segments against their HEADs (existence, ETag, size, minimum size of all but the
 * last) and builds the stored manifest, the SLO ETag and the total size. `self` is the manifest's
 * own `/container/object`: a manifest may not name itself.
 */
export function checkSegments(segments: readonly SegmentRequest[], heads: readonly SegmentHead[], limits: SloLimits, self: string): CheckResult {
  const errors: string[] = [];
  const stored: StoredSegment[] = [];
  const md5 = createHash('md5');
  let size = 0;
  segments.forEach((seg, i) => {
    const path = `/${seg.container}/${seg.object}`;
    const head = heads[i];
    if (path === self) {
      errors.push(`${path}, Manifest may not reference itself`);
      return;
    }
    if (!head.found) {
      errors.push(`${path}, ${head.status} ${head.statusText}`);
      return;
    }
    const problems: string[] = [];
    if (seg.etag !== undefined && seg.etag !== head.etag) problems.push('Etag Mismatch');
    if (seg.sizeBytes !== undefined && seg.sizeBytes !== head.size) problems.push('Size Mismatch');
    if (i < segments.length - 1 && head.size < limits.minSegmentSize) problems.push(`Too small; each segment must be at least ${limits.minSegmentSize} byte${limits.minSegmentSize === 1 ? '' : 's'}.`);
    if (problems.length) {
      errors.push(`${path}, ${problems.join(', ')}`);
      return;
    }
    md5.update(head.etag);
    size += head.size;
    const entry: StoredSegment = { name: path, hash: head.etag, bytes: head.size, content_type: head.contentType, last_modified: head.lastModified };
    if (head.subSlo) entry.sub_slo = true;
    stored.push(entry);
  });
  if (errors.length) return { ok: false, errors };
  return { ok: true, stored, etag: md5.digest('hex'), size };
}

/** Reads a stored manifest; undefined when it is not one (bad data is never trusted to stream). */
export function parseStoredManifest(body: Buffer): StoredSegment[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  const out: StoredSegment[] = [];
  for (const item of parsed) {
    if (typeof item !== 'object' || item === null) return undefined;
    const r = item as Record<string, unknown>;
    if (typeof r.name !== 'string' || typeof r.hash !== 'string' || typeof r.bytes !== 'number' || !Number.isSafeInteger(r.bytes) || r.bytes < 0) return undefined;
    const seg: StoredSegment = { name: r.name, hash: r.hash, bytes: r.bytes, content_type: typeof r.content_type === 'string' ? r.content_type : '', last_modified: typeof r.last_modified === 'string' ? r.last_modified : '' };
    if (r.sub_slo === true) seg.sub_slo = true;
    out.push(seg);
  }
  return out;
}

/** A byte range of the whole, inclusive. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Parses a Range header against a total size: a single satisfiable range, 'unsatisfiable', or
 * undefined to serve the whole object (no header, a malformed one, or several ranges, which
 * this proxy answers in full, as HTTP allows).
 */
export function parseRange(header: string | undefined, total: number): ByteRange | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    return total === 0 ? 'unsatisfiable' : { start: Math.max(0, total - n), end: total - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? total - 1 : Math.min(Number(m[2]), total - 1);
  if (m[2] !== '' && Number(m[2]) < start) return undefined;
  if (start >= total) return 'unsatisfiable';
  return { start, end };
}

/** A piece of one segment to fetch: [start, end] within that segment, inclusive. */
export interface SegmentPiece {
  segment: StoredSegment;
  start: number;
  end: number;
}

/** Which pieces of which segments make up `range` of the concatenation (all of it when absent). */
export function planPieces(segments: readonly StoredSegment[], range?: ByteRange): SegmentPiece[] {
  const pieces: SegmentPiece[] = [];
  let offset = 0;
  for (const seg of segments) {
    const segStart = offset;
    const segEnd = offset + seg.bytes - 1;
    offset += seg.bytes;
    if (seg.bytes === 0) continue;
    if (range && (segEnd < range.start || segStart > range.end)) continue;
    const start = range ? Math.max(range.start, segStart) - segStart : 0;
    const end = range ? Math.min(range.end, segEnd) - segStart : seg.bytes - 1;
    pieces.push({ segment: seg, start, end });
  }
  return pieces;
}

/** The SLO ETag as responses carry it (quoted, like Swift). */
export function quotedEtag(etag: string): string {
  return `"${etag}"`;
}
