/**
 * The gRPC face end to end over loopback, against an in-memory Swift (fake-swift.ts) instead of
 * the real pipeline: streaming in both directions, protocol faults, status mapping on the wire.
 */
import { Metadata, status as Code, type ServiceError } from '@grpc/grpc-js';
import { createHash, randomBytes } from 'node:crypto';
import { decodeStatusDetails } from '../../../../../services/runtime/errors';
import { createLogger } from '../../../../../services/runtime/log';
import { connectObject, type ObjectApi } from '../../../../../services/runtime/client/object-client';
import { startObjectGrpc, type ObjectGrpcServer } from '../../../../../services/object/proxy/grpc/server';
import { GetObjectResponse, PutObjectHeader, type Object as StoredObject } from '../../../../../proto/gen/weft/object/v1/object_service';
import { FakeSwift } from './fake-swift';

const A = 'AUTH_test';
let swift: FakeSwift;
let server: ObjectGrpcServer;
let client: ObjectApi;

beforeAll(async () => {
  swift = new FakeSwift();
  server = await startObjectGrpc(swift.handler, { grpcListen: '127.0.0.1:0', drainMs: 1000 }, createLogger({ sink: () => undefined }));
  client = connectObject(`127.0.0.1:${server.port}`, { token: 'tok-123' });
  await client.createContainer({ account: A, container: 'c' });
});

afterAll(async () => {
  client?.close();
  await server?.stop();
});

/** The gRPC error a promise rejects with (fails the test when it resolves). */
async function failure(p: Promise<unknown>): Promise<ServiceError & { fields: string[]; reason?: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as ServiceError;
    const d = decodeStatusDetails(e);
    return Object.assign(e, { fields: d.fieldViolations.map((v) => v.field), reason: d.reason });
  }
  throw new Error('expected the call to fail');
}

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

test('streams a multi-MiB upload and download; chunks ≤ 64 KiB; the token reaches the pipeline as X-Auth-Token', async () => {
  const content = randomBytes(3 * 1024 * 1024 + 17);
  const put = await client.putObject({ account: A, container: 'c', object: 'big', contentType: 'application/x-test', metadata: { Color: 'blue', note: 'café' }, etag: md5(content) }, content);
  expect(put).toMatchObject({ account: A, container: 'c', name: 'big', size: content.length, etag: md5(content), metadata: { color: 'blue', note: 'café' } });
  const putReq = swift.requests.find((r) => r.method === 'PUT' && r.object === 'big')!;
  expect(putReq.headers['x-auth-token']).toBe('tok-123');
  expect(putReq.headers['transfer-encoding']).toBe('chunked');
  expect(putReq.transId).toMatch(/^tx[0-9a-f]{21}-[0-9a-f]{10}$/);
  expect(md5(swift.objects.get(`${A}/c/big`)!.body)).toBe(md5(content));

  // Read the raw stream to see the message framing.
  const call = client.raw.getObject({ account: A, container: 'c', object: 'big', ifMatch: '', ifNoneMatch: '' }, new Metadata());
  const msgs: GetObjectResponse[] = [];
  for await (const m of call as AsyncIterable<GetObjectResponse>) msgs.push(m);
  expect(msgs[0].content?.$case).toBe('header');
  const chunks = msgs.slice(1).map((m) => (m.content?.$case === 'chunk' ? m.content.value : Buffer.alloc(0)));
  expect(chunks.every((c) => c.length > 0 && c.length <= 64 * 1024)).toBe(true);
  expect(md5(Buffer.concat(chunks))).toBe(md5(content));

  const got = await client.getObjectBuffer({ account: A, container: 'c', object: 'big' });
  expect(got.header.object).toMatchObject({ size: content.length, etag: md5(content), contentType: 'application/x-test', metadata: { color: 'blue', note: 'café' } });
  expect(got.header).toMatchObject({ rangeOffset: 0, rangeLength: content.length });
  expect(got.content.equals(content)).toBe(true);
});

test('download backpressure: a reader that stops holds the body back (1 GiB object, bounded pull)', async () => {
  const call = client.raw.getObject({ account: A, container: 'c', object: 'endless', ifMatch: '', ifNoneMatch: '' }, new Metadata());
  const first = await new Promise<GetObjectResponse>((resolve) => call.once('data', resolve));
  expect(first.content?.$case).toBe('header');
  call.pause();
  await new Promise((r) => setTimeout(r, 500));
  const pulled = swift.endlessPulled;
  await new Promise((r) => setTimeout(r, 300));
  // Only flow-control windows and stream buffers worth of data, not the object.
  expect(pulled).toBeLessThan(32 * 1024 * 1024);
  expect(swift.endlessPulled).toBe(pulled);
  call.cancel();
  call.on('error', () => undefined);
});

