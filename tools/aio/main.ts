#!/usr/bin/env node
/**
 * All-in-one node: starts every Weft part on this machine as its own process — the identity
 * service first (it creates the token keys every other part validates with), then the network
 * controller, then a local node agent (linuxbridge) for this host, then the object store (three
 * storage servers, one device each, 3 replicas; their workers; the proxy with the Swift HTTP face
 * and the gRPC ObjectService) — prefixes their logs, and stops them all on SIGINT/SIGTERM. Data
 * under ./data/<part>/. The agent needs root (netlink, nft); when not root it is left out with a
 * printed reason, and set WEFT_AIO_AGENT=0 to leave it out anyway.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { prepareObjectCluster } from './object-cluster';

interface Part {
  name: string;
  script: string;
  env: Record<string, string>;
  /** A JSON config file written before the start and passed as --config. */
  config?: Record<string, unknown>;
}

const root = path.join(__dirname, '..', '..', '..');
const dataRoot = process.env.WEFT_DATA_ROOT ?? path.join(process.cwd(), 'data');
const identityListen = process.env.WEFT_IDENTITY_LISTEN ?? '127.0.0.1:5000';
const networkListen = process.env.WEFT_NETWORK_LISTEN ?? '127.0.0.1:9696';
const keysDir = path.join(dataRoot, 'identity', 'keys');
const objectHttpListen = process.env.WEFT_OBJECT_PROXY_LISTEN ?? '127.0.0.1:8080';
const objectGrpcListen = process.env.WEFT_OBJECT_PROXY_GRPC_LISTEN ?? '127.0.0.1:8081';
/** Storage servers listen on 6200, 6201, 6202 (loopback only: they do not authenticate callers). */
const objectStorageBasePort = Number(process.env.WEFT_OBJECT_STORAGE_BASE_PORT ?? 6200);

const parts: Part[] = [
  {
    name: 'identity',
    script: path.join(root, 'dist', 'services', 'identity', 'main.js'),
    env: {
      WEFT_IDENTITY_LISTEN: identityListen,
      WEFT_IDENTITY_DATA_DIR: path.join(dataRoot, 'identity'),
      WEFT_IDENTITY_KEYS_DIR: keysDir,
      // The catalog every login returns: clients find the services from it.
      WEFT_BOOTSTRAP_ENDPOINTS: JSON.stringify([
        { serviceType: 'identity', address: identityListen },
        { serviceType: 'network', address: networkListen },
        { serviceType: 'object-store', address: objectGrpcListen },
        { serviceType: 'object-store-http', address: `http://${objectHttpListen}/v1` },
      ]),
    },
  },
  {
    name: 'network',
    script: path.join(root, 'dist', 'controller', 'main.js'),
    env: {
      WEFT_NETWORK_LISTEN: networkListen,
      WEFT_NETWORK_DATA_DIR: path.join(dataRoot, 'network'),
      WEFT_AUTH_MODE: 'token',
      WEFT_AUTH_KEYS_DIR: keysDir,
      WEFT_IDENTITY_URL: identityListen,
    },
  },
];

function agentSkipReason(): string | undefined {
  if (process.env.WEFT_AIO_AGENT === '0') return 'WEFT_AIO_AGENT=0';
  if (process.getuid?.() !== 0) return 'not running as root (the agent programs bridges and nftables)';
  return undefined;
}

const agentSkip = agentSkipReason();
if (!agentSkip) {
  parts.push({
    name: 'agent',
    script: path.join(root, 'dist', 'dataplane', 'agent', 'main.js'),
    env: {
      WEFT_AGENT_HOST: process.env.WEFT_AGENT_HOST ?? hostname(),
      WEFT_AGENT_CONTROLLER: networkListen,
      WEFT_AGENT_KEYS_DIR: keysDir,
      // One node needs no tunnels between hosts; a VTEP on loopback keeps VXLAN networks bindable.
      WEFT_AGENT_TUNNEL_IP: process.env.WEFT_AGENT_TUNNEL_IP ?? '127.0.0.1',
    },
  });
}

