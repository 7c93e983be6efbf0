/**
 * The plan: each tier's share of the slots and its as-unique-as-possible bound per partition
 * (services/object/ring/topology.ts), and the water-filling arithmetic under it.
 */
import type { RingDevice } from '../../../../services/object/ring';
import { DEVICE, type TierNode, allNodes, buildTopology, planTargets } from '../../../../services/object/ring/topology';
import { waterFill } from '../../../../services/object/ring/water-fill';

function devices(specs: [region: number, zone: number, server: number, weight: number][]): RingDevice[] {
  return specs.map(([region, zone, server, weight], id) => ({ id, region, zone, ip: `10.${region}.${zone}.${server}`, port: 6200, device: `d${id}`, weight, meta: '' }));
}

/** label → [target, maxPerPart] for every tier above devices, plus device targets. */
function plan(devs: RingDevice[], partitions: number, replicas: number): Record<string, [number, number]> {
  const t = buildTopology(devs, [], devs.length);
  planTargets(t.root, partitions, replicas);
  const out: Record<string, [number, number]> = {};
  for (const n of allNodes(t.root) as TierNode[]) if (n.level !== 0) out[n.level === DEVICE ? `d${n.tierId}` : n.label] = [n.target, n.maxPerPart];
  return out;
}

describe('waterFill', () => {
  test('splits in proportion to weight, exactly, remainders by largest fraction then index', () => {
    expect(waterFill(10, [1, 1, 1], [0, 0, 0], [10, 10, 10])).toEqual([4, 3, 3]);
    expect(waterFill(100, [1, 3], [0, 0], [100, 100])).toEqual([25, 75]);
  });

  test('caps a child at its upper bound and gives the rest to the others by weight', () => {
    expect(waterFill(300, [4, 1, 1, 1], [0, 0, 0, 0], [100, 100, 100, 100])).toEqual([100, 67, 67, 66]);
  });

  test('raises a child to its lower bound', () => {
    expect(waterFill(30, [1, 100], [10, 0], [30, 30])).toEqual([10, 20]);
  });

  test('refuses an impossible total', () => {
    expect(() => waterFill(31, [1, 1], [0, 0], [15, 15])).toThrow(/outside/);
  });
});

describe('planTargets', () => {
  const P = 1024;

  test('4 equal zones, 3 replicas: each zone holds at most 1 replica of a partition, 3/4 P slots', () => {
    const p = plan(devices([1, 2, 3, 4].flatMap((z) => [[1, z, 1, 100], [1, z, 1, 100]] as [number, number, number, number][])), P, 3);
    expect(p['r1']).toEqual([3 * P, 3]);
    for (const z of [1, 2, 3, 4]) expect(p[`r1z${z}`]).toEqual([768, 1]);
    expect(p['d0'][0]).toBe(384);
  });

  test('2 zones, 3 replicas: every zone holds 1 or 2 replicas of each partition', () => {
    const p = plan(devices([[1, 1, 1, 100], [1, 1, 2, 100], [1, 2, 1, 100], [1, 2, 2, 100]]), P, 3);
    expect(p['r1z1']).toEqual([1536, 2]);
    expect(p['r1z2']).toEqual([1536, 2]);
    // Within a zone of 1.5 replicas per partition, each server holds at most one.
    expect(p['r1z1-10.1.1.1:6200']).toEqual([768, 1]);
  });

  test('weight wins where the bounds allow: a heavier zone of 2 gets up to 2 replicas per partition', () => {
    const p = plan(devices([[1, 1, 1, 300], [1, 1, 2, 300], [1, 2, 1, 100], [1, 2, 2, 100]]), P, 3);
    // By weight zone 1 would get 2.25 P, but it may hold at most 2 of 3 replicas; zone 2 at least 1.
    expect(p['r1z1']).toEqual([2 * P, 2]);
    expect(p['r1z2']).toEqual([P, 1]);
  });

  test('dispersion wins over weight: a heavy zone among 4 is capped at one replica per partition', () => {
    const p = plan(devices([[1, 1, 1, 400], [1, 2, 1, 100], [1, 3, 1, 100], [1, 4, 1, 100]]), P, 3);
    expect(p['r1z1']).toEqual([P, 1]);
    expect(p['r1z2'][0] + p['r1z3'][0] + p['r1z4'][0]).toBe(2 * P);
  });

  test('a zone with one device cannot take 2 replicas of a partition; the others make up for it', () => {
    const p = plan(devices([[1, 1, 1, 100], [1, 2, 1, 100], [1, 2, 2, 100], [1, 2, 3, 100], [1, 2, 4, 100]]), P, 3);
    expect(p['r1z1']).toEqual([P, 1]);
    expect(p['r1z2']).toEqual([2 * P, 2]);
  });

  test('2 regions: each holds 1 or 2 replicas of a partition, by weight within that', () => {
    const p = plan(devices([[1, 1, 1, 100], [1, 2, 1, 100], [2, 1, 1, 100], [2, 2, 1, 100], [2, 3, 1, 100], [2, 4, 1, 100]]), P, 3);
    expect(p['r1']).toEqual([P, 1]);
    expect(p['r2']).toEqual([2 * P, 2]);
  });

  test('targets always add up to partitions × replicas', () => {
    const p = plan(devices([[1, 1, 1, 7], [1, 1, 2, 3], [1, 2, 1, 11], [2, 1, 1, 5], [2, 1, 1, 13]]), P, 3);
    const deviceSum = Object.entries(p)
      .filter(([k]) => /^d\d+$/.test(k))
      .reduce((s, [, [t]]) => s + t, 0);
    expect(deviceSum).toBe(3 * P);
  });
});
