/**
 * Runs a whole object cluster on this machine for the object benchmark: storage server processes
 * laid out by prepareObjectCluster (rings, devices, hash secrets), an identity service for tokens,
 * and the proxy. Every process prints a ready line; start waits for it (bounded), stop kills what
 * was started and removes the data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { prepareObjectCluster } from '../aio/object-cluster';
import { freePortRun } from './free-ports';
import { REPO_ROOT } from './controller-process';
import { startIdentityProcess, type IdentityProcess } from './identity-process';

const STORAGE_MAIN = path.join(REPO_ROOT, 'dist', 'services', 'object', 'storage', 'main.js');
const PROXY_MAIN = path.join(REPO_ROOT, 'dist', 'services', 'object', 'proxy', 'main.js');

export interface BenchProcess {
  name: string;
  pid: number;
  child: ChildProcess;
  ready: Record<string, unknown>;
}

export interface ObjectBenchCluster {
  /** The rings and hash secrets, for phases that talk to storage servers directly. */
  ringDir: string;
  hashPathPrefix: string;
  hashPathSuffix: string;
  proxyUrl: string;
  identity: IdentityProcess;
  adminPassword: string;
  proxy: BenchProcess;
  storage: BenchProcess[];
  stop(): Promise<void>;
}

export interface ObjectBenchClusterOptions {
  servers: number;
  replicas: number;
  partPower: number;
  fsync: boolean;
}

function spawnReady(name: string, script: string, args: string[], timeoutMs = 30_000): Promise<BenchProcess> {
  return new Promise((resolve, reject) => {
    // WEFT_BENCH_PROFILE_DIR=<dir>: every cluster process writes a V8 CPU profile there on exit.
    const profile = process.env.WEFT_BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.WEFT_BENCH_PROFILE_DIR}`, `--cpu-prof-name=${name}.cpuprofile`] : [];
    // WEFT_BENCH_NODE_ARGS="--trace-deopt ...": extra node/V8 flags for every cluster process.
    const extra = (process.env.WEFT_BENCH_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== '');
    const child = spawn(process.execPath, [...profile, ...extra, script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    // WEFT_BENCH_LOG_DIR=<dir>: every cluster process's log (stderr) is also kept in <dir>/<name>.log, its stdout in <name>.out.
    const logDir = process.env.WEFT_BENCH_LOG_DIR;
    child.stderr!.on('data', (d: Buffer) => {
      if (logDir) appendFileSync(`${logDir}/${name}.log`, d);
      tail.push(d.toString());
      if (tail.length > 20) tail.shift();
    });
    let buf = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} not ready after ${timeoutMs} ms: ${tail.join('')}`));
    }, timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      // (stdout too: e.g. V8's --trace-deopt output when NODE_OPTIONS asks for it)
      if (logDir) appendFileSync(`${logDir}/${name}.out`, d);
      if (buf.includes('{"ready":true')) return;
      buf += d.toString();
      const line = buf.split('\n').find((l) => l.startsWith('{"ready":true'));
      if (!line) return;
      clearTimeout(timer);
      resolve({ name, pid: child.pid!, child, ready: JSON.parse(line) as Record<string, unknown> });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before it was ready: ${tail.join('')}`));
      // After ready, an exit nobody asked for explains the failures that follow (503s...).
      if (!stopping.has(child.pid ?? -1)) process.stderr.write(`bench:object: ${name} (pid ${child.pid}) exited at ${new Date().toISOString()}, code ${code}, signal ${signal}\n`);
    });
  });
}

/** Processes the bench itself is stopping (their exit is expected). */
const stopping = new Set<number>();

function kill(p: BenchProcess): Promise<void> {
  return new Promise((resolve) => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
    const t = setTimeout(() => p.child.kill('SIGKILL'), 5_000);
    p.child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    stopping.add(p.child.pid ?? -1);
    if (process.env.WEFT_BENCH_LOG_DIR) process.stderr.write(`bench:object: stopping pid ${p.child.pid} at ${new Date().toISOString()}\n`);
    p.child.kill('SIGTERM');
  });
}

export async function startObjectBenchCluster(opts: ObjectBenchClusterOptions): Promise<ObjectBenchCluster> {
  const root = mkdtempSync(path.join(tmpdir(), 'weft-bench-object-'));
  const started: BenchProcess[] = [];
  let identity: IdentityProcess | undefined;
  const stopAll = async (): Promise<void> => {
    await Promise.all(started.map(kill));
    await identity?.stop();
    rmSync(root, { recursive: true, force: true });
  };
  try {
    const adminPassword = 'bench-admin-password';
    identity = await startIdentityProcess({ buildRoot: REPO_ROOT, dataDir: path.join(root, 'identity'), adminPassword, scryptLn: 10 });
    const basePort = await freePortRun(opts.servers);
    const cluster = prepareObjectCluster({ root: path.join(root, 'object'), host: '127.0.0.1', basePort, servers: opts.servers, devicesPerServer: 1, replicas: opts.replicas, partPower: opts.partPower });
    const storage = await Promise.all(
      cluster.servers.map((s, i) => {
        const file = path.join(root, `storage${i + 1}.json`);
        writeFileSync(file, JSON.stringify({ listen: s.listen, devicesRoot: s.devicesRoot, hashPathPrefix: cluster.hashPathPrefix, hashPathSuffix: cluster.hashPathSuffix, fsync: opts.fsync, log: { level: 'warn' } }));
        return spawnReady(`storage${i + 1}`, STORAGE_MAIN, ['--config', file]).then((p) => (started.push(p), p));
      }),
    );
    const proxyConfig = path.join(root, 'proxy.json');
    writeFileSync(
      proxyConfig,
      JSON.stringify({
        listen: '127.0.0.1:0',
        grpcListen: '',
        ringDir: cluster.ringDir,
        hashPathPrefix: cluster.hashPathPrefix,
        hashPathSuffix: cluster.hashPathSuffix,
        auth: { mode: 'token', keysDir: identity.keysDir, identityUrl: identity.address },
        log: { level: 'warn' },
      }),
    );
    const proxy = await spawnReady('proxy', PROXY_MAIN, ['--config', proxyConfig]);
    started.push(proxy);
    return { ringDir: cluster.ringDir, hashPathPrefix: cluster.hashPathPrefix, hashPathSuffix: cluster.hashPathSuffix, proxyUrl: `http://127.0.0.1:${String(proxy.ready.port)}`, identity, adminPassword, proxy, storage, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
