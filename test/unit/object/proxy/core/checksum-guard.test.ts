import { createHash } from 'node:crypto';
import { Readable, Writable, pipeline } from 'node:stream';
import { ChecksumGuard, ChecksumMismatchError } from '../../../../../services/object/proxy/controllers/object-checksum';

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

/** Runs chunks through a guard; returns what came out and the error, if any. */
function run(chunks: Buffer[], etag: string, length: number | undefined): Promise<{ out: Buffer; error?: Error }> {
  const got: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      got.push(chunk);
      cb();
    },
  });
  return new Promise((resolve) => {
    pipeline(Readable.from(chunks), new ChecksumGuard(etag, length), sink, (err) => resolve({ out: Buffer.concat(got), error: err ?? undefined }));
  });
}

describe('ChecksumGuard', () => {
  const chunks = [Buffer.from('abc'), Buffer.from('def'), Buffer.from('ghi')];
  const whole = Buffer.concat(chunks);

  test('a matching body passes through whole', async () => {
    expect(await run(chunks, md5(whole), whole.length)).toEqual({ out: whole });
  });

  test('a mismatch fails before the last chunk is released', async () => {
    const r = await run(chunks, md5(Buffer.from('other')), whole.length);
    expect(r.error).toBeInstanceOf(ChecksumMismatchError);
    expect(r.out.toString()).toBe('abcdef');
  });

  test('a wrong length fails too', async () => {
    const r = await run(chunks, md5(whole), whole.length + 1);
    expect(r.error).toBeInstanceOf(ChecksumMismatchError);
    expect(r.out.length).toBeLessThan(whole.length);
  });

  test('an empty body is checked as well', async () => {
    expect(await run([], md5(Buffer.alloc(0)), 0)).toEqual({ out: Buffer.alloc(0) });
    expect((await run([], md5(Buffer.from('x')), 0)).error).toBeInstanceOf(ChecksumMismatchError);
  });

  test('a single-chunk body: nothing is sent when it does not match', async () => {
    const r = await run([Buffer.from('only')], md5(Buffer.from('else')), 4);
    expect(r.out.length).toBe(0);
    expect(r.error).toBeDefined();
  });
});
