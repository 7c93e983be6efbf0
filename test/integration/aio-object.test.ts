/**
 * The all-in-one start runs the object store: `dist/tools/aio/main.js` on a temp data root and
 * free ports (no node agent), then a Swift client's round trip through its proxy (log in with
 * /auth/v1.0, create a container, upload, download, list) and a clean stop on SIGINT.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { freePortRun } from '../../tools/bench/free-ports';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const AIO_MAIN = path.join(__dirname, '..', '..', 'tools', 'aio', 'main.js');
const ADMIN_PASSWORD = 'aio-test-password';

function call(port: number, method: string, p: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path: p, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.setTimeout(20_000, () => req.destroy(new Error(`${method} ${p}: no answer`)));
    req.end(body);
  });
}

describe('all-in-one start with the object store', () => {
  let dir: string;
  let aio: ChildProcess | undefined;
  let output = '';

  afterAll(async () => {
    if (aio && aio.exitCode === null && aio.signalCode === null) {
      aio.kill('SIGKILL');
      await new Promise((r) => aio!.once('exit', r));
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('starts identity, network and the object cluster, serves a Swift round trip, stops cleanly', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'weft-aio-it-'));
    const base = await freePortRun(7, 30_000);
    const proxyPort = base + 2;
    aio = spawn(process.execPath, [AIO_MAIN], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        WEFT_DATA_ROOT: dir,
        WEFT_AIO_AGENT: '0',
        WEFT_ADMIN_PASSWORD: ADMIN_PASSWORD,
        WEFT_IDENTITY_LISTEN: `127.0.0.1:${base}`,
        WEFT_NETWORK_LISTEN: `127.0.0.1:${base + 1}`,
        WEFT_OBJECT_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
        WEFT_OBJECT_PROXY_GRPC_LISTEN: `127.0.0.1:${base + 3}`,
        WEFT_OBJECT_STORAGE_BASE_PORT: String(base + 4),
        WEFT_LOG_LEVEL: 'warn',
      },
    });
    aio.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    aio.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const started = Date.now();
    while (!output.includes('[aio] object store:')) {
      if (aio.exitCode !== null) throw new Error(`aio exited ${aio.exitCode}:\n${output}`);
      if (Date.now() - started > 60_000) throw new Error(`aio not ready in 60 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const part of ['object-storage1', 'object-storage2', 'object-storage3', 'object-workers1', 'object-workers2', 'object-workers3', 'object-proxy']) {
      expect(output).toContain(`[${part}] {"ready":true`);
    }

    const auth = await call(proxyPort, 'GET', '/auth/v1.0', { 'X-Auth-User': 'admin:admin', 'X-Auth-Key': ADMIN_PASSWORD });
    expect(auth.status).toBe(200);
    const token = String(auth.headers['x-auth-token']);
    const storageUrl = new URL(String(auth.headers['x-storage-url']));
    expect(storageUrl.pathname).toMatch(/^\/v1\/AUTH_[0-9a-f-]+$/);
    const h = { 'X-Auth-Token': token };
    expect((await call(proxyPort, 'PUT', `${storageUrl.pathname}/docs`, h)).status).toBe(201);
    expect((await call(proxyPort, 'PUT', `${storageUrl.pathname}/docs/hello.txt`, { ...h, 'Content-Type': 'text/plain' }, 'hello from aio')).status).toBe(201);
    const got = await call(proxyPort, 'GET', `${storageUrl.pathname}/docs/hello.txt`, h);
    expect(got.status).toBe(200);
    expect(got.body).toBe('hello from aio');
    expect((await call(proxyPort, 'GET', `${storageUrl.pathname}/docs`, h)).body).toBe('hello.txt\n');

    aio.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => aio!.once('exit', (c) => resolve(c)));
    expect(code).toBe(0);
  }, 120_000);
});
