/**
 * Object → container updates between two real storage server processes: one serves the object,
 * the other the container. A committed PUT/DELETE updates the container row before the client is
 * answered; when the container server is down or does not answer in time, the update goes to
 * `<device>/async_pending/<suffix>/<hash>-<timestamp>` and the client still gets its success.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import * as path from 'node:path';
import { hashPath } from '../../../services/object/common/hash-path';
import { startStorage, type StorageHandle } from './storage-harness';

let objectServer: StorageHandle;
let containerServer: StorageHandle | undefined;
let clock = 1_700_000_000;
const ts = (): string => `${++clock}.00000`;
const OBJ = (name: string): string => `/sda/5/AUTH_test/cont/${encodeURIComponent(name).replace(/%2F/g, '/')}`;
const C = '/sdc/9/AUTH_test/cont';
const clayer = { 'X-Backend-Storage-Layer': 'container' };

function pendingDir(name: string): string {
  const h = hashPath('it-prefix', 'it-suffix', 'AUTH_test', 'cont', name);
  return path.join(objectServer.devicesRoot, 'sda', 'async_pending', h.slice(-3));
}
const pending = (name: string): string[] => (existsSync(pendingDir(name)) ? readdirSync(pendingDir(name)).sort() : []);

async function listing(): Promise<{ name: string; bytes: number; hash: string; content_type: string }[]> {
  const r = await containerServer!.request({ method: 'GET', path: C, headers: clayer });
  expect(r.status).toBe(200);
  return JSON.parse(r.body.toString('utf8')) as { name: string; bytes: number; hash: string; content_type: string }[];
}

beforeAll(async () => {
  objectServer = await startStorage({ devices: ['sda'], config: { containerUpdateTimeoutMs: 500 } });
  containerServer = await startStorage({ devices: ['sdc'] });
  expect((await containerServer.request({ method: 'PUT', path: C, headers: { ...clayer, 'X-Timestamp': ts() } })).status).toBe(201);
});

afterAll(async () => {
  await objectServer?.stop();
  await containerServer?.stop();
});

describe('object → container updates', () => {
  const target = (): Record<string, string> => ({ 'X-Container-Host': `127.0.0.1:${containerServer!.port}`, 'X-Container-Device': 'sdc', 'X-Container-Partition': '9' });

  test('a committed PUT and DELETE update the container row before the answer', async () => {
    const put = await objectServer.request({ method: 'PUT', path: OBJ('dir/a b.txt'), headers: { ...target(), 'X-Timestamp': ts(), 'Content-Type': 'text/plain', 'Content-Length': 5 }, body: 'hello' });
    expect(put.status).toBe(201);
    expect(await listing()).toEqual([expect.objectContaining({ name: 'dir/a b.txt', bytes: 5, hash: '5d41402abc4b2a76b9719d911017c592', content_type: 'text/plain' })]);
    expect(pending('dir/a b.txt')).toEqual([]);

    const del = await objectServer.request({ method: 'DELETE', path: OBJ('dir/a b.txt'), headers: { ...target(), 'X-Timestamp': ts() } });
    expect(del.status).toBe(204);
    expect(await listing()).toEqual([]);
  });

  test('a row batch answers each row in order, as its single form would; a malformed batch applies nothing', async () => {
    const batch = (rows: unknown, pathName = C): Promise<{ status: number; body: Buffer }> =>
      containerServer!.request({ method: 'POST', path: pathName, headers: { 'X-Backend-Storage-Layer': 'container-rows', 'Content-Type': 'application/json' }, body: JSON.stringify(rows) });
    const older = ts();
    const row = (method: string, object: string, headers: Record<string, string>): unknown => ({ method, object, headers });
    const put = (object: string, size: number, t = ts()): unknown => row('PUT', object, { 'X-Timestamp': t, 'X-Size': String(size), 'X-Etag': 'd41d8cd98f00b204e9800998ecf8427e', 'X-Content-Type': 'text/plain' });
    const r = await batch({ rows: [put('b1', 3), put('b/2', 4), row('DELETE', 'b1', { 'X-Timestamp': older }), row('PUT', 'b4', { 'X-Timestamp': ts() }), put('b3', 5), row('POST', 'b5', { 'X-Timestamp': ts() })] });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body.toString())).toEqual({ statuses: [201, 201, 202, 400, 201, 405] });
    expect((await listing()).map((e) => [e.name, e.bytes])).toEqual([['b/2', 4], ['b1', 3], ['b3', 5]]);

    const missing = await batch({ rows: [put('x', 1)] }, '/sdc/9/AUTH_test/nocont');
    expect(JSON.parse(missing.body.toString())).toEqual({ statuses: [404] });
    for (const bad of [{ rows: [] }, { rows: [put('ok', 1), { method: 'PUT', object: '', headers: {} }] }, { rows: [put('ok', 1), { method: 'PUT', object: 'y', headers: { 'X-Size': 1 } }] }, 'not an object']) {
      expect((await batch(bad)).status).toBe(400);
    }
    const notJson = await containerServer!.request({ method: 'POST', path: C, headers: { 'X-Backend-Storage-Layer': 'container-rows' }, body: '{"rows": [' });
    expect(notJson.status).toBe(400);
    expect((await containerServer!.request({ method: 'GET', path: C, headers: { 'X-Backend-Storage-Layer': 'container-rows' } })).status).toBe(405);
    // Nothing of the refused batches landed ('ok' was in two of them).
    expect((await listing()).map((e) => e.name)).toEqual(['b/2', 'b1', 'b3']);

    const del = await batch({ rows: ['b1', 'b/2', 'b3'].map((o) => row('DELETE', o, { 'X-Timestamp': ts() })) });
    expect(JSON.parse(del.body.toString())).toEqual({ statuses: [204, 204, 204] });
    expect(await listing()).toEqual([]);
  });

  test('concurrent PUTs through one object server: every row lands, and rows that wait share exchanges', async () => {
    const stats = async (): Promise<Record<string, number>> => (JSON.parse((await containerServer!.request({ method: 'GET', path: '/recon/stats' })).body.toString()) as { requests: Record<string, number> }).requests;
    const before = await stats();
    const names = Array.from({ length: 40 }, (_, i) => `burst/${String(i).padStart(2, '0')}`);
    const puts = await Promise.all(names.map((n, i) => objectServer.request({ method: 'PUT', path: OBJ(n), headers: { ...target(), 'X-Timestamp': ts(), 'Content-Type': 'text/plain', 'Content-Length': i }, body: 'x'.repeat(i) })));
    expect(puts.map((p) => p.status)).toEqual(names.map(() => 201));
    const rows = await listing();
    expect(rows.map((e) => e.name)).toEqual(names);
    expect(rows.map((e) => e.bytes)).toEqual(names.map((_, i) => i));
    for (const n of names) expect(pending(n)).toEqual([]);
    const after = await stats();
    const singles = (after['PUT 201'] ?? 0) - (before['PUT 201'] ?? 0);
    const batches = (after['POST 200'] ?? 0) - (before['POST 200'] ?? 0);
    // 40 updates to one container replica, most of them committed while another was in flight.
    expect(batches).toBeGreaterThan(0);
    expect(singles + batches).toBeLessThan(40);
    const cleanup = await Promise.all(names.map((n) => objectServer.request({ method: 'DELETE', path: OBJ(n), headers: { ...target(), 'X-Timestamp': ts() } })));
    expect(cleanup.map((c) => c.status)).toEqual(names.map(() => 204));
    expect(await listing()).toEqual([]);
  });

  test('partial or malformed X-Container-* headers are refused before anything is written', async () => {
    const partial = await objectServer.request({ method: 'PUT', path: OBJ('bad'), headers: { 'X-Container-Host': '127.0.0.1:1', 'X-Timestamp': ts(), 'Content-Type': 'text/plain', 'Content-Length': 1 }, body: 'x' });
    expect(partial.status).toBe(400);
    const malformed = await objectServer.request({ method: 'DELETE', path: OBJ('bad'), headers: { ...target(), 'X-Container-Host': 'nohost', 'X-Timestamp': ts() } });
    expect(malformed.status).toBe(400);
    expect((await objectServer.request({ method: 'HEAD', path: OBJ('bad') })).status).toBe(404);
  });

  test('a container server that does not answer in time: success, and the update is queued', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((sock) => sockets.push(sock));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const started = Date.now();
      const put = await objectServer.request({
        method: 'PUT',
        path: OBJ('slow'),
        headers: { 'X-Container-Host': `127.0.0.1:${port}`, 'X-Container-Device': 'sdc', 'X-Container-Partition': '9', 'X-Timestamp': ts(), 'Content-Type': 'text/plain', 'Content-Length': 2 },
        body: 'hi',
      });
      expect(put.status).toBe(201);
      expect(Date.now() - started).toBeGreaterThanOrEqual(400);
      expect(pending('slow')).toHaveLength(1);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  test('concurrent PUTs to a container server that does not answer: all succeed, all queued, the waiting ones fail with the first', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((sock) => sockets.push(sock));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    const names = ['slow-1', 'slow-2', 'slow-3', 'slow-4', 'slow-5', 'slow-6'];
    try {
      const answeredAt: number[] = [];
      const puts = await Promise.all(
        names.map(async (n) => {
          const r = await objectServer.request({
            method: 'PUT',
            path: OBJ(n),
            headers: { 'X-Container-Host': `127.0.0.1:${port}`, 'X-Container-Device': 'sdc', 'X-Container-Partition': '9', 'X-Timestamp': ts(), 'Content-Type': 'text/plain', 'Content-Length': 2 },
            body: 'hi',
          });
          answeredAt.push(Date.now());
          return r;
        }),
      );
      // All answered about together, one update timeout (500 ms) in: the waiting ones did not
      // wait for a second timeout of their own.
      expect(Math.max(...answeredAt) - Math.min(...answeredAt)).toBeLessThan(400);
      expect(puts.map((p) => p.status)).toEqual(names.map(() => 201));
      for (const n of names) expect(pending(n)).toHaveLength(1);
      // The updates that waited behind the first one were not sent to the silent server again
      // (one connection per exchange; six without coalescing).
      expect(sockets.length).toBeLessThan(names.length);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  test('container server stopped: PUT still 201 and an async_pending file holds the update', async () => {
    const port = containerServer!.port;
    await containerServer!.stop();
    containerServer = undefined;
    const timestamp = ts();
    const put = await objectServer.request({
      method: 'PUT',
      path: OBJ('later.txt'),
      headers: { 'X-Container-Host': `127.0.0.1:${port}`, 'X-Container-Device': 'sdc', 'X-Container-Partition': '9', 'X-Timestamp': timestamp, 'Content-Type': 'text/plain', 'Content-Length': 3 },
      body: 'abc',
    });
    expect(put.status).toBe(201);
    const h = hashPath('it-prefix', 'it-suffix', 'AUTH_test', 'cont', 'later.txt');
    expect(pending('later.txt')).toEqual([`${h}-${timestamp}`]);
    const queued = JSON.parse(readFileSync(path.join(pendingDir('later.txt'), `${h}-${timestamp}`), 'utf8')) as unknown;
    expect(queued).toEqual({
      method: 'PUT',
      path: '/AUTH_test/cont/later.txt',
      headers: { 'X-Timestamp': timestamp, 'X-Size': '3', 'X-Etag': '900150983cd24fb0d6963f7d28e17f72', 'X-Content-Type': 'text/plain' },
      target: { host: '127.0.0.1', port, device: 'sdc', partition: '9' },
    });
    // The object itself is there.
    expect((await objectServer.request({ method: 'GET', path: OBJ('later.txt') })).body.toString()).toBe('abc');
    // No temp files left behind by the queueing.
    expect(readdirSync(path.join(objectServer.devicesRoot, 'sda', 'tmp'))).toEqual([]);
  });
});
