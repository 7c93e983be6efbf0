/**
 * The lean reader against real servers on 127.0.0.1:0: node:http ones (as storage servers are)
 * and raw TCP ones for framings and faults node:http does not produce on request.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { LeanReader, type LeanReply } from '../../../../../services/object/proxy/backend/lean-reader';
import { releasePiece } from '../../../../../services/object/proxy/backend/read-slabs';

const servers: (Server | NetServer)[] = [];
let reader: LeanReader;
beforeEach(() => {
  reader = new LeanReader({ connTimeoutMs: 500, nodeTimeoutMs: 400, idleMs: 2000, maxPerTarget: 64 });
});
afterEach(async () => {
  reader.close();
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((r) => {
          if ('closeAllConnections' in s) s.closeAllConnections();
          s.close(() => r());
        }),
    ),
  );
});

async function listen(s: Server | NetServer): Promise<{ ip: string; port: number }> {
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { ip: '127.0.0.1', port: (s.address() as AddressInfo).port };
}

/** A raw server answering every request on a connection with `answer(n)` (n = request number). */
async function raw(answer: (socket: Socket, n: number) => void): Promise<{ ip: string; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const s = createNetServer((socket) => {
    sockets.add(socket);
    let n = 0;
    socket.on('data', () => answer(socket, n++));
    socket.on('error', () => undefined);
  });
  const t = await listen(s);
  return { ...t, sockets };
}

async function text(r: LeanReply): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of r.body) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

