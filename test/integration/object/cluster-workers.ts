/**
 * The workers process beside the storage servers of a cluster-harness cluster, and what the
 * failure tests read on the servers' disks:
 *
 *   storage i ── devicesRoot, port ──▶ workers/main.js --once --only <names>   (ringDir of the cluster)
 *
 * A run is bounded in time and throws when the process fails or a pass reports no counters, so a
 * test never mistakes a crashed worker for one that found nothing to do. Runs on several servers
 * are sequential: the test machine has few cores, and one pass per server is what the scenarios
 * need (Swift's "run every daemon once").
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { hashPath } from '../../../services/object/common/hash-path';
import { parseFooterTail } from '../../../services/object/storage/diskfile/data-footer';
import { type Cluster, HASH_PREFIX, HASH_SUFFIX, type StorageNode } from './cluster-harness';

export const WORKERS_MAIN = path.join(__dirname, '..', '..', '..', 'services', 'object', 'workers', 'main.js');

/** Counters of each pass, by worker name. */
export type PassCounters = Record<string, Record<string, number>>;

export interface WorkersRunOptions {
  /** `workers.<name>.*` settings. */
  settings?: Record<string, unknown>;
  timeoutMs?: number;
}

/** One `--once` run of `only` beside one storage server of the cluster. */
export async function runWorkers(cluster: Cluster, node: StorageNode, only: readonly string[], opts: WorkersRunOptions = {}): Promise<PassCounters> {
  const configPath = path.join(node.dir, `workers-${only.join('-')}.json`);
  writeFileSync(
    configPath,
    JSON.stringify({
      devicesRoot: node.devicesRoot,
      hashPathPrefix: HASH_PREFIX,
      hashPathSuffix: HASH_SUFFIX,
      ringDir: cluster.ringDir,
      storageAddress: `127.0.0.1:${node.port}`,
      fsync: false,
      requestTimeoutMs: 5000,
      log: { level: 'warn' },
      workers: opts.settings ?? {},
    }),
  );
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const proc = spawn(process.execPath, [WORKERS_MAIN, '--config', configPath, '--once', '--only', only.join(',')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const result = await new Promise<{ code: number | null; timedOut: boolean }>((resolve) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      resolve({ code: null, timedOut: true });
    }, timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, timedOut: false });
    });
  });
  const what = `workers ${only.join(',')} beside storage ${node.index}`;
  if (result.timedOut) throw new Error(`${what} did not finish in ${timeoutMs} ms; stderr:\n${err}`);
  if (result.code !== 0) throw new Error(`${what} exited with ${result.code}; stderr:\n${err}`);
  const passes: PassCounters = {};
  for (const line of out.split('\n')) {
    if (!line.startsWith('{"worker"')) continue;
    const v = JSON.parse(line) as { worker: string; stats: Record<string, number> | null };
    if (!v.stats) throw new Error(`${what}: the ${v.worker} pass failed; stderr:\n${err}`);
    passes[v.worker] = v.stats;
  }
  for (const name of only) if (!passes[name]) throw new Error(`${what}: no ${name} pass reported; stdout:\n${out}\nstderr:\n${err}`);
  return passes;
}

/** One run beside every storage server, one after another; the counters by server index. */
export async function runWorkersEverywhere(cluster: Cluster, only: readonly string[], opts: WorkersRunOptions = {}): Promise<PassCounters[]> {
  const all: PassCounters[] = [];
  for (const node of cluster.storages) all.push(await runWorkers(cluster, node, only, opts));
  return all;
}

/** Sum of one counter of one worker over runs. */
export function total(runs: readonly PassCounters[], worker: string, counter: string): number {
  return runs.reduce((sum, r) => sum + (r[worker]?.[counter] ?? 0), 0);
}

export interface ObjectRef {
  account: string;
  container: string;
  object: string;
}

/** Where an object's files are on one ring device of a storage server. */
export interface ObjectLocation {
  node: StorageNode;
  device: string;
  partition: number;
  hash: string;
  dir: string;
}

export function objectLocation(cluster: Cluster, node: StorageNode, device: string, o: ObjectRef): ObjectLocation {
  const hash = hashPath(HASH_PREFIX, HASH_SUFFIX, o.account, o.container, o.object);
  const partition = cluster.rings.object.partitionFor(o.account, o.container, o.object);
  return { node, device, partition, hash, dir: path.join(node.devicesRoot, device, 'objects', String(partition), hash.slice(-3), hash) };
}

/** The files of a hash directory, sorted ([] when it does not exist). */
export function filesIn(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** The newest `.data` of a location (undefined when there is none). */
export function dataFile(loc: ObjectLocation): string | undefined {
  const data = filesIn(loc.dir).filter((f) => f.endsWith('.data'));
  return data.length ? path.join(loc.dir, data[data.length - 1]!) : undefined;
}

export const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

/** Every directory under `root` (depth-first), for walks over a device's object tree. */
function* walkDirs(root: string): Generator<string> {
  if (!existsSync(root)) return;
  yield root;
  for (const e of readdirSync(root, { withFileTypes: true })) if (e.isDirectory()) yield* walkDirs(path.join(root, e.name));
}

/** An object file on some server's disk: its name (from its `.data`'s footer) and files. */
export interface DiskObject {
  node: StorageNode;
  dir: string;
  /** `/account/container/object`. */
  name: string;
  files: string[];
}

/** The object name a hash directory's newest `.data` carries (footer, or a two-file form's `.meta.json`). */
function nameInDir(dir: string, files: readonly string[]): string | undefined {
  const data = files.filter((f) => f.endsWith('.data')).sort().pop();
  if (!data) return undefined;
  const legacy = data.replace(/\.data$/, '.meta.json');
  if (files.includes(legacy)) return (JSON.parse(readFileSync(path.join(dir, legacy), 'utf8')) as { name: string }).name;
  const bytes = readFileSync(path.join(dir, data));
  const footer = parseFooterTail(bytes, bytes.length);
  return footer.ok === true ? footer.meta.name : undefined;
}

/** Every hash directory holding a readable `.data` on every server (objects with a body). */
export function objectsOnDisk(cluster: Cluster): DiskObject[] {
  const out: DiskObject[] = [];
  for (const node of cluster.storages) {
    for (const device of node.devices) {
      for (const dir of walkDirs(path.join(node.devicesRoot, device, 'objects'))) {
        const files = readdirSync(dir).sort();
        const name = nameInDir(dir, files);
        if (name === undefined) continue;
        out.push({ node, dir, name, files });
      }
    }
  }
  return out;
}

/** Queued container updates and account reports of a server (the updater's input). */
export function asyncPending(node: StorageNode): string[] {
  const out: string[] = [];
  for (const device of node.devices) {
    const root = path.join(node.devicesRoot, device, 'async_pending');
    for (const dir of walkDirs(root)) for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isFile()) out.push(path.join(dir, e.name));
  }
  return out;
}

/** The expirer index entries of a server (`expiring/<day>/<deleteAt>-<hash>`), by file name. */
export function expiryIndex(node: StorageNode): string[] {
  const out: string[] = [];
  for (const device of node.devices) {
    for (const dir of walkDirs(path.join(node.devicesRoot, device, 'expiring'))) for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isFile()) out.push(e.name);
  }
  return out.sort();
}
