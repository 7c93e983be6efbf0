/**
 * A real object cluster on loopback for integration tests:
 *
 *   test ──HTTP──▶ proxy (dist/services/object/proxy/main.js, port 0)
 *                    │ account/container/object rings in <dir>/rings (built here with RingBuilder
 *                    │ over the storage servers' real ports: one zone per server)
 *          ┌─────────┼─────────┐
 *       storage 0  storage 1  storage 2 ...  (dist/services/object/storage/main.js, port 0,
 *                                              devices under <dir>/storage-<i>/devices)
 *
 * Storage servers can be killed and restarted on the same port (the rings name it). Auth is off
 * by default; `auth: 'token'` starts an identity process and points the proxy at its keys.
 * stop() kills every process and removes the directory; a failed start cleans up too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, type ClientRequest, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { decodeRingFile, encodeRingFile, type NodesForPath, Ring, RingBuilder, type RingName, ringFilePath } from '../../../services/object/ring';
import { type IdentityHandle, startIdentity } from '../identity/harness';
import { type Reply, type RequestSpec, STORAGE_MAIN } from './storage-harness';

export const PROXY_MAIN = path.join(__dirname, '..', '..', '..', 'services', 'object', 'proxy', 'main.js');
export const HASH_PREFIX = 'it-prefix';
export const HASH_SUFFIX = 'it-suffix';

// One request/reply shape for every object test client (paths already percent-encoded).
export type { Reply, RequestSpec };

/** A keep-alive HTTP client for one port, as tests use it. */
export interface HttpTarget {
  port: number;
  request(spec: RequestSpec): Promise<Reply>;
  /** The raw request, for tests that write the body themselves or abort mid-way. */
  open(spec: Omit<RequestSpec, 'body'>): ClientRequest;
}

export interface StorageNode extends HttpTarget {
  index: number;
  dir: string;
  devicesRoot: string;
  devices: string[];
  logs: string[];
  proc: ChildProcess;
  running(): boolean;
  /** SIGKILL (no draining), keeping its data. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data. */
  restart(): Promise<void>;
}

export interface ProxyNode extends HttpTarget {
  grpcPort: number | null;
  logs: string[];
  proc: ChildProcess;
  configPath: string;
}

export interface ClusterOptions {
  /** Storage servers (default 3), each with `devicesPerServer` devices (default 1). */
  storageCount?: number;
  devicesPerServer?: number;
  replicas?: number;
  partPower?: number;
  seed?: number;
  /** 'none' (default) or 'token' (starts an identity service). */
  auth?: 'none' | 'token';
  /** Extra proxy config (merged over the harness's). */
  proxyConfig?: Record<string, unknown>;
  storageConfig?: Record<string, unknown>;
  /** Give the proxy a gRPC face on port 0 (default: none). */
  grpc?: boolean;
}

export interface Cluster {
  dir: string;
  ringDir: string;
  proxy: ProxyNode;
  storages: StorageNode[];
  identity?: IdentityHandle;
  /** The rings as written (the same the proxy loaded). */
  rings: Record<RingName, Ring>;
  /** Where a name lives, by ring. */
  nodesFor(ring: RingName, account: string, container?: string, object?: string): NodesForPath;
  /** The storage server holding a device of the ring (by port). */
  storageAt(port: number): StorageNode;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 20_000;

function makeTarget(port: number): HttpTarget & { agent: Agent } {
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const open = (spec: Omit<RequestSpec, 'body'>): ClientRequest => httpRequest({ host: '127.0.0.1', port, method: spec.method, path: spec.path, headers: spec.headers, agent });
  const request = (spec: RequestSpec): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const req = open(spec);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
        res.on('aborted', () => reject(new Error('response aborted')));
      });
      req.on('error', reject);
      req.setTimeout(30_000, () => req.destroy(new Error(`no answer to ${spec.method} ${spec.path} in 30 s`)));
      const body = spec.body;
      if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
      else body.pipe(req);
    });
  return { port, agent, request, open };
}