describe('LeanReader', () => {
  test('sends method, path and headers; reuses one keep-alive connection', async () => {
    const seen: string[] = [];
    const sockets = new Set<unknown>();
    const target = await listen(
      createServer((req, res) => {
        sockets.add(req.socket);
        seen.push(`${req.method} ${req.url} ${req.headers['x-trans-id']} ${req.headers.host}`);
        res.writeHead(200, { 'Content-Length': 2, ETag: '"e"' }).end(req.method === 'HEAD' ? undefined : 'ok');
      }),
    );
    const a = await reader.read(target, 'GET', '/sda/1/a/c/o%20x?x=1', { 'X-Trans-Id': 'tx1' });
    expect([a.status, a.headers.etag, await text(a), a.body.complete]).toEqual([200, '"e"', 'ok', true]);
    const b = await reader.read(target, 'HEAD', '/sda/1/a/c/o', { 'X-Trans-Id': 'tx2' });
    expect([b.status, b.headers['content-length'], await text(b), b.body.complete]).toEqual([200, '2', '', true]);
    expect(await text(await reader.read(target, 'GET', '/p', { 'X-Trans-Id': 'tx3' }))).toBe('ok');
    expect(seen).toEqual([`GET /sda/1/a/c/o%20x?x=1 tx1 127.0.0.1:${target.port}`, `HEAD /sda/1/a/c/o tx2 127.0.0.1:${target.port}`, `GET /p tx3 127.0.0.1:${target.port}`]);
    expect(sockets.size).toBe(1);
  });

  test('a large body arrives whole and in order, with backpressure from a slow reader', async () => {
    const body = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4) body.writeUInt32LE(i, i);
    const target = await listen(createServer((_req, res) => res.writeHead(200, { 'Content-Length': body.length }).end(body)));
    const r = await reader.read(target, 'GET', '/big', {});
    const h = createHash('md5');
    let n = 0;
    for await (const c of r.body) {
      h.update(c as Buffer);
      if (n++ % 16 === 0) await new Promise((res) => setTimeout(res, 1));
    }
    expect(h.digest('hex')).toBe(createHash('md5').update(body).digest('hex'));
    expect(r.body.complete).toBe(true);
  });

  test('chunked bodies and bodies delimited by the connection closing', async () => {
    const t1 = await raw((s) => s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n'));
    expect(await text(await reader.read(t1, 'GET', '/a', {}))).toBe('abcde');
    const t2 = await raw((s) => s.end('HTTP/1.1 200 OK\r\n\r\nuntil close'));
    const r = await reader.read(t2, 'GET', '/b', {});
    expect(await text(r)).toBe('until close');
    expect(r.body.complete).toBe(true);
  });

  test('a body cut short errors its stream and is not complete', async () => {
    const t = await raw((s) => {
      s.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
      setTimeout(() => s.destroy(), 20);
    });
    const r = await reader.read(t, 'GET', '/a', {});
    await expect(text(r)).rejects.toMatchObject({ name: 'BackendError', code: 'CONNECT_FAILED' });
    expect(r.body.complete).toBe(false);
  });

  test('a body that stalls is NODE_TIMEOUT on its stream', async () => {
    const t = await raw((s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
    const r = await reader.read(t, 'GET', '/a', {});
    await expect(text(r)).rejects.toMatchObject({ code: 'NODE_TIMEOUT' });
  });

  test('no connection, silence before the head, and a bad head are errors of the call', async () => {
    const closed = await listen(createNetServer());
    await new Promise<void>((r) => (servers.pop() as NetServer).close(() => r()));
    await expect(reader.read(closed, 'GET', '/a', {})).rejects.toMatchObject({ code: 'CONNECT_FAILED' });
    const silent = await raw(() => undefined);
    await expect(reader.read(silent, 'GET', '/a', {})).rejects.toMatchObject({ code: 'NODE_TIMEOUT' });
    const bad = await raw((s) => s.write('SPDY/3 200 OK\r\n\r\n'));
    await expect(reader.read(bad, 'GET', '/a', {})).rejects.toMatchObject({ code: 'CONNECT_FAILED', message: expect.stringContaining('bad response') });
  });

  test('connections are not reused after an abandoned body, extra bytes, or Connection: close', async () => {
    const sockets = new Set<Socket>();
    const answers: Record<string, string> = {
      '/abandon': 'HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nabc',
      '/extra': 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA',
      '/close': 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok',
      '/ok': 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
    };
    const t = await listen(
      createNetServer((socket) => {
        sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('data', (d) => socket.write(answers[d.toString().split(' ')[1]]));
      }),
    );
    const get = async (path: string): Promise<string> => text(await reader.read(t, 'GET', path, {}));
    const first = await reader.read(t, 'GET', '/abandon', {});
    first.body.destroy();
    expect(await get('/ok')).toBe('ok');
    expect(sockets.size).toBe(2);
    expect(await get('/extra')).toBe('ok');
    expect(await get('/ok')).toBe('ok');
    expect(sockets.size).toBe(3);
    expect(await get('/close')).toBe('ok');
    expect(await get('/ok')).toBe('ok');
    expect(await get('/ok')).toBe('ok');
    expect(sockets.size).toBe(4);
  });

  test('abort() before the body is read drops the connection', async () => {
    const t = await raw((s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n'));
    const r = await reader.read(t, 'GET', '/a', {});
    r.abort();
    // Nobody listened when it was abandoned, so the body ends quietly (no uncaught 'error'); a
    // late reader still learns it is not whole.
    await expect(text(r)).rejects.toThrow();
    expect(r.body.complete).toBe(false);
    await new Promise((res) => setTimeout(res, 50));
    expect([...t.sockets].every((s) => s.destroyed || s.readableEnded)).toBe(true);
  });

  test('at most maxPerTarget reads in flight per server: the next waits for a body to end, then reuses its connection', async () => {
    reader.close();
    reader = new LeanReader({ connTimeoutMs: 2000, nodeTimeoutMs: 2000, idleMs: 2000, maxPerTarget: 2 });
    const held: Socket[] = [];
    let served = 0;
    const t = await raw((s) => {
      served++;
      // Heads now, bodies only when the test says so.
      s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n');
      held.push(s);
    });
    const a = await reader.read(t, 'GET', '/a', {});
    const b = await reader.read(t, 'GET', '/b', {});
    let cStarted = false;
    const c = reader.read(t, 'GET', '/c', {}).then((r) => ((cStarted = true), r));
    await new Promise((r) => setTimeout(r, 100));
    expect([cStarted, served, t.sockets.size]).toEqual([false, 2, 2]);
    held.shift()?.write('ok');
    expect(await text(a)).toBe('ok');
    const cReply = await c;
    expect([served, t.sockets.size]).toEqual([3, 2]);
    for (const s of held.splice(0)) s.write('ok');
    expect(await text(b)).toBe('ok');
    expect(await text(cReply)).toBe('ok');
  });

  test('a read that waits longer than connTimeoutMs for a slot is CONNECT_TIMEOUT; a late abort of a finished read changes nothing', async () => {
    reader.close();
    reader = new LeanReader({ connTimeoutMs: 200, nodeTimeoutMs: 5000, idleMs: 2000, maxPerTarget: 1 });
    const t = await raw((s, n) => s.write(n === 0 ? 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok' : 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n'));
    const done = await reader.read(t, 'GET', '/a', {});
    expect(await text(done)).toBe('ok');
    done.abort();
    const hanging = await reader.read(t, 'GET', '/b', {});
    expect(t.sockets.size).toBe(1);
    await expect(reader.read(t, 'GET', '/c', {})).rejects.toMatchObject({ code: 'CONNECT_TIMEOUT' });
    hanging.abort();
  });

  test('header values or paths that could split the request are refused before sending', async () => {
    const t = await raw(() => undefined);
    await expect(reader.read(t, 'GET', '/a', { 'X-A': 'v\r\nX-Injected: 1' })).rejects.toMatchObject({ name: 'BackendError' });
    await expect(reader.read(t, 'GET', '/a b', {})).rejects.toMatchObject({ name: 'BackendError' });
    await expect(reader.read(t, 'GET', '/a', { 'Bad Name': 'v' })).rejects.toMatchObject({ name: 'BackendError' });
    expect(t.sockets.size).toBe(0);
  });

  describe('read slabs used again', () => {
    /** Body `id`: 32-bit words `id << 24 | word index`, so any byte from another body or offset shows. */
    const bodyOf = (id: number, bytes: number): Buffer => {
      const b = Buffer.alloc(bytes);
      for (let i = 0; i < bytes; i += 4) b.writeUInt32LE(((id << 24) | (i >> 2)) >>> 0, i);
      return b;
    };
    const SIZE = 3 * 1024 * 1024;
    const bodies = [0, 1, 2, 3, 4, 5].map((id) => bodyOf(id, SIZE));
    const serve = (): Promise<{ ip: string; port: number }> =>
      listen(createServer((req, res) => res.writeHead(200, { 'Content-Length': SIZE }).end(bodies[Number(req.url?.slice(1))])));
    /** Reads body `id`, holding every piece for `holdMs`; checks the held pieces, then releases them. */
    const readHeld = async (target: { ip: string; port: number }, id: number, holdMs: number): Promise<void> => {
      const r = await reader.read(target, 'GET', `/${id}`, {});
      const held: Buffer[] = [];
      for await (const c of r.body) held.push(c as Buffer);
      await new Promise((res) => setTimeout(res, holdMs));
      expect(Buffer.concat(held).equals(bodies[id])).toBe(true);
      for (const p of held) releasePiece(p);
    };

    test('released large bodies give their slabs to later reads, and no held piece is ever overwritten', async () => {
      const target = await serve();
      for (let round = 0; round < 3; round++) {
        // Concurrent reads on several connections; each holds its pieces while the others read
        // on, so a slab handed out early would show as another body's bytes.
        await Promise.all(bodies.map((_, id) => readHeld(target, id, 5 + ((id * 7 + round * 3) % 20))));
      }
      expect(reader.slabs.counters.reused).toBeGreaterThan(0);
      // With everything released, one more read takes every large slab from the pool.
      const before = reader.slabs.counters;
      await readHeld(target, 0, 0);
      const after = reader.slabs.counters;
      expect(after.taken - before.taken).toBeGreaterThan(2);
      expect(after.reused - before.reused).toBe(after.taken - before.taken);
    });

    test('pieces that are never released are never reused', async () => {
      const target = await serve();
      const kept = await reader.read(target, 'GET', '/0', {});
      const held: Buffer[] = [];
      for await (const c of kept.body) held.push(c as Buffer);
      for (let id = 1; id < bodies.length; id++) await readHeld(target, id, 0);
      expect(Buffer.concat(held).equals(bodies[0])).toBe(true);
    });
  });
});