function objectParts(): Part[] {
  const cluster = prepareObjectCluster({ root: path.join(dataRoot, 'object'), host: '127.0.0.1', basePort: objectStorageBasePort, servers: 3, devicesPerServer: 1, replicas: 3, partPower: 10 });
  const secrets = { hashPathPrefix: cluster.hashPathPrefix, hashPathSuffix: cluster.hashPathSuffix };
  const out: Part[] = cluster.servers.flatMap((s, i) => [
    {
      name: `object-storage${i + 1}`,
      script: path.join(root, 'dist', 'services', 'object', 'storage', 'main.js'),
      env: {},
      config: { listen: s.listen, devicesRoot: s.devicesRoot, ...secrets },
    },
    {
      // Replicator, auditor, updater, reaper and expirer for that server's devices.
      name: `object-workers${i + 1}`,
      script: path.join(root, 'dist', 'services', 'object', 'workers', 'main.js'),
      env: {},
      config: { devicesRoot: s.devicesRoot, ringDir: cluster.ringDir, storageAddress: s.listen, ...secrets },
    },
  ]);
  out.push({
    name: 'object-proxy',
    script: path.join(root, 'dist', 'services', 'object', 'proxy', 'main.js'),
    env: {},
    config: { listen: objectHttpListen, grpcListen: objectGrpcListen, ringDir: cluster.ringDir, ...secrets, auth: { mode: 'token', keysDir, identityUrl: identityListen } },
  });
  return out;
}

if (process.env.WEFT_AIO_OBJECT !== '0') parts.push(...objectParts());

const children = new Map<string, ChildProcess>();
let stopping = false;

/** Starts a part and resolves when it prints its ready line. */
function start(part: Part): Promise<void> {
  return new Promise((resolve, reject) => {
    const args: string[] = [];
    if (part.config) {
      // Written on every start from the layout above, so the file always matches this code.
      const dir = path.join(dataRoot, 'object', 'config');
      mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `${part.name}.json`);
      writeFileSync(file, JSON.stringify(part.config, null, 2) + '\n', { mode: 0o600 });
      args.push('--config', file);
    }
    const child = spawn(process.execPath, [part.script, ...args], { env: { ...process.env, ...part.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.set(part.name, child);
    const prefix = (stream: NodeJS.ReadableStream, out: NodeJS.WritableStream, onLine?: (l: string) => void): void => {
      let buf = '';
      stream.on('data', (d: Buffer) => {
        buf += d.toString();
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          out.write(`[${part.name}] ${line}\n`);
          onLine?.(line);
          buf = buf.slice(i + 1);
        }
      });
    };
    prefix(child.stdout!, process.stdout, (line) => {
      if (line.startsWith('{"ready":true')) resolve();
    });
    prefix(child.stderr!, process.stderr);
    child.on('exit', (code, signal) => {
      children.delete(part.name);
      reject(new Error(`${part.name} exited before it was ready`));
      if (stopping) {
        if (children.size === 0) process.exit(0);
        return;
      }
      process.stderr.write(`[aio] ${part.name} exited (code ${code}, signal ${signal}); stopping the node\n`);
      shutdown(1);
    });
  });
}

function shutdown(code: number): void {
  if (stopping) return;
  stopping = true;
  if (children.size === 0) process.exit(code);
  for (const c of children.values()) c.kill('SIGTERM');
  setTimeout(() => process.exit(code), 15_000).unref();
}

process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));

async function main(): Promise<void> {
  process.stdout.write(`[aio] starting Weft all-in-one node; data under ${dataRoot}\n`);
  if (agentSkip) process.stdout.write(`[aio] no local node agent: ${agentSkip}\n`);
  for (const p of parts) await start(p);
  process.stdout.write(`[aio] identity on ${identityListen}, network API on ${networkListen}; log in with: weft login --username admin\n`);
  if (process.env.WEFT_AIO_OBJECT !== '0') process.stdout.write(`[aio] object store: Swift API on http://${objectHttpListen} (auth: http://${objectHttpListen}/auth/v1.0), gRPC on ${objectGrpcListen}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`[aio] ${(err as Error).message}\n`);
  shutdown(1);
});
