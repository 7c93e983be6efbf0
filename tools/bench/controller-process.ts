/**
 * Spawns a real network controller process (`node dist/controller/main.js`) for benchmarks: port 0
 * on loopback, dev-header auth, a caller-owned data dir, and bounded start/stop with the tail of
 * its logs kept for error reports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { readProcCpuSeconds, readProcMemory, type ProcMemory } from './proc';

/** The repository root, from dist/tools/bench/controller-process.js. */
export const REPO_ROOT = path.join(__dirname, '..', '..', '..');
export const CONTROLLER_MAIN = path.join(REPO_ROOT, 'dist', 'controller', 'main.js');

/** What the compiled controller needs at run time, relative to the repository root. */
const SNAPSHOT_PARTS = ['dist/controller', 'dist/services', 'dist/dataplane', 'dist/proto', 'proto/weft', 'proto/google'];
const SNAPSHOT_MARKERS = ['dist/controller/main.js', 'dist/controller/app.js', 'dist/proto/gen/weft/network/v1/network_service.js', 'proto/weft/network/v1/network_service.proto'];

/**
 * Copies the compiled controller (and the .proto files it serves by reflection) to `destDir`, with
 * node_modules linked, so that every start in one bench run executes the same build even if the
 * repository's dist/ is rebuilt meanwhile. Waits up to `waitMs` for a build in progress to finish.
 * Returns the snapshot's main.js.
 */
export async function snapshotControllerBuild(destDir: string, waitMs = 120_000): Promise<string> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const missing = SNAPSHOT_MARKERS.filter((m) => !existsSync(path.join(REPO_ROOT, m)));
    if (missing.length === 0) break;
    if (Date.now() > deadline) throw new Error(`no complete controller build to run (missing ${missing.join(', ')}); run npm run build`);
    await new Promise((r) => setTimeout(r, 2_000));
  }
  // A build that just finished may still be writing: let it settle briefly.
  await new Promise((r) => setTimeout(r, 500));
  for (const part of SNAPSHOT_PARTS) {
    const from = path.join(REPO_ROOT, part);
    if (!existsSync(from)) continue;
    cpSync(from, path.join(destDir, part), { recursive: true, filter: (src) => !src.endsWith('.map') });
  }
  mkdirSync(destDir, { recursive: true });
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(destDir, 'node_modules'), 'dir');
  const missing = SNAPSHOT_MARKERS.filter((m) => !existsSync(path.join(destDir, m)));
  if (missing.length > 0) throw new Error(`the controller build changed while being copied (missing ${missing.join(', ')}); try again`);
  return path.join(destDir, 'dist', 'controller', 'main.js');
}

export interface ControllerProcessOptions {
  dataDir: string;
  /** The controller's main.js (default: the repository's dist/controller/main.js). */
  mainPath?: string;
  /** Time allowed from spawn to the ready line (default 60 s). */
  readyTimeoutMs?: number;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Extra environment (applied after the bench's own WEFT_* settings). */
  env?: Record<string, string>;
  /**
   * If this process dies without cleaning up (SIGKILL, OOM), a watchdog kills the controller and
   * removes this directory (default: dataDir). Pass null to remove nothing.
   */
  orphanCleanupDir?: string | null;
}

export interface StopResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From sending the signal to the process having exited. */
  ms: number;
  /** True when the process ignored the polite signal and was SIGKILLed. */
  forced: boolean;
}

export interface ControllerProcess {
  readonly pid: number;
  readonly port: number;
  readonly address: string;
  /** Spawn to ready line, milliseconds. */
  readonly readyMs: number;
  /** True once the process has exited. */
  exited(): boolean;
  /** The last lines the process wrote (stderr and stray stdout), oldest first. */
  logTail(): string[];
  memory(): ProcMemory | undefined;
  cpuSeconds(): number | undefined;
  /** Sends `signal` (default SIGTERM), waits up to timeoutMs (default 60 s), then SIGKILLs. */
  stop(opts?: { signal?: NodeJS.Signals; timeoutMs?: number }): Promise<StopResult>;
  /** Synchronous SIGKILL, for exit handlers that cannot wait. */
  killNow(): void;
}

const TAIL_LINES = 200;

/**
 * Polls once a second: exits quietly when the controller ends; when the bench process is gone
 * while the controller still runs, SIGKILLs the controller and removes the directory.
 */
const WATCHDOG = `
bench_alive() {
  if [ -r "/proc/$BENCH_PID/status" ]; then
    s=$(sed -n 's/^State:[[:space:]]*\\(.\\).*/\\1/p' "/proc/$BENCH_PID/status" 2>/dev/null)
    [ -n "$s" ] && [ "$s" != Z ]
  else
    kill -0 "$BENCH_PID" 2>/dev/null
  fi
}
while bench_alive; do
  kill -0 "$CTRL_PID" 2>/dev/null || exit 0
  sleep 1
done
kill -9 "$CTRL_PID" 2>/dev/null
sleep 1
if [ -n "$CLEAN_DIR" ]; then rm -rf -- "$CLEAN_DIR"; fi
`;

