/**
 * One auditor pass over hash directories seeded on a real temp device (no server, no process):
 * which objects it passes, which it quarantines and why. A `.data` is in the footer form (body,
 * metadata JSON, trailer: data-footer.ts) unless a test seeds a `<ts>.meta.json` beside it, the
 * older two-file form the auditor must still check.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { encodeFooter } from '../../../../services/object/storage/diskfile/data-footer';
import type { DataMetadataFile } from '../../../../services/object/storage/diskfile/object-metadata';
import { createLogger } from '../../../../services/runtime/log';
import { Auditor } from '../../../../services/object/workers/auditor';
import { DirectClient } from '../../../../services/object/workers/direct-client';
import type { PassStats } from '../../../../services/object/workers/worker';

const TS = '1700000001.00000';
const GOOD = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaa111';
const BAD = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbb222';
const BODY = Buffer.alloc(100_000, 'b');

let root: string;
let client: DirectClient;
/** The reasons of the quarantines the auditor logged. */
let quarantines: { hash: string; reason: string }[];

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'weft-auditor-'));
  mkdirSync(path.join(root, 'sda'));
  quarantines = [];
  client = new DirectClient({ timeoutMs: 1000 });
});
afterEach(() => {
  client.close();
  rmSync(root, { recursive: true, force: true });
});

async function auditPass(): Promise<PassStats> {
  const logger = createLogger({
    level: 'warn',
    sink: (line) => {
      const rec = JSON.parse(line) as { msg: string; hash?: string; reason?: string };
      if (rec.msg === 'object quarantined') quarantines.push({ hash: rec.hash ?? '', reason: rec.reason ?? '' });
    },
  });
  const auditor = new Auditor(
    {
      devicesRoot: root,
      secret: { prefix: 'p', suffix: 's' },
      fsync: false,
      storageAddress: { host: '127.0.0.1', port: 1 },
      logger,
      client,
      localDevices: async () => ['sda'],
      ring: async () => {
        throw new Error('the auditor needs no ring');
      },
    },
    { bytesPerSecond: 1024 * 1024 * 1024 },
  );
  return auditor.runOnce(new AbortController().signal);
}

const hashDir = (hash: string): string => path.join(root, 'sda', 'objects', '7', hash.slice(-3), hash);
const quarantined = (): string[] => {
  const q = path.join(root, 'sda', 'quarantined', 'objects');
  return existsSync(q) ? readdirSync(q).sort() : [];
};

function metaOf(body: Buffer, over: Partial<DataMetadataFile> = {}): DataMetadataFile {
  return { version: 1, name: '/AUTH_a/c/o', timestamp: TS, contentLength: body.length, etag: createHash('md5').update(body).digest('hex'), contentType: 'application/octet-stream', headers: {}, ...over };
}

