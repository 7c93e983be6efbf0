/**
 * Group commit of directory syncs: concurrent writers that need the same directory synced share
 * one fsync.
 *
 * A directory's fsync makes every entry added to it before the call durable. So a request that
 * arrives while no sync of that directory runs starts one; a request that arrives while one runs
 * cannot rely on it (its entry may have been added after the running fsync started) and waits for
 * the NEXT sync, which starts as soon as the running one ends and covers every request queued
 * meanwhile. At most one sync per directory runs at a time and at most one more is pending, so N
 * concurrent requests cost at most two fsyncs instead of N, and no request waits for more than
 * the running sync plus its own.
 *
 * A failed sync rejects exactly the requests it was covering; the next batch tries again.
 */

/** Syncs one directory once (fsync of the directory; injectable for tests). */
export type SyncOnce = (dir: string) => Promise<void>;

interface Batch {
  promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

interface DirState {
  running: boolean;
  /** Requests waiting for the next sync. */
  next?: Batch;
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export interface DirSyncerCounters {
  /** sync() calls. */
  requests: number;
  /** fsyncs actually run (requests - syncs were saved by sharing). */
  syncs: number;
}

export class DirSyncer {
  private readonly dirs = new Map<string, DirState>();
  private readonly stats: DirSyncerCounters = { requests: 0, syncs: 0 };

  constructor(private readonly syncOnce: SyncOnce) {}

  /** Resolves once a sync of `dir` that started after this call has completed. */
  sync(dir: string): Promise<void> {
    this.stats.requests++;
    let state = this.dirs.get(dir);
    if (!state) {
      state = { running: false };
      this.dirs.set(dir, state);
    }
    if (!state.next) state.next = newBatch();
    const { promise } = state.next;
    if (!state.running) this.start(dir, state);
    return promise;
  }

  private start(dir: string, state: DirState): void {
    const batch = state.next;
    if (!batch) return;
    state.next = undefined;
    state.running = true;
    this.stats.syncs++;
    const done = (): void => {
      state.running = false;
      if (state.next) this.start(dir, state);
      else this.dirs.delete(dir);
    };
    let run: Promise<void>;
    try {
      run = this.syncOnce(dir);
    } catch (err) {
      run = Promise.reject(err);
    }
    run.then(
      () => {
        done();
        batch.resolve();
      },
      (err: unknown) => {
        done();
        batch.reject(err);
      },
    );
  }

  /** Requests and syncs so far (a copy). */
  get counters(): DirSyncerCounters {
    return { ...this.stats };
  }

  /** Directories with a sync running or pending. */
  get busy(): number {
    return this.dirs.size;
  }
}
