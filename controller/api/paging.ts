/**
 * Page tokens: opaque to callers, bound to the filters they were issued for (a token replayed with
 * different filters is INVALID_ARGUMENT, as AIP-158 asks), carrying the last id returned.
 */
import { createHash } from 'node:crypto';
import { invalidArgument } from '../../services/runtime/errors';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export function pageSize(requested: number): number {
  if (requested < 0) throw invalidArgument([{ field: 'page_size', description: 'must not be negative' }]);
  if (requested === 0) return DEFAULT_PAGE_SIZE;
  return Math.min(requested, MAX_PAGE_SIZE);
}

function filterHash(filters: unknown): string {
  return createHash('sha256').update(JSON.stringify(filters)).digest('base64url').slice(0, 12);
}

export function encodePageToken(lastId: string, filters: unknown): string {
  return Buffer.from(JSON.stringify({ a: lastId, f: filterHash(filters) })).toString('base64url');
}

const UUID = /^[0-9a-f-]{36}$/;

/** `valid` checks the position the token carries (a resource id unless the list keys otherwise). */
export function decodePageToken(token: string, filters: unknown, valid: RegExp = UUID): string | undefined {
  if (!token) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { a?: unknown; f?: unknown };
    if (typeof parsed.a === 'string' && parsed.f === filterHash(filters) && valid.test(parsed.a)) return parsed.a;
  } catch {
    // fall through to the error below
  }
  throw invalidArgument([{ field: 'page_token', description: 'is not a token this list issued for these filters' }]);
}
