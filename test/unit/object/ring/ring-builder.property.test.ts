/**
 * Properties of the ring builder over several seeds and device layouts: placement validity,
 * dispersion, balance, minimal movement on add/remove/reweight, idempotence. Failures name the
 * layout and seed, so they reproduce exactly.
 */
import { encodeRingFile } from '../../../../services/object/ring';
import { LAYOUTS, type Layout, diff, maxReplicasPerZone, newBuilder, report, snapshot, violation, zoneCount } from './ring-fixtures';

const SEEDS = [1, 2, 3];
const cases = LAYOUTS.flatMap((layout) => SEEDS.map((seed) => [layout.name, seed, layout] as [string, number, Layout]));

/** After any rebalance: valid, as dispersed as the zones allow, and a fixed point. */
function expectSettled(b: ReturnType<typeof newBuilder>, layout: Layout): void {
  expect(violation(b)).toBeNull();
  const zones = zoneCount(b.devices);
  expect(maxReplicasPerZone(b)).toBe(zones >= b.replicas ? 1 : Math.ceil(b.replicas / zones));
  const r = report(b);
  expect(r.dispersion).toBe(0);
  // Every device within one slot of its target (targets are integers; the rest is rounding).
  for (const d of r.devices) expect(Math.abs(d.partitions - d.target)).toBeLessThanOrEqual(1);
  if (layout.weightsFeasible) expect(r.balance).toBeLessThan(2);

  // Idempotent: nothing moves, same version, byte-identical ring.
  const bytes = encodeRingFile(b.ringData());
  const version = b.ringVersion;
  const again = b.rebalance({ now: 0 });
  expect(again).toMatchObject({ changed: false, movedSlots: 0, overTarget: 0 });
  expect(b.ringVersion).toBe(version);
  expect(encodeRingFile(b.ringData()).equals(bytes)).toBe(true);
}

describe.each(cases)('layout %s, seed %d', (_name, seed, layout) => {
  test('initial placement: distinct devices, spread over zones, on target, idempotent', () => {
    const b = newBuilder(layout.devices, { seed });
    const s = b.rebalance({ now: 0 });
    expect(s).toMatchObject({ changed: true, ringVersion: 1, placedSlots: b.partitions * 3, movedSlots: 0 });
    expectSettled(b, layout);
  });

  test('adding a device moves about its fair share, all of it onto the new device, one replica per partition', () => {
    const b = newBuilder(layout.devices, { seed });
    b.rebalance({ now: 0 });
    const before = snapshot(b);
    const added = b.addDevice({ ...layout.devices[0], device: 'sdnew' });
    const s = b.rebalance({ now: 0 });
    const d = diff(before, snapshot(b));
    const share = report(b).devices.find((x) => x.device.id === added.id);
    expect(share).toBeDefined();
    expect(s.movedSlots).toBe(d.moved);
    // "About its fair share and no more": what the new device should hold, within a few slots.
    expect(d.moved).toBeLessThanOrEqual((share?.target ?? 0) + 3);
    expect(d.moved).toBeGreaterThanOrEqual((share?.target ?? 0) - 3);
    if (layout.weightsFeasible) {
      expect(Math.abs(d.moved - (share?.weightShare ?? 0))).toBeLessThanOrEqual(0.02 * (share?.weightShare ?? 0) + 3);
    }
    expect(d.to.get(added.id)).toBe(d.moved);
    expect(d.multiMoved).toBe(0);
    expectSettled(b, layout);
  });

  test('removing a device moves only its partitions', () => {
    const b = newBuilder(layout.devices, { seed });
    b.rebalance({ now: 0 });
    const held = report(b).devices.find((x) => x.device.id === 1)?.partitions ?? -1;
    const before = snapshot(b);
    b.removeDevice(1);
    const s = b.rebalance({ now: 0 });
    const d = diff(before, snapshot(b));
    expect(s.removedDevices.map((x) => x.id)).toEqual([1]);
    expect([...d.from.keys()]).toEqual([1]);
    expect(d.moved).toBe(held);
    expect(b.devices.map((x) => x.id)).not.toContain(1);
    expectSettled(b, layout);
  });

  test('reweighting moves no more than the new targets require', () => {
    const b = newBuilder(layout.devices, { seed });
    b.rebalance({ now: 0 });
    const heldBefore = new Map(report(b).devices.map((x) => [x.device.id, x.partitions]));
    const before = snapshot(b);
    b.setWeight(0, layout.devices[0].weight / 2);
    b.setWeight(2, layout.devices[2].weight * 1.5);
    b.rebalance({ now: 0 });
    const d = diff(before, snapshot(b));
    // Lower bound on any correct rebalance: what devices hold above their new targets must move.
    const excess = report(b).devices.reduce((s, x) => s + Math.max(0, (heldBefore.get(x.device.id) ?? 0) - x.target), 0);
    expect(d.moved).toBeGreaterThanOrEqual(excess - 3);
    expect(d.moved).toBeLessThanOrEqual(excess + 3);
    expect(d.multiMoved).toBe(0);
    expectSettled(b, layout);
  });

  test('a device set to weight 0 is drained completely', () => {
    const b = newBuilder(layout.devices, { seed });
    b.rebalance({ now: 0 });
    const held = report(b).devices.find((x) => x.device.id === 3)?.partitions ?? -1;
    b.setWeight(3, 0);
    const s = b.rebalance({ now: 0 });
    expect(report(b).devices.find((x) => x.device.id === 3)?.partitions).toBe(0);
    expect(s.movedSlots).toBe(held);
    expectSettled(b, layout);
  });
});