test('upload from a Readable with a declared length', async () => {
  const { Readable } = await import('node:stream');
  const parts = [Buffer.from('hello '), Buffer.from('world')];
  const put = await client.putObject({ account: A, container: 'c', object: 'hw', contentLength: 11 }, Readable.from(parts));
  expect(put.size).toBe(11);
  expect(swift.requests.at(-1)!.headers['content-length']).toBe('11');
  expect(swift.objects.get(`${A}/c/hw`)!.body.toString()).toBe('hello world');
});

test('ranges: offset+length, suffix, unsatisfiable → OUT_OF_RANGE', async () => {
  await client.putObject({ account: A, container: 'c', object: 'digits' }, Buffer.from('0123456789'));
  const mid = await client.getObjectBuffer({ account: A, container: 'c', object: 'digits', range: { offset: 2, length: 3 } });
  expect(mid.content.toString()).toBe('234');
  expect(mid.header).toMatchObject({ rangeOffset: 2, rangeLength: 3, object: { size: 10 } });
  const tail = await client.getObjectBuffer({ account: A, container: 'c', object: 'digits', range: { offset: -4 } });
  expect(tail.content.toString()).toBe('6789');
  const err = await failure(client.getObjectBuffer({ account: A, container: 'c', object: 'digits', range: { offset: 50 } }));
  expect(err.code).toBe(Code.OUT_OF_RANGE);
});

test('If-None-Match on a current ETag → FAILED_PRECONDITION / NOT_MODIFIED', async () => {
  const put = await client.putObject({ account: A, container: 'c', object: 'cond' }, Buffer.from('x'));
  const err = await failure(client.getObjectBuffer({ account: A, container: 'c', object: 'cond', ifNoneMatch: put.etag }));
  expect(err.code).toBe(Code.FAILED_PRECONDITION);
  expect(err.reason).toBe('NOT_MODIFIED');
});

test('ETag mismatch → INVALID_ARGUMENT on header.etag, nothing stored', async () => {
  const err = await failure(client.putObject({ account: A, container: 'c', object: 'bad-etag', etag: md5(Buffer.from('other')) }, Buffer.from('content')));
  expect(err.code).toBe(Code.INVALID_ARGUMENT);
  expect(err.fields).toEqual(['header.etag']);
  expect(swift.objects.has(`${A}/c/bad-etag`)).toBe(false);
});

test('fewer bytes than declared → INVALID_ARGUMENT on header.content_length, nothing stored', async () => {
  const err = await failure(client.putObject({ account: A, container: 'c', object: 'short', contentLength: 100 }, Buffer.from('only ten b')));
  expect(err.code).toBe(Code.INVALID_ARGUMENT);
  expect(err.fields).toEqual(['header.content_length']);
  expect(swift.objects.has(`${A}/c/short`)).toBe(false);
});

test('more bytes than declared → INVALID_ARGUMENT, nothing stored', async () => {
  const err = await failure(client.putObject({ account: A, container: 'c', object: 'long', contentLength: 3 }, Buffer.from('way too long')));
  expect(err.fields).toEqual(['header.content_length']);
  expect(swift.objects.has(`${A}/c/long`)).toBe(false);
});

test('a client that gives up mid-upload stores nothing', async () => {
  async function* failing(): AsyncGenerator<Buffer> {
    yield Buffer.alloc(512 * 1024, 1);
    throw new Error('disk read failed');
  }
  await expect(client.putObject({ account: A, container: 'c', object: 'abandoned' }, failing())).rejects.toThrow('disk read failed');
  // The server sees the cancellation asynchronously; bounded wait for the pipeline to give up.
  const deadline = Date.now() + 5000;
  while (!swift.requests.some((r) => r.object === 'abandoned') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 100));
  expect(swift.objects.has(`${A}/c/abandoned`)).toBe(false);
});

/** Sends raw PutObject messages (what a buggy client might do). */
function rawPut(messages: unknown[]): Promise<StoredObject> {
  return new Promise((resolve, reject) => {
    const call = client.raw.putObject(new Metadata(), (err, res) => (err ? reject(err) : resolve(res!)));
    for (const m of messages) call.write(m as never);
    call.end();
  });
}

