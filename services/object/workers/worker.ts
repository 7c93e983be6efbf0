/**
 * The background workers of a storage server (replicator, auditor, updater, reaper, expirer)
 * share one shape, so one process (workers/main.ts) can run any of them on a timer, or each
 * once (`--once`) for tests and operators.
 */

/** Counters of one pass, logged and returned by runOnce (e.g. { scanned: 10, quarantined: 1 }). */
export type PassStats = Record<string, number>;

export interface Worker {
  /** 'replicator' | 'auditor' | 'updater' | 'reaper' | 'expirer' */
  readonly name: string;
  /**
   * One full pass over this server's devices. Resolves when done; an aborted signal ends the
   * pass early (at a safe point) so the process can stop. Errors on single items are counted,
   * logged and skipped, never thrown: one bad file must not stop a pass.
   */
  runOnce(signal: AbortSignal): Promise<PassStats>;
}