function startWatchdog(controllerPid: number, cleanDir: string | null): void {
  try {
    const dog = spawn('/bin/sh', ['-c', WATCHDOG], {
      detached: true,
      stdio: 'ignore',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', BENCH_PID: String(process.pid), CTRL_PID: String(controllerPid), CLEAN_DIR: cleanDir ?? '' },
    });
    dog.on('error', () => undefined); // no /bin/sh: run without the safety net
    dog.unref();
  } catch {
    // best effort only
  }
}

class LineTail {
  private lines: string[] = [];
  private partial = '';
  constructor(private readonly onLine?: (line: string) => void) {}
  push(chunk: Buffer): void {
    const parts = (this.partial + chunk.toString('utf8')).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      if (this.onLine) this.onLine(line);
      if (line.trim() === '') continue;
      this.lines.push(line);
      if (this.lines.length > TAIL_LINES) this.lines.shift();
    }
  }
  tail(): string[] {
    return this.partial ? [...this.lines, this.partial] : [...this.lines];
  }
}

function isReadyLine(line: string): number | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const v = JSON.parse(line) as { ready?: unknown; port?: unknown };
    return v.ready === true && typeof v.port === 'number' && Number.isInteger(v.port) && v.port > 0 ? v.port : undefined;
  } catch {
    return undefined;
  }
}

function waitExit(proc: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      proc.off('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    proc.once('exit', onExit);
  });
}

export async function startControllerProcess(opts: ControllerProcessOptions): Promise<ControllerProcess> {
  const readyTimeoutMs = opts.readyTimeoutMs ?? 60_000;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    WEFT_NETWORK_LISTEN: '127.0.0.1:0',
    WEFT_NETWORK_DATA_DIR: opts.dataDir,
    WEFT_LOG_LEVEL: opts.logLevel ?? 'warn',
    ...opts.env,
  };
  const started = performance.now();
  const mainPath = opts.mainPath ?? CONTROLLER_MAIN;
  const proc = spawn(process.execPath, [mainPath], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (proc.pid !== undefined) startWatchdog(proc.pid, opts.orphanCleanupDir === undefined ? opts.dataDir : opts.orphanCleanupDir);
  const logs = new LineTail();
  let readyPort: number | undefined;
  let onReady: ((port: number) => void) | undefined;
  const stdout = new LineTail((line) => {
    if (readyPort !== undefined) return;
    const port = isReadyLine(line.trim());
    if (port !== undefined) {
      readyPort = port;
      onReady?.(port);
    }
  });
  proc.stdout!.on('data', (d: Buffer) => stdout.push(d));
  proc.stderr!.on('data', (d: Buffer) => logs.push(d));
  const tail = (): string[] => [...logs.tail(), ...stdout.tail().filter((l) => isReadyLine(l.trim()) === undefined)].slice(-TAIL_LINES);
  const describe = (): string => {
    const t = tail();
    return t.length > 0 ? `; last log lines:\n${t.slice(-30).join('\n')}` : '; it wrote no logs';
  };

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      proc.kill('SIGKILL');
      reject(new Error(`controller pid ${proc.pid} was not ready after ${readyTimeoutMs} ms (killed)${describe()}`));
    }, readyTimeoutMs);
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      cleanup();
      reject(new Error(`controller exited before it was ready (code ${code}, signal ${signal})${describe()}`));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(new Error(`could not spawn the controller (${mainPath}): ${err.message}`));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      proc.off('exit', onExit);
      proc.off('error', onError);
      onReady = undefined;
    };
    onReady = (p) => {
      cleanup();
      resolve(p);
    };
    proc.once('exit', onExit);
    proc.once('error', onError);
  });
  const readyMs = performance.now() - started;
  const pid = proc.pid!;
  const exited = (): boolean => proc.exitCode !== null || proc.signalCode !== null;

  return {
    pid,
    port,
    address: `127.0.0.1:${port}`,
    readyMs,
    exited,
    logTail: tail,
    memory: () => (exited() ? undefined : readProcMemory(pid)),
    cpuSeconds: () => (exited() ? undefined : readProcCpuSeconds(pid)),
    async stop({ signal = 'SIGTERM', timeoutMs = 60_000 } = {}) {
      const t0 = performance.now();
      if (exited()) return { code: proc.exitCode, signal: proc.signalCode, ms: 0, forced: false };
      proc.kill(signal);
      let forced = false;
      if (!(await waitExit(proc, timeoutMs))) {
        forced = true;
        proc.kill('SIGKILL');
        if (!(await waitExit(proc, 10_000))) throw new Error(`controller pid ${pid} did not exit even after SIGKILL`);
      }
      return { code: proc.exitCode, signal: proc.signalCode, ms: performance.now() - t0, forced };
    },
    killNow() {
      if (!exited()) proc.kill('SIGKILL');
    },
  };
}
