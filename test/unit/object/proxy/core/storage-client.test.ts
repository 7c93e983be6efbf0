/**
 * The storage client against small in-process HTTP servers on 127.0.0.1:0 that behave like
 * storage servers (or misbehave: silence, refusals, early answers).
 */
import { BackendError } from '../../../../../services/object/proxy/backend/backend-error';
import { useFakeStorage } from './fake-storage';

const fake = useFakeStorage({ connTimeoutMs: 500, nodeTimeoutMs: 300 }, 'dir/o x');
const { serve, request } = fake;

describe('StorageClient', () => {
  test('fetch: path, trans id and layer header reach the server; the body comes back', async () => {
    let seen: { url?: string; tx?: string; layer?: string } = {};
    const port = await serve((req, res) => {
      seen = { url: req.url, tx: req.headers['x-trans-id'] as string, layer: req.headers['x-backend-storage-layer'] as string };
      res.end('hi');
    });
    const r = await fake.client().fetch(request(port, { layer: 'container', query: new URLSearchParams({ format: 'json' }) }));
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('hi');
    expect(seen).toEqual({ url: '/sda/3/AUTH_a/c/dir/o%20x?format=json', tx: 'tx-test', layer: 'container' });
  });

  test('a closed port is CONNECT_FAILED', async () => {
    const port = await serve(() => undefined);
    await fake.close(port);
    await expect(fake.client().send(request(port))).rejects.toMatchObject({ name: 'BackendError', code: 'CONNECT_FAILED' });
  });

  test('a silent server is NODE_TIMEOUT, within bounds', async () => {
    const port = await serve(() => undefined);
    const started = Date.now();
    const err = await fake.client().send(request(port)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).code).toBe('NODE_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  test('a body that stalls mid-way errors the stream (NODE_TIMEOUT)', async () => {
    const port = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Length': 10 });
      res.write('12345');
    });
    const res = await fake.client().send(request(port));
    const err = await (async () => {
      try {
        for await (const _c of res.body) void _c;
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toMatchObject({ code: 'NODE_TIMEOUT' });
  });

  test('openUpload: continue, stream, finish', async () => {
    let got = '';
    const port = await serve((req, res, expectContinue) => {
      expect(expectContinue).toBe(true);
      res.writeContinue();
      req.on('data', (c: Buffer) => (got += c.toString()));
      req.on('end', () => {
        res.writeHead(201);
        res.end();
      });
    });
    const opened = await fake.client().openUpload(request(port, { method: 'PUT', headers: { 'Content-Length': 10 } }));
    expect(opened.kind).toBe('continue');
    if (opened.kind !== 'continue') return;
    await opened.upload.writeAll([Buffer.from('01234')]);
    await opened.upload.writeAll([Buffer.from('567'), Buffer.from('89')]);
    expect((await opened.upload.finish()).status).toBe(201);
    expect(got).toBe('0123456789');
  });

  test('openUpload: a refusal before continue is returned with its status, no body sent', async () => {
    let bodyBytes = 0;
    const port = await serve((req, res) => {
      req.on('data', (c: Buffer) => (bodyBytes += c.length));
      res.writeHead(507, { 'Content-Length': 3 });
      res.end('no\n');
    });
    const opened = await fake.client().openUpload(request(port, { method: 'PUT', headers: { 'Content-Length': 10 } }));
    expect(opened).toMatchObject({ kind: 'refused', reply: { status: 507 } });
    expect(bodyBytes).toBe(0);
  });

  test('abort(): the server sees the upload cut short, never a complete body', async () => {
    const outcome = new Promise<{ complete: boolean; bytes: number }>((resolve) => {
      void serve((req, res) => {
        res.writeContinue();
        let bytes = 0;
        req.on('data', (c: Buffer) => (bytes += c.length));
        req.on('close', () => resolve({ complete: req.complete, bytes }));
      }).then((port) => {
        void fake.client().openUpload(request(port, { method: 'PUT', headers: { 'Transfer-Encoding': 'chunked' } })).then(async (opened) => {
          if (opened.kind !== 'continue') throw new Error('refused');
          await opened.upload.writeAll([Buffer.alloc(1000, 1)]);
          setTimeout(() => opened.upload.abort(), 50);
        });
      });
    });
    const r = await outcome;
    expect(r.complete).toBe(false);
    expect(r.bytes).toBe(1000);
  });
});
