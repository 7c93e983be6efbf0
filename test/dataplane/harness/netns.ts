/**
 * RunScope: everything one test run creates in the kernel — namespaces and processes — under one
 * short unique prefix, and removed by cleanup(): on demand (afterAll), at process exit, or on
 * SIGINT/SIGTERM/SIGHUP. sweepStale() removes what crashed earlier runs left (see owners.ts for how
 * "ours and stale" is decided without touching anyone else's).
 *
 * Rules the harness keeps (and tests using it must keep): traffic only between namespaces the
 * test created; never an address or route in the namespace the test runs in; every wait bounded.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { isPrefix, makePrefix, ownerAlive, parseOwnerRecord, prefixOf, processStartTime, RUNS_DIR, staleNamespaces, type OwnerRecord } from './owners';
import { exec, ip, spawnIn, type ExecOptions, type ExecResult, type Netns, type SpawnHandle, type SpawnOptions } from './proc';

export { exec, ip, spawnIn, type ExecOptions, type ExecResult, type Netns, type SpawnHandle, type SpawnOptions, type ExitStatus } from './proc';

/** Names fit an interface name (IFNAMSIZ - 1), so a test may also name devices after them. */
export const MAX_NAME = 15;
const SUFFIX_RE = /^[a-z0-9][a-z0-9-]*$/;
const PROCESS_GRACE_MS = 2000;

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

function listNetnsSync(): string[] {
  const out = execFileSync('ip', ['-j', 'netns', 'list'], { encoding: 'utf8', timeout: 10_000 });
  if (!out.trim()) return [];
  return (JSON.parse(out) as { name?: unknown }[]).map((n) => n.name).filter((n): n is string => typeof n === 'string');
}

async function listNetns(): Promise<string[]> {
  const out = (await exec(null, ['ip', '-j', 'netns', 'list'])).stdout;
  if (!out.trim()) return [];
  return (JSON.parse(out) as { name?: unknown }[]).map((n) => n.name).filter((n): n is string => typeof n === 'string');
}

function pidsInSync(ns: string): number[] {
  try {
    return execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', timeout: 10_000 }).split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
  } catch {
    return [];
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Gone already.
  }
}

/** Kills whatever still runs in ns (only ever called for namespaces we own) and deletes it. */
function destroyNetnsSync(ns: string): void {
  for (const pid of pidsInSync(ns)) killQuietly(pid, 'SIGKILL');
  try {
    execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 10_000 });
  } catch {
    // Already gone; what is left is reported by the caller's listing.
  }
}

async function destroyNetns(ns: string): Promise<void> {
  const pids = (await exec(null, ['ip', 'netns', 'pids', ns], { allowFailure: true })).stdout.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
  for (const pid of pids) killQuietly(pid, 'SIGKILL');
  await exec(null, ['ip', 'netns', 'del', ns], { allowFailure: true });
}

const liveScopes = new Set<RunScope>();
let handlersInstalled = false;

/** Synchronous cleanup of every live scope: the only kind that can run in an 'exit' handler. */
function cleanupAllSync(): void {
  for (const s of [...liveScopes]) s.cleanupSync();
}

function installProcessHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', cleanupAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      cleanupAllSync();
      process.removeListener(sig, onSignal);
      // Re-raise so the default action (exit) still happens, unless someone else handles it.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

export class RunScope {
  private readonly netnsList: string[] = [];
  private readonly procs = new Set<SpawnHandle>();
  private cleaning: Promise<void> | undefined;
  private closed = false;

  private constructor(
    /** `wt` + 4 base36 characters; every name this scope makes starts with `<prefix>-`. */
    readonly prefix: string,
    private readonly recordPath: string,
  ) {}

  /**
   * Picks a prefix no live run and no existing namespace uses, records this process as its owner
   * and arms the exit/signal cleanup. Call cleanup() in afterAll.
   */
  static open(): RunScope {
    mkdirSync(RUNS_DIR, { recursive: true });
    const startTime = processStartTime(process.pid);
    if (startTime === null) throw new Error('cannot read /proc/self/stat (is /proc mounted?)');
    const taken = new Set(listNetnsSync().map(prefixOf).filter((p): p is string => p !== null));
    const seed = process.pid * 7919 + Date.now();
    for (let attempt = 0; attempt < 64; attempt++) {
      const prefix = makePrefix(seed + attempt * 104_729 + Math.floor(Math.random() * 36 ** 4));
      const recordPath = path.join(RUNS_DIR, `${prefix}.json`);
      if (taken.has(prefix)) continue;
      const record: OwnerRecord = { pid: process.pid, startTime };
      try {
        writeFileSync(recordPath, JSON.stringify(record), { flag: 'wx' }); // wx: fails if another run holds it
      } catch {
        continue;
      }
      const scope = new RunScope(prefix, recordPath);
      liveScopes.add(scope);
      installProcessHandlers();
      return scope;
    }
    throw new Error(`no free run prefix after 64 attempts (see ${RUNS_DIR})`);
  }

