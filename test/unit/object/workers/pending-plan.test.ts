import { parsePendingName, planPending } from '../../../../services/object/workers/pending-plan';

const H1 = 'a'.repeat(29) + '001';
const H2 = 'b'.repeat(29) + '001';

describe('async_pending plan', () => {
  test('names are <hash>-<timestamp>; anything else is not ours', () => {
    expect(parsePendingName(`${H1}-1700000000.00001`)?.timestamp.internal).toBe('1700000000.00001');
    expect(parsePendingName(`${H1}-1700000000.00001_0000000000000002`)?.timestamp.internal).toBe('1700000000.00001_0000000000000002');
    expect(parsePendingName(`${H1}-notatime`)).toBeUndefined();
    expect(parsePendingName('async-1234.tmp')).toBeUndefined();
    expect(parsePendingName(`${H1.toUpperCase()}-1700000000.00001`)).toBeUndefined();
  });

  test('the newest file of each hash is replayed; older ones are superseded, by timestamp not by name', () => {
    const plan = planPending([
      `${H2}-1700000000.00001`,
      `${H1}-1700000009.00000`,
      `${H1}-1700000010.00000`,
      `${H1}-1700000010.00000_0000000000000001`,
      'stray',
    ]);
    expect(plan.replay.map((f) => f.name)).toEqual([`${H1}-1700000010.00000_0000000000000001`, `${H2}-1700000000.00001`]);
    expect(plan.superseded).toEqual([`${H1}-1700000009.00000`, `${H1}-1700000010.00000`]);
  });

  test('nothing to do in an empty directory', () => {
    expect(planPending([])).toEqual({ replay: [], superseded: [] });
  });
});
