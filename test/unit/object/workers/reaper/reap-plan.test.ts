import type { RingDevice } from '../../../../../services/object/ring/device';
import { containerDeleteSettled, objectDeleteSettled, reapDecision } from '../../../../../services/object/workers/reaper/reap-plan';

function dev(id: number, port: number, device: string): RingDevice {
  return { id, region: 1, zone: id, ip: '127.0.0.1', port, device, weight: 1, meta: '' };
}
const A = dev(0, 6000, 'a');
const B = dev(1, 6001, 'b');
const B2 = dev(2, 6001, 'b2');

const deleted = { account: 'AUTH_x', deleteTimestamp: '1700000001.00000', deleted: true };

describe('reapDecision', () => {
  test('the first primary reaps a deleted account', () => {
    expect(reapDecision(deleted, [A, B], A, undefined)).toBe('reap');
  });
  test('other replicas leave it to the first primary (same server, other device included)', () => {
    expect(reapDecision(deleted, [A, B], B, undefined)).toBe('not-first-primary');
    expect(reapDecision(deleted, [B, A], B2, undefined)).toBe('not-first-primary');
    expect(reapDecision(deleted, [], A, undefined)).toBe('not-first-primary');
  });
  test('a live account is never reaped', () => {
    expect(reapDecision({ ...deleted, deleted: false }, [A], A, undefined)).toBe('live');
  });
  test('the same DELETE is reaped once; a newer DELETE (recreated, deleted again) is reaped again', () => {
    expect(reapDecision(deleted, [A], A, '1700000001.00000')).toBe('already-reaped');
    expect(reapDecision({ ...deleted, deleteTimestamp: '1700000009.00000' }, [A], A, '1700000001.00000')).toBe('reap');
  });
});

describe('what a DELETE answer settles', () => {
  test.each([
    [204, true, true],
    [404, true, true],
    [409, true, false],
    [500, false, false],
    [507, false, false],
    [0, false, false],
  ])('status %i: object %s, container %s', (status, object, container) => {
    expect(objectDeleteSettled(status)).toBe(object);
    expect(containerDeleteSettled(status)).toBe(container);
  });
});
