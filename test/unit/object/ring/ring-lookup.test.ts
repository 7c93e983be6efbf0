/**
 * Ring lookups as servers use them: partition and primaries of a name, and handoff order.
 */
import { type DeviceSpec, Ring, RingError, type RingDevice } from '../../../../services/object/ring';
import { LAYOUTS, newBuilder } from './ring-fixtures';

const HASH = { prefix: 'pre', suffix: 'suf' };

function ringOf(devices: readonly DeviceSpec[], seed = 1, partPower = 8): Ring {
  const b = newBuilder(devices, { seed, partPower });
  b.rebalance({ now: 0 });
  return new Ring(b.ringData(), HASH);
}

const zoneOf = (d: RingDevice) => `${d.region}/${d.zone}`;
const serverOf = (d: RingDevice) => `${d.ip}:${d.port}`;

describe('getNodes', () => {
  const ring = ringOf(LAYOUTS[0].devices);

  test('the partition is the top bits of the hash; the nodes are the partition primaries', () => {
    const { partition, nodes } = ring.getNodes('a', 'c', 'o');
    expect(partition).toBe(60); // see the hash-path golden test: top 8 bits of 3c45...
    expect(nodes.map((d) => d.id)).toEqual(ring.data.assignment.map((row) => row[60]));
    expect(ring.getPartNodes(60)).toEqual(nodes);
  });

  test('account, container and object names give their own partitions', () => {
    expect(ring.getNodes('a').partition).toBe(171);
    expect(ring.getNodes('a', 'c').partition).toBe(13);
  });

  test('bad names and partitions are INVALID_ARGUMENT', () => {
    expect(() => ring.getNodes('')).toThrow(RingError);
    expect(() => ring.getNodes('a', undefined, 'o')).toThrow(/needs a container/);
    expect(() => ring.getNodes('a', '')).toThrow(RingError);
    expect(() => ring.getPartNodes(256)).toThrow(RingError);
    expect(() => ring.getPartNodes(-1)).toThrow(RingError);
    expect(() => ring.getPartNodes(1.5)).toThrow(RingError);
  });

  test('a hash path config needs a secret', () => {
    expect(() => new Ring(ring.data, { prefix: '', suffix: '' })).toThrow(RingError);
  });
});

describe.each(LAYOUTS.map((l) => [l.name, l] as const))('handoffs, %s', (_name, layout) => {
  const ring = ringOf(layout.devices, 3);
  const weighted = ring.devices.filter((d) => d.weight > 0);

  test('never repeat a primary or each other, and together with the primaries cover every device', () => {
    for (let p = 0; p < ring.partitionCount; p += 7) {
      const primaries = ring.getPartNodes(p);
      const handoffs = [...ring.getMoreNodes(p)];
      const ids = [...primaries, ...handoffs].map((d) => d.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(new Set(ids)).toEqual(new Set(weighted.map((d) => d.id)));
    }
  });

  test('come in failure-domain order: new zones before reused zones, new servers before reused servers', () => {
    for (let p = 0; p < ring.partitionCount; p += 5) {
      const seenZones = new Set(ring.getPartNodes(p).map(zoneOf));
      const seenServers = new Set(ring.getPartNodes(p).map(serverOf));
      const allZones = new Set(weighted.map(zoneOf));
      const allServers = new Set(weighted.map(serverOf));
      for (const d of ring.getMoreNodes(p)) {
        // While an unused zone (server) exists, the next handoff is in one.
        if (seenZones.size < allZones.size) expect(seenZones.has(zoneOf(d))).toBe(false);
        else if (seenServers.size < allServers.size) expect(seenServers.has(serverOf(d))).toBe(false);
        seenZones.add(zoneOf(d));
        seenServers.add(serverOf(d));
      }
    }
  });

  test('are deterministic and stable across identical rings', () => {
    const again = ringOf(layout.devices, 3);
    for (const p of [0, 17, 255]) expect([...again.getMoreNodes(p)].map((d) => d.id)).toEqual([...ring.getMoreNodes(p)].map((d) => d.id));
  });
});

test('handoffs mostly survive a rebalance: the first handoff of most partitions is unchanged after adding a device', () => {
  const b = newBuilder(LAYOUTS[0].devices, { seed: 4, partPower: 8 });
  b.rebalance({ now: 0 });
  const before = new Ring(b.ringData(), HASH);
  b.addDevice({ ...LAYOUTS[0].devices[0], device: 'sdnew' });
  b.rebalance({ now: 0 });
  const after = new Ring(b.ringData(), HASH);
  let same = 0;
  for (let p = 0; p < 256; p++) if (before.getMoreNodes(p).next().value?.id === after.getMoreNodes(p).next().value?.id) same++;
  expect(same).toBeGreaterThan(256 * 0.6);
});
