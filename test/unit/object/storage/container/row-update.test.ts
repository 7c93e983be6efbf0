/** Row updates as the container layer reads them (pure): checks, rows and statuses, batch bodies. */
import { parseRowBatch, parseRowUpdate, ROW_BATCH_MAX, rowStatus } from '../../../../../services/object/storage/container/row-update';

const put = { 'x-timestamp': '1700000001.00000', 'x-size': '12', 'x-etag': ' "abc" ', 'x-content-type': ' text/plain ' };

test('a PUT gives a live row (quotes and spaces trimmed), a DELETE a deleted one', () => {
  expect(parseRowUpdate({ method: 'PUT', object: 'a/b', headers: put })).toEqual({
    ok: true,
    method: 'PUT',
    row: { name: 'a/b', timestamp: '1700000001.00000', size: 12, etag: 'abc', content_type: 'text/plain', deleted: false },
  });
  expect(parseRowUpdate({ method: 'DELETE', object: 'a', headers: { 'x-timestamp': '1700000002' } })).toEqual({
    ok: true,
    method: 'DELETE',
    row: { name: 'a', timestamp: '1700000002.00000', size: 0, etag: '', content_type: '', deleted: true },
  });
});

test('what is refused, with the single form\'s status and message', () => {
  const cases: Array<[string, Record<string, string>, number, string]> = [
    ['POST', put, 405, 'Method Not Allowed'],
    ['PUT', { ...put, 'x-timestamp': undefined as unknown as string }, 400, 'Missing X-Timestamp header'],
    ['PUT', { ...put, 'x-timestamp': 'soon' }, 400, 'Invalid X-Timestamp "soon"'],
    ['PUT', { ...put, 'x-size': '-1' }, 400, 'Invalid X-Size'],
    ['PUT', { ...put, 'x-size': '1'.repeat(17) }, 400, 'Invalid X-Size'],
  ];
  for (const [method, headers, status, message] of cases) {
    const clean = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined));
    expect(parseRowUpdate({ method, object: 'o', headers: clean })).toEqual({ ok: false, status, message });
  }
  for (const missing of ['x-size', 'x-etag', 'x-content-type']) {
    const headers = { ...put } as Record<string, string>;
    delete headers[missing];
    expect(parseRowUpdate({ method: 'PUT', object: 'o', headers })).toEqual({ ok: false, status: 400, message: `Missing ${missing} header` });
  }
});

test('statuses: 404 without a container, 202 when stale, else 201 or 204', () => {
  expect(rowStatus('PUT', 'no_container')).toBe(404);
  expect(rowStatus('DELETE', 'stale')).toBe(202);
  expect(rowStatus('PUT', 'applied')).toBe(201);
  expect(rowStatus('DELETE', 'applied')).toBe(204);
});

test('batch bodies: rows with lower-cased header names; anything else is a message', () => {
  expect(parseRowBatch({ rows: [{ method: 'PUT', object: 'o', headers: { 'X-Size': '1' } }] })).toEqual([{ method: 'PUT', object: 'o', headers: { 'x-size': '1' } }]);
  const row = { method: 'PUT', object: 'o', headers: {} };
  for (const bad of [null, 'x', {}, { rows: [] }, { rows: Array.from({ length: ROW_BATCH_MAX + 1 }, () => row) }, { rows: [{ ...row, object: '' }] }, { rows: [{ ...row, object: 'x'.repeat(1025) }] }, { rows: [{ ...row, headers: { a: 1 } }] }, { rows: [{ ...row, method: 3 }] }, { rows: ['row'] }]) {
    expect(typeof parseRowBatch(bad)).toBe('string');
  }
});
