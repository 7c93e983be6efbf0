/**
 * The ring file codec: round trip, byte-identical output, and a decoder that rejects every kind of
 * damage with a typed error (and nothing else, whatever the bytes).
 */
import { createHash } from 'node:crypto';
import { RingError, type RingData, decodeRingFile, encodeRingFile, mulberry32 } from '../../../../services/object/ring';
import { REFERENCE_LAYOUT, newBuilder } from './ring-fixtures';

function ring(partPower = 6): RingData {
  const b = newBuilder(REFERENCE_LAYOUT.devices, { partPower });
  b.rebalance({ now: 0 });
  return b.ringData();
}

/** Re-seals a modified file with a valid checksum, to test the checks behind the checksum. */
function reseal(bytes: Buffer): Buffer {
  const body = bytes.subarray(0, bytes.length - 32);
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}

function withHeader(bytes: Buffer, edit: (h: Record<string, unknown>) => unknown): Buffer {
  const len = bytes.readUInt32BE(8);
  const header = JSON.parse(bytes.toString('utf8', 12, 12 + len)) as Record<string, unknown>;
  const next = Buffer.from(JSON.stringify(edit(header)));
  const pre = Buffer.from(bytes.subarray(0, 12));
  pre.writeUInt32BE(next.length, 8);
  return reseal(Buffer.concat([pre, next, bytes.subarray(12 + len)]));
}

function codeOf(bytes: Uint8Array): string {
  try {
    decodeRingFile(bytes);
    return 'decoded';
  } catch (e) {
    return e instanceof RingError ? e.code : `not a RingError: ${String(e)}`;
  }
}

describe('ring file', () => {
  test('round-trips, and the same ring always gives the same bytes', () => {
    const data = ring();
    const bytes = encodeRingFile(data);
    const back = decodeRingFile(bytes);
    expect(back).toEqual(data);
    expect(encodeRingFile(back).equals(bytes)).toBe(true);
    expect(encodeRingFile(ring()).equals(bytes)).toBe(true);
  });

  test('layout: magic, version 1, 2-byte ids for small ids, header JSON, table, SHA-256 trailer', () => {
    const data = ring(4);
    const bytes = encodeRingFile(data);
    expect(bytes.toString('latin1', 0, 4)).toBe('WRNG');
    expect(bytes.readUInt16BE(4)).toBe(1);
    expect(bytes.readUInt8(6)).toBe(2);
    const headerLength = bytes.readUInt32BE(8);
    const header = JSON.parse(bytes.toString('utf8', 12, 12 + headerLength)) as { part_power: number; replicas: number; ring_version: number };
    expect(header).toMatchObject({ ring_version: 1, part_power: 4, replicas: 3 });
    expect(Object.keys(header)).toEqual(['ring_version', 'part_power', 'replicas', 'devices']);
    expect(bytes.length).toBe(12 + headerLength + 3 * 16 * 2 + 32);
    expect(bytes.readUInt16BE(12 + headerLength)).toBe(data.assignment[0][0]);
    expect(bytes.readUInt16BE(12 + headerLength + 16 * 2)).toBe(data.assignment[1][0]);
  });

  test('device ids of 65535 and more switch the table to 4 bytes per id', () => {
    const data = ring(4);
    const big: RingData = {
      ...data,
      devices: data.devices.map((d) => ({ ...d, id: d.id + 70000 })),
      assignment: data.assignment.map((row) => row.map((id) => id + 70000)),
    };
    const bytes = encodeRingFile(big);
    expect(bytes.readUInt8(6)).toBe(4);
    expect(decodeRingFile(bytes)).toEqual(big);
  });

  test('rejects what is not a ring file, and other versions, by name', () => {
    const bytes = encodeRingFile(ring());
    expect(codeOf(Buffer.alloc(0))).toBe('BAD_MAGIC');
    expect(codeOf(Buffer.from('R1NG\x00\x01', 'latin1'))).toBe('BAD_MAGIC');
    const v2 = Buffer.from(bytes);
    v2.writeUInt16BE(2, 4);
    expect(codeOf(v2)).toBe('UNSUPPORTED_VERSION');
    expect(() => decodeRingFile(v2)).toThrow(/version 2 is not supported/);
  });

  test('rejects every truncation and any flipped bit as CORRUPT', () => {
    const bytes = encodeRingFile(ring(4));
    for (let len = 6; len < bytes.length; len += 7) expect(codeOf(bytes.subarray(0, len))).toBe('CORRUPT');
    for (let i = 6; i < bytes.length; i += 5) {
      const bad = Buffer.from(bytes);
      bad[i] ^= 0x10;
      expect(codeOf(bad)).toBe('CORRUPT');
    }
  });

  test('checks behind the checksum: header fields, table size, device ids, duplicate devices', () => {
    const bytes = encodeRingFile(ring(4));
    const cases: Buffer[] = [
      withHeader(bytes, () => 'not an object'),
      withHeader(bytes, (h) => ({ ...h, part_power: 5 })),
      withHeader(bytes, (h) => ({ ...h, replicas: 2 })),
      withHeader(bytes, (h) => ({ ...h, part_power: 99 })),
      withHeader(bytes, (h) => ({ ...h, devices: (h.devices as unknown[]).slice(1) })),
      withHeader(bytes, (h) => ({ ...h, devices: [...(h.devices as unknown[])].reverse() })),
      withHeader(bytes, (h) => ({ ...h, devices: (h.devices as Record<string, unknown>[]).map((d) => ({ ...d, port: 'x' })) })),
    ];
    const headerLength = bytes.readUInt32BE(8);
    const dup = Buffer.from(bytes);
    dup.writeUInt16BE(dup.readUInt16BE(12 + headerLength), 12 + headerLength + 16 * 2); // replica 1 = replica 0 for partition 0
    cases.push(reseal(dup));
    const width = Buffer.from(bytes);
    width.writeUInt8(3, 6);
    cases.push(reseal(width));
    for (const c of cases) expect(codeOf(c)).toBe('CORRUPT');
  });

  test('fuzz: random and mutated bytes only ever raise RingError', () => {
    const rng = mulberry32(1234);
    const good = encodeRingFile(ring(3));
    for (let i = 0; i < 2000; i++) {
      const n = rng.nextUint32() % 200;
      const buf = i % 2 === 0 ? Buffer.alloc(n) : Buffer.from(good);
      if (i % 2 === 0) for (let j = 0; j < n; j++) buf[j] = rng.nextUint32() & 0xff;
      else for (let k = 0; k < 3; k++) buf[rng.nextUint32() % buf.length] = rng.nextUint32() & 0xff;
      if (i % 4 === 0 && buf.length > 4) buf.write('WRNG\x00\x01', 0, 'latin1');
      const code = codeOf(i % 8 === 1 ? reseal(buf) : buf);
      expect(['BAD_MAGIC', 'UNSUPPORTED_VERSION', 'CORRUPT', 'decoded']).toContain(code);
    }
  });
});
