/**
 * The intent journal's record codec (journal-record.ts): what decodes is exactly what was
 * encoded, a journal ends at the first record that is torn or damaged, and no decoded record can
 * name a file outside a hash directory of the layout (the replay writes where a record says).
 */
import {
  decodeRecords,
  encodedLength,
  encodeRecord,
  MAX_BODY_BYTES,
  MAX_HEAD_BYTES,
  RECORD_HEADER_BYTES,
  RECORD_MAGIC,
  recordPartition,
  recordTargetProblem,
  type JournalRecord,
} from '../../../../../services/object/storage/diskfile/journal-record';
import { crc32 } from 'node:zlib';

const HASH = 'd41d8cd98f00b204e9800998ecf8427e';
const DIR = `objects/7/27e/${HASH}`;
const OTHER_DIR = `objects/1234567890/abc/0123456789abcdef0123456789abcabc`;

const records: JournalRecord[] = [
  { dir: DIR, name: '1700000001.00000.data', body: [Buffer.from('hello '), Buffer.from('small '), Buffer.from('world')] },
  { dir: OTHER_DIR, name: '1700000002.00000_000000000000000a.ts', body: [] },
  { dir: DIR, name: '1700000003.12345.meta', body: [Buffer.from('{"X-Object-Meta-A":"b"}')] },
];

const encodeAll = (rs: readonly JournalRecord[]): Buffer => Buffer.concat(rs.flatMap((r) => encodeRecord(r)));
const plain = (r: JournalRecord): { dir: string; name: string; body: Buffer } => ({ dir: r.dir, name: r.name, body: Buffer.concat(r.body) });

/** A record with its header fields and head written by hand (to encode what encodeRecord refuses). */
function rawRecord(head: Buffer | string, body: Buffer = Buffer.alloc(0), opts: { headLength?: number; bodyLength?: number; crc?: number } = {}): Buffer {
  const h = typeof head === 'string' ? Buffer.from(head) : head;
  const header = Buffer.alloc(RECORD_HEADER_BYTES);
  header.writeUInt32LE(RECORD_MAGIC, 0);
  header.writeUInt32LE(opts.headLength ?? h.length, 4);
  header.writeUInt32LE(opts.bodyLength ?? body.length, 8);
  const crc = crc32(body, crc32(h, crc32(header.subarray(4, 12))));
  header.writeUInt32LE(opts.crc ?? crc, 12);
  return Buffer.concat([header, h, body]);
}

