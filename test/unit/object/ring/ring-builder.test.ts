/**
 * RingBuilder's contract apart from placement quality: input validation with typed errors,
 * device lifecycle, min_part_hours, and the builder file codec.
 */
import {
  type DeviceSpec,
  RingBuilder,
  RingError,
  type RingErrorCode,
  decodeBuilderFile,
  encodeBuilderFile,
} from '../../../../services/object/ring';
import { REFERENCE_LAYOUT, diff, newBuilder, snapshot } from './ring-fixtures';

const HOUR = 3_600_000;
const DEV: DeviceSpec = { region: 1, zone: 1, ip: '10.0.0.1', port: 6200, device: 'sda', weight: 100 };

function codeOf(fn: () => unknown): RingErrorCode | string {
  try {
    fn();
  } catch (e) {
    return e instanceof RingError ? e.code : `not a RingError: ${String(e)}`;
  }
  return 'no error';
}

describe('create', () => {
  test.each([
    [{ partPower: -1, replicas: 3 }],
    [{ partPower: 25, replicas: 3 }],
    [{ partPower: 8.5, replicas: 3 }],
    [{ partPower: 8, replicas: 0 }],
    [{ partPower: 8, replicas: 17 }],
    [{ partPower: 8, replicas: 3, minPartHours: -1 }],
    [{ partPower: 8, replicas: 3, seed: 2 ** 32 }],
  ])('refuses %j with INVALID_ARGUMENT', (params) => {
    expect(codeOf(() => RingBuilder.create(params))).toBe('INVALID_ARGUMENT');
  });
});

describe('devices', () => {
  test.each<[string, Partial<DeviceSpec>]>([
    ['negative region', { region: -1 }],
    ['fractional zone', { zone: 1.5 }],
    ['empty ip', { ip: '' }],
    ['ip with a space', { ip: '10.0.0.1 ' }],
    ['port 0', { port: 0 }],
    ['port 65536', { port: 65536 }],
    ['device with a slash', { device: 'sd/a' }],
    ['device ".."', { device: '..' }],
    ['device too long', { device: 'x'.repeat(65) }],
    ['negative weight', { weight: -1 }],
    ['NaN weight', { weight: Number.NaN }],
    ['infinite weight', { weight: Number.POSITIVE_INFINITY }],
  ])('refuses %s with INVALID_ARGUMENT and adds nothing', (_name, change) => {
    const b = newBuilder([]);
    expect(codeOf(() => b.addDevice({ ...DEV, ...change }))).toBe('INVALID_ARGUMENT');
    expect(b.devices).toEqual([]);
  });

  test('accepts host names and IPv6 literals', () => {
    const b = newBuilder([]);
    expect(b.addDevice({ ...DEV, ip: 'storage-1.example.net' }).id).toBe(0);
    expect(b.addDevice({ ...DEV, ip: 'fd00::1' }).id).toBe(1);
    expect(b.describe(1)).toBe('d1r1z1-[fd00::1]:6200/sda');
  });

  test('the same ip:port/device twice is DUPLICATE_DEVICE; one server in two zones is refused', () => {
    const b = newBuilder([DEV]);
    expect(codeOf(() => b.addDevice(DEV))).toBe('DUPLICATE_DEVICE');
    expect(codeOf(() => b.addDevice({ ...DEV, device: 'sdb', zone: 2 }))).toBe('INVALID_ARGUMENT');
    expect(b.addDevice({ ...DEV, device: 'sdb' }).id).toBe(1);
  });

  test('ids are never reused, even after a removal', () => {
    const b = newBuilder(REFERENCE_LAYOUT.devices);
    b.rebalance({ now: 0 });
    b.removeDevice(11);
    b.rebalance({ now: 0 });
    expect(b.addDevice({ ...DEV, ip: '10.9.9.9' }).id).toBe(12);
  });

  test('unknown ids are DEVICE_NOT_FOUND; a removed device cannot be changed', () => {
    const b = newBuilder(REFERENCE_LAYOUT.devices);
    expect(codeOf(() => b.removeDevice(99))).toBe('DEVICE_NOT_FOUND');
    expect(codeOf(() => b.setWeight(99, 1))).toBe('DEVICE_NOT_FOUND');
    b.removeDevice(3);
    expect(codeOf(() => b.setWeight(3, 1))).toBe('DEVICE_NOT_FOUND');
    expect(b.removing.map((d) => d.id)).toEqual([3]);
  });
});

describe('rebalance and ringData', () => {
  test('fewer weighted devices than replicas is INSUFFICIENT_DEVICES and changes nothing', () => {
    const b = newBuilder(REFERENCE_LAYOUT.devices.slice(0, 2));
    expect(codeOf(() => b.rebalance({ now: 0 }))).toBe('INSUFFICIENT_DEVICES');
    expect(b.assignment).toBeNull();
    b.addDevice({ ...DEV, ip: '10.9.9.9', weight: 0 });
    expect(codeOf(() => b.rebalance({ now: 0 }))).toBe('INSUFFICIENT_DEVICES');
  });

  test('ringData is NOT_BALANCED before the first rebalance and after device changes', () => {
    const b = newBuilder(REFERENCE_LAYOUT.devices);
    expect(codeOf(() => b.ringData())).toBe('NOT_BALANCED');
    b.rebalance({ now: 0 });
    expect(b.ringData().version).toBe(1);
    b.setWeight(0, 50);
    expect(codeOf(() => b.ringData())).toBe('NOT_BALANCED');
    b.rebalance({ now: 0 });
    expect(b.ringData().version).toBe(2);
  });

  test('a weight change that moves nothing still makes a new ring version (the device table changed)', () => {
    const b = newBuilder(REFERENCE_LAYOUT.devices);
    b.rebalance({ now: 0 });
    b.setWeight(0, 100);
    expect(b.rebalance({ now: 0 })).toMatchObject({ changed: true, movedSlots: 0, ringVersion: 2 });
  });

  test('an injected PRNG replaces the seed-derived one', () => {
    const ids = (rngSeed: number) => {
      const b = newBuilder(REFERENCE_LAYOUT.devices);
      let x = rngSeed;
      b.rebalance({ now: 0, rng: { nextUint32: () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) } });
      return Array.from(b.ringData().assignment[0].slice(0, 32));
    };
    expect(ids(1)).toEqual(ids(1));
    expect(ids(1)).not.toEqual(ids(2));
  });
});

