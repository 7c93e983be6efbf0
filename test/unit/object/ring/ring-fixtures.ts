/**
 * Shared by the ring tests: device layouts, a builder factory, and the invariants every ring must
 * keep whatever the layout.
 */
import { type DeviceSpec, RingBuilder, type RingReport, ringReport } from '../../../../services/object/ring';

export interface Layout {
  readonly name: string;
  readonly devices: readonly DeviceSpec[];
  /** True when every device can get its weight share without breaking dispersion bounds. */
  readonly weightsFeasible: boolean;
}

function dev(region: number, zone: number, server: number, device: string, weight = 100): DeviceSpec {
  return { region, zone, ip: `10.${region}.${zone}.${server}`, port: 6200, device, weight };
}

function grid(regions: number, zones: number, servers: number, devices: number, weightOf: (r: number, z: number, s: number, d: number) => number = () => 100): DeviceSpec[] {
  const out: DeviceSpec[] = [];
  for (let r = 1; r <= regions; r++)
    for (let z = 1; z <= zones; z++)
      for (let s = 1; s <= servers; s++) for (let d = 1; d <= devices; d++) out.push(dev(r, z, s, `sd${String.fromCharCode(96 + d)}`, weightOf(r, z, s, d)));
  return out;
}

export const LAYOUTS: readonly Layout[] = [
  { name: '1 region, 4 zones x 3 devices (the 12-device reference)', devices: grid(1, 4, 1, 3), weightsFeasible: true },
  { name: '2 regions x 2 zones x 2 servers x 2 devices', devices: grid(2, 2, 2, 2), weightsFeasible: true },
  { name: '2 zones (fewer than replicas) x 3 servers x 2 devices', devices: grid(1, 2, 3, 2), weightsFeasible: true },
  { name: '5 zones, mixed weights 100/150/200', devices: grid(1, 5, 1, 3, (_r, z, _s, d) => [100, 150, 200, 100, 150][(z + d) % 5]), weightsFeasible: true },
  { name: '3 zones, one with a single device (dispersion caps it)', devices: [...grid(1, 2, 1, 4), dev(1, 3, 1, 'sda')], weightsFeasible: false },
  { name: '4 zones, one zone 4x heavier than the bound allows', devices: grid(1, 4, 1, 3, (_r, z) => (z === 1 ? 400 : 100)), weightsFeasible: false },
];

export const REFERENCE_LAYOUT = LAYOUTS[0];

export function newBuilder(devices: readonly DeviceSpec[], opts: { partPower?: number; replicas?: number; seed?: number; minPartHours?: number } = {}): RingBuilder {
  const b = RingBuilder.create({ partPower: opts.partPower ?? 10, replicas: opts.replicas ?? 3, seed: opts.seed ?? 1, minPartHours: opts.minPartHours ?? 0 });
  for (const d of devices) b.addDevice(d);
  return b;
}

export function snapshot(b: RingBuilder): Int32Array[] {
  return (b.assignment ?? []).map((row) => Int32Array.from(row));
}

export interface SlotDiff {
  /** Slots whose device changed. */
  moved: number;
  /** Moved slots by their old device. */
  from: Map<number, number>;
  /** Moved slots by their new device. */
  to: Map<number, number>;
  /** Partitions with more than one replica moved. */
  multiMoved: number;
}

export function diff(before: readonly Int32Array[], after: readonly Int32Array[]): SlotDiff {
  const out: SlotDiff = { moved: 0, from: new Map(), to: new Map(), multiMoved: 0 };
  for (let p = 0; p < before[0].length; p++) {
    let n = 0;
    for (let r = 0; r < before.length; r++) {
      if (before[r][p] === after[r][p]) continue;
      n++;
      out.moved++;
      out.from.set(before[r][p], (out.from.get(before[r][p]) ?? 0) + 1);
      out.to.set(after[r][p], (out.to.get(after[r][p]) ?? 0) + 1);
    }
    if (n > 1) out.multiMoved++;
  }
  return out;
}

export function report(b: RingBuilder): RingReport {
  return ringReport(b.toState());
}

/**
 * Invariants of every ring: each partition has `replicas` distinct devices, all of them devices of
 * the builder; returns a description of the first violation, or null.
 */
export function violation(b: RingBuilder): string | null {
  const ids = new Set(b.devices.map((d) => d.id));
  const table = b.assignment;
  if (!table) return 'no assignment';
  if (table.length !== b.replicas) return `table has ${table.length} rows`;
  for (let p = 0; p < b.partitions; p++) {
    const devs = table.map((row) => row[p]);
    if (new Set(devs).size !== devs.length) return `partition ${p} repeats a device: ${devs.join(',')}`;
    const unknown = devs.find((d) => !ids.has(d));
    if (unknown !== undefined) return `partition ${p} names unknown device ${unknown}`;
  }
  return null;
}

/** The largest number of one partition's replicas sharing a zone. */
export function maxReplicasPerZone(b: RingBuilder): number {
  const zoneOf = new Map(b.devices.map((d) => [d.id, `${d.region}/${d.zone}`]));
  let worst = 0;
  for (let p = 0; p < b.partitions; p++) {
    const counts = new Map<string, number>();
    for (const row of b.assignment ?? []) {
      const z = zoneOf.get(row[p]) as string;
      counts.set(z, (counts.get(z) ?? 0) + 1);
      worst = Math.max(worst, counts.get(z) as number);
    }
  }
  return worst;
}

export function zoneCount(devices: readonly DeviceSpec[]): number {
  return new Set(devices.map((d) => `${d.region}/${d.zone}`)).size;
}
