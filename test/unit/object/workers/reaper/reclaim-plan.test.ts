import { leftoverRows, reclaimCutoff, reclaimDue, reclaimSettled } from '../../../../../services/object/workers/reaper/reclaim-plan';

const DAY = 86_400_000;
const deletedAt = '1700000000.00000';
const deletedMs = 1_700_000_000_000;

describe('reclaimDue', () => {
  test('only once the DELETE is older than the reclaim age', () => {
    expect(reclaimDue(deletedAt, deletedMs + 7 * DAY - 1, 7 * DAY)).toBe(false);
    expect(reclaimDue(deletedAt, deletedMs + 7 * DAY, 7 * DAY)).toBe(false);
    expect(reclaimDue(deletedAt, deletedMs + 7 * DAY + 1, 7 * DAY)).toBe(true);
  });
  test('a reclaim age of 0: as soon as the clock passes the DELETE', () => {
    expect(reclaimDue(deletedAt, deletedMs, 0)).toBe(false);
    expect(reclaimDue(deletedAt, deletedMs + 1, 0)).toBe(true);
  });
  test('a DELETE timestamp that does not parse is never due', () => {
    expect(reclaimDue('', deletedMs + 30 * DAY, DAY)).toBe(false);
    expect(reclaimDue('x', deletedMs + 30 * DAY, DAY)).toBe(false);
  });
});

test('the cutoff the account layer checks is now minus the reclaim age', () => {
  expect(reclaimCutoff(deletedMs + DAY, DAY).normal).toBe(deletedAt);
  expect(reclaimCutoff(1000, DAY).normal).toBe('0000000000.00000');
});

test('reclaimed (204) and nothing there (404) settle a replica; refusals and errors do not', () => {
  expect([204, 404, 409, 400, 500, 507, 0].filter(reclaimSettled)).toEqual([204, 404]);
});

test('leftover rows: containers still live on a replica, with their PUT timestamps; deleted or malformed rows are not', () => {
  const rows = [
    { name: 'live', put_timestamp: '1700000001.00000', delete_timestamp: '', object_count: 2 },
    { name: 'gone', put_timestamp: '1700000001.00000', delete_timestamp: '1700000005.00000' },
    { name: 'put-again', put_timestamp: '1700000009.00000', delete_timestamp: '1700000005.00000' },
    { name: 'no-ts', put_timestamp: 'x' },
    { put_timestamp: '1700000001.00000' },
  ];
  expect(leftoverRows(rows)).toEqual([
    { name: 'live', putTimestamp: '1700000001.00000' },
    { name: 'put-again', putTimestamp: '1700000009.00000' },
  ]);
});