describe('min_part_hours', () => {
  test('a partition that moved is not moved again until the hours have passed; removed devices always move', () => {
    const b = newBuilder(REFERENCE_LAYOUT.devices, { minPartHours: 24 });
    b.rebalance({ now: 0 });
    // Everything was placed at hour 0, so nothing may move before hour 24...
    b.addDevice({ ...DEV, ip: '10.1.1.1', device: 'sdz' });
    expect(b.rebalance({ now: 23 * HOUR })).toMatchObject({ movedSlots: 0, changed: true });
    expect(b.rebalance({ now: 23 * HOUR }).overTarget).toBeGreaterThan(0);
    // ...except a removed device's partitions, which must go whatever the clock says.
    const before = snapshot(b);
    b.removeDevice(5);
    const s = b.rebalance({ now: 23 * HOUR });
    expect([...diff(before, snapshot(b)).from.keys()]).toEqual([5]);
    expect(s.movedSlots).toBeGreaterThan(0);
    // At hour 24 the new device gets its share; the partitions just moved (hour 23) stay put.
    const before24 = snapshot(b);
    const s24 = b.rebalance({ now: 24 * HOUR });
    expect(s24.movedSlots).toBeGreaterThan(0);
    const movedAt23 = new Set<number>();
    for (let p = 0; p < b.partitions; p++) if (before.some((row, r) => row[p] !== before24[r][p])) movedAt23.add(p);
    const after24 = snapshot(b);
    for (const p of movedAt23) expect(after24.map((row) => row[p])).toEqual(before24.map((row) => row[p]));
  });
});

describe('builder file', () => {
  test('round-trips the whole state, byte for byte', () => {
    const b = newBuilder(REFERENCE_LAYOUT.devices, { minPartHours: 3, seed: 77 });
    b.rebalance({ now: 5 * HOUR });
    b.removeDevice(2);
    b.setWeight(4, 33.5);
    const text = encodeBuilderFile(b.toState());
    const back = decodeBuilderFile(text);
    expect(encodeBuilderFile(back)).toBe(text);
    expect(back).toEqual(b.toState());
    // And the reloaded builder rebalances exactly like the original.
    const again = RingBuilder.fromState(back);
    b.rebalance({ now: 9 * HOUR });
    again.rebalance({ now: 9 * HOUR });
    expect(encodeBuilderFile(again.toState())).toBe(encodeBuilderFile(b.toState()));
  });

  test('a new builder (no assignment) round-trips', () => {
    const b = newBuilder([DEV]);
    expect(decodeBuilderFile(encodeBuilderFile(b.toState()))).toEqual(b.toState());
  });

  const good = (): Record<string, unknown> => {
    const b = newBuilder(REFERENCE_LAYOUT.devices, { partPower: 4 });
    b.rebalance({ now: 0 });
    return JSON.parse(encodeBuilderFile(b.toState())) as Record<string, unknown>;
  };

  test.each<[string, (o: Record<string, unknown>) => unknown, RingErrorCode]>([
    ['not JSON', () => '{', 'BAD_BUILDER_FILE'],
    ['another format', (o) => ({ ...o, format: 'swift' }), 'BAD_BUILDER_FILE'],
    ['a newer version', (o) => ({ ...o, version: 2 }), 'UNSUPPORTED_VERSION'],
    ['part_power out of range', (o) => ({ ...o, part_power: 40 }), 'BAD_BUILDER_FILE'],
    ['replicas missing', (o) => ({ ...o, replicas: undefined }), 'BAD_BUILDER_FILE'],
    ['a bad device', (o) => ({ ...o, devices: [{ id: 0, region: 1, zone: 1, ip: '10.0.0.1', port: 0, device: 'sda', weight: 1, meta: '' }] }), 'BAD_BUILDER_FILE'],
    ['duplicate device ids', (o) => ({ ...o, devices: [...(o.devices as unknown[]), (o.devices as unknown[])[0]] }), 'BAD_BUILDER_FILE'],
    ['an assignment of the wrong length', (o) => ({ ...o, assignment: (o.assignment as string[]).map((t) => t.slice(0, 8)) }), 'BAD_BUILDER_FILE'],
    ['an assignment with junk', (o) => ({ ...o, assignment: (o.assignment as string[]).map((t) => `!${t.slice(1)}`) }), 'BAD_BUILDER_FILE'],
    ['an assignment naming an unknown device', (o) => ({ ...o, devices: (o.devices as unknown[]).slice(1) }), 'BAD_BUILDER_FILE'],
    ['moved_at_hour missing', (o) => ({ ...o, moved_at_hour: null }), 'BAD_BUILDER_FILE'],
  ])('rejects %s', (_name, mutate, code) => {
    const mutated = mutate(good());
    const text = typeof mutated === 'string' ? mutated : JSON.stringify(mutated);
    expect(codeOf(() => decodeBuilderFile(text))).toBe(code);
  });
});
