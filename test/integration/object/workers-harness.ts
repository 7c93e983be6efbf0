/**
 * For the workers' integration tests: storage server processes that can be stopped and started
 * again on the same port and devices (the harness in storage-harness.ts removes its directory on
 * stop), ring files for them, and `workers/main.js --once` runs whose per-pass counters are read
 * from stdout. Every wait is bounded; callers remove `dir` in afterAll.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import * as path from 'node:path';
import { encodeRingFile, RingBuilder, ringFilePath, type RingName } from '../../../services/object/ring';
import { STORAGE_MAIN, type Reply, type RequestSpec } from './storage-harness';

export const WORKERS_MAIN = path.join(__dirname, '..', '..', '..', 'services', 'object', 'workers', 'main.js');
export const SECRET = { hashPathPrefix: 'it-prefix', hashPathSuffix: 'it-suffix' };

export interface StorageProcess {
  port: number;
  devicesRoot: string;
  logs: string[];
  request(spec: RequestSpec): Promise<Reply>;
  stop(): Promise<void>;
}

function waitReady(proc: ChildProcess, logs: string[], what: string, pattern: RegExp, ms: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${what} not ready in ${ms} ms; logs:\n${logs.join('\n')}`)), ms);
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = pattern.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code} before ready; logs:\n${logs.join('\n')}`));
    });
  });
}

function kill(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });
}

/** Starts a storage server on `devicesRoot` (devices are created), on `port` (0 = any). */
export async function startStorageProcess(opts: { dir: string; name: string; devices: string[]; port?: number; config?: Record<string, unknown> }): Promise<StorageProcess> {
  const devicesRoot = path.join(opts.dir, opts.name, 'devices');
  for (const d of opts.devices) mkdirSync(path.join(devicesRoot, d), { recursive: true });
  const configPath = path.join(opts.dir, opts.name, 'storage.json');
  // fsync on, as deployed (small writes through the intent journal).
  writeFileSync(configPath, JSON.stringify({ listen: `127.0.0.1:${opts.port ?? 0}`, devicesRoot, ...SECRET, fsync: true, log: { level: 'warn' }, ...opts.config }));
  const proc = spawn(process.execPath, [STORAGE_MAIN, '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  proc.stderr!.on('data', (d: Buffer) => logs.push(...d.toString().split('\n').filter((l) => l)));
  let port: number;
  try {
    port = Number((await waitReady(proc, logs, 'storage server', /\{"ready":true,"port":(\d+)\}/, 20_000))[1]);
  } catch (err) {
    await kill(proc);
    throw err;
  }
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const request = (spec: RequestSpec): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method: spec.method, path: spec.path, headers: spec.headers, agent, timeout: 10_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('request timed out')));
      req.on('error', reject);
      const body = spec.body;
      if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
      else body.pipe(req);
    });
  return {
    port,
    devicesRoot,
    logs,
    request,
    stop: async () => {
      agent.destroy();
      await kill(proc);
    },
  };
}

export interface RingDeviceSpec {
  port: number;
  device: string;
  zone?: number;
}

/** Writes account, container and object rings (same devices, `replicas` each) into `ringDir`. */
export function writeRings(ringDir: string, devices: readonly RingDeviceSpec[], replicas = 1): void {
  mkdirSync(ringDir, { recursive: true });
  for (const name of ['account', 'container', 'object'] as RingName[]) {
    const b = RingBuilder.create({ partPower: 4, replicas, seed: 1, minPartHours: 0 });
    devices.forEach((d, i) => b.addDevice({ region: 1, zone: d.zone ?? i + 1, ip: '127.0.0.1', port: d.port, device: d.device, weight: 1 }));
    b.rebalance({ now: Date.now() });
    writeFileSync(ringFilePath(ringDir, name), encodeRingFile(b.ringData()));
  }
}

export interface WorkersRun {
  code: number | null;
  /** Counters of each pass, by worker name. */
  passes: Record<string, Record<string, number> | null>;
  logs: string[];
}

/** Runs `workers/main.js --once --only <only>` for one storage server; bounded by `ms`. */
export async function runWorkersOnce(opts: { dir: string; devicesRoot: string; ringDir: string; storagePort: number; only: string[]; workers?: Record<string, unknown>; ms?: number }): Promise<WorkersRun> {
  const configPath = path.join(opts.dir, `workers-${opts.only.join('-')}.json`);
  writeFileSync(
    configPath,
    JSON.stringify({ devicesRoot: opts.devicesRoot, ...SECRET, ringDir: opts.ringDir, storageAddress: `127.0.0.1:${opts.storagePort}`, fsync: false, log: { level: 'info' }, workers: opts.workers ?? {} }),
  );
  const proc = spawn(process.execPath, [WORKERS_MAIN, '--config', configPath, '--once', '--only', opts.only.join(',')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => logs.push(...d.toString().split('\n').filter((l) => l)));
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`workers --once did not finish in ${opts.ms ?? 30_000} ms; logs:\n${logs.join('\n')}`));
    }, opts.ms ?? 30_000);
    proc.once('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  const passes: WorkersRun['passes'] = {};
  for (const line of out.split('\n').filter((l) => l.startsWith('{'))) {
    const v = JSON.parse(line) as { worker?: string; stats?: Record<string, number> | null };
    if (v.worker) passes[v.worker] = v.stats ?? null;
  }
  return { code, passes, logs };
}
