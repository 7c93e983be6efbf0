/**
 * Several real storage server processes (storage-harness.ts), one device each, and an object
 * ring over their ports, for the replicator and reaper tests:
 *
 *        ┌──────────┐ ┌──────────┐ ┌──────────┐ ┌──────────┐
 *        │ server 0 │ │ server 1 │ │ server 2 │ │ server 3 │   127.0.0.1:<port i>
 *        │ dev d0   │ │ dev d1   │ │ dev d2   │ │ dev d3   │   zone i
 *        └──────────┘ └──────────┘ └──────────┘ └──────────┘
 *   replicas 3, part power 2: every partition has 3 primaries and one handoff server.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { hashPath } from '../../../services/object/common/hash-path';
import { encodeRingFile, Ring, RingBuilder, ringFilePath } from '../../../services/object/ring';
import type { RingDevice } from '../../../services/object/ring/device';
import { startStorage, type Reply, type StorageHandle } from './storage-harness';

export const HASH = { prefix: 'it-prefix', suffix: 'it-suffix' };
export const WORKERS_MAIN = path.join(__dirname, '..', '..', '..', 'services', 'object', 'workers', 'main.js');

export interface Cluster {
  servers: StorageHandle[];
  ring: Ring;
  /** Holds account.ring, container.ring and object.ring (all the same ring here). */
  ringDir: string;
  /** The server of a ring device. */
  serverOf(d: RingDevice): StorageHandle;
  stop(): Promise<void>;
}

export async function startCluster(n: number, opts: { replicas?: number; partPower?: number } = {}): Promise<Cluster> {
  const servers: StorageHandle[] = [];
  const dir = mkdtempSync(path.join(tmpdir(), 'weft-replicator-it-'));
  const stop = async (): Promise<void> => {
    await stopAll(servers);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < n; i++) servers.push(await startStorage({ devices: [`d${i}`], config: { fsync: false } }));
    const builder = RingBuilder.create({ partPower: opts.partPower ?? 2, replicas: opts.replicas ?? 3, seed: 7 });
    servers.forEach((s, i) => builder.addDevice({ region: 1, zone: i + 1, ip: '127.0.0.1', port: s.port, device: `d${i}`, weight: 100 }));
    builder.rebalance({ now: 0 });
    const ring = new Ring(builder.ringData(), HASH);
    const ringDir = path.join(dir, 'rings');
    mkdirSync(ringDir);
    for (const n of ['account', 'container', 'object'] as const) writeFileSync(ringFilePath(ringDir, n), encodeRingFile(builder.ringData()));
    const serverOf = (d: RingDevice): StorageHandle => {
      const s = servers.find((x) => x.port === d.port);
      if (!s) throw new Error(`no server for ${d.device}`);
      return s;
    };
    return { servers, ring, ringDir, serverOf, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function stopAll(servers: StorageHandle[]): Promise<void> {
  await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
}

export interface ObjectName {
  account: string;
  container: string;
  object: string;
}

export function objectPath(d: RingDevice, partition: number, o: ObjectName): string {
  return `/${d.device}/${partition}/${o.account}/${o.container}/${encodeURIComponent(o.object)}`;
}

export function putObject(c: Cluster, d: RingDevice, o: ObjectName, body: string, timestamp: string, headers: Record<string, string> = {}): Promise<Reply> {
  const partition = c.ring.partitionFor(o.account, o.container, o.object);
  return c.serverOf(d).request({
    method: 'PUT',
    path: objectPath(d, partition, o),
    headers: { 'X-Timestamp': timestamp, 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body), ...headers },
    body,
  });
}

export function objectRequest(c: Cluster, d: RingDevice, o: ObjectName, method: string, headers: Record<string, string> = {}): Promise<Reply> {
  const partition = c.ring.partitionFor(o.account, o.container, o.object);
  return c.serverOf(d).request({ method, path: objectPath(d, partition, o), headers });
}

/** The object's hash directory on a device, and the files in it ([] when absent). */
export function hashDirOf(c: Cluster, d: RingDevice, o: ObjectName): { dir: string; files: string[] } {
  const partition = c.ring.partitionFor(o.account, o.container, o.object);
  const hash = hashPath(HASH.prefix, HASH.suffix, o.account, o.container, o.object);
  const dir = path.join(c.serverOf(d).devicesRoot, d.device, 'objects', String(partition), hash.slice(-3), hash);
  return { dir, files: existsSync(dir) ? readdirSync(dir).sort() : [] };
}

/** The primaries of an object, and the one ring device that is not (the handoff). */
export function placement(c: Cluster, o: ObjectName): { partition: number; primaries: RingDevice[]; others: RingDevice[] } {
  const { partition, nodes } = c.ring.getNodes(o.account, o.container, o.object);
  const others = c.ring.devices.filter((d) => !nodes.some((p) => p.id === d.id));
  return { partition, primaries: [...nodes], others };
}

/**
 * Runs `node workers/main.js --once --only <names>` beside one storage server and returns each
 * worker's pass counters (bounded: killed after `timeoutMs`).
 */
export async function runWorkersOnce(c: Cluster, server: StorageHandle, names: string[], settings: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<Record<string, Record<string, number>>> {
  const configPath = path.join(server.dir, `workers-${names.join('-')}.json`);
  writeFileSync(
    configPath,
    JSON.stringify({
      devicesRoot: server.devicesRoot,
      hashPathPrefix: HASH.prefix,
      hashPathSuffix: HASH.suffix,
      ringDir: c.ringDir,
      storageAddress: `127.0.0.1:${server.port}`,
      fsync: false,
      log: { level: 'warn' },
      workers: settings,
    }),
  );
  const proc = spawn(process.execPath, [WORKERS_MAIN, '--config', configPath, '--once', '--only', names.join(',')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.once('exit', (c2) => {
      clearTimeout(timer);
      resolve(c2);
    });
  });
  if (code !== 0) throw new Error(`workers exited with ${code}; stderr:\n${err}`);
  const stats: Record<string, Record<string, number>> = {};
  for (const line of out.split('\n')) {
    if (!line.startsWith('{"worker"')) continue;
    const v = JSON.parse(line) as { worker: string; stats: Record<string, number> | null };
    if (!v.stats) throw new Error(`${v.worker} pass failed; stderr:\n${err}`);
    stats[v.worker] = v.stats;
  }
  return stats;
}
