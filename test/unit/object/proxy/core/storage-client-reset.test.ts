/**
 * Connections reset by the storage server: a pooled connection it closed just as it was reused,
 * and an upload reset before 100 Continue, are retried on a new connection; a request that may
 * have been processed is not.
 */
import type { Socket } from 'node:net';
import { useFakeStorage } from './fake-storage';

const fake = useFakeStorage({ connTimeoutMs: 1000, nodeTimeoutMs: 2000 }, 'o');
const { serve, request } = fake;

describe('StorageClient and reset connections', () => {
  test('a reused connection reset before the answer: sent again on a new one', async () => {
    const used = new Set<Socket>();
    let requests = 0;
    const port = await serve((req, res) => {
      requests++;
      if (used.has(req.socket)) {
        req.socket.resetAndDestroy();
        return;
      }
      used.add(req.socket);
      res.end('ok');
    });
    expect((await fake.client().fetch(request(port))).status).toBe(200);
    const second = await fake.client().fetch(request(port));
    expect(second.status).toBe(200);
    expect(second.body.toString()).toBe('ok');
    expect(requests).toBe(3);
    expect(used.size).toBe(2);
  });

  test('an upload reset before 100 Continue is opened again and completes', async () => {
    let attempts = 0;
    let received = '';
    const port = await serve((req, res, expectContinue) => {
      attempts++;
      if (attempts === 1) {
        req.socket.resetAndDestroy();
        return;
      }
      if (expectContinue) res.writeContinue();
      req.on('data', (d: Buffer) => (received += d.toString()));
      req.on('end', () => {
        res.statusCode = 201;
        res.end();
      });
    });
    const opened = await fake.client().openUpload(request(port, { method: 'PUT', headers: { 'Content-Length': 5 } }));
    expect(opened.kind).toBe('continue');
    if (opened.kind !== 'continue') return;
    await opened.upload.writeAll([Buffer.from('hello')]);
    expect((await opened.upload.finish()).status).toBe(201);
    expect(received).toBe('hello');
    expect(attempts).toBe(2);
  });

  test('a new connection reset while a request was sent is not retried (it may have been processed)', async () => {
    let requests = 0;
    const port = await serve((req) => {
      requests++;
      req.socket.resetAndDestroy();
    });
    await expect(fake.client().send(request(port, { method: 'DELETE' }))).rejects.toMatchObject({ name: 'BackendError', code: 'CONNECT_FAILED' });
    expect(requests).toBe(1);
  });

  test('an upload reset every time fails after a bounded number of attempts', async () => {
    let attempts = 0;
    const port = await serve((req) => {
      attempts++;
      req.socket.resetAndDestroy();
    });
    await expect(fake.client().openUpload(request(port, { method: 'PUT', headers: { 'Content-Length': 5 } }))).rejects.toMatchObject({ name: 'BackendError', code: 'CONNECT_FAILED' });
    expect(attempts).toBe(3);
  });
});

describe('StorageClient uploads answered before the proxy ended the body', () => {
  const waitFor = async (cond: () => boolean): Promise<void> => {
    const end = Date.now() + 2000;
    while (!cond()) {
      if (Date.now() > end) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  test('a 201 for an empty body that arrives before end() is the verdict, not a failure', async () => {
    let answered = false;
    const port = await serve((req, res, expectContinue) => {
      if (expectContinue) res.writeContinue();
      // Content-Length 0: the server has the whole body at once and commits before the client ends.
      res.statusCode = 201;
      res.end();
      answered = true;
      req.resume();
    });
    const opened = await fake.client().openUpload(request(port, { method: 'PUT', headers: { 'Content-Length': 0 } }));
    expect(opened.kind).toBe('continue');
    if (opened.kind !== 'continue') return;
    await waitFor(() => answered);
    await new Promise((r) => setTimeout(r, 20)); // let the answer reach the client first
    expect(opened.upload.failure).toBeUndefined();
    expect((await opened.upload.finish()).status).toBe(201);
  });

  test('an error answer mid-upload still stops the upload', async () => {
    const port = await serve((req, res, expectContinue) => {
      if (expectContinue) res.writeContinue();
      res.statusCode = 413;
      res.end();
    });
    const opened = await fake.client().openUpload(request(port, { method: 'PUT', headers: { 'Content-Length': 100 } }));
    expect(opened.kind).toBe('continue');
    if (opened.kind !== 'continue') return;
    await waitFor(() => opened.upload.failure !== undefined);
    expect(opened.upload.failure?.message).toContain('413');
  });
});