/** Spawns `main` with `--config`, waits (bounded) for the ready line; kills it if it never comes. */
async function spawnReady(main: string, configPath: string, logs: string[], ready: RegExp): Promise<{ proc: ChildProcess; match: RegExpExecArray }> {
  const proc = spawn(process.execPath, [main, '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stderr!.on('data', (d: Buffer) => logs.push(...d.toString().split('\n').filter((l) => l)));
  try {
    const match = await new Promise<RegExpExecArray>((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(() => reject(new Error(`${path.basename(main)} did not start in ${START_TIMEOUT_MS} ms; logs:\n${logs.join('\n')}`)), START_TIMEOUT_MS);
      proc.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const m = ready.exec(buf);
        if (m) {
          clearTimeout(timer);
          resolve(m);
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${path.basename(main)} exited with ${code} before ready; logs:\n${logs.join('\n')}`));
      });
    });
    return { proc, match };
  } catch (err) {
    await killProc(proc);
    throw err;
  }
}

function killProc(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });
}

async function startStorageNode(dir: string, index: number, devicesPerServer: number, extra: Record<string, unknown>): Promise<StorageNode> {
  const sdir = path.join(dir, `storage-${index}`);
  const devicesRoot = path.join(sdir, 'devices');
  const devices = Array.from({ length: devicesPerServer }, (_v, d) => `d${index}${String.fromCharCode(97 + d)}`);
  for (const d of devices) mkdirSync(path.join(devicesRoot, d), { recursive: true });
  const configPath = path.join(sdir, 'storage.json');
  const logs: string[] = [];
  // fsync on, as deployed: small writes go through each device's intent journal, so every
  // scenario here (servers killed and restarted mid-stream among them) runs over it.
  const writeConfig = (port: number): void =>
    writeFileSync(configPath, JSON.stringify({ listen: `127.0.0.1:${port}`, devicesRoot, hashPathPrefix: HASH_PREFIX, hashPathSuffix: HASH_SUFFIX, fsync: true, log: { level: 'warn' }, ...extra }));
  writeConfig(0);
  const first = await spawnReady(STORAGE_MAIN, configPath, logs, /\{"ready":true,"port":(\d+)\}/);
  const port = Number(first.match[1]);
  const target = makeTarget(port);
  const node: StorageNode = {
    index,
    dir: sdir,
    devicesRoot,
    devices,
    logs,
    proc: first.proc,
    port,
    request: target.request,
    open: target.open,
    running: () => node.proc.exitCode === null && node.proc.signalCode === null,
    kill: async () => {
      await killProc(node.proc);
      target.agent.destroy();
    },
    restart: async () => {
      await killProc(node.proc);
      writeConfig(port);
      node.proc = (await spawnReady(STORAGE_MAIN, configPath, logs, /\{"ready":true,"port":(\d+)\}/)).proc;
    },
  };
  return node;
}

function buildRing(storages: StorageNode[], opts: { replicas: number; partPower: number; seed: number }): Buffer {
  const b = RingBuilder.create({ partPower: opts.partPower, replicas: opts.replicas, seed: opts.seed });
  for (const s of storages) for (const device of s.devices) b.addDevice({ region: 1, zone: s.index + 1, ip: '127.0.0.1', port: s.port, device, weight: 100 });
  b.rebalance({ now: 0 });
  return encodeRingFile(b.ringData());
}

export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const dir = mkdtempSync(path.join(tmpdir(), 'weft-cluster-it-'));
  const storages: StorageNode[] = [];
  let identity: IdentityHandle | undefined;
  let proxyProc: ChildProcess | undefined;
  const cleanup = async (): Promise<void> => {
    if (proxyProc) await killProc(proxyProc);
    await Promise.all(storages.map((s) => s.kill()));
    if (identity) await identity.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const count = opts.storageCount ?? 3;
    const started = await Promise.allSettled(Array.from({ length: count }, (_v, i) => startStorageNode(dir, i, opts.devicesPerServer ?? 1, opts.storageConfig ?? {})));
    for (const s of started) if (s.status === 'fulfilled') storages.push(s.value);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;

    const ringDir = path.join(dir, 'rings');
    mkdirSync(ringDir);
    const ringOpts = { replicas: opts.replicas ?? 3, partPower: opts.partPower ?? 4, seed: opts.seed ?? 1 };
    const rings = {} as Record<RingName, Ring>;
    for (const name of ['account', 'container', 'object'] as const) {
      const bytes = buildRing(storages, ringOpts);
      writeFileSync(ringFilePath(ringDir, name), bytes);
      rings[name] = new Ring(decodeRingFile(bytes), { prefix: HASH_PREFIX, suffix: HASH_SUFFIX });
    }

    const auth: Record<string, unknown> = { mode: 'none' };
    if (opts.auth === 'token') {
      identity = await startIdentity();
      Object.assign(auth, { mode: 'token', keysDir: path.join(identity.dir, 'data', 'keys'), identityUrl: identity.address });
    }
    const configPath = path.join(dir, 'proxy.json');
    const proxyConfig = {
      listen: '127.0.0.1:0',
      grpcListen: opts.grpc ? '127.0.0.1:0' : '',
      ringDir,
      hashPathPrefix: HASH_PREFIX,
      hashPathSuffix: HASH_SUFFIX,
      connTimeoutMs: 1000,
      nodeTimeoutMs: 5000,
      log: { level: 'warn' },
      ...opts.proxyConfig,
      auth: { ...auth, ...((opts.proxyConfig?.auth as Record<string, unknown> | undefined) ?? {}) },
    };
    writeFileSync(configPath, JSON.stringify(proxyConfig));
    const proxyLogs: string[] = [];
    const started2 = await spawnReady(PROXY_MAIN, configPath, proxyLogs, /\{"ready":true,"port":(\d+),"grpcPort":(\d+|null)\}/);
    proxyProc = started2.proc;
    const pTarget = makeTarget(Number(started2.match[1]));
    const proxy: ProxyNode = {
      port: pTarget.port,
      request: pTarget.request,
      open: pTarget.open,
      grpcPort: started2.match[2] === 'null' ? null : Number(started2.match[2]),
      logs: proxyLogs,
      proc: started2.proc,
      configPath,
    };
    return {
      dir,
      ringDir,
      proxy,
      storages,
      identity,
      rings,
      nodesFor: (ring, account, container, object) => rings[ring].getNodes(account, container, object),
      storageAt: (port) => {
        const s = storages.find((x) => x.port === port);
        if (!s) throw new Error(`no storage server on port ${port}`);
        return s;
      },
      stop: async () => {
        pTarget.agent.destroy();
        await cleanup();
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** Resident set size of a process now, in bytes (from /proc). */
export function rssOf(proc: ChildProcess): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Percent-encodes each segment of a /v1 path (object slashes kept). */
export function v1Path(account: string, container?: string, object?: string): string {
  let p = `/v1/${encodeURIComponent(account)}`;
  if (container !== undefined) p += `/${encodeURIComponent(container)}`;
  if (object !== undefined) p += `/${encodeURIComponent(object).replace(/%2F/g, '/')}`;
  return p;
}
