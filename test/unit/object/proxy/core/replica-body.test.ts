import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { ReplicaBody } from '../../../../../services/object/proxy/controllers/replica-body';
import type { BackendResponse } from '../../../../../services/object/proxy/backend/storage-client';

/** A replica's response whose body the test feeds by hand. */
interface FakeReplica {
  res: BackendResponse;
  body: PassThrough & { complete: boolean };
  aborted: boolean;
  /** Sends bytes, then ends the body normally (complete) or cuts it (close without end). */
  send(bytes: Buffer, how: 'end' | 'cut' | 'open'): void;
}

function replica(port: number): FakeReplica {
  const body = Object.assign(new PassThrough(), { complete: false });
  const fake: FakeReplica = {
    body,
    aborted: false,
    res: {
      node: { ip: '127.0.0.1', port, device: 'd1' },
      status: 200,
      headers: {},
      body: body as unknown as IncomingMessage,
      abort: () => {
        fake.aborted = true;
        body.destroy();
      },
    },
    send(bytes, how) {
      body.write(bytes);
      if (how === 'end') {
        body.complete = true;
        body.end();
      } else if (how === 'cut') {
        // Like a storage server cutting its connection: the message never completes.
        setImmediate(() => body.destroy());
      }
    },
  };
  return fake;
}

function collect(stream: ReplicaBody): Promise<{ bytes: Buffer; error?: Error }> {
  const chunks: Buffer[] = [];
  return new Promise((resolve) => {
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve({ bytes: Buffer.concat(chunks) }));
    stream.on('error', (error) => resolve({ bytes: Buffer.concat(chunks), error }));
  });
}

const object = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');

describe('ReplicaBody: a whole-object body that continues on another replica', () => {
  test('a replica that serves the whole body is all there is: no continuation, no failure', async () => {
    const first = replica(1);
    const failures: number[] = [];
    let asked = 0;
    const body = new ReplicaBody(first.res, object.length, async () => (asked++, undefined), { onReplicaFailed: (_r, sent) => failures.push(sent) });
    first.send(object.subarray(0, 10), 'open');
    first.send(object.subarray(10), 'end');
    const out = await collect(body);
    expect(out.error).toBeUndefined();
    expect(out.bytes.equals(object)).toBe(true);
    expect(asked).toBe(0);
    expect(failures).toEqual([]);
  });

  test('a replica cut mid-body: the next replica\'s whole body continues it, byte-exact, and the prefix is checked', async () => {
    const first = replica(1);
    const second = replica(2);
    const failures: Array<{ port: number; sent: number }> = [];
    const body = new ReplicaBody(first.res, object.length, async () => second.res, { onReplicaFailed: (r, sent) => failures.push({ port: r.node.port, sent }) });
    const done = collect(body);
    first.send(object.subarray(0, 12), 'cut');
    await new Promise((r) => setTimeout(r, 20));
    second.send(object.subarray(0, 5), 'open');
    second.send(object.subarray(5), 'end');
    const out = await done;
    expect(out.error).toBeUndefined();
    expect(out.bytes.equals(object)).toBe(true);
    expect(failures).toEqual([{ port: 1, sent: 12 }]);
  });

  test('a body that ends short of the length (no error) also fails over', async () => {
    const first = replica(1);
    const second = replica(2);
    const body = new ReplicaBody(first.res, object.length, async () => second.res, { onReplicaFailed: () => undefined });
    const done = collect(body);
    first.send(object.subarray(0, 7), 'end');
    await new Promise((r) => setTimeout(r, 20));
    second.send(object, 'end');
    const out = await done;
    expect(out.bytes.equals(object)).toBe(true);
  });

  test('bytes already sent that differ from the verified replica\'s: the body fails and never completes', async () => {
    const first = replica(1);
    const second = replica(2);
    const gaveUp: string[] = [];
    const body = new ReplicaBody(first.res, object.length, async () => second.res, { onReplicaFailed: () => undefined, onGaveUp: (_sent, e) => gaveUp.push(e.message) });
    const done = collect(body);
    const rotten = Buffer.from(object.subarray(0, 12));
    rotten[3] ^= 0xff;
    first.send(rotten, 'cut');
    await new Promise((r) => setTimeout(r, 20));
    second.send(object, 'end');
    const out = await done;
    expect(out.error?.message).toMatch(/different bytes/);
    expect(out.bytes.length).toBeLessThan(object.length);
    expect(second.aborted).toBe(true);
    expect(gaveUp).toHaveLength(1);
  });

  test('no replica left: the body fails with the first failure', async () => {
    const first = replica(1);
    const body = new ReplicaBody(first.res, object.length, async () => undefined, { onReplicaFailed: () => undefined });
    const done = collect(body);
    first.send(object.subarray(0, 4), 'cut');
    const out = await done;
    expect(out.error).toBeDefined();
    expect(out.bytes.length).toBe(4);
  });

  test('a consumer that goes away aborts the replica call', async () => {
    const first = replica(1);
    const body = new ReplicaBody(first.res, object.length, async () => undefined, { onReplicaFailed: () => undefined });
    first.send(object.subarray(0, 4), 'open');
    body.destroy();
    await new Promise((r) => setImmediate(r));
    expect(first.aborted).toBe(true);
  });

  test('backpressure: a slow consumer pauses the replica instead of buffering the object', async () => {
    const first = replica(1);
    const body = new ReplicaBody(first.res, 1 << 20, async () => undefined, { onReplicaFailed: () => undefined });
    const chunk = Buffer.alloc(64 * 1024, 1);
    for (let i = 0; i < 16; i++) first.send(chunk, 'open');
    await new Promise((r) => setTimeout(r, 20));
    // Nobody reads: the body stops taking data once its buffer is full.
    expect(body.readableLength).toBeLessThan(1 << 20);
    expect(first.body.isPaused()).toBe(true);
    body.destroy();
  });
});