  /** `<prefix>-<suffix>`; suffixes are [a-z0-9-] and the whole name at most 15 characters. */
  name(suffix: string): string {
    const name = `${this.prefix}-${suffix}`;
    if (!SUFFIX_RE.test(suffix) || name.length > MAX_NAME) {
      throw new Error(`bad name suffix "${suffix}": [a-z0-9-], at most ${MAX_NAME - this.prefix.length - 1} characters`);
    }
    return name;
  }

  private checkOpen(): void {
    if (this.closed) throw new Error(`run scope ${this.prefix} is already cleaned up`);
  }

  /** Creates namespace `<prefix>-<suffix>` with lo up, owned by this scope. */
  async addNetns(suffix: string): Promise<string> {
    this.checkOpen();
    const ns = this.name(suffix);
    this.netnsList.push(ns); // registered first: a half-made namespace is still cleaned up
    await exec(null, ['ip', 'netns', 'add', ns]);
    await ip(ns, ['link', 'set', 'lo', 'up']);
    return ns;
  }

  /** Takes ownership of a namespace something else creates or created (e.g. plugInstance's instances). */
  adopt(ns: string): string {
    this.checkOpen();
    if (prefixOf(ns) !== this.prefix) throw new Error(`${ns} is not a name of run ${this.prefix}; use scope.name()`);
    if (!this.netnsList.includes(ns)) this.netnsList.push(ns);
    return ns;
  }

  /** The namespaces this scope owns. */
  namespaces(): string[] {
    return [...this.netnsList];
  }

  exec(ns: Netns, argv: readonly string[], opts?: ExecOptions): Promise<ExecResult> {
    return exec(ns, argv, opts);
  }

  /** spawnIn(), with the process stopped by cleanup(). */
  spawnIn(ns: Netns, argv: readonly string[], opts?: SpawnOptions): SpawnHandle {
    this.checkOpen();
    const h = spawnIn(ns, argv, opts);
    this.procs.add(h);
    void h.exited.then(() => this.procs.delete(h));
    return h;
  }

  /**
   * Stops the processes (SIGTERM, SIGKILL after a grace period), kills anything else left in the
   * namespaces, deletes them, then drops the owner record. Safe to call more than once (later
   * calls share the first one's work). Rejects naming any namespace that would not go away.
   */
  cleanup(): Promise<void> {
    this.cleaning ??= this.doCleanup();
    return this.cleaning;
  }

  private async doCleanup(): Promise<void> {
    this.closed = true;
    // Bounded even for a process stuck in the kernel: its namespace is deleted regardless below.
    await Promise.race([Promise.all([...this.procs].map((h) => h.stop(PROCESS_GRACE_MS))), delay(PROCESS_GRACE_MS + 3000)]);
    for (const ns of this.netnsList) await destroyNetns(ns);
    const left = (await listNetns()).filter((n) => prefixOf(n) === this.prefix);
    liveScopes.delete(this);
    if (left.length) throw new Error(`run ${this.prefix}: namespaces left after cleanup: ${left.join(', ')} (sweepStale() removes them once this process is gone)`);
    rmSync(this.recordPath, { force: true });
  }

  /** For process exit: no awaiting possible, so everything is killed at once. */
  cleanupSync(): void {
    this.closed = true;
    liveScopes.delete(this);
    for (const h of this.procs) h.kill('SIGKILL');
    for (const ns of this.netnsList) destroyNetnsSync(ns);
    try {
      if (!listNetnsSync().some((n) => prefixOf(n) === this.prefix)) rmSync(this.recordPath, { force: true });
    } catch {
      // The record stays; sweepStale() finishes the job later.
    }
  }
}

/**
 * Deletes namespaces left by earlier runs that crashed (our name shape, an owner record, owner
 * gone), killing what still runs in them, and drops owner records of finished runs. Returns the
 * namespaces deleted. Never touches a namespace without a record, or of a live run.
 */
export async function sweepStale(): Promise<string[]> {
  let files: string[] = [];
  try {
    files = readdirSync(RUNS_DIR).filter((f) => f.endsWith('.json') && isPrefix(f.slice(0, -5)));
  } catch {
    return []; // no record directory: no run ever recorded anything here
  }
  const records = new Map<string, OwnerRecord | undefined>();
  for (const f of files) {
    let text = '';
    try {
      text = readFileSync(path.join(RUNS_DIR, f), 'utf8');
    } catch {
      continue;
    }
    records.set(f.slice(0, -5), parseOwnerRecord(text));
  }
  const names = await listNetns();
  const stale = staleNamespaces(names, (p) => records.get(p), ownerAlive);
  for (const ns of stale) await destroyNetns(ns);
  const remaining = await listNetns();
  for (const [prefix, record] of records) {
    if (record && !ownerAlive(record) && !remaining.some((n) => prefixOf(n) === prefix)) rmSync(path.join(RUNS_DIR, `${prefix}.json`), { force: true });
  }
  return stale;
}
