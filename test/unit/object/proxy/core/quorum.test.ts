import { hasQuorum, quorumSize, quorumStatus } from '../../../../../services/object/proxy/backend/quorum';

describe('quorum', () => {
  test('a strict majority of the replicas', () => {
    expect([1, 2, 3, 4, 5, 6].map(quorumSize)).toEqual([1, 2, 2, 3, 3, 4]);
    expect(hasQuorum(2, 3)).toBe(true);
    expect(hasQuorum(1, 3)).toBe(false);
  });

  test.each([
    [[201, 201, 201], 201],
    [[201, 201, 0], 201],
    [[201, 0, 0], 503],
    [[201, 503, 507], 503],
    [[204, 404, 404], 404],
    [[204, 204, 404], 204],
    [[404, 404, 0], 404],
    [[201, 404, 0], 503],
    [[202, 202, 404], 202],
    [[422, 422, 422], 422],
    [[201, 202, 0], 202],
    [[204, 204, 201], 204],
    [[412, 404, 0], 412],
    [[], 503],
  ])('%j → %d', (statuses, expected) => {
    expect(quorumStatus(statuses, 3)).toBe(expected);
  });

  test('the 2xx class wins before 4xx when both could', () => {
    expect(quorumStatus([201, 201, 404, 404, 404], 5)).toBe(404);
    expect(quorumStatus([201, 201, 201, 404, 404], 5)).toBe(201);
  });

  test('one replica: its answer', () => {
    expect(quorumStatus([201], 1)).toBe(201);
    expect(quorumStatus([0], 1)).toBe(503);
  });
});
