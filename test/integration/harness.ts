/**
 * Starts real processes for controller integration tests: an identity service (tokens, projects,
 * users, roles) and a network controller that validates its tokens, each with a fresh LevelDB
 * directory and port 0 on loopback; helpers connect "as a project with roles" by provisioning that
 * project and a user in identity and logging in, and kill -9, restart and clean up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ServiceError } from '@grpc/grpc-js';
import { connectNetwork, type NetworkApi } from '../../services/runtime/client/network-client';
import { decodeStatusDetails } from '../../services/runtime/errors';
import { startIdentity, type IdentityHandle } from './identity/harness';

export const ROOT = path.join(__dirname, '..', '..', '..');
export const CONTROLLER_MAIN = path.join(ROOT, 'dist', 'controller', 'main.js');

export interface ControllerHandle {
  port: number;
  address: string;
  dataDir: string;
  proc: ChildProcess;
  logs: string[];
  identity: IdentityHandle;
  /**
   * Connects as a user holding `roles` (default member) on the identity project named `project`
   * (created on first use). Roles identity does not ship (an operator's `netadmin`, say) are
   * created on first use too. Calls wait for the login; watch() needs one completed call first.
   */
  as(project: string, roles?: string[]): NetworkApi;
  admin(): NetworkApi;
  /** The identity project id behind a project name used with as(). */
  projectId(project: string): Promise<string>;
  /** A token for a user with `roles` on the named project (what as() uses), e.g. for the CLI. */
  token(project: string, roles?: string[]): Promise<string>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startController(
  opts: { config?: Record<string, unknown>; env?: Record<string, string>; dataDir?: string; /** Where the controller looks for identity's revocation feed (default: the real one). */ identityUrl?: string } = {},
): Promise<ControllerHandle> {
  const dir = opts.dataDir ?? mkdtempSync(path.join(tmpdir(), 'weft-it-'));
  const configPath = path.join(dir, 'controller.json');
  const identity = await startIdentity();
  const auth = { mode: 'token', keysDir: path.join(identity.dir, 'data', 'keys'), identityUrl: opts.identityUrl ?? identity.address };
  const clients: NetworkApi[] = [];
  const handle = { dataDir: dir, logs: [] as string[], identity } as unknown as ControllerHandle;
  let listenPort = 0;
  const launch = async (): Promise<void> => {
    const config = { listen: listenPort ? `127.0.0.1:${listenPort}` : '127.0.0.1:0', dataDir: path.join(dir, 'db'), auth, log: { level: 'info' }, ...opts.config };
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
  try {
    await launch();
  } catch (err) {
    // Do not leave the identity process behind when the controller fails to start.
    await identity.stop();
    if (!opts.dataDir) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const admin = identity.withToken(await identity.adminToken());
  const roleIds = new Map((await admin.listRoles({})).roles.map((r) => [r.name, Promise.resolve(r.id)]));
  const roleId = (name: string): Promise<string> => {
    let id = roleIds.get(name);
    if (!id) {
      id = admin.createRole({ role: { name } }).then((r) => r.id);
      roleIds.set(name, id);
    }
    return id;
  };
  const projects = new Map<string, Promise<string>>();
  const tokens = new Map<string, Promise<string>>();
  const projectId = (name: string): Promise<string> => {
    let p = projects.get(name);
    if (!p) {
      p = name === 'admin' ? admin.listProjects({ name: 'admin' }).then((r) => r.projects[0].id) : admin.createProject({ project: { name } }).then((r) => r.id);
      projects.set(name, p);
    }
    return p;
  };
  const tokenFor = (project: string, roles: string[]): Promise<string> => {
    const key = `${project}|${roles.join('+')}`;
    let t = tokens.get(key);
    if (!t) {
      t = (async () => {
        const pid = await projectId(project);
        const name = `${project}.${roles.join('+')}`;
        const user = await admin.createUser({ user: { name, password: `pw:${name}` } });
        for (const r of roles) await admin.createRoleAssignment({ assignment: { userId: user.id, projectId: pid, roleId: await roleId(r) } });
        const res = await identity.anon().issueToken({ method: { $case: 'password', value: { userName: name, password: `pw:${name}` } }, scope: { projectId: pid } });
        return res.token;
      })();
      tokens.set(key, t);
    }
    return t;
  };
  /** A NetworkApi whose calls first wait for the login, so tests can stay synchronous in shape. */
  const lazyClient = (tokenP: Promise<string>): NetworkApi => {
    let real: NetworkApi | undefined;
    const ready = tokenP.then((token) => {
      real = connectNetwork(handle.address, { token });
      clients.push(real);
      return real;
    });
    return new Proxy({} as NetworkApi, {
      get(_t, prop: string) {
        if (prop === 'watch') {
          if (!real) throw new Error('harness: make one unary call before watch() so the login has completed');
          return real.watch.bind(real);
        }
        if (prop === 'lastRequestId') return () => real?.lastRequestId();
        if (prop === 'close') return () => real?.close();
        if (prop === 'then') return undefined;
        return (...args: unknown[]) => ready.then((api) => (api as unknown as Record<string, (...a: unknown[]) => unknown>)[prop](...args));
      },
    });
  };
  const adminToken = await tokenFor('admin', ['admin']);
  handle.as = (project: string, roles: string[] = ['member']) => lazyClient(tokenFor(project, roles));
  handle.admin = () => {
    const c = connectNetwork(handle.address, { token: adminToken });
    clients.push(c);
    return c;
  };
  handle.projectId = projectId;
  handle.token = (project: string, roles: string[] = ['member']) => tokenFor(project, roles);
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
    await identity.stop();
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