test('protocol faults: chunk first, two headers, no header at all', async () => {
  const before = swift.requests.length;
  const chunkFirst = await failure(rawPut([{ content: { $case: 'chunk', value: Buffer.from('x') } }]));
  expect(chunkFirst.code).toBe(Code.INVALID_ARGUMENT);
  expect(chunkFirst.fields).toEqual(['content']);
  expect(swift.requests.length).toBe(before); // the pipeline never saw it

  const empty = await failure(rawPut([]));
  expect(empty.code).toBe(Code.INVALID_ARGUMENT);
  expect(empty.fields).toEqual(['content']);

  const header = { content: { $case: 'header', value: PutObjectHeader.fromPartial({ account: A, container: 'c', object: 'twice' }) } };
  const twice = await failure(rawPut([header, { content: { $case: 'chunk', value: Buffer.from('abc') } }, header, { finishWrite: true }]));
  expect(twice.code).toBe(Code.INVALID_ARGUMENT);
  expect(twice.fields).toEqual(['content']);
  expect(twice.details).toMatch(/only once/);
  expect(swift.objects.has(`${A}/c/twice`)).toBe(false);

  const unfinished = { content: { $case: 'header', value: PutObjectHeader.fromPartial({ account: A, container: 'c', object: 'unfinished' }) } };
  const noFinish = await failure(rawPut([unfinished, { content: { $case: 'chunk', value: Buffer.from('abc') } }]));
  expect(noFinish.code).toBe(Code.INVALID_ARGUMENT);
  expect(noFinish.fields).toEqual(['finish_write']);
  expect(swift.objects.has(`${A}/c/unfinished`)).toBe(false);
});

test('gRPC-only name faults are refused before the pipeline', async () => {
  const before = swift.requests.length;
  const e1 = await failure(client.putObject({ account: A, container: 'a/b', object: '' }, Buffer.from('x')));
  expect(e1.code).toBe(Code.INVALID_ARGUMENT);
  expect(e1.fields).toEqual(['header.container', 'header.object']);
  const e2 = await failure(client.getObjectMetadata({ account: A, container: 'c', object: '' }));
  expect(e2.fields).toEqual(['object']);
  expect(swift.requests.length).toBe(before);
});

test('pipeline 400 with a known cause names the field', async () => {
  const err = await failure(client.getObjectMetadata({ account: A, container: 'c', object: 'x'.repeat(1025) }));
  expect(err.code).toBe(Code.INVALID_ARGUMENT);
  expect(err.fields).toEqual(['object']);
});

test('not found, with the transaction id in the error metadata', async () => {
  const err = await failure(client.getObjectMetadata({ account: A, container: 'c', object: 'missing' }));
  expect(err.code).toBe(Code.NOT_FOUND);
  expect(err.details).toBe('object c/missing not found');
  expect(String(err.metadata.get('x-trans-id')[0])).toMatch(/^tx/);
  const err2 = await failure(client.getObjectBuffer({ account: A, container: 'nope', object: 'x' }));
  expect(err2.code).toBe(Code.NOT_FOUND);
});

test('a pipeline that throws → INTERNAL without internals', async () => {
  swift.throwNext = true;
  const err = await failure(client.getContainer({ account: A, container: 'c' }));
  expect(err.code).toBe(Code.INTERNAL);
  expect(err.details).not.toMatch(/secret/);
});

test('metadata update, delete, containers, listing pages', async () => {
  await client.createContainer({ account: A, container: 'list', metadata: { Owner: 'me' }, readAcl: '.r:*', quotaBytes: 1000 });
  const names = ['a', 'b', 'c', 'd', 'e'];
  for (const n of names) await client.putObject({ account: A, container: 'list', object: n }, Buffer.from(n));
  const c = await client.getContainer({ account: A, container: 'list' });
  expect(c).toMatchObject({ name: 'list', objectCount: 5, bytesUsed: 5, metadata: { owner: 'me' }, readAcl: '.r:*', quotaBytes: 1000 });

  const seen: string[] = [];
  let token = '';
  let pages = 0;
  do {
    const page = await client.listObjects({ account: A, container: 'list', pageSize: 2, pageToken: token });
    seen.push(...page.objects.map((o) => o.name));
    token = page.nextPageToken;
    pages++;
  } while (token && pages < 10);
  expect(seen).toEqual(names);
  expect(pages).toBe(3);

  const tooBig = await failure(client.listObjects({ account: A, container: 'list', pageSize: 20000 }));
  expect(tooBig.code).toBe(Code.INVALID_ARGUMENT);
  expect(tooBig.fields).toEqual(['page_size']);

  const updated = await client.updateObjectMetadata({ account: A, container: 'list', object: 'a', metadata: { k: 'v' } });
  expect(updated.metadata).toEqual({ k: 'v' });

  const notEmpty = await failure(client.deleteContainer({ account: A, container: 'list' }));
  expect(notEmpty.code).toBe(Code.FAILED_PRECONDITION);
  expect(notEmpty.reason).toBe('CONTAINER_NOT_EMPTY');
  for (const n of names) await client.deleteObject({ account: A, container: 'list', object: n });
  expect((await failure(client.deleteObject({ account: A, container: 'list', object: 'a' }))).code).toBe(Code.NOT_FOUND);
  await client.deleteContainer({ account: A, container: 'list' });
  expect((await failure(client.getContainer({ account: A, container: 'list' }))).code).toBe(Code.NOT_FOUND);

  const account = await client.getAccount({ account: A });
  expect(account).toMatchObject({ name: A, metadata: { owner: 'x' } });
  expect(client.lastRequestId()).toMatch(/^tx/);
});
