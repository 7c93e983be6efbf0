/**
 * Starts the real storage server process (dist/services/object/storage/main.js) on 127.0.0.1:0
 * with devices in a fresh temp directory, and gives tests a keep-alive HTTP client for it.
 * stop() kills the process and removes the directory; a failed start cleans up too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';

export const STORAGE_MAIN = path.join(__dirname, '..', '..', '..', 'services', 'object', 'storage', 'main.js');

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface RequestSpec {
  method: string;
  path: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer | Readable;
}

export interface StorageHandle {
  port: number;
  dir: string;
  devicesRoot: string;
  proc: ChildProcess;
  logs: string[];
  request(spec: RequestSpec): Promise<Reply>;
  /** Resident set size of the server process now, in bytes (from /proc). */
  rss(): number;
  /** SIGKILL, keeping the directory (for a restart over the same devices with `reuse`). */
  crash(): Promise<void>;
  stop(): Promise<void>;
}

export async function startStorage(opts: { devices?: string[]; config?: Record<string, unknown>; reuse?: string } = {}): Promise<StorageHandle> {
  // `reuse`: the directory of a crashed server, restarted over the same devices.
  const dir = opts.reuse ?? mkdtempSync(path.join(tmpdir(), 'weft-storage-it-'));
  const devicesRoot = path.join(dir, 'devices');
  for (const d of opts.devices ?? ['sda']) mkdirSync(path.join(devicesRoot, d), { recursive: true });
  const configPath = path.join(dir, 'storage.json');
  writeFileSync(
    configPath,
    JSON.stringify({ listen: '127.0.0.1:0', devicesRoot, hashPathPrefix: 'it-prefix', hashPathSuffix: 'it-suffix', fsync: true, log: { level: 'warn' }, ...opts.config }),
  );
  const proc = spawn(process.execPath, [STORAGE_MAIN, '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  proc.stderr!.on('data', (d: Buffer) => logs.push(...d.toString().split('\n').filter((l) => l)));
  const kill = (): Promise<void> =>
    new Promise((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(() => reject(new Error(`storage server did not start in 20 s; logs:\n${logs.join('\n')}`)), 20_000);
      proc.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const m = /\{"ready":true,"port":(\d+)\}/.exec(buf);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`storage server exited with ${code} before ready; logs:\n${logs.join('\n')}`));
      });
    });
  } catch (err) {
    await kill();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const request = (spec: RequestSpec): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method: spec.method, path: spec.path, headers: spec.headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      const body = spec.body;
      if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
      else body.pipe(req);
    });
  return {
    port,
    dir,
    devicesRoot,
    proc,
    logs,
    request,
    rss: () => {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : 0;
    },
    crash: async () => {
      agent.destroy();
      await kill();
    },
    stop: async () => {
      agent.destroy();
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