describe('large changes converge over several rebalances, one replica per partition at a time', () => {
  test.each(SEEDS)('doubling the cluster (seed %d)', (seed) => {
    const base = LAYOUTS[0].devices;
    const b = newBuilder(base, { seed, minPartHours: 1 });
    b.rebalance({ now: 0 });
    for (const d of base) b.addDevice({ ...d, ip: d.ip.replace(/\.1$/, '.2') });
    let now = 10 * 3_600_000;
    let total = 0;
    for (let round = 0; round < 4; round++) {
      const before = snapshot(b);
      const s = b.rebalance({ now });
      const d = diff(before, snapshot(b));
      expect(d.multiMoved).toBe(0);
      expect(violation(b)).toBeNull();
      // Within the same hour, min_part_hours holds everything that just moved.
      expect(b.rebalance({ now }).movedSlots).toBe(0);
      total += s.movedSlots;
      if (s.overTarget === 0) break;
      now += 3_600_000;
    }
    // Half of every device's data moves to the new devices, and not a slot more.
    expect(total).toBe((b.partitions * 3) / 2);
    expect(report(b).balance).toBeLessThan(1);
  });

  test('a new region: every partition first gets one replica there, then balance follows', () => {
    const b = newBuilder(LAYOUTS[0].devices, { seed: 5 });
    b.rebalance({ now: 0 });
    for (let z = 1; z <= 2; z++) for (let d = 1; d <= 3; d++) b.addDevice({ region: 2, zone: z, ip: `10.2.${z}.1`, port: 6200, device: `sd${d}`, weight: 100 });
    const first = b.rebalance({ now: 0 });
    expect(first.movedSlots).toBe(b.partitions);
    expect(report(b).levels[0].histogram).toEqual([0, 0, b.partitions, 0]);
    let rounds = 1;
    while (b.rebalance({ now: 0 }).movedSlots > 0) rounds++;
    expect(rounds).toBeLessThanOrEqual(3);
    expect(report(b).balance).toBeLessThan(1);
    expect(report(b).dispersion).toBe(0);
  });

  test('a third zone joining a two-zone ring: each partition moves one replica into it', () => {
    const twoZones = LAYOUTS[2].devices;
    const b = newBuilder(twoZones, { seed: 9 });
    b.rebalance({ now: 0 });
    for (let s = 1; s <= 3; s++) for (let d = 1; d <= 2; d++) b.addDevice({ region: 1, zone: 3, ip: `10.1.3.${s}`, port: 6200, device: `sd${d}`, weight: 100 });
    const before = snapshot(b);
    b.rebalance({ now: 0 });
    const d = diff(before, snapshot(b));
    expect(d.moved).toBe(b.partitions);
    expect(d.multiMoved).toBe(0);
    expect(maxReplicasPerZone(b)).toBe(1);
    expect(report(b).balance).toBeLessThan(2);
  });
});

describe('determinism', () => {
  test('the same seed and operations give the same ring; another seed a different one', () => {
    const ops = (seed: number): Buffer => {
      const b = newBuilder(LAYOUTS[1].devices, { seed });
      b.rebalance({ now: 0 });
      b.addDevice({ region: 1, zone: 2, ip: '10.1.2.9', port: 6200, device: 'sdx', weight: 150 });
      b.removeDevice(4);
      b.rebalance({ now: 0 });
      return encodeRingFile(b.ringData());
    };
    expect(ops(11).equals(ops(11))).toBe(true);
    expect(ops(11).equals(ops(12))).toBe(false);
  });
});
