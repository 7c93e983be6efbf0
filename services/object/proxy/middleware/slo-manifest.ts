/**
 * Static large object manifests (Swift's SLO), pure: parsing what a client PUTs with
 * ?multipart-manifest=put, checking it against what the segments really are, the stored form,
 * the SLO's ETag, and which byte ranges of which segments serve a Range of the whole.
 *
 * Client form: `[{"path": "/container/object", "etag": "<md5>"|null, "size_bytes": n|null,
 * "range": "M-N"|"M-"|"-N"?}, ...]`. `etag` and `size_bytes` describe the segment object as a
 * whole; `range` picks the bytes of it the SLO uses (Swift's ranged segments).
 * Stored form (what ?multipart-manifest=get returns, as in Swift):
 * `[{"name": "/container/object", "hash": "<etag>", "bytes": n, "content_type": "...",
 *   "last_modified": "...", "range": "a-b"?, "sub_slo": true?}, ...]`: `bytes` stays the segment
 * object's size and `range` is absolute ("a-b", inclusive), absent when it selects the whole.
 * The SLO's ETag is the MD5 of what each entry contributes, in order: the segment's ETag (a nested
 * SLO contributes its own SLO ETag), or `<etag>:<a-b>;` for a ranged entry. Responses quote it.
 */
import { createHash } from 'node:crypto';

export interface SloLimits {
  maxManifestSegments: number;
  maxManifestSize: number;
  minSegmentSize: number;
}

/** A byte range of the whole, inclusive. */
export interface ByteRange {
  start: number;
  end: number;
}

/** A segment range as a client writes it (Swift's forms), before the segment's size is known. */
export type RangeSpec = { kind: 'bounded'; start: number; end: number } | { kind: 'from'; start: number } | { kind: 'suffix'; length: number };

/** One segment as the client asked for it. */
export interface SegmentRequest {
  index: number;
  container: string;
  object: string;
  etag?: string;
  sizeBytes?: number;
  range?: RangeSpec;
}

export type ParseResult = { ok: true; segments: SegmentRequest[] } | { ok: false; status: 400 | 413; errors: string[] };

const ALLOWED_KEYS = new Set(['path', 'etag', 'size_bytes', 'range']);

/** `/c/o` → [c, o] (the object part may hold slashes); undefined when it does not name an object. */
export function splitSegmentPath(path: string): [string, string] | undefined {
  const m = /^\/?([^/]+)\/(.+)$/.exec(path);
  return m ? [m[1], m[2]] : undefined;
}

const DIGITS = /^\d{1,15}$/;

/**
 * Parses one segment range: `M-N`, `M-` or `-N` (spaces around the parts allowed, as Swift's
 * Range header parser does). 'invalid' for anything else (N < M included); 'multiple' for a
 * comma-separated list of valid ranges, which Swift refuses for a segment.
 */
export function parseRangeSpec(text: string): RangeSpec | 'invalid' | 'multiple' {
  const specs: RangeSpec[] = [];
  for (const raw of text.split(',')) {
    const part = raw.trim();
    const dash = part.indexOf('-');
    if (dash < 0) return 'invalid';
    const a = part.slice(0, dash).trim();
    const b = part.slice(dash + 1).trim();
    if ((a !== '' && !DIGITS.test(a)) || (b !== '' && !DIGITS.test(b)) || (a === '' && b === '')) return 'invalid';
    if (a === '') specs.push({ kind: 'suffix', length: Number(b) });
    else if (b === '') specs.push({ kind: 'from', start: Number(a) });
    else if (Number(b) < Number(a)) return 'invalid';
    else specs.push({ kind: 'bounded', start: Number(a), end: Number(b) });
  }
  return specs.length === 1 ? specs[0] : 'multiple';
}

/** The absolute range a spec selects of `size` bytes; undefined when it selects nothing (unsatisfiable). */
export function resolveRangeSpec(spec: RangeSpec, size: number): ByteRange | undefined {
  if (size <= 0) return undefined;
  switch (spec.kind) {
    case 'suffix':
      return spec.length === 0 ? undefined : { start: Math.max(0, size - spec.length), end: size - 1 };
    case 'from':
      return spec.start >= size ? undefined : { start: spec.start, end: size - 1 };
    case 'bounded':
      return spec.start >= size ? undefined : { start: spec.start, end: Math.min(spec.end, size - 1) };
  }
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
    // Like Swift, an empty or null range means the whole segment.
    if (rec.range !== undefined && rec.range !== null && rec.range !== '') {
      const spec = typeof rec.range === 'string' ? parseRangeSpec(rec.range) : 'invalid';
      if (spec === 'invalid' || spec === 'multiple') {
        errors.push(`Index ${index}: ${spec === 'invalid' ? 'invalid range' : 'multiple ranges (only one allowed)'}`);
        return;
      }
      // With the size given, satisfiability is known now; a wrong size fails against the HEAD later.
      if (seg.sizeBytes !== undefined && resolveRangeSpec(spec, seg.sizeBytes) === undefined) {
        errors.push(`Index ${index}: unsatisfiable range`);
        return;
      }
      seg.range = spec;
    }
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
  /** `a-b`, inclusive, within the segment object (or the nested SLO); absent = all of it. */
  range?: string;
  sub_slo?: boolean;
}

