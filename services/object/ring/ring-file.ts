/**
 * The ring file codec: pure `encodeRingFile(ring) → bytes` and `decodeRingFile(bytes) → ring`.
 *
 * Format version 1 (all integers big-endian):
 *
 *   offset  size        field
 *   0       4           magic "WRNG"
 *   4       2           format version = 1
 *   6       1           device-id width W in bytes: 2 when every id < 65535, else 4
 *   7       1           reserved, 0
 *   8       4           header length H
 *   12      H           header: UTF-8 JSON, keys in this order:
 *                         {"ring_version", "part_power", "replicas",
 *                          "devices": [{"id","region","zone","ip","port","device","weight","meta"}, ...]}
 *                       devices sorted by id
 *   12+H    R·P·W       the table, replica-major: replica 0's device id for partitions 0..P-1,
 *                       then replica 1's, ... (R = replicas, P = 2^part_power)
 *   end−32  32          SHA-256 of every byte before it
 *
 * The same RingData always encodes to the same bytes (fixed key order, no timestamps, no
 * compression), so a checksum of the file identifies a ring. The file is not gzipped because
 * deflate output may differ between zlib builds, which would break that guarantee; the table of a
 * part-power-18, 3-replica ring is 1.5 MB.
 *
 * The decoder trusts nothing: every length, id and header field is checked, and any problem is a
 * RingError (BAD_MAGIC, UNSUPPORTED_VERSION or CORRUPT), never another exception. Versions are
 * never reused: a change to the layout is version 2, and old readers refuse it by name.
 */
import { createHash } from 'node:crypto';
import { type RingDevice, validateDeviceSpec } from './device';
import { type RingData, MAX_PART_POWER, MAX_REPLICAS } from './ring-data';
import { RingError } from './ring-error';

export const RING_MAGIC = 'WRNG';
export const RING_FORMAT_VERSION = 1;
const PREAMBLE = 12;
const DIGEST = 32;

export function encodeRingFile(ring: RingData): Buffer {
  const partitions = 2 ** ring.partPower;
  const maxId = ring.devices.reduce((m, d) => Math.max(m, d.id), 0);
  const width = maxId < 0xffff ? 2 : 4;
  const header = Buffer.from(
    JSON.stringify({
      ring_version: ring.version,
      part_power: ring.partPower,
      replicas: ring.replicas,
      devices: [...ring.devices]
        .sort((a, b) => a.id - b.id)
        .map((d) => ({ id: d.id, region: d.region, zone: d.zone, ip: d.ip, port: d.port, device: d.device, weight: d.weight, meta: d.meta })),
    }),
    'utf8',
  );
  const tableBytes = ring.replicas * partitions * width;
  const out = Buffer.alloc(PREAMBLE + header.length + tableBytes + DIGEST);
  out.write(RING_MAGIC, 0, 'latin1');
  out.writeUInt16BE(RING_FORMAT_VERSION, 4);
  out.writeUInt8(width, 6);
  out.writeUInt32BE(header.length, 8);
  header.copy(out, PREAMBLE);
  let o = PREAMBLE + header.length;
  for (const row of ring.assignment) {
    for (let p = 0; p < partitions; p++, o += width) {
      if (width === 2) out.writeUInt16BE(row[p], o);
      else out.writeUInt32BE(row[p], o);
    }
  }
  createHash('sha256').update(out.subarray(0, o)).digest().copy(out, o);
  return out;
}

function corrupt(why: string): RingError {
  return new RingError('CORRUPT', `corrupt ring file: ${why}`);
}

/** Decodes and fully validates a ring file. */
export function decodeRingFile(bytes: Uint8Array): RingData {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 6 || buf.toString('latin1', 0, 4) !== RING_MAGIC) throw new RingError('BAD_MAGIC', 'not a Weft ring file (bad magic)');
  const version = buf.readUInt16BE(4);
  if (version !== RING_FORMAT_VERSION) throw new RingError('UNSUPPORTED_VERSION', `ring file format version ${version} is not supported (this reader knows ${RING_FORMAT_VERSION})`);
  if (buf.length < PREAMBLE + DIGEST) throw corrupt('truncated');
  const body = buf.length - DIGEST;
  const digest = createHash('sha256').update(buf.subarray(0, body)).digest();
  if (!digest.equals(buf.subarray(body))) throw corrupt('checksum mismatch (truncated or damaged)');

  const width = buf.readUInt8(6);
  if (width !== 2 && width !== 4) throw corrupt(`device-id width ${width}`);
  if (buf.readUInt8(7) !== 0) throw corrupt('reserved byte is not 0');
  const headerLength = buf.readUInt32BE(8);
  if (PREAMBLE + headerLength > body) throw corrupt('header runs past the end');
  const header = parseHeader(buf.toString('utf8', PREAMBLE, PREAMBLE + headerLength));

  const partitions = 2 ** header.partPower;
  const tableStart = PREAMBLE + headerLength;
  if (body - tableStart !== header.replicas * partitions * width) throw corrupt('table size does not match part_power and replicas');
  const known = new Set(header.devices.map((d) => d.id));
  const assignment: Uint32Array[] = [];
  let o = tableStart;
  for (let r = 0; r < header.replicas; r++) {
    const row = new Uint32Array(partitions);
    for (let p = 0; p < partitions; p++, o += width) {
      const id = width === 2 ? buf.readUInt16BE(o) : buf.readUInt32BE(o);
      if (!known.has(id)) throw corrupt(`partition ${p} replica ${r} names unknown device ${id}`);
      row[p] = id;
    }
    assignment.push(row);
  }
  for (let p = 0; p < partitions; p++) {
    for (let r = 1; r < header.replicas; r++) {
      for (let q = 0; q < r; q++) if (assignment[r][p] === assignment[q][p]) throw corrupt(`partition ${p} has device ${assignment[r][p]} twice`);
    }
  }
  return { version: header.ringVersion, partPower: header.partPower, replicas: header.replicas, devices: header.devices, assignment };
}

interface Header {
  ringVersion: number;
  partPower: number;
  replicas: number;
  devices: RingDevice[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function intField(o: Record<string, unknown>, key: string, lo: number, hi: number): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw corrupt(`header field ${key}`);
  return v;
}

function parseHeader(text: string): Header {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw corrupt('header is not JSON');
  }
  if (!isRecord(raw) || !Array.isArray(raw.devices)) throw corrupt('header is not an object with devices');
  const ringVersion = intField(raw, 'ring_version', 0, Number.MAX_SAFE_INTEGER);
  const partPower = intField(raw, 'part_power', 0, MAX_PART_POWER);
  const replicas = intField(raw, 'replicas', 1, MAX_REPLICAS);
  const devices: RingDevice[] = [];
  let lastId = -1;
  for (const d of raw.devices) {
    if (!isRecord(d)) throw corrupt('device is not an object');
    const id = intField(d, 'id', 0, 0xffffffff);
    if (id <= lastId) throw corrupt('devices not sorted by unique id');
    lastId = id;
    const dev = { id, region: d.region, zone: d.zone, ip: d.ip, port: d.port, device: d.device, weight: d.weight, meta: d.meta };
    try {
      validateDeviceSpec(dev as RingDevice);
    } catch (e) {
      throw corrupt(`device ${id}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (typeof dev.meta !== 'string') throw corrupt(`device ${id}: meta`);
    devices.push(dev as RingDevice);
  }
  if (devices.length < replicas) throw corrupt('fewer devices than replicas');
  return { ringVersion, partPower, replicas, devices };
}
