/**
 * The Range header of a GET (RFC 9110 §14). One satisfiable range gives a plain 206; several give
 * a multipart/byteranges 206 (as Swift's object server does). A header that does not parse is
 * ignored and the whole body served (the RFC allows a server to ignore Range); so is a set of
 * more than MAX_RANGES ranges or ranges adding up to more than the object (they only amplify the
 * response). Ranges that start past the end are dropped; when none is left, 416.
 */
export interface Span {
  start: number;
  end: number;
}

export type RangeOutcome = { kind: 'full' } | ({ kind: 'partial' } & Span) | { kind: 'multi'; ranges: Span[] } | { kind: 'unsatisfiable' };

export const MAX_RANGES = 50;

const FULL: RangeOutcome = { kind: 'full' };

/** One `first-last` / `first-` / `-suffix` spec: a span, unsatisfiable, or invalid. */
function parseSpec(spec: string, size: number): Span | 'unsatisfiable' | 'invalid' {
  const m = /^(\d*)\s*-\s*(\d*)$/.exec(spec);
  if (!m || (m[1] === '' && m[2] === '')) return 'invalid';
  if (m[1] === '') {
    // Suffix range: the last N bytes.
    const n = Number(m[2]);
    if (!Number.isSafeInteger(n)) return 'invalid';
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Number(m[2]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || (m[2] !== '' && end < start)) return 'invalid';
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(end, size - 1) };
}

export function parseRange(header: string | undefined, size: number): RangeOutcome {
  if (header === undefined) return FULL;
  const m = /^\s*bytes\s*=(.*)$/i.exec(header);
  if (!m) return FULL;
  // Empty list elements are allowed by the list syntax (RFC 9110 §5.6.1).
  const specs = m[1].split(',').map((x) => x.trim()).filter((x) => x !== '');
  if (specs.length === 0 || specs.length > MAX_RANGES) return FULL;
  const ranges: Span[] = [];
  for (const spec of specs) {
    const r = parseSpec(spec, size);
    if (r === 'invalid') return FULL;
    if (r !== 'unsatisfiable') ranges.push(r);
  }
  if (ranges.length === 0) return { kind: 'unsatisfiable' };
  if (ranges.length === 1) return { kind: 'partial', ...ranges[0] };
  if (ranges.reduce((n, r) => n + r.end - r.start + 1, 0) > size) return FULL;
  return { kind: 'multi', ranges };
}

/** The framing of a multipart/byteranges body: each part's head, and the closing delimiter. */
export function multipartFraming(ranges: readonly Span[], size: number, contentType: string, boundary: string): { heads: Buffer[]; tail: Buffer; length: number } {
  const heads = ranges.map((r, i) => Buffer.from(`${i === 0 ? '' : '\r\n'}--${boundary}\r\nContent-Type: ${contentType}\r\nContent-Range: bytes ${r.start}-${r.end}/${size}\r\n\r\n`));
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const length = heads.reduce((n, h) => n + h.length, 0) + ranges.reduce((n, r) => n + r.end - r.start + 1, 0) + tail.length;
  return { heads, tail, length };
}
