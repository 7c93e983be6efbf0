import { Readable } from 'node:stream';
import { MAX_CHUNK, readText, sendBody, splitChunks } from '../../../../../services/object/proxy/grpc/download-body';

test('splitChunks: at most 64 KiB each, no bytes lost', () => {
  const buf = Buffer.alloc(MAX_CHUNK * 2 + 5, 7);
  const parts = splitChunks(buf);
  expect(parts.map((p) => p.length)).toEqual([MAX_CHUNK, MAX_CHUNK, 5]);
  expect(splitChunks(Buffer.alloc(0))).toEqual([]);
});

test('sendBody: streams, strings and buffers; waits for the sink before reading on', async () => {
  const sent: Buffer[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const sink = async (c: Buffer): Promise<void> => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    sent.push(c);
    await new Promise((r) => setImmediate(r));
    inFlight--;
  };
  const ctl = new AbortController();
  const n = await sendBody(Readable.from([Buffer.alloc(100_000, 1), 'xyz']), sink, ctl.signal);
  expect(n).toBe(100_003);
  expect(sent.map((c) => c.length)).toEqual([MAX_CHUNK, 100_000 - MAX_CHUNK, 3]);
  expect(maxInFlight).toBe(1);
  expect(await sendBody('hi', sink, ctl.signal)).toBe(2);
  expect(await sendBody(undefined, sink, ctl.signal)).toBe(0);
});

test('sendBody: abort destroys the stream; a failing body rejects', async () => {
  const ctl = new AbortController();
  let destroyed = false;
  const body = new Readable({ read() { this.push(Buffer.alloc(10)); } });
  body.on('close', () => (destroyed = true));
  let count = 0;
  const n = await sendBody(body, async () => {
    if (++count === 3) ctl.abort();
  }, ctl.signal);
  expect(n).toBeLessThanOrEqual(30);
  await new Promise((r) => setImmediate(r));
  expect(destroyed).toBe(true);

  const failing = new Readable({ read() { this.destroy(new Error('md5 mismatch')); } });
  await expect(sendBody(failing, async () => undefined, new AbortController().signal)).rejects.toThrow('md5 mismatch');
});

test('readText bounds what it reads', async () => {
  expect(await readText(Readable.from([Buffer.from('abc'), Buffer.from('def')]), 4)).toBe('abcd');
  expect(await readText('abcdef', 3)).toBe('abc');
  expect(await readText(Buffer.from('abc'), 10)).toBe('abc');
  expect(await readText(undefined, 10)).toBe('');
});
