/**
 * The builder file codec: a builder's whole state as JSON, so rebalances are incremental across
 * `weft-ring` runs. Pure `encodeBuilderFile(state) → string` / `decodeBuilderFile(text) → state`.
 *
 * Format version 1:
 *   {
 *     "format": "weft-ring-builder", "version": 1,
 *     "part_power", "replicas", "min_part_hours", "seed", "ring_version", "next_device_id",
 *     "dirty": bool (devices changed since the last rebalance),
 *     "devices": [{"id","region","zone","ip","port","device","weight","meta"}, ...],
 *     "removed": [same shape: removed since the last rebalance; their partitions move at the next],
 *     "assignment": null | [one string per replica: base64 of 2^part_power big-endian int32 device ids, -1 = none],
 *     "moved_at_hour": null | base64 of 2^part_power big-endian uint32 (hour since the epoch a replica last moved)
 *   }
 * The tables are base64 rather than JSON arrays to keep a part-power-18 builder to a few MB.
 * The same state always encodes to the same text. The decoder checks everything and throws
 * RingError BAD_BUILDER_FILE (or UNSUPPORTED_VERSION) on any problem.
 */
import { type RingDevice, validateDeviceSpec } from './device';
import type { BuilderState } from './ring-builder';
import { MAX_PART_POWER, MAX_REPLICAS } from './ring-data';
import { RingError } from './ring-error';

export const BUILDER_FORMAT = 'weft-ring-builder';
export const BUILDER_FORMAT_VERSION = 1;

function deviceJson(d: RingDevice): Record<string, unknown> {
  return { id: d.id, region: d.region, zone: d.zone, ip: d.ip, port: d.port, device: d.device, weight: d.weight, meta: d.meta };
}

function tableToBase64(values: ArrayLike<number>, signed: boolean): string {
  const buf = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) {
    if (signed) buf.writeInt32BE(values[i], i * 4);
    else buf.writeUInt32BE(values[i], i * 4);
  }
  return buf.toString('base64');
}

export function encodeBuilderFile(s: BuilderState): string {
  return `${JSON.stringify(
    {
      format: BUILDER_FORMAT,
      version: BUILDER_FORMAT_VERSION,
      part_power: s.partPower,
      replicas: s.replicas,
      min_part_hours: s.minPartHours,
      seed: s.seed,
      ring_version: s.ringVersion,
      next_device_id: s.nextDeviceId,
      dirty: s.dirty,
      devices: s.devices.map(deviceJson),
      removed: s.removed.map(deviceJson),
      assignment: s.assignment ? s.assignment.map((row) => tableToBase64(row, true)) : null,
      moved_at_hour: s.movedAtHour ? tableToBase64(s.movedAtHour, false) : null,
    },
    null,
    1,
  )}\n`;
}

function bad(why: string): RingError {
  return new RingError('BAD_BUILDER_FILE', `bad builder file: ${why}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function int(o: Record<string, unknown>, key: string, lo: number, hi: number): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw bad(`${key} must be an integer ${lo}..${hi}`);
  return v;
}

function devices(o: Record<string, unknown>, key: string): RingDevice[] {
  const list = o[key];
  if (!Array.isArray(list)) throw bad(`${key} must be a list`);
  return list.map((d: unknown) => {
    if (!isRecord(d)) throw bad(`${key}: a device is not an object`);
    const dev = { id: d.id, region: d.region, zone: d.zone, ip: d.ip, port: d.port, device: d.device, weight: d.weight, meta: d.meta };
    if (typeof dev.id !== 'number' || !Number.isInteger(dev.id) || dev.id < 0) throw bad(`${key}: device id`);
    if (typeof dev.meta !== 'string') throw bad(`${key}: device ${dev.id}: meta must be a string`);
    try {
      validateDeviceSpec(dev as RingDevice);
    } catch (e) {
      throw bad(`${key}: device ${dev.id}: ${e instanceof Error ? e.message : String(e)}`);
    }
    return dev as RingDevice;
  });
}

function table(v: unknown, what: string, length: number): Buffer {
  // Buffer.from(base64) silently skips junk, so check the alphabet and the length explicitly.
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw bad(`${what} is not base64`);
  const buf = Buffer.from(v, 'base64');
  if (buf.length !== length * 4) throw bad(`${what} has ${buf.length / 4} entries, expected ${length}`);
  return buf;
}

export function decodeBuilderFile(text: string): BuilderState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw bad('not JSON');
  }
  if (!isRecord(raw) || raw.format !== BUILDER_FORMAT) throw bad(`not a ${BUILDER_FORMAT} file`);
  if (raw.version !== BUILDER_FORMAT_VERSION) {
    throw new RingError('UNSUPPORTED_VERSION', `builder file version ${String(raw.version)} is not supported (this tool knows ${BUILDER_FORMAT_VERSION})`);
  }
  const partPower = int(raw, 'part_power', 0, MAX_PART_POWER);
  const replicas = int(raw, 'replicas', 1, MAX_REPLICAS);
  const minPartHours = int(raw, 'min_part_hours', 0, 8760);
  const seed = int(raw, 'seed', 0, 0xffffffff);
  const ringVersion = int(raw, 'ring_version', 0, Number.MAX_SAFE_INTEGER);
  const nextDeviceId = int(raw, 'next_device_id', 0, 0x7fffffff);
  if (typeof raw.dirty !== 'boolean') throw bad('dirty must be a boolean');
  const live = devices(raw, 'devices');
  const removed = devices(raw, 'removed');
  const ids = new Set<number>();
  for (const d of [...live, ...removed]) {
    if (ids.has(d.id)) throw bad(`device id ${d.id} appears twice`);
    if (d.id >= nextDeviceId) throw bad(`device id ${d.id} is not below next_device_id`);
    ids.add(d.id);
  }

  const partitions = 2 ** partPower;
  let assignment: Int32Array[] | null = null;
  let movedAtHour: Uint32Array | null = null;
  if (raw.assignment !== null) {
    if (!Array.isArray(raw.assignment) || raw.assignment.length !== replicas) throw bad('assignment must have one table per replica');
    assignment = raw.assignment.map((t: unknown, r: number) => {
      const buf = table(t, `assignment[${r}]`, partitions);
      const row = new Int32Array(partitions);
      for (let p = 0; p < partitions; p++) {
        const id = buf.readInt32BE(p * 4);
        if (id !== -1 && !ids.has(id)) throw bad(`assignment[${r}] names unknown device ${id}`);
        row[p] = id;
      }
      return row;
    });
    const buf = table(raw.moved_at_hour, 'moved_at_hour', partitions);
    movedAtHour = new Uint32Array(partitions);
    for (let p = 0; p < partitions; p++) movedAtHour[p] = buf.readUInt32BE(p * 4);
  } else if (raw.moved_at_hour !== null) {
    throw bad('moved_at_hour without assignment');
  }
  return { partPower, replicas, minPartHours, seed, ringVersion, nextDeviceId, dirty: raw.dirty, devices: live, removed, assignment, movedAtHour };
}
