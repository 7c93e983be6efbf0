/**
 * Starts real controller processes for integration tests: a fresh LevelDB directory, port 0 on
 * loopback, dev-header auth, and helpers to connect as a project, kill -9, restart and clean up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ServiceError } from '@grpc/grpc-js';
import { connectNetwork, type NetworkApi } from '../../tools/client/network-client';
import { decodeStatusDetails } from '../../services/runtime/errors';

export const ROOT = path.join(__dirname, '..', '..', '..');
export const CONTROLLER_MAIN = path.join(ROOT, 'dist', 'controller', 'main.js');

export interface ControllerHandle {
  port: number;
  address: string;
  dataDir: string;
  proc: ChildProcess;
  logs: string[];
  /** Connects as a project with roles (default member). */
  as(project: string, roles?: string[]): NetworkApi;
  admin(): NetworkApi;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startController(opts: { config?: Record<string, unknown>; env?: Record<string, string>; dataDir?: string } = {}): Promise<ControllerHandle> {
  const dir = opts.dataDir ?? mkdtempSync(path.join(tmpdir(), 'weft-it-'));
  const configPath = path.join(dir, 'controller.json');
  writeFileSync(configPath, JSON.stringify({ listen: '127.0.0.1:0', dataDir: path.join(dir, 'db'), auth: { mode: 'dev-headers' }, log: { level: 'info' }, ...opts.config }));
  const clients: NetworkApi[] = [];
  const handle = { dataDir: dir, logs: [] as string[] } as unknown as ControllerHandle;
  let listenPort = 0;
  const launch = async (): Promise<void> => {
    const config = { listen: listenPort ? `127.0.0.1:${listenPort}` : '127.0.0.1:0', dataDir: path.join(dir, 'db'), auth: { mode: 'dev-headers' }, log: { level: 'info' }, ...opts.config };
    writeFileSync(configPath, JSON.stringify(config));
    const proc = spawn(process.execPath, [CONTROLLER_MAIN, '--config', configPath], { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    handle.proc = proc;
    proc.stderr!.on('data', (d: Buffer) => handle.logs.push(...d.toString().split('\n').filter((l) => l)));
    const port = await new Promise<number>((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(() => reject(new Error(`controller did not start in 20 s; logs:\n${handle.logs.join('\n')}`)), 20_000);
      proc.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const m = /\{"ready":true,"port":(\d+)\}/.exec(buf);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      proc.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`controller exited with ${code} before ready; logs:\n${handle.logs.join('\n')}`));
      });
    });
    listenPort = port;
    handle.port = port;
    handle.address = `127.0.0.1:${port}`;
  };
  await launch();
  handle.as = (project: string, roles: string[] = ['member']) => {
    const c = connectNetwork(handle.address, { project, roles });
    clients.push(c);
    return c;
  };
  handle.admin = () => handle.as('admin-project', ['admin']);
  handle.kill = (signal: NodeJS.Signals = 'SIGKILL') =>
    new Promise((resolve) => {
      if (handle.proc.exitCode !== null || handle.proc.signalCode !== null) return resolve(handle.proc.exitCode);
      handle.proc.once('exit', (code) => resolve(code));
      handle.proc.kill(signal);
    });
  handle.restart = async () => {
    await handle.kill('SIGKILL');
    await launch();
  };
  handle.stop = async () => {
    for (const c of clients) c.close();
    await handle.kill('SIGKILL');
    if (!opts.dataDir) rmSync(dir, { recursive: true, force: true });
  };
  return handle;
}

/** Awaits a call expected to fail and returns its status code, message and details. */
export async function failure(p: Promise<unknown>): Promise<{ code: number; message: string; fields: string[]; reason?: string; subjects: string[] }> {
  try {
    await p;
  } catch (e) {
    const err = e as ServiceError;
    const d = decodeStatusDetails(err);
    return { code: err.code, message: err.details, fields: d.fieldViolations.map((f) => f.field), reason: d.reason, subjects: d.preconditions.map((x) => x.subject) };
  }
  throw new Error('expected the call to fail, but it succeeded');
}
