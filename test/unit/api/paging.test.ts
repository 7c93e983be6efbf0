import { status } from '@grpc/grpc-js';
import { decodePageToken, DEFAULT_PAGE_SIZE, encodePageToken, MAX_PAGE_SIZE, pageSize } from '../../../controller/api/paging';
import { WeftError } from '../../../services/runtime/errors';

const ID = '3b0c6f4e-9a1d-4c2e-8f7a-5d6e7f8091a2';

function weftError(fn: () => unknown): WeftError {
  try {
    fn();
  } catch (err) {
    if (err instanceof WeftError) return err;
    throw err;
  }
  throw new Error('expected a WeftError');
}

describe('pageSize', () => {
  test('0 means the default', () => {
    expect(pageSize(0)).toBe(DEFAULT_PAGE_SIZE);
    expect(DEFAULT_PAGE_SIZE).toBe(100);
  });

  test.each([1, 2, 99, 100, 101, 999, 1000])('%d is kept', (n) => {
    expect(pageSize(n)).toBe(n);
  });

  test.each([1001, 5000, 2 ** 31 - 1])('%d is capped at the maximum', (n) => {
    expect(pageSize(n)).toBe(MAX_PAGE_SIZE);
    expect(MAX_PAGE_SIZE).toBe(1000);
  });

  test.each([-1, -1000])('%d is INVALID_ARGUMENT on page_size', (n) => {
    const err = weftError(() => pageSize(n));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details.fieldViolations).toEqual([{ field: 'page_size', description: 'must not be negative' }]);
  });
});

describe('page tokens', () => {
  const filters = { projectId: 'p1', networkId: 'n1', tags: ['a'] };

  test('round trip with the same filters', () => {
    const token = encodePageToken(ID, filters);
    expect(typeof token).toBe('string');
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/); // base64url: safe in URLs and CLI args
    expect(decodePageToken(token, filters)).toBe(ID);
    // Structurally equal filters (a fresh object) work too.
    expect(decodePageToken(token, { projectId: 'p1', networkId: 'n1', tags: ['a'] })).toBe(ID);
  });

  test('an empty token means the first page', () => {
    expect(decodePageToken('', filters)).toBeUndefined();
  });

  test('is deterministic and opaque (does not show the id in clear)', () => {
    const t = encodePageToken(ID, filters);
    expect(encodePageToken(ID, filters)).toBe(t);
    expect(t).not.toContain(ID);
  });

  test('different ids give different tokens', () => {
    const other = ID.replace(/.$/, '3');
    expect(encodePageToken(ID, filters)).not.toBe(encodePageToken(other, filters));
    expect(decodePageToken(encodePageToken(other, filters), filters)).toBe(other);
  });

  test.each<[string, unknown]>([
    ['another project', { ...filters, projectId: 'p2' }],
    ['another network', { ...filters, networkId: 'n2' }],
    ['different tags', { ...filters, tags: ['a', 'b'] }],
    ['no filters', {}],
    ['undefined filters', undefined],
  ])('a token replayed with %s is INVALID_ARGUMENT on page_token', (_name, other) => {
    const token = encodePageToken(ID, filters);
    const err = weftError(() => decodePageToken(token, other));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details.fieldViolations).toEqual([{ field: 'page_token', description: 'is not a token this list issued for these filters' }]);
  });

  const b64 = (s: string): string => Buffer.from(s).toString('base64url');

  test.each<[string, string]>([
    ['random text', 'not-a-token'],
    ['base64 of non-JSON', b64('hello world')],
    ['JSON null', b64('null')],
    ['JSON array', b64('[]')],
    ['JSON number', b64('42')],
    ['missing id', b64(JSON.stringify({ f: 'x' }))],
    ['non-string id', b64(JSON.stringify({ a: 12, f: 'x' }))],
    ['a token with one character flipped', 'A' + encodePageToken(ID, filters).slice(1)],
    ['a truncated token', encodePageToken(ID, filters).slice(0, 20)],
    ['whitespace', '   '],
  ])('garbage (%s) is INVALID_ARGUMENT', (_name, token) => {
    const err = weftError(() => decodePageToken(token, filters));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details.fieldViolations?.[0].field).toBe('page_token');
  });

  test('a forged token with the right filter hash but a non-id cursor is rejected', () => {
    const genuine = JSON.parse(Buffer.from(encodePageToken(ID, filters), 'base64url').toString('utf8')) as { a: string; f: string };
    expect(genuine.a).toBe(ID);
    for (const a of ['zzz', '../../etc', ID + 'x', ID.toUpperCase(), '']) {
      const forged = Buffer.from(JSON.stringify({ a, f: genuine.f })).toString('base64url');
      expect(() => decodePageToken(forged, filters)).toThrow(WeftError);
    }
    // The same structure with the genuine values is accepted (the check above is not vacuous).
    expect(decodePageToken(Buffer.from(JSON.stringify({ a: ID, f: genuine.f })).toString('base64url'), filters)).toBe(ID);
  });
});
