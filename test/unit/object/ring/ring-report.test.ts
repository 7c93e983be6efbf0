/**
 * The balance and dispersion report: what it counts as imbalance and as a dispersion problem.
 */
import { MAX_BALANCE, ringReport } from '../../../../services/object/ring';
import { REFERENCE_LAYOUT, newBuilder } from './ring-fixtures';

function balanced() {
  const b = newBuilder(REFERENCE_LAYOUT.devices, { partPower: 6 });
  b.rebalance({ now: 0 });
  return b;
}

test('a balanced ring: balance ~0, dispersion 0, every partition over 3 zones', () => {
  const r = ringReport(balanced().toState());
  expect(r.balance).toBeLessThan(1);
  expect(r.dispersion).toBe(0);
  expect(r.levels.map((l) => [l.level, l.tiers, l.overMax])).toEqual([
    ['region', 1, 0],
    ['zone', 4, 0],
    ['server', 4, 0],
  ]);
  expect(r.levels[1].histogram).toEqual([0, 64, 0, 0]);
});

test('two replicas of a partition in one zone count against dispersion', () => {
  const s = balanced().toState();
  const assignment = s.assignment?.map((row) => Int32Array.from(row)) ?? [];
  // Devices 0..2 are zone 1: put partition 0 on 0, 1 and one elsewhere.
  assignment[0][0] = 0;
  assignment[1][0] = 1;
  assignment[2][0] = 6;
  const r = ringReport({ ...s, assignment });
  expect(r.dispersion).toBeCloseTo(100 / 64);
  expect(r.levels[1]).toMatchObject({ level: 'zone', overMax: 1 });
  expect(r.levels[1].histogram[2]).toBe(1);
});

test('balance is measured against the weight share; a weight-0 device holding data reports MAX_BALANCE', () => {
  const b = balanced();
  b.setWeight(0, 0);
  const r = ringReport(b.toState());
  expect(r.devices[0]).toMatchObject({ balance: MAX_BALANCE, weightShare: 0, target: 0 });
  expect(r.balance).toBe(MAX_BALANCE);
  // The other devices' shares grew: they are now under their weight share.
  expect(r.devices[1].balance).toBeLessThan(0);
  expect(r.devices[1].weightShare).toBeCloseTo((64 * 3) / 11);
});
