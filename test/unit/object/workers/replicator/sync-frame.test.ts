import { ChunkReader } from '../../../../../services/object/storage/replication/chunk-reader';
import { encodeManifest, parseManifest, sortForFrame, SyncFrameError } from '../../../../../services/object/storage/replication/sync-frame';

describe('sync frame manifest', () => {
  test('round trip puts metadata before data', () => {
    const files = [
      { name: '1700000000.00000.data', size: 5 },
      { name: '1700000001.00000.meta', size: 20 },
      { name: '1700000000.00000.meta.json', size: 100 },
    ];
    const line = encodeManifest(files).toString();
    expect(line.endsWith('\n')).toBe(true);
    expect(parseManifest(line.trimEnd()).map((f) => f.name)).toEqual(['1700000000.00000.meta.json', '1700000001.00000.meta', '1700000000.00000.data']);
  });

  test('the smallest valid manifest parses (the refusals below differ from it in one way)', () => {
    expect(parseManifest(JSON.stringify({ version: 1, files: [{ name: '1700000001.00000.ts', size: 0 }] }))).toEqual([{ name: '1700000001.00000.ts', size: 0 }]);
  });

  test.each([
    ['not json', 'nope'],
    ['wrong version', JSON.stringify({ version: 2, files: [{ name: '1700000001.00000.ts', size: 0 }] })],
    ['no files', JSON.stringify({ version: 1, files: [] })],
    ['foreign name', JSON.stringify({ version: 1, files: [{ name: '../etc/passwd', size: 0 }] })],
    ['non-canonical timestamp', JSON.stringify({ version: 1, files: [{ name: '1.5.ts', size: 0 }] })],
    ['negative size', JSON.stringify({ version: 1, files: [{ name: '1700000001.00000.ts', size: -1 }] })],
    ['fractional size', JSON.stringify({ version: 1, files: [{ name: '1700000001.00000.ts', size: 1.5 }] })],
    ['duplicate', JSON.stringify({ version: 1, files: [{ name: '1700000001.00000.ts', size: 0 }, { name: '1700000001.00000.ts', size: 0 }] })],
    ['data before metadata', JSON.stringify({ version: 1, files: [{ name: '1700000001.00000.data', size: 1 }, { name: '1700000001.00000.meta.json', size: 1 }] })],
    ['not an object', '[1,2]'],
    ['null entry', JSON.stringify({ version: 1, files: [null] })],
  ])('refuses %s with SyncFrameError only', (_what, line) => {
    expect(() => parseManifest(line)).toThrow(SyncFrameError);
  });

  test('sortForFrame is stable on names within a kind', () => {
    expect(sortForFrame([{ name: '1700000002.00000.ts', size: 0 }, { name: '1700000001.00000.ts', size: 0 }]).map((f) => f.name)).toEqual(['1700000001.00000.ts', '1700000002.00000.ts']);
  });
});

async function* chunks(...parts: string[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield Buffer.from(p);
}

describe('ChunkReader', () => {
  test('reads a line split across chunks, then exact byte counts across chunk borders', async () => {
    const r = new ChunkReader(chunks('{"a"', ':1}\nhel', 'lo', ' world'));
    expect(await r.readLine(100)).toBe('{"a":1}');
    const got: string[] = [];
    await r.readExact(7, (c) => void got.push(c.toString()));
    expect(got.join('')).toBe('hello w');
    await r.readExact(4, (c) => void got.push(c.toString()));
    expect(got.join('')).toBe('hello world');
    expect(await r.atEnd()).toBe(true);
  });
  test('a body that ends early is a SyncFrameError', async () => {
    const r = new ChunkReader(chunks('x\nab'));
    await r.readLine(10);
    await expect(r.readExact(3, () => undefined)).rejects.toThrow(SyncFrameError);
  });
  test('an over-long or unterminated manifest is a SyncFrameError', async () => {
    await expect(new ChunkReader(chunks('a'.repeat(50))).readLine(10)).rejects.toThrow(SyncFrameError);
    await expect(new ChunkReader(chunks('abc')).readLine(10)).rejects.toThrow(SyncFrameError);
  });
  test('trailing bytes are seen', async () => {
    const r = new ChunkReader(chunks('x\n', 'extra'));
    await r.readLine(10);
    expect(await r.atEnd()).toBe(false);
  });
});
