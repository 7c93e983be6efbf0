/**
 * Conditional requests (RFC 9110 §13.2.2), evaluated in the RFC's order: If-Match, else
 * If-Unmodified-Since; then If-None-Match, else If-Modified-Since (GET/HEAD only). Pure: the
 * caller supplies the current representation's ETag and Last-Modified second, or nothing when
 * the object does not exist. Invalid dates are ignored, as the RFC requires.
 */
import { parseHttpDate } from '../../common/http-date';

export interface ConditionHeaders {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifUnmodifiedSince?: string;
}

export interface CurrentRepresentation {
  /** MD5 hex, unquoted. */
  etag: string;
  /** Whole seconds (what Last-Modified says). */
  lastModified: number;
}

export type ConditionOutcome = 'proceed' | 304 | 412;

interface EntityTag {
  weak: boolean;
  value: string;
}

/** `*` or a list of entity tags; quotes are optional (Swift's clients send both forms). */
export function parseEtagList(header: string): '*' | EntityTag[] {
  if (header.trim() === '*') return '*';
  const out: EntityTag[] = [];
  for (const raw of header.split(',')) {
    let t = raw.trim();
    if (!t) continue;
    const weak = /^W\//i.test(t);
    if (weak) t = t.slice(2);
    if (t.startsWith('"') && t.endsWith('"') && t.length >= 2) t = t.slice(1, -1);
    out.push({ weak, value: t.toLowerCase() });
  }
  return out;
}

/** Strong comparison (If-Match, If-Range): weak tags never match. */
export function strongMatch(header: string, etag: string): boolean {
  const tags = parseEtagList(header);
  return tags === '*' || tags.some((t) => !t.weak && t.value === etag.toLowerCase());
}

function weakMatch(header: string, etag: string): boolean {
  const tags = parseEtagList(header);
  return tags === '*' || tags.some((t) => t.value === etag.toLowerCase());
}

export function evaluateConditions(method: string, h: ConditionHeaders, current: CurrentRepresentation | undefined): ConditionOutcome {
  const safe = method === 'GET' || method === 'HEAD';
  if (h.ifMatch !== undefined) {
    if (!current || !strongMatch(h.ifMatch, current.etag)) return 412;
  } else if (h.ifUnmodifiedSince !== undefined && current) {
    const since = parseHttpDate(h.ifUnmodifiedSince);
    if (since !== undefined && current.lastModified > since) return 412;
  }
  if (h.ifNoneMatch !== undefined) {
    if (current && weakMatch(h.ifNoneMatch, current.etag)) return safe ? 304 : 412;
  } else if (safe && h.ifModifiedSince !== undefined && current) {
    const since = parseHttpDate(h.ifModifiedSince);
    if (since !== undefined && current.lastModified <= since) return 304;
  }
  return 'proceed';
}
