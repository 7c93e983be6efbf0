import type { IncomingMessage } from 'node:http';
import { Timestamp } from '../../../../../services/object/common/timestamp';
import { ifDeleteAt, isExpired, bypassesExpiry, requestDeleteAt } from '../../../../../services/object/storage/http/delete-at';
import { HttpError } from '../../../../../services/object/storage/http/http-error';
import type { ObjectMetadata } from '../../../../../services/object/storage/diskfile/object-metadata';

const req = (headers: Record<string, string>): IncomingMessage => ({ headers }) as unknown as IncomingMessage;
const NOW = 1_700_000_000_000;
const meta = (headers: Record<string, string>): ObjectMetadata => ({ name: '/a/c/o', dataTimestamp: Timestamp.parse('1'), timestamp: Timestamp.parse('1'), contentLength: 0, etag: 'd41d8cd98f00b204e9800998ecf8427e', contentType: 'x', headers });

function status(f: () => unknown): number | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    return e instanceof HttpError ? e.status : -1;
  }
}

describe('X-Delete-At', () => {
  test('a future integer is taken; past, now, or non-integers are 400', () => {
    expect(requestDeleteAt(req({}), NOW)).toBeUndefined();
    expect(requestDeleteAt(req({ 'x-delete-at': '1700000001' }), NOW)).toBe(1_700_000_001);
    expect(status(() => requestDeleteAt(req({ 'x-delete-at': '1700000000' }), NOW))).toBe(400);
    expect(status(() => requestDeleteAt(req({ 'x-delete-at': '1699999999' }), NOW))).toBe(400);
    expect(status(() => requestDeleteAt(req({ 'x-delete-at': '1700000001.5' }), NOW))).toBe(400);
    expect(status(() => requestDeleteAt(req({ 'x-delete-at': 'tomorrow' }), NOW))).toBe(400);
    expect(status(() => ifDeleteAt(req({ 'x-if-delete-at': 'x' })))).toBe(400);
    expect(ifDeleteAt(req({ 'x-if-delete-at': '1700000005' }))).toBe(1_700_000_005);
  });

  test('an object expires when its X-Delete-At is reached', () => {
    expect(isExpired(meta({}), NOW)).toBe(false);
    expect(isExpired(meta({ 'x-delete-at': '1700000001' }), NOW)).toBe(false);
    expect(isExpired(meta({ 'x-delete-at': '1700000000' }), NOW)).toBe(true);
    expect(bypassesExpiry(req({ 'x-backend-replication': 'True' }))).toBe(true);
    expect(bypassesExpiry(req({}))).toBe(false);
  });
});