/** Deterministic PRNG (mulberry32), so a failing fuzz case can be reproduced. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('round trip', () => {
  test('several records, a body in several pieces and an empty body decode to exactly what was encoded, in order, with their offsets', () => {
    const buf = encodeAll(records);
    const out = decodeRecords(buf);
    expect(out.problem).toBeUndefined();
    expect(out.validBytes).toBe(buf.length);
    expect(out.records.map(({ dir, name, body }) => ({ dir, name, body }))).toEqual(records.map(plain));
    let offset = 0;
    for (const [i, r] of records.entries()) {
      expect(out.records[i].offset).toBe(offset);
      offset += encodedLength(encodeRecord(r));
    }
  });

  test('the body pieces are passed through uncopied after the header and the head (one writev)', () => {
    const pieces = encodeRecord(records[0]);
    expect(pieces).toHaveLength(2 + records[0].body.length);
    expect(pieces[0]).toHaveLength(RECORD_HEADER_BYTES);
    expect(pieces[0].readUInt32LE(0)).toBe(RECORD_MAGIC);
    expect(pieces[0].subarray(0, 4).toString('latin1')).toBe('WJR1');
    expect(JSON.parse(pieces[1].toString())).toEqual({ d: DIR, n: '1700000001.00000.data' });
    records[0].body.forEach((b, i) => expect(pieces[2 + i]).toBe(b));
    expect(encodedLength(pieces)).toBe(RECORD_HEADER_BYTES + pieces[1].length + 17);
  });

  test('an empty buffer is an empty journal, without a problem', () => {
    expect(decodeRecords(Buffer.alloc(0))).toEqual({ records: [], validBytes: 0 });
  });

  test('a body of exactly MAX_BODY_BYTES is accepted; one byte more is refused by encode and by decode', () => {
    const big = Buffer.alloc(MAX_BODY_BYTES, 7);
    const buf = Buffer.concat(encodeRecord({ dir: DIR, name: '1700000001.00000.data', body: [big.subarray(0, 5), big.subarray(5)] }));
    const out = decodeRecords(buf);
    expect(out.problem).toBeUndefined();
    expect(out.records[0].body.equals(big)).toBe(true);
    expect(() => encodeRecord({ dir: DIR, name: '1700000001.00000.data', body: [big, Buffer.alloc(1)] })).toThrow(/over/);
    const head = JSON.stringify({ d: DIR, n: '1700000001.00000.data' });
    const tooBig = decodeRecords(rawRecord(head, Buffer.alloc(MAX_BODY_BYTES + 1)));
    expect(tooBig.records).toEqual([]);
    expect(tooBig.problem).toMatch(/impossible record lengths at 0/);
  });
});

describe('torn journals', () => {
  test('every prefix decodes to exactly the whole records before the cut, with a problem unless the cut is at a record boundary', () => {
    const buf = encodeAll(records);
    const ends: number[] = [];
    let end = 0;
    for (const r of records) ends.push((end += encodedLength(encodeRecord(r))));
    for (let cut = 0; cut <= buf.length; cut++) {
      const out = decodeRecords(buf.subarray(0, cut));
      const whole = ends.filter((e) => e <= cut).length;
      const boundary = cut === 0 || ends.includes(cut);
      expect({ cut, n: out.records.length, validBytes: out.validBytes, torn: out.problem !== undefined }).toEqual({
        cut,
        n: whole,
        validBytes: whole === 0 ? 0 : ends[whole - 1],
        torn: !boundary,
      });
      expect(out.records.map(({ dir, name, body }) => ({ dir, name, body }))).toEqual(records.slice(0, whole).map(plain));
    }
  });

  test('a flipped bit anywhere in a record (magic, lengths, CRC, head, body) stops decoding at that record', () => {
    const buf = encodeAll(records);
    const start = encodedLength(encodeRecord(records[0]));
    const end = start + encodedLength(encodeRecord(records[1]));
    // The middle record's body is empty: damage the first one's pieces too.
    for (const [from, to, before] of [
      [0, start, 0],
      [start, end, 1],
    ] as const) {
      for (let byte = from; byte < to; byte++) {
        for (let bit = 0; bit < 8; bit++) {
          const damaged = Buffer.from(buf);
          damaged[byte] ^= 1 << bit;
          const out = decodeRecords(damaged);
          if (out.records.length !== before || out.validBytes !== from || out.problem === undefined) {
            throw new Error(`bit ${bit} of byte ${byte}: ${out.records.length} records, validBytes ${out.validBytes}, problem ${out.problem}`);
          }
        }
      }
    }
  });

  test('the problem says what stopped the decoding, and where', () => {
    const good = encodeAll(records.slice(0, 1));
    const at = good.length;
    const withTail = (tail: Buffer): string | undefined => decodeRecords(Buffer.concat([good, tail])).problem;
    expect(withTail(Buffer.alloc(RECORD_HEADER_BYTES - 1))).toBe(`torn record header at ${at}`);
    expect(withTail(Buffer.alloc(RECORD_HEADER_BYTES))).toBe(`no record magic at ${at}`);
    const next = Buffer.concat(encodeRecord(records[2]));
    expect(withTail(next.subarray(0, next.length - 1))).toBe(`torn record at ${at}`);
    const badCrc = Buffer.from(next);
    badCrc[next.length - 1] ^= 0x40;
    expect(withTail(badCrc)).toBe(`record CRC-32 mismatch at ${at}`);
  });

  test('lengths over the limits are damage, even when the CRC matches them', () => {
    const head = JSON.stringify({ d: DIR, n: '1700000001.00000.ts' });
    expect(decodeRecords(rawRecord(head, Buffer.alloc(0), { headLength: MAX_HEAD_BYTES + 1 })).problem).toMatch(/impossible record lengths/);
    expect(decodeRecords(rawRecord(head, Buffer.alloc(0), { bodyLength: 0xffffffff })).problem).toMatch(/impossible record lengths/);
    // A huge length must not be read as "torn" (and must not allocate anything).
    expect(decodeRecords(rawRecord(head, Buffer.alloc(0), { headLength: 0xffffffff, bodyLength: 0xffffffff })).problem).toMatch(/impossible/);
    // Within the limits but past the end: torn.
    expect(decodeRecords(rawRecord(head, Buffer.alloc(0), { bodyLength: 100 })).problem).toMatch(/torn record at 0/);
  });
});

describe('heads', () => {
  const badTargets: [string, string, string][] = [
    ['parent escape', `objects/7/27e/../../../etc`, '1700000001.00000.data'],
    ['parent escape in the name', DIR, '../1700000001.00000.data'],
    ['absolute directory', `/objects/7/27e/${HASH}`, '1700000001.00000.data'],
    ['absolute name', DIR, '/etc/passwd'],
    ['trailing slash', `${DIR}/`, '1700000001.00000.data'],
    ['suffix not the end of the hash', `objects/7/abc/${HASH}`, '1700000001.00000.data'],
    ['short hash', `objects/7/27e/${HASH.slice(1)}`, '1700000001.00000.data'],
    ['upper-case hash', `objects/7/27E/${HASH.slice(0, -3)}27E`, '1700000001.00000.data'],
    ['not objects/', `tmp/7/27e/${HASH}`, '1700000001.00000.data'],
    ['partition not a number', `objects/x/27e/${HASH}`, '1700000001.00000.data'],
    ['partition too long', `objects/12345678901/27e/${HASH}`, '1700000001.00000.data'],
    ['a file of the hash directory', `${DIR}/1700000001.00000.data`, '1700000001.00000.data'],
    ['not our file name', DIR, 'x.json'],
    ['a .meta.json (never journaled)', DIR, '1700000001.00000.meta.json'],
    ['hashes.json', DIR, 'hashes.json'],
    ['non-canonical timestamp', DIR, '1700000001.5.data'],
    ['empty name', DIR, ''],
    ['name with a directory', DIR, `sub/1700000001.00000.data`],
  ];

  test.each(badTargets)('%s: refused by recordTargetProblem, encode and decode', (_what, dir, name) => {
    expect(recordTargetProblem(dir, name)).toEqual(expect.any(String));
    expect(() => encodeRecord({ dir, name, body: [] })).toThrow();
    const good = encodeAll(records.slice(0, 1));
    const out = decodeRecords(Buffer.concat([good, rawRecord(JSON.stringify({ d: dir, n: name }), Buffer.from('x'))]));
    expect(out.records).toHaveLength(1);
    expect(out.validBytes).toBe(good.length);
    expect(out.problem).toMatch(new RegExp(` at ${good.length}$`));
  });

  test.each([
    ['not JSON', '{"d":'],
    ['empty', ''],
    ['null', 'null'],
    ['an array', JSON.stringify([DIR, '1700000001.00000.data'])],
    ['a string', JSON.stringify(DIR)],
    ['no name', JSON.stringify({ d: DIR })],
    ['no directory', JSON.stringify({ n: '1700000001.00000.data' })],
    ['a number for the name', JSON.stringify({ d: DIR, n: 1700000001 })],
    ['other keys', JSON.stringify({ dir: DIR, name: '1700000001.00000.data' })],
  ])('a head (%s) stops decoding at its record', (_what, head) => {
    const out = decodeRecords(rawRecord(head, Buffer.from('body')));
    expect(out).toEqual({ records: [], validBytes: 0, problem: expect.stringMatching(/ at 0$/) });
  });

  test('the three journaled kinds pass, with and without a timestamp offset; recordPartition reads the directory', () => {
    for (const name of ['1700000001.00000.data', '1700000001.00000.ts', '1700000001.00000.meta', '1700000001.00000_0000000000000001.data']) {
      expect(recordTargetProblem(DIR, name)).toBeUndefined();
    }
    expect(recordPartition(DIR)).toEqual({ partition: '7', suffix: '27e' });
    expect(recordPartition(OTHER_DIR)).toEqual({ partition: '1234567890', suffix: 'abc' });
    expect(() => recordPartition('objects/7')).toThrow();
  });
});

describe('fuzz', () => {
  test('random buffers, and valid journals with random damage, never throw and never yield a record outside the layout', () => {
    const rand = prng(0x5eed);
    const valid = encodeAll(records);
    let decodedSome = 0;
    for (let i = 0; i < 3000; i++) {
      let buf: Buffer;
      const mode = i % 3;
      if (mode === 0) {
        buf = Buffer.alloc(Math.floor(rand() * 200));
        for (let j = 0; j < buf.length; j++) buf[j] = Math.floor(rand() * 256);
        // Random bytes behind a real magic, to get past the first check.
        if (buf.length >= 4 && rand() < 0.5) buf.writeUInt32LE(RECORD_MAGIC, 0);
      } else if (mode === 1) {
        buf = Buffer.from(valid.subarray(0, Math.floor(rand() * (valid.length + 1))));
        for (let k = Math.floor(rand() * 4); k > 0 && buf.length > 0; k--) buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256);
      } else {
        // A head with random characters in the places that matter, CRC made to match.
        const pick = (s: string): string => s[Math.floor(rand() * s.length)];
        const alphabet = '0123456789abcdef./_-xobjectsdatmeta';
        const dir = Array.from({ length: Math.floor(rand() * 60) }, () => pick(alphabet)).join('');
        const name = Array.from({ length: Math.floor(rand() * 30) }, () => pick(alphabet)).join('');
        buf = rawRecord(JSON.stringify(rand() < 0.5 ? { d: dir, n: name } : { d: `objects/7/27e/${HASH}`, n: name }));
      }
      let out: ReturnType<typeof decodeRecords>;
      try {
        out = decodeRecords(buf);
      } catch (err) {
        throw new Error(`case ${i} (${buf.toString('hex')}) threw: ${String(err)}`);
      }
      expect(out.validBytes).toBeLessThanOrEqual(buf.length);
      expect(out.validBytes === buf.length || out.problem !== undefined).toBe(true);
      for (const r of out.records) {
        decodedSome++;
        expect(recordTargetProblem(r.dir, r.name)).toBeUndefined();
        expect(r.body.length).toBeLessThanOrEqual(MAX_BODY_BYTES);
      }
    }
    // The fuzz reached the record checks, not only the magic check.
    expect(decodedSome).toBeGreaterThan(100);
  });
});