export type CheckResult = { ok: true; stored: StoredSegment[]; etag: string; size: number } | { ok: false; errors: string[] };

/**
 * Checks the segments against their HEADs (existence, ETag, size, range satisfiable against the
 * real size, minimum size of all but the last) and builds the stored manifest, the SLO ETag and
 * the total size (of the selected bytes). `self` is the manifest's own `/container/object`: a
 * manifest may not name itself.
 *
 * The minimum size applies to what an entry contributes, its range when it has one (as Swift did
 * while it had min_segment_size): a range may pick a few bytes of a big object only as the last
 * entry or when the minimum allows it. A range selecting the whole object is dropped, as Swift does.
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
    let selected: ByteRange | undefined = { start: 0, end: head.size - 1 };
    if (seg.range) {
      selected = resolveRangeSpec(seg.range, head.size);
      if (!selected) problems.push('Unsatisfiable Range');
    }
    if (seg.etag !== undefined && seg.etag !== head.etag) problems.push('Etag Mismatch');
    if (seg.sizeBytes !== undefined && seg.sizeBytes !== head.size) problems.push('Size Mismatch');
    const length = selected ? selected.end - selected.start + 1 : 0;
    if (selected && i < segments.length - 1 && length < limits.minSegmentSize) problems.push(`Too small; each segment must be at least ${limits.minSegmentSize} byte${limits.minSegmentSize === 1 ? '' : 's'}.`);
    if (problems.length || !selected) {
      errors.push(`${path}, ${problems.join(', ')}`);
      return;
    }
    const entry: StoredSegment = { name: path, hash: head.etag, bytes: head.size, content_type: head.contentType, last_modified: head.lastModified };
    if (selected.start !== 0 || selected.end !== head.size - 1) entry.range = `${selected.start}-${selected.end}`;
    if (head.subSlo) entry.sub_slo = true;
    md5.update(entry.range === undefined ? head.etag : `${head.etag}:${entry.range};`);
    size += length;
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
    if (r.range !== undefined) {
      const m = typeof r.range === 'string' ? /^(\d{1,15})-(\d{1,15})$/.exec(r.range) : null;
      if (!m || Number(m[1]) > Number(m[2]) || Number(m[2]) >= r.bytes) return undefined;
      seg.range = r.range as string;
    }
    if (r.sub_slo === true) seg.sub_slo = true;
    out.push(seg);
  }
  return out;
}

/** The bytes of its segment an entry stands for: its range, or all of it (end -1 when empty). */
export function entrySpan(seg: StoredSegment): ByteRange {
  if (seg.range !== undefined) {
    const [a, b] = seg.range.split('-');
    return { start: Number(a), end: Number(b) };
  }
  return { start: 0, end: seg.bytes - 1 };
}

/** How many bytes an entry contributes to the whole. */
export function entryLength(seg: StoredSegment): number {
  const span = entrySpan(seg);
  return span.end - span.start + 1;
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

/**
 * Which pieces of which segments make up `range` of the concatenation (all of it when absent).
 * Each entry stands for its span of its segment (entrySpan), so a piece's offsets are within
 * the segment object, inside that span.
 */
export function planPieces(segments: readonly StoredSegment[], range?: ByteRange): SegmentPiece[] {
  const pieces: SegmentPiece[] = [];
  let offset = 0;
  for (const seg of segments) {
    const span = entrySpan(seg);
    const length = span.end - span.start + 1;
    const segStart = offset;
    const segEnd = offset + length - 1;
    offset += length;
    if (length <= 0) continue;
    if (range && (segEnd < range.start || segStart > range.end)) continue;
    const start = span.start + (range ? Math.max(range.start, segStart) - segStart : 0);
    const end = span.start + (range ? Math.min(range.end, segEnd) - segStart : length - 1);
    pieces.push({ segment: seg, start, end });
  }
  return pieces;
}

/**
 * The entries that stand for `range` of the concatenation of `segments`: how a ranged entry
 * naming a nested SLO is replaced by (parts of) the nested SLO's own entries.
 */
export function narrowEntries(segments: readonly StoredSegment[], range: ByteRange): StoredSegment[] {
  return planPieces(segments, range).map(({ segment, start, end }) => {
    const entry: StoredSegment = { ...segment };
    delete entry.range;
    if (start !== 0 || end !== segment.bytes - 1) entry.range = `${start}-${end}`;
    return entry;
  });
}

/** The SLO ETag as responses carry it (quoted, like Swift). */
export function quotedEtag(etag: string): string {
  return `"${etag}"`;
}
