import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { crc32 } from 'node:zlib';
import { LeanGetConnection, LeanGetPool, parseResponseHead, patternCrc } from '../../../tools/bench/lean-get';

describe('parseResponseHead', () => {
  test('status, lower-cased headers and the length', () => {
    const h = parseResponseHead('HTTP/1.1 200 OK\r\nContent-Length: 12\r\nETag: "abc"\r\nX-Trans-Id: tx1');
    expect(h.status).toBe(200);
    expect(h.length).toBe(12);
    expect(h.headers.get('etag')).toBe('"abc"');
    expect(h.headers.get('x-trans-id')).toBe('tx1');
  });
  test('refuses what the bench cannot frame or read', () => {
    expect(() => parseResponseHead('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked')).toThrow(/Transfer-Encoding/);
    expect(() => parseResponseHead('HTTP/1.1 200 OK\r\nX-A: b')).toThrow(/Content-Length/);
    expect(() => parseResponseHead('HTTP/1.1 200 OK\r\nContent-Length: -1')).toThrow(/Content-Length/);
    expect(() => parseResponseHead('HTTP/2 200\r\nContent-Length: 1')).toThrow(/status line/);
    expect(() => parseResponseHead('HTTP/1.1 200 OK\r\nno colon')).toThrow(/header line/);
  });
});

describe('patternCrc', () => {
  test('equals the CRC-32 of the repeated block, a partial last block included', () => {
    const block = Buffer.from('0123456789');
    expect(patternCrc(25, block)).toBe(crc32(Buffer.from('0123456789012345678901234')));
    expect(patternCrc(0, block)).toBe(0);
  });
});

describe('LeanGetConnection against a real HTTP server', () => {
  let server: Server;
  let port: number;
  const bodies = new Map<string, Buffer>([
    ['/small', Buffer.from('hello world')],
    ['/large', Buffer.alloc(3 * 1024 * 1024, 7)],
    ['/empty', Buffer.alloc(0)],
  ]);
  beforeAll(async () => {
    server = createServer((req, res) => {
      const body = bodies.get(req.url ?? '');
      if (!body) {
        res.writeHead(404, { 'Content-Length': 9 }).end('not found');
        return;
      }
      res.writeHead(200, { 'Content-Length': body.length, ETag: `"${req.headers['x-tag'] ?? 'none'}"` });
      // Several writes, so a body arrives in several reads.
      for (let i = 0; i < body.length; i += 100_000) res.write(body.subarray(i, i + 100_000));
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  test('reads bodies on one keep-alive connection with their CRC-32 and headers', async () => {
    const conn = new LeanGetConnection('127.0.0.1', port);
    try {
      for (const path of ['/small', '/large', '/empty', '/small', '/missing']) {
        const r = await conn.get(path, { 'X-Tag': 't1' });
        const body = bodies.get(path) ?? Buffer.from('not found');
        expect(r.status).toBe(path === '/missing' ? 404 : 200);
        expect(r.bytes).toBe(body.length);
        expect(r.crc).toBe(crc32(body));
        if (path !== '/missing') expect(r.headers.get('etag')).toBe('"t1"');
      }
    } finally {
      conn.close();
    }
  });

  test('a pool replaces a connection the server closed while it was idle', async () => {
    const pool = new LeanGetPool('127.0.0.1', port);
    try {
      expect((await pool.get('/small', {})).status).toBe(200);
      server.closeIdleConnections();
      await new Promise((r) => setTimeout(r, 50));
      expect((await pool.get('/small', {})).crc).toBe(crc32(bodies.get('/small') as Buffer));
    } finally {
      pool.close();
    }
  });
});

describe('LeanGetConnection against a raw server', () => {
  test('a head split across reads, and a response cut short, are handled', async () => {
    const sockets: Socket[] = [];
    const raw = createNetServer((s) => {
      sockets.push(s);
      s.once('data', () => {
        s.write('HTTP/1.1 200 OK\r\nContent-Le');
        setTimeout(() => s.write('ngth: 5\r\n\r'), 20);
        setTimeout(() => s.write('\nabcde'), 40);
        s.once('data', () => {
          s.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
          setTimeout(() => s.destroy(), 20);
        });
      });
    });
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    const conn = new LeanGetConnection('127.0.0.1', (raw.address() as AddressInfo).port);
    try {
      const r = await conn.get('/x', {});
      expect(r.crc).toBe(crc32(Buffer.from('abcde')));
      await expect(conn.get('/y', {})).rejects.toThrow(/closed/);
      expect(conn.usable).toBe(false);
    } finally {
      conn.close();
      sockets.forEach((s) => s.destroy());
      await new Promise((r) => raw.close(r));
    }
  });
});
