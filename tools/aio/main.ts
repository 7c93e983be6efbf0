#!/usr/bin/env node
/**
 * All-in-one node: starts every Weft part on this machine as its own process (today the network
 * controller; identity, agents and the storage services join as they land), prefixes their logs,
 * and stops them all on SIGINT/SIGTERM. Data lives under ./data/<part>/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

interface Part {
  name: string;
  script: string;
  env: Record<string, string>;
}

const root = path.join(__dirname, '..', '..', '..');
const dataRoot = process.env.WEFT_DATA_ROOT ?? path.join(process.cwd(), 'data');

const parts: Part[] = [
  {
    name: 'network',
    script: path.join(root, 'dist', 'controller', 'main.js'),
    env: {
      WEFT_NETWORK_LISTEN: process.env.WEFT_NETWORK_LISTEN ?? '127.0.0.1:9696',
      WEFT_NETWORK_DATA_DIR: path.join(dataRoot, 'network'),
      // Until the identity service lands, the all-in-one node trusts project/role headers.
      WEFT_AUTH_MODE: process.env.WEFT_AUTH_MODE ?? 'dev-headers',
    },
  },
];

const children = new Map<string, ChildProcess>();
let stopping = false;

function start(part: Part): void {
  const child = spawn(process.execPath, [part.script], { env: { ...process.env, ...part.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.set(part.name, child);
  const prefix = (stream: NodeJS.ReadableStream, out: NodeJS.WritableStream): void => {
    let buf = '';
    stream.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        out.write(`[${part.name}] ${buf.slice(0, i)}\n`);
        buf = buf.slice(i + 1);
      }
    });
  };
  prefix(child.stdout!, process.stdout);
  prefix(child.stderr!, process.stderr);
  child.on('exit', (code, signal) => {
    children.delete(part.name);
    if (stopping) {
      if (children.size === 0) process.exit(0);
      return;
    }
    process.stderr.write(`[aio] ${part.name} exited (code ${code}, signal ${signal}); stopping the node\n`);
    shutdown(1);
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
process.stdout.write(`[aio] starting Weft all-in-one node; data under ${dataRoot}\n`);
for (const p of parts) start(p);
process.stdout.write(`[aio] network API on ${parts[0].env.WEFT_NETWORK_LISTEN} (dev-headers auth: pass --project/--roles to the CLI)\n`);