function seed(hash: string, files: Record<string, Buffer | string>): void {
  mkdirSync(hashDir(hash), { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(hashDir(hash), name), content);
}

/** A footer-form `.data` as the object layer writes it. */
const footerForm = (body: Buffer, meta = metaOf(body)): Buffer => Buffer.concat([body, encodeFooter(meta)]);

function flipped(buf: Buffer, at: number): Buffer {
  const copy = Buffer.from(buf);
  copy[at < 0 ? copy.length + at : at] ^= 0x01;
  return copy;
}

test('a whole footer-form object passes; only its body counts as bytes read', async () => {
  seed(GOOD, { [`${TS}.data`]: footerForm(BODY) });
  const stats = await auditPass();
  expect(stats).toEqual(expect.objectContaining({ objects: 1, quarantined: 0, errors: 0, bytes: BODY.length }));
  expect(readdirSync(hashDir(GOOD))).toEqual([`${TS}.data`]);
  expect(quarantined()).toEqual([]);
});

test('an empty footer-form object and one with a newer POST pass too', async () => {
  seed(GOOD, { [`${TS}.data`]: footerForm(Buffer.alloc(0)) });
  seed(BAD.replace(/b/g, 'c'), { [`${TS}.data`]: footerForm(BODY), '1700000002.00000.meta': JSON.stringify({ version: 1, timestamp: '1700000002.00000', headers: {} }) });
  expect(await auditPass()).toEqual(expect.objectContaining({ objects: 2, quarantined: 0, errors: 0, bytes: BODY.length }));
});

const footerDamage: [string, () => Buffer, RegExp][] = [
  ['its body flipped (same length: only the MD5 tells)', () => flipped(footerForm(BODY), 12_345), /MD5 .* does not match/],
  ['no footer at all (a bare body)', () => BODY, /no metadata footer/],
  ['a footer whose JSON fails its CRC-32', () => flipped(footerForm(BODY), BODY.length + 3), /CRC-32/],
  ['a damaged magic', () => flipped(footerForm(BODY), -1), /no metadata footer/],
  ['a footer length larger than the file', () => {
    const f = footerForm(Buffer.from('tiny'));
    f.writeUInt32BE(f.length, f.length - 16);
    return f;
  }, /claims/],
  ['a body longer than its metadata says', () => Buffer.concat([BODY, Buffer.from('x'), encodeFooter(metaOf(BODY))]), /data file holds/],
  ['a body shorter than its metadata says', () => Buffer.concat([BODY.subarray(1), encodeFooter(metaOf(BODY))]), /data file holds/],
  ['a file cut short', () => footerForm(BODY).subarray(0, BODY.length + 20), /no metadata footer|claims|holds/],
  ['footer metadata of another timestamp', () => footerForm(BODY, metaOf(BODY, { timestamp: '1700000000.00000' })), /unreadable metadata/],
];

test.each(footerDamage)('a footer-form object with %s is quarantined; a whole one beside it is not', async (_what, make, reason) => {
  seed(GOOD, { [`${TS}.data`]: footerForm(BODY) });
  seed(BAD, { [`${TS}.data`]: make() });
  const stats = await auditPass();
  expect(stats).toEqual(expect.objectContaining({ objects: 2, quarantined: 1, errors: 0 }));
  expect(quarantines).toEqual([{ hash: BAD, reason: expect.stringMatching(reason) }]);
  expect(existsSync(hashDir(BAD))).toBe(false);
  expect(quarantined()).toEqual([BAD]);
  expect(readdirSync(path.join(root, 'sda', 'quarantined', 'objects', BAD))).toEqual([`${TS}.data`]);
  expect(readdirSync(hashDir(GOOD))).toEqual([`${TS}.data`]);
});

describe('the two-file form (a .data beside its <ts>.meta.json, written before the footer existed)', () => {
  test('a whole one passes and keeps both files', async () => {
    seed(GOOD, { [`${TS}.data`]: BODY, [`${TS}.meta.json`]: JSON.stringify(metaOf(BODY)) });
    expect(await auditPass()).toEqual(expect.objectContaining({ objects: 1, quarantined: 0, errors: 0, bytes: BODY.length }));
    expect(readdirSync(hashDir(GOOD)).sort()).toEqual([`${TS}.data`, `${TS}.meta.json`]);
  });

  test('its .data is read as a bare body: a footer appended to it is damage', async () => {
    // Readers take the `.meta.json` form whenever one is there, so the footer's bytes count as body.
    seed(BAD, { [`${TS}.data`]: footerForm(BODY), [`${TS}.meta.json`]: JSON.stringify(metaOf(BODY)) });
    await auditPass();
    expect(quarantines).toEqual([{ hash: BAD, reason: expect.stringMatching(/data file holds/) }]);
  });

  test.each<[string, () => Record<string, Buffer | string>, RegExp]>([
    ['a flipped body', () => ({ [`${TS}.data`]: flipped(BODY, 777), [`${TS}.meta.json`]: JSON.stringify(metaOf(BODY)) }), /MD5 .* does not match/],
    ['a truncated body', () => ({ [`${TS}.data`]: BODY.subarray(10), [`${TS}.meta.json`]: JSON.stringify(metaOf(BODY)) }), /data file holds/],
    ['unreadable metadata', () => ({ [`${TS}.data`]: BODY, [`${TS}.meta.json`]: '{nope' }), /unreadable metadata/],
  ])('one with %s is quarantined', async (_what, files, reason) => {
    seed(BAD, files());
    expect(await auditPass()).toEqual(expect.objectContaining({ objects: 1, quarantined: 1, errors: 0 }));
    expect(quarantines).toEqual([{ hash: BAD, reason: expect.stringMatching(reason) }]);
    expect(quarantined()).toEqual([BAD]);
    expect(readdirSync(path.join(root, 'sda', 'quarantined', 'objects', BAD)).sort()).toEqual([`${TS}.data`, `${TS}.meta.json`]);
  });
});

test('tombstones and empty partitions are not objects to audit', async () => {
  seed(GOOD, { [`${TS}.ts`]: '' });
  mkdirSync(path.join(root, 'sda', 'objects', '9'), { recursive: true });
  expect(await auditPass()).toEqual(expect.objectContaining({ devices: 1, objects: 0, quarantined: 0, errors: 0 }));
});
