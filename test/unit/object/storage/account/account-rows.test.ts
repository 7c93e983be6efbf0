import { containerRowDelta, containerRowDeleted, mergeContainerRow } from '../../../../../services/object/storage/account/account-store';

const T1 = '1700000001.00000';
const T2 = '1700000002.00000';
const T3 = '1700000003.00000';

describe('account container rows', () => {
  test('deleted when the DELETE is newer than the PUT', () => {
    expect(containerRowDeleted({ put_timestamp: T1, delete_timestamp: '' })).toBe(false);
    expect(containerRowDeleted({ put_timestamp: T1, delete_timestamp: T2 })).toBe(true);
    expect(containerRowDeleted({ put_timestamp: T3, delete_timestamp: T2 })).toBe(false);
  });

  test('merge keeps the newer of each timestamp; a report older on both is stale', () => {
    const first = mergeContainerRow(undefined, { name: 'c', put_timestamp: T2, delete_timestamp: '', object_count: 3, bytes_used: 30 })!;
    expect(first).toEqual({ name: 'c', put_timestamp: T2, delete_timestamp: '', object_count: 3, bytes_used: 30, deleted: false });
    expect(mergeContainerRow(first, { name: 'c', put_timestamp: T1, delete_timestamp: '', object_count: 9, bytes_used: 90 })).toBeUndefined();
    const deleted = mergeContainerRow(first, { name: 'c', put_timestamp: T1, delete_timestamp: T3, object_count: 0, bytes_used: 0 })!;
    expect(deleted).toEqual({ name: 'c', put_timestamp: T2, delete_timestamp: T3, object_count: 0, bytes_used: 0, deleted: true });
  });

  test('a report with the same timestamps brings new counts (object changes do not move them)', () => {
    const first = mergeContainerRow(undefined, { name: 'c', put_timestamp: T2, delete_timestamp: '', object_count: 3, bytes_used: 30 })!;
    expect(mergeContainerRow(first, { name: 'c', put_timestamp: T2, delete_timestamp: '', object_count: 4, bytes_used: 41 })).toEqual({ ...first, object_count: 4, bytes_used: 41 });
    const deleted = mergeContainerRow(first, { name: 'c', put_timestamp: T2, delete_timestamp: T3, object_count: 0, bytes_used: 0 })!;
    // A late report of the live container (older delete timestamp, same put) is stale.
    expect(mergeContainerRow(deleted, { name: 'c', put_timestamp: T2, delete_timestamp: '', object_count: 7, bytes_used: 70 })).toBeUndefined();
  });

  test('deltas count live rows only', () => {
    const live = { name: 'c', put_timestamp: T1, delete_timestamp: '', object_count: 2, bytes_used: 20, deleted: false };
    expect(containerRowDelta(undefined, live)).toEqual({ containers: 1, objects: 2, bytes: 20 });
    expect(containerRowDelta(live, { ...live, object_count: 5, bytes_used: 50 })).toEqual({ containers: 0, objects: 3, bytes: 30 });
    expect(containerRowDelta(live, { ...live, delete_timestamp: T2, object_count: 0, bytes_used: 0, deleted: true })).toEqual({ containers: -1, objects: -2, bytes: -20 });
  });
});
