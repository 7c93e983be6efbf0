/**
 * Account lockout after repeated failed logins (Keystone's lockout_failure_attempts /
 * lockout_duration), in memory, with an injected clock so it is pure and testable.
 *
 * Semantics:
 *  - `maxFailures` failures, each within `failureWindowSeconds` of the previous one, lock the user
 *    for `lockoutSeconds`. A quieter pace never locks: the count restarts after a quiet window.
 *  - While locked, further failures neither count nor extend the lock: callers should check
 *    `isLocked` before verifying a password at all, and an attacker must not be able to keep a
 *    victim locked forever with one request per period.
 *  - When the lock expires the user starts again with a clean count; a success resets at once.
 *
 * Memory is bounded: entries live in two maps kept in expiry order (insertion order, because every
 * update re-inserts and each map's durations are constant), so expired entries are dropped from
 * the front in amortized O(1) on every call; under a spray of distinct user ids, `maxEntries`
 * caps each map by dropping the oldest entry (a partial count is lost first, which only helps the
 * attacker by one window; a lock is dropped only when the locked map itself is full).
 *
 * Per-process state: with several identity replicas each counts separately, as Keystone's does
 * not; a shared store is a later concern.
 */

/** Same shape as the controller's clock, so the system clock can be passed as is. */
export interface Clock {
  now(): Date;
}

export interface LockoutOptions {
  maxFailures: number;
  lockoutSeconds: number;
  clock: Clock;
  /** How long a failure is remembered without another one; defaults to lockoutSeconds. */
  failureWindowSeconds?: number;
  /** Cap on tracked users in each of the failing and locked maps; default 100,000. */
  maxEntries?: number;
}

export interface LockStatus {
  locked: boolean;
  /** When the lock ends (present only while locked). */
  until?: Date;
}

interface Failing {
  failures: number;
  lastFailureMs: number;
}

export class LockoutTracker {
  private readonly maxFailures: number;
  private readonly lockoutMs: number;
  private readonly windowMs: number;
  private readonly maxEntries: number;
  private readonly clock: Clock;
  /** Users with failures but no lock, oldest last-failure first. */
  private readonly failing = new Map<string, Failing>();
  /** Locked users → lock end (ms), earliest end first. */
  private readonly locked = new Map<string, number>();

  constructor(opts: LockoutOptions) {
    const positive = (name: string, v: number, integer: boolean): number => {
      if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
        throw new RangeError(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${v}`);
      }
      return v;
    };
    this.maxFailures = positive('maxFailures', opts.maxFailures, true);
    this.lockoutMs = positive('lockoutSeconds', opts.lockoutSeconds, false) * 1000;
    this.windowMs = positive('failureWindowSeconds', opts.failureWindowSeconds ?? opts.lockoutSeconds, false) * 1000;
    this.maxEntries = positive('maxEntries', opts.maxEntries ?? 100_000, true);
    this.clock = opts.clock;
  }

  /** Records a failed login; returns the status after it (locked when this was the last straw). */
  recordFailure(userId: string): LockStatus {
    const now = this.clock.now().getTime();
    this.sweep(now);
    const until = this.locked.get(userId);
    if (until !== undefined) {
      if (until > now) return { locked: true, until: new Date(until) };
      this.locked.delete(userId);
    }

    const prev = this.failing.get(userId);
    const failures = prev !== undefined && now - prev.lastFailureMs < this.windowMs ? prev.failures + 1 : 1;
    this.failing.delete(userId);
    if (failures >= this.maxFailures) {
      const end = now + this.lockoutMs;
      this.locked.set(userId, end);
      this.trim(this.locked);
      return { locked: true, until: new Date(end) };
    }
    this.failing.set(userId, { failures, lastFailureMs: now });
    this.trim(this.failing);
    return { locked: false };
  }

  /** A successful login forgets the user's failures. (Callers check isLocked before verifying.) */
  recordSuccess(userId: string): void {
    this.failing.delete(userId);
    this.locked.delete(userId);
  }

  isLocked(userId: string): LockStatus {
    const now = this.clock.now().getTime();
    this.sweep(now);
    const until = this.locked.get(userId);
    // sweep stops at the first live entry, so this one may still be expired (clock went back, or
    // it was inserted behind a later one); check it on its own.
    if (until === undefined || until <= now) {
      if (until !== undefined) this.locked.delete(userId);
      return { locked: false };
    }
    return { locked: true, until: new Date(until) };
  }

  /** Failures currently counted against a user (0 when locked or unknown); for diagnostics. */
  failureCount(userId: string): number {
    const now = this.clock.now().getTime();
    const entry = this.failing.get(userId);
    return entry !== undefined && now - entry.lastFailureMs < this.windowMs ? entry.failures : 0;
  }

  /** Tracked users (failing + locked), after dropping expired entries. */
  size(): number {
    this.sweep(this.clock.now().getTime());
    return this.failing.size + this.locked.size;
  }

  private sweep(now: number): void {
    for (const [id, entry] of this.failing) {
      if (now - entry.lastFailureMs < this.windowMs) break;
      this.failing.delete(id);
    }
    for (const [id, until] of this.locked) {
      if (until > now) break;
      this.locked.delete(id);
    }
  }

  private trim(map: Map<string, unknown>): void {
    while (map.size > this.maxEntries) {
      const oldest = map.keys().next();
      if (oldest.done) return;
      map.delete(oldest.value);
    }
  }
}
