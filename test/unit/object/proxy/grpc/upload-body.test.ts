import { EventEmitter } from 'node:events';
import { status as Code } from '@grpc/grpc-js';
import { WeftError } from '../../../../../services/runtime/errors';
import { receiveUpload, type MessageSource } from '../../../../../services/object/proxy/grpc/upload-body';
import { PutObjectHeader, type PutObjectRequest } from '../../../../../proto/gen/weft/object/v1/object_service';

/** A client stream the test drives by hand, counting pause/resume. */
class FakeCall extends EventEmitter implements MessageSource {
  paused = 0;
  resumed = 0;
  pause(): this {
    this.paused++;
    return this;
  }
  resume(): this {
    this.resumed++;
    return this;
  }
  send(msg: PutObjectRequest): void {
    this.emit('data', msg);
  }
}

const header = (p: Partial<PutObjectHeader> = {}, finishWrite = false): PutObjectRequest => ({ content: { $case: 'header', value: PutObjectHeader.fromPartial({ container: 'c', object: 'o', ...p }) }, finishWrite });
const chunk = (b: Buffer, finishWrite = false): PutObjectRequest => ({ content: { $case: 'chunk', value: b }, finishWrite });
const finish: PutObjectRequest = { content: undefined, finishWrite: true };

async function readAll(r: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of r as AsyncIterable<Buffer>) parts.push(p);
  return Buffer.concat(parts);
}

test('header first, then the chunks in order as the body', async () => {
  const call = new FakeCall();
  const p = receiveUpload(call);
  call.send(header({ object: 'x' }));
  const up = await p;
  expect(up.header.object).toBe('x');
  call.send(chunk(Buffer.from('ab')));
  call.send(chunk(Buffer.alloc(0)));
  call.send(chunk(Buffer.from('cd')));
  call.send(finish);
  expect((await readAll(up.body)).toString()).toBe('abcd');
  expect(up.received()).toBe(4);
  expect(up.fault()).toBeUndefined();
});

test('backpressure: the call is paused while the body is full, resumed as it is read', async () => {
  const call = new FakeCall();
  const p = receiveUpload(call);
  call.send(header());
  const up = await p;
  const mib = Buffer.alloc(1024 * 1024);
  call.send(chunk(mib));
  call.send(chunk(mib));
  expect(call.paused).toBeGreaterThan(0);
  expect(call.resumed).toBe(0);
  up.body.resume();
  await new Promise((r) => setImmediate(r));
  expect(call.resumed).toBeGreaterThan(0);
});

test('a first message without a header rejects; so does an empty stream', async () => {
  const call = new FakeCall();
  const p = receiveUpload(call);
  call.send(chunk(Buffer.from('x')));
  await expect(p).rejects.toMatchObject({ code: Code.INVALID_ARGUMENT, details: { fieldViolations: [{ field: 'content' }] } });
  const call2 = new FakeCall();
  const p2 = receiveUpload(call2);
  call2.emit('end');
  await expect(p2).rejects.toBeInstanceOf(WeftError);
});

test('a second header or an empty message destroys the body with a fault', async () => {
  for (const bad of [header(), { content: undefined, finishWrite: false }]) {
    const call = new FakeCall();
    const p = receiveUpload(call);
    call.send(header());
    const up = await p;
    call.send(bad);
    await expect(readAll(up.body)).rejects.toBeInstanceOf(WeftError);
    expect(up.fault()?.details.fieldViolations?.[0].field).toBe('content');
  }
});

test('declared length: too many or too few bytes is a fault on header.content_length', async () => {
  const call = new FakeCall();
  const p = receiveUpload(call);
  call.send(header({ contentLength: 3 }));
  const up = await p;
  call.send(chunk(Buffer.from('abcd')));
  await expect(readAll(up.body)).rejects.toBeInstanceOf(WeftError);
  expect(up.fault()?.details.fieldViolations?.[0].field).toBe('header.content_length');

  const call2 = new FakeCall();
  const p2 = receiveUpload(call2);
  call2.send(header({ contentLength: 3 }));
  const up2 = await p2;
  call2.send(chunk(Buffer.from('ab')));
  call2.emit('end');
  await expect(readAll(up2.body)).rejects.toBeInstanceOf(WeftError);
  expect(up2.fault()?.message).toMatch(/2 bytes were sent, 3 declared/);
});

test('a cancelled call destroys the body without a fault (nobody hears the answer)', async () => {
  const call = new FakeCall();
  const p = receiveUpload(call);
  call.send(header());
  const up = await p;
  call.emit('cancelled');
  await expect(readAll(up.body)).rejects.toThrow(/cancelled/);
  expect(up.fault()).toBeUndefined();
});

test('finish_write completes: with the last chunk, alone, or on the header (empty object)', async () => {
  const call = new FakeCall();
  const p = receiveUpload(call);
  call.send(header());
  const up = await p;
  call.send(chunk(Buffer.from('xy'), true));
  expect((await readAll(up.body)).toString()).toBe('xy');

  const call2 = new FakeCall();
  const p2 = receiveUpload(call2);
  call2.send(header({}, true));
  const up2 = await p2;
  expect((await readAll(up2.body)).length).toBe(0);
  expect(up2.fault()).toBeUndefined();
});

test('a stream that ends without finish_write is abandoned (a cancel looks like this on the server)', async () => {
  const call = new FakeCall();
  const p = receiveUpload(call);
  call.send(header());
  const up = await p;
  call.send(chunk(Buffer.from('partial')));
  call.emit('end');
  await expect(readAll(up.body)).rejects.toBeInstanceOf(WeftError);
  expect(up.fault()?.details.fieldViolations?.[0].field).toBe('finish_write');
});

test('with a declared length, exactly that many bytes complete the upload without finish_write', async () => {
  const call = new FakeCall();
  const p = receiveUpload(call);
  call.send(header({ contentLength: 4 }));
  const up = await p;
  call.send(chunk(Buffer.from('abcd')));
  call.emit('end');
  expect((await readAll(up.body)).toString()).toBe('abcd');
});

test('anything after finish_write is a fault that abandons a body not yet consumed', async () => {
  const call = new FakeCall();
  const p = receiveUpload(call);
  call.send(header());
  const up = await p;
  const all = readAll(up.body).then(
    () => 'ended',
    () => 'failed',
  );
  call.send(chunk(Buffer.from('a'), true));
  call.send(chunk(Buffer.from('b')));
  expect(await all).toBe('failed');
  expect(up.fault()?.message).toMatch(/finish_write/);
});
