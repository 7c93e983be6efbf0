/**
 * RingReader: how a server holds a ring file. Lookups are answered from the Ring in memory (no
 * disk, no clock); reload() is the only thing that touches the file, and the caller decides when
 * (watch() calls it on a timer).
 *
 * Guarantees:
 *  - open() fails (RingError) unless the file is a valid ring: a server never starts without one.
 *  - reload() re-reads only when the file's identity (mtime, ctime, size, inode) changed, and
 *    swaps rings only when the content did (its SHA-256 trailer differs).
 *  - A bad new file (unreadable, corrupt, unknown version) is refused: the last good ring keeps
 *    serving, the outcome says why, and the same bad file is not parsed again on every check.
 *  - A swap is a single assignment, so a lookup sees the old ring or the new one, never a mix.
 */
import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { RingDevice } from './device';
import type { HashPathConfig } from './hash-path';
import { type NodesForPath, Ring } from './ring';
import { RingError } from './ring-error';
import { decodeRingFile } from './ring-file';

/** The three rings of an object cluster; each is `<name>.ring` in the ring directory. */
export type RingName = 'account' | 'container' | 'object';

export function ringFilePath(dir: string, name: RingName): string {
  return path.join(dir, `${name}.ring`);
}

export interface RingReaderOptions {
  readonly path: string;
  readonly hash: HashPathConfig;
}

export type ReloadOutcome =
  | { readonly status: 'unchanged' }
  | { readonly status: 'reloaded'; readonly version: number; readonly previousVersion: number }
  | { readonly status: 'rejected'; readonly error: RingError };

export interface RingReaderCounters {
  /** Times reload() looked at the file. */
  checks: number;
  /** New rings swapped in. */
  reloads: number;
  /** Distinct bad files (or read failures) refused. */
  rejected: number;
}

interface Loaded {
  ring: Ring;
  digest: string;
}

function fileIdentity(s: { mtimeMs: number; ctimeMs: number; size: number; ino: number }): string {
  return `${s.mtimeMs}:${s.ctimeMs}:${s.size}:${s.ino}`;
}

async function load(file: string, hash: HashPathConfig): Promise<{ loaded: Loaded; identity: string }> {
  let bytes: Buffer;
  let identity: string;
  try {
    identity = fileIdentity(await stat(file));
    bytes = await readFile(file);
  } catch (e) {
    throw new RingError('UNREADABLE', `cannot read ring file ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const data = decodeRingFile(bytes);
  return { loaded: { ring: new Ring(data, hash), digest: bytes.subarray(bytes.length - 32).toString('hex') }, identity };
}

export class RingReader {
  readonly counters: RingReaderCounters = { checks: 0, reloads: 0, rejected: 0 };
  private lastRejected: { identity: string; error: RingError } | null = null;

  private constructor(
    readonly path: string,
    private readonly hash: HashPathConfig,
    private current: Loaded,
    private identity: string,
  ) {}

  static async open(opts: RingReaderOptions): Promise<RingReader> {
    const { loaded, identity } = await load(opts.path, opts.hash);
    return new RingReader(opts.path, opts.hash, loaded, identity);
  }

  /** The ring currently serving. */
  get ring(): Ring {
    return this.current.ring;
  }

  getNodes(account: string, container?: string, object?: string): NodesForPath {
    return this.current.ring.getNodes(account, container, object);
  }
  getPartNodes(partition: number): RingDevice[] {
    return this.current.ring.getPartNodes(partition);
  }
  getMoreNodes(partition: number): Generator<RingDevice, void, undefined> {
    return this.current.ring.getMoreNodes(partition);
  }

  /** Looks at the file and swaps in a new ring if it changed and is valid (see the header). */
  async reload(opts: { force?: boolean } = {}): Promise<ReloadOutcome> {
    this.counters.checks++;
    let identity: string;
    try {
      identity = fileIdentity(await stat(this.path));
    } catch (e) {
      return this.reject(null, new RingError('UNREADABLE', `cannot read ring file ${this.path}: ${e instanceof Error ? e.message : String(e)}`));
    }
    if (!opts.force && identity === this.identity) return { status: 'unchanged' };
    if (!opts.force && this.lastRejected?.identity === identity) return { status: 'rejected', error: this.lastRejected.error };
    let next: { loaded: Loaded; identity: string };
    try {
      next = await load(this.path, this.hash);
    } catch (e) {
      if (e instanceof RingError) return this.reject(identity, e);
      throw e;
    }
    this.identity = next.identity;
    this.lastRejected = null;
    if (next.loaded.digest === this.current.digest) return { status: 'unchanged' };
    const previousVersion = this.current.ring.version;
    this.current = next.loaded;
    this.counters.reloads++;
    return { status: 'reloaded', version: next.loaded.ring.version, previousVersion };
  }

  /** Calls reload() every `intervalMs` (timer unref'd); returns a function that stops it. */
  watch(opts: { intervalMs: number; onOutcome?: (o: ReloadOutcome) => void }): () => void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return; // a slow disk must not stack up checks
      running = true;
      this.reload()
        .then((o) => opts.onOutcome?.(o))
        .catch((e: unknown) => opts.onOutcome?.({ status: 'rejected', error: new RingError('UNREADABLE', String(e)) }))
        .finally(() => {
          running = false;
        });
    }, opts.intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  private reject(identity: string | null, error: RingError): ReloadOutcome {
    // Read failures (identity null) may be transient, so they are retried on the next check.
    if (identity !== null) this.lastRejected = { identity, error };
    this.counters.rejected++;
    return { status: 'rejected', error };
  }
}
