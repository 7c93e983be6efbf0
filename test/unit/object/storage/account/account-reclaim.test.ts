import { Timestamp } from '../../../../../services/object/common/timestamp';
import { parseReclaimedMarker, putPassesMarker, reclaimDecision } from '../../../../../services/object/storage/account/account-reclaim';
import { mergeContainerRow, reportAllowedWhenDeleted } from '../../../../../services/object/storage/account/account-store';

const T = (s: number): string => `17000000${String(s).padStart(2, '0')}.00000`;
const cutoff = Timestamp.parse(T(50));

describe('reclaimDecision', () => {
  const deleted = { putTimestamp: T(1), deleteTimestamp: T(10), containerCount: 0 };
  test('a deleted, empty account whose DELETE is older than the cutoff is reclaimed', () => {
    expect(reclaimDecision(deleted, cutoff)).toBe('reclaim');
  });
  test('never deleted, or recreated after its DELETE: live', () => {
    expect(reclaimDecision({ ...deleted, deleteTimestamp: '' }, cutoff)).toBe('live');
    expect(reclaimDecision({ ...deleted, putTimestamp: T(20) }, cutoff)).toBe('live');
    expect(reclaimDecision({ ...deleted, putTimestamp: T(10) }, cutoff)).toBe('live');
  });
  test('a DELETE not older than the cutoff is too recent (the cutoff itself included)', () => {
    expect(reclaimDecision({ ...deleted, deleteTimestamp: T(50) }, cutoff)).toBe('too_recent');
    expect(reclaimDecision({ ...deleted, deleteTimestamp: T(60) }, cutoff)).toBe('too_recent');
    expect(reclaimDecision({ ...deleted, deleteTimestamp: T(49) }, cutoff)).toBe('reclaim');
  });
  test('containers still counted: not empty (the reaper has not finished)', () => {
    expect(reclaimDecision({ ...deleted, containerCount: 1 }, cutoff)).toBe('not_empty');
  });
  test('an unreadable DELETE timestamp is treated as live, never reclaimed', () => {
    expect(reclaimDecision({ ...deleted, deleteTimestamp: 'garbage' }, cutoff)).toBe('live');
  });
});

describe('the reclaimed marker', () => {
  const marker = { account: 'AUTH_a', putTimestamp: T(1), deleteTimestamp: T(10), reclaimedAt: T(60) };
  test('only a PUT newer than the reclaimed DELETE passes', () => {
    expect(putPassesMarker(undefined, Timestamp.parse(T(1)))).toBe(true);
    expect(putPassesMarker(marker, Timestamp.parse(T(11)))).toBe(true);
    expect(putPassesMarker(marker, Timestamp.parse(T(10)))).toBe(false);
    // The replicator's copy of the deleted record carries its old PUT timestamp.
    expect(putPassesMarker(marker, Timestamp.parse(T(1)))).toBe(false);
  });
  test('parses what reclaimAccount stores; anything else guards nothing', () => {
    expect(parseReclaimedMarker(JSON.stringify(marker))).toEqual(marker);
    expect(parseReclaimedMarker(undefined)).toBeUndefined();
    expect(parseReclaimedMarker('{')).toBeUndefined();
    expect(parseReclaimedMarker('{"account":"AUTH_a"}')).toBeUndefined();
  });
});

describe('container reports into a deleted account', () => {
  const live = mergeContainerRow(undefined, { name: 'c', put_timestamp: T(2), delete_timestamp: '', object_count: 3, bytes_used: 30 })!;
  test('a report deleting the container is taken', () => {
    const incoming = { name: 'c', put_timestamp: T(2), delete_timestamp: T(20), object_count: 0, bytes_used: 0 };
    expect(reportAllowedWhenDeleted(incoming, mergeContainerRow(live, incoming))).toBe(true);
    // Even for a container the replica never heard of: it lands as a deleted row.
    expect(reportAllowedWhenDeleted(incoming, mergeContainerRow(undefined, incoming))).toBe(true);
  });
  test('a report of a live container (new counts, a new container, a newer PUT) is not', () => {
    const counts = { name: 'c', put_timestamp: T(2), delete_timestamp: '', object_count: 1, bytes_used: 10 };
    expect(reportAllowedWhenDeleted(counts, mergeContainerRow(live, counts))).toBe(false);
    const fresh = { name: 'd', put_timestamp: T(30), delete_timestamp: '', object_count: 0, bytes_used: 0 };
    expect(reportAllowedWhenDeleted(fresh, mergeContainerRow(undefined, fresh))).toBe(false);
    const deleted = mergeContainerRow(live, { name: 'c', put_timestamp: T(2), delete_timestamp: T(20), object_count: 0, bytes_used: 0 })!;
    const revived = { name: 'c', put_timestamp: T(30), delete_timestamp: T(20), object_count: 0, bytes_used: 0 };
    expect(reportAllowedWhenDeleted(revived, mergeContainerRow(deleted, revived))).toBe(false);
  });
  test('a stale report: allowed (202, nothing changes) only when it reports a deletion', () => {
    const deleted = mergeContainerRow(live, { name: 'c', put_timestamp: T(2), delete_timestamp: T(20), object_count: 0, bytes_used: 0 })!;
    const olderDelete = { name: 'c', put_timestamp: T(2), delete_timestamp: T(15), object_count: 0, bytes_used: 0 };
    expect(mergeContainerRow(deleted, olderDelete)).toBeUndefined();
    expect(reportAllowedWhenDeleted(olderDelete, undefined)).toBe(true);
    expect(reportAllowedWhenDeleted({ put_timestamp: T(1), delete_timestamp: '' }, undefined)).toBe(false);
  });
});
