/**
 * Running commands inside network namespaces: `exec` (run to completion, bounded by a deadline)
 * and `spawnIn` (a long-lived process with captured logs). Both go through `ip netns exec`, which
 * execs the command itself, so a handle's pid is the command's and killing its process group
 * reaches anything it started.
 */
import { execFile, spawn } from 'node:child_process';

/** `null` means the namespace the test runs in (used only for `ip -n ...` and the like). */
export type Netns = string | null;

export interface ExecOptions {
  /** Killed (SIGKILL) after this long; default 10 s. */
  timeoutMs?: number;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Resolve with the result instead of throwing when the exit code is not 0. */
  allowFailure?: boolean;
}

export interface ExecResult {
  /** Exit code; null when killed (timeout). */
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

export const DEFAULT_EXEC_TIMEOUT_MS = 10_000;

export function inNetns(ns: Netns, argv: readonly string[]): string[] {
  return ns === null ? [...argv] : ['ip', 'netns', 'exec', ns, ...argv];
}

export function describeExec(argv: readonly string[], r: ExecResult): string {
  const how = r.code === null ? `was killed (${r.signal ?? '?'}; timeout?)` : `exited ${r.code}`;
  return `\`${argv.join(' ')}\` ${how}${r.stderr.trim() ? `: ${r.stderr.trim()}` : ''}${r.stdout.trim() ? `\nstdout: ${r.stdout.trim().slice(0, 2000)}` : ''}`;
}

/** Runs argv in `ns` to completion; throws (with stderr) on a non-zero exit unless allowFailure. */
export function exec(ns: Netns, argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const full = inNetns(ns, argv);
  return new Promise((resolve, reject) => {
    execFile(
      full[0],
      full.slice(1),
      { timeout: opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, encoding: 'utf8', env: { ...process.env, ...opts.env } },
      (err, stdout, stderr) => {
        if (err && typeof err.code === 'string') return reject(new Error(`cannot run ${full[0]}: ${err.code}`));
        const r: ExecResult = { code: err ? (typeof err.code === 'number' ? err.code : null) : 0, signal: err?.signal ?? null, stdout, stderr };
        if (r.code !== 0 && !opts.allowFailure) return reject(new Error(describeExec(full, r)));
        resolve(r);
      },
    );
  });
}

/** `ip -n ns ARGS` (or `ip ARGS` for null): iproute2 acting in a namespace without entering it. */
export function ip(ns: Netns, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return exec(null, ns === null ? ['ip', ...args] : ['ip', '-n', ns, ...args], opts);
}

export interface ExitStatus {
  code: number | null;
  signal: string | null;
}

export interface SpawnOptions {
  env?: Record<string, string>;
  /** Bytes of each stream kept (the tail); default 1 MiB. */
  logLimit?: number;
}

/** A long-lived process in a namespace. */
export interface SpawnHandle {
  readonly ns: Netns;
  readonly argv: readonly string[];
  readonly pid: number;
  /** Settles when the process has exited (never rejects). */
  readonly exited: Promise<ExitStatus>;
  running(): boolean;
  stdout(): string;
  stderr(): string;
  /** Both streams, labelled, for failure messages. */
  logs(): string;
  /** Calls fn with every complete stdout line from now on. */
  onLine(fn: (line: string) => void): void;
  /** Resolves with the first stdout or stderr line matching (already seen or future); rejects on timeout or exit. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** Signals the whole process group (the process and anything it started). */
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after graceMs (default 2 s); resolves when it has exited. */
  stop(graceMs?: number): Promise<ExitStatus>;
}

const DEFAULT_LOG_LIMIT = 1024 * 1024;

class Tail {
  text = '';
  constructor(private readonly limit: number) {}
  push(chunk: string): void {
    this.text += chunk;
    if (this.text.length > this.limit) this.text = this.text.slice(this.text.length - this.limit);
  }
}

/**
 * Starts argv in `ns`. The process leads its own process group (detached), so kill() reaches its
 * children too; it is not unref'd: whoever starts it must stop it (RunScope.spawnIn does).
 */
export function spawnIn(ns: Netns, argv: readonly string[], opts: SpawnOptions = {}): SpawnHandle {
  const full = inNetns(ns, argv);
  const child = spawn(full[0], full.slice(1), { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const limit = opts.logLimit ?? DEFAULT_LOG_LIMIT;
  const out = new Tail(limit);
  const err = new Tail(limit);
  const lineListeners: ((line: string) => void)[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  let alive = true;
  const seenLines: string[] = [];

  const feed = (line: string, isStdout: boolean): void => {
    if (seenLines.length < 10_000) seenLines.push(line);
    if (isStdout) for (const fn of lineListeners) fn(line);
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i].re.test(line)) waiters.splice(i, 1)[0].resolve(line);
    }
  };
  const splitter = (tail: Tail, isStdout: boolean): ((d: Buffer) => void) => {
    let partial = '';
    return (d: Buffer) => {
      const s = d.toString();
      tail.push(s);
      const parts = (partial + s).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) feed(line, isStdout);
    };
  };
  child.stdout!.on('data', splitter(out, true));
  child.stderr!.on('data', splitter(err, false));

  const exited = new Promise<ExitStatus>((resolve) => {
    child.on('error', (e) => {
      err.push(`spawn failed: ${e.message}\n`);
      alive = false;
      resolve({ code: null, signal: null });
    });
    child.on('exit', (code, signal) => {
      alive = false;
      resolve({ code, signal });
    });
  });

  const kill = (signal: NodeJS.Signals = 'SIGTERM'): void => {
    if (!alive || child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // Already gone (ESRCH) between the check and the signal.
    }
  };

  const handle: SpawnHandle = {
    ns,
    argv: full,
    pid: child.pid ?? -1,
    exited,
    running: () => alive,
    stdout: () => out.text,
    stderr: () => err.text,
    logs: () => `[${full.join(' ')}]\n--- stdout ---\n${out.text}\n--- stderr ---\n${err.text}`,
    onLine: (fn) => void lineListeners.push(fn),
    waitFor(pattern, timeoutMs) {
      const seen = seenLines.find((l) => pattern.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise<string>((resolve, reject) => {
        const waiter = { re: pattern, resolve: (l: string) => (clearTimeout(timer), resolve(l)) };
        const fail = (why: string): void => {
          const i = waiters.indexOf(waiter);
          if (i < 0) return;
          waiters.splice(i, 1);
          clearTimeout(timer);
          reject(new Error(`${why} waiting for ${pattern}\n${handle.logs()}`));
        };
        const timer = setTimeout(() => fail(`timed out after ${timeoutMs} ms`), timeoutMs);
        waiters.push(waiter);
        void exited.then((s) => fail(`process exited (${s.code ?? s.signal})`));
      });
    },
    kill,
    async stop(graceMs = 2000) {
      if (!alive) return exited;
      kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const graceUp = new Promise<'grace'>((r) => (timer = setTimeout(() => r('grace'), graceMs)));
      if ((await Promise.race([exited, graceUp])) === 'grace') kill('SIGKILL');
      clearTimeout(timer);
      return exited;
    },
  };
  return handle;
}
