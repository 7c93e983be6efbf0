import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DirectClient, DirectClientError, storagePath } from '../../../../services/object/workers/direct-client';

let server: Server;
let port: number;
let connections = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/slow') return; // never answers
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      res.writeHead(req.url === '/missing' ? 404 : 200, { 'Content-Type': 'text/plain' });
      res.end(`${req.method} ${req.url} ${req.headers['content-length'] ?? '-'} ${body}`);
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('direct client', () => {
  test('statuses come back as they are, over one kept-alive connection', async () => {
    const c = new DirectClient({ timeoutMs: 2000, maxSockets: 1 });
    try {
      const before = connections;
      const a = await c.request({ host: '127.0.0.1', port, method: 'PUT', path: '/x' });
      expect(a.status).toBe(200);
      expect(a.body.toString()).toBe('PUT /x 0 ');
      const b = await c.request({ host: '127.0.0.1', port, method: 'GET', path: '/missing' });
      expect(b.status).toBe(404);
      const d = await c.request({ host: '127.0.0.1', port, method: 'POST', path: '/y', body: 'hey' });
      expect(d.body.toString()).toBe('POST /y 3 hey');
      expect(connections - before).toBe(1);
    } finally {
      c.close();
    }
  });

  test('no answer in time, no server, or an abort: a typed error', async () => {
    const c = new DirectClient({ timeoutMs: 200 });
    try {
      await expect(c.request({ host: '127.0.0.1', port, method: 'GET', path: '/slow' })).rejects.toMatchObject({ code: 'TIMEOUT' });
      await expect(c.request({ host: '127.0.0.1', port: 1, method: 'GET', path: '/' })).rejects.toBeInstanceOf(DirectClientError);
      const ac = new AbortController();
      const p = c.request({ host: '127.0.0.1', port, method: 'GET', path: '/slow', timeoutMs: 5000, signal: ac.signal });
      ac.abort();
      await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
    } finally {
      c.close();
    }
  });

  test('storage paths encode each name whole', () => {
    expect(storagePath('sda', 3, 'AUTH_a', 'c d', 'x/y?z')).toBe('/sda/3/AUTH_a/c%20d/x%2Fy%3Fz');
    expect(storagePath('sda', '3', 'AUTH_a')).toBe('/sda/3/AUTH_a');
  });
});
