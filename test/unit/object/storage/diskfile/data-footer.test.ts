/**
 * The `.data` metadata footer codec, and reading it back from a real file through both kinds of
 * positional reader (synchronous and thread-pool).
 */
import { mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import {
  encodeFooter,
  FOOTER_FIRST_READ_BYTES,
  FOOTER_JSON_MAX_BYTES,
  FOOTER_MAGIC,
  FOOTER_TRAILER_BYTES,
  parseFooterTail,
  parseTrailer,
} from '../../../../../services/object/storage/diskfile/data-footer';
import { readFooter } from '../../../../../services/object/storage/diskfile/footer-reader';
import type { DataMetadataFile } from '../../../../../services/object/storage/diskfile/object-metadata';
import { PoolFileSource, SyncFileSource } from '../../../../../services/object/storage/diskfile/open-object';

const meta = (body: Buffer, headers: Record<string, string> = {}): DataMetadataFile => ({
  version: 1,
  name: '/AUTH_a/c/o',
  timestamp: '1700000001.00000',
  contentLength: body.length,
  etag: 'd41d8cd98f00b204e9800998ecf8427e',
  contentType: 'application/octet-stream',
  headers,
});

const file = (body: Buffer, m = meta(body)): Buffer => Buffer.concat([body, encodeFooter(m)]);

describe('encodeFooter / parseFooterTail', () => {
  test('round trip: the metadata comes back and the body is the first contentLength bytes', () => {
    for (const size of [0, 1, 15, 16, 17, 4096, 70_000]) {
      const body = Buffer.alloc(size, 0x61);
      const m = meta(body, { 'x-object-meta-color': 'blue' });
      const f = file(body, m);
      const p = parseFooterTail(f, f.length);
      expect(p.ok).toBe(true);
      if (p.ok !== true) continue;
      expect(p.meta).toEqual(m);
      expect(f.length).toBe(size + p.json.length + FOOTER_TRAILER_BYTES);
      expect(f.subarray(0, size).equals(body)).toBe(true);
    }
  });

  test('the trailer is the JSON length, its CRC-32 and the magic, at the very end', () => {
    const f = file(Buffer.from('hello'));
    const trailer = f.subarray(f.length - FOOTER_TRAILER_BYTES);
    const jsonLen = trailer.readUInt32BE(0);
    const json = f.subarray(5, 5 + jsonLen);
    expect(JSON.parse(json.toString())).toMatchObject({ contentLength: 5 });
    expect(trailer.readUInt32BE(4)).toBe(crc32(json));
    expect(trailer.subarray(8).equals(FOOTER_MAGIC)).toBe(true);
  });

  test('a tail shorter than the footer asks for exactly the bytes it needs', () => {
    const body = Buffer.alloc(100);
    const f = file(body, meta(body, { 'x-object-meta-long': 'v'.repeat(5000) }));
    const p = parseFooterTail(f.subarray(f.length - 64), f.length);
    expect(p.ok).toBe('need');
    if (p.ok !== 'need') return;
    expect(p.need).toBe(f.length - 100);
    expect(parseFooterTail(f.subarray(f.length - p.need), f.length).ok).toBe(true);
  });

  test('damage of every kind is reported, never thrown', () => {
    const body = Buffer.from('some body bytes');
    const good = file(body);
    const cases: Array<[string, Buffer, number?]> = [
      ['no footer at all', body],
      ['shorter than a trailer', Buffer.from('tiny')],
      ['magic flipped', flip(good, good.length - 1)],
      ['JSON byte flipped (CRC)', flip(good, body.length + 3)],
      ['CRC flipped', flip(good, good.length - 9)],
      ['length claims more than the file', withLength(good, good.length)],
      ['length beyond the limit', withLength(good, FOOTER_JSON_MAX_BYTES + 1)],
      ['a body byte lost (size mismatch)', Buffer.concat([body.subarray(1), encodeFooter(meta(body))])],
      ['a byte appended after the footer', Buffer.concat([good, Buffer.from('x')])],
      ['valid CRC over JSON that is not metadata', jsonFooter(body, '{"version":1}')],
      ['valid CRC over text that is not JSON', jsonFooter(body, 'not json')],
    ];
    for (const [what, bytes] of cases) {
      const p = parseFooterTail(bytes, bytes.length);
      expect({ what, ok: p.ok }).toEqual({ what, ok: false });
      if (p.ok === false) expect(p.reason.length).toBeGreaterThan(0);
    }
  });

  test('parseTrailer refuses files smaller than a trailer and a wrong-sized trailer', () => {
    expect(parseTrailer(Buffer.alloc(FOOTER_TRAILER_BYTES), 3).ok).toBe(false);
    expect(parseTrailer(Buffer.alloc(3), 100).ok).toBe(false);
  });
});

describe('readFooter from a real file', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(path.join(tmpdir(), 'weft-footer-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('sync and pool sources read the same footer, with long metadata taking a second read', async () => {
    const body = Buffer.alloc(200_000, 7);
    const variants: Record<string, string>[] = [{}, { 'x-object-meta-long': 'w'.repeat(FOOTER_FIRST_READ_BYTES * 2) }];
    for (const headers of variants) {
      const m = meta(body, headers);
      const f = path.join(dir, `obj-${Object.keys(headers).length}.data`);
      writeFileSync(f, file(body, m));
      const size = file(body, m).length;
      for (const src of [new SyncFileSource(openSync(f, 'r')), new PoolFileSource(openSync(f, 'r'))]) {
        const p = await readFooter(src, size);
        await src.close();
        expect(p.ok && p.meta).toEqual(m);
      }
      const fh = await open(f, 'r');
      expect((await readFooter(fh, size)).ok).toBe(true);
      await fh.close();
    }
  });

  test('a file that is shorter than its stat said is damage, not an exception', async () => {
    const f = path.join(dir, 'short.data');
    const bytes = file(Buffer.from('abc'));
    writeFileSync(f, bytes);
    const src = new SyncFileSource(openSync(f, 'r'));
    const p = await readFooter(src, bytes.length + 10);
    await src.close();
    expect(p.ok).toBe(false);
  });
});

function flip(b: Buffer, at: number): Buffer {
  const c = Buffer.from(b);
  c[at] ^= 0xff;
  return c;
}

function withLength(b: Buffer, len: number): Buffer {
  const c = Buffer.from(b);
  c.writeUInt32BE(len, c.length - FOOTER_TRAILER_BYTES);
  return c;
}

function jsonFooter(body: Buffer, text: string): Buffer {
  const json = Buffer.from(text);
  const trailer = Buffer.alloc(FOOTER_TRAILER_BYTES);
  trailer.writeUInt32BE(json.length, 0);
  trailer.writeUInt32BE(crc32(json), 4);
  FOOTER_MAGIC.copy(trailer, 8);
  return Buffer.concat([body, json, trailer]);
}
