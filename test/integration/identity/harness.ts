/**
 * Starts a real identity service process for integration tests: temp data dir, port 0, a known
 * admin password and cheap scrypt parameters.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { connectIdentity, type IdentityApi } from '../../../services/runtime/client/identity-client';

export const IDENTITY_MAIN = path.join(__dirname, '..', '..', '..', 'services', 'identity', 'main.js');
export const ADMIN_PASSWORD = 'correct horse battery staple';

export interface IdentityHandle {
  address: string;
  dir: string;
  logs: string[];
  stdout: string[];
  proc: ChildProcess;
  anon(): IdentityApi;
  withToken(token: string): IdentityApi;
  adminToken(): Promise<string>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startIdentity(config: Record<string, unknown> = {}): Promise<IdentityHandle> {
  const dir = mkdtempSync(path.join(tmpdir(), 'weft-id-'));
  const clients: IdentityApi[] = [];
  const h = { dir, logs: [] as string[], stdout: [] as string[] } as unknown as IdentityHandle;
  let port = 0;
  const launch = async (): Promise<void> => {
    const file = path.join(dir, 'identity.json');
    writeFileSync(file, JSON.stringify({ listen: `127.0.0.1:${port}`, dataDir: path.join(dir, 'data'), scryptLn: 10, bootstrap: { adminPassword: ADMIN_PASSWORD }, log: { level: 'info' }, ...config }));
    const proc = spawn(process.execPath, [IDENTITY_MAIN, '--config', file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WEFT_ADMIN_PASSWORD: '' } });
    h.proc = proc;
    proc.stderr!.on('data', (d: Buffer) => h.logs.push(...d.toString().split('\n').filter((l) => l)));
    port = await new Promise<number>((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(() => reject(new Error(`identity did not start; logs:\n${h.logs.join('\n')}`)), 20_000);
      proc.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        h.stdout.push(d.toString());
        const m = /\{"ready":true,"port":(\d+)\}/.exec(buf);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      proc.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`identity exited ${code}; logs:\n${h.logs.join('\n')}`));
      });
    });
    h.address = `127.0.0.1:${port}`;
  };
  await launch();
  const track = (c: IdentityApi): IdentityApi => (clients.push(c), c);
  h.anon = () => track(connectIdentity(h.address));
  h.withToken = (token: string) => track(connectIdentity(h.address, { token }));
  h.adminToken = async () => (await h.anon().issueToken({ method: { $case: 'password', value: { userName: 'admin', password: ADMIN_PASSWORD } } })).token;
  const kill = (): Promise<void> =>
    new Promise((resolve) => {
      if (h.proc.exitCode !== null || h.proc.signalCode !== null) return resolve();
      h.proc.once('exit', () => resolve());
      h.proc.kill('SIGKILL');
    });
  h.restart = async () => {
    await kill();
    await launch();
  };
  h.stop = async () => {
    for (const c of clients) c.close();
    await kill();
    rmSync(dir, { recursive: true, force: true });
  };
  return h;
}
