import { type Clock, LockoutTracker } from '../../../../services/identity/passwords/lockout';

class FakeClock implements Clock {
  constructor(private ms = Date.UTC(2025, 0, 1)) {}
  now(): Date {
    return new Date(this.ms);
  }
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
  set(ms: number): void {
    this.ms = ms;
  }
}

function tracker(opts: Partial<{ maxFailures: number; lockoutSeconds: number; failureWindowSeconds: number; maxEntries: number }> = {}) {
  const clock = new FakeClock();
  const t = new LockoutTracker({ maxFailures: 3, lockoutSeconds: 60, clock, ...opts });
  return { t, clock };
}

describe('LockoutTracker', () => {
  test('locks after maxFailures failures, until now + lockoutSeconds', () => {
    const { t, clock } = tracker();
    expect(t.isLocked('alice')).toEqual({ locked: false });
    expect(t.recordFailure('alice')).toEqual({ locked: false });
    clock.advance(1);
    expect(t.recordFailure('alice')).toEqual({ locked: false });
    expect(t.failureCount('alice')).toBe(2);
    clock.advance(1);
    const until = new Date(clock.now().getTime() + 60_000);
    expect(t.recordFailure('alice')).toEqual({ locked: true, until });
    expect(t.isLocked('alice')).toEqual({ locked: true, until });
    expect(t.isLocked('bob')).toEqual({ locked: false });
  });

  test('unlocks when the period ends, with a fresh count', () => {
    const { t, clock } = tracker();
    for (let i = 0; i < 3; i++) t.recordFailure('alice');
    clock.advance(59.999);
    expect(t.isLocked('alice').locked).toBe(true);
    clock.advance(0.001);
    expect(t.isLocked('alice')).toEqual({ locked: false });
    expect(t.failureCount('alice')).toBe(0);
    expect(t.recordFailure('alice')).toEqual({ locked: false });
    expect(t.recordFailure('alice')).toEqual({ locked: false });
    expect(t.recordFailure('alice').locked).toBe(true);
  });

  test('an expired lock is noticed by recordFailure too, without an isLocked in between', () => {
    const { t, clock } = tracker();
    for (let i = 0; i < 3; i++) t.recordFailure('alice');
    clock.advance(61);
    expect(t.recordFailure('alice')).toEqual({ locked: false });
    expect(t.failureCount('alice')).toBe(1);
  });

  test('failures while locked neither count nor extend the lock', () => {
    const { t, clock } = tracker();
    for (let i = 0; i < 3; i++) t.recordFailure('alice');
    const { until } = t.isLocked('alice');
    clock.advance(30);
    expect(t.recordFailure('alice')).toEqual({ locked: true, until });
    clock.advance(30);
    expect(t.isLocked('alice')).toEqual({ locked: false });
  });

  test('success resets the count and lifts a lock', () => {
    const { t } = tracker();
    t.recordFailure('alice');
    t.recordFailure('alice');
    t.recordSuccess('alice');
    expect(t.failureCount('alice')).toBe(0);
    expect(t.recordFailure('alice')).toEqual({ locked: false });
    expect(t.recordFailure('alice')).toEqual({ locked: false });
    expect(t.recordFailure('alice').locked).toBe(true);
    t.recordSuccess('alice');
    expect(t.isLocked('alice')).toEqual({ locked: false });
    expect(t.size()).toBe(0);
  });

  test('users are tracked independently', () => {
    const { t } = tracker({ maxFailures: 2 });
    t.recordFailure('alice');
    t.recordFailure('bob');
    expect(t.recordFailure('alice').locked).toBe(true);
    expect(t.isLocked('bob')).toEqual({ locked: false });
    expect(t.failureCount('bob')).toBe(1);
  });

  test('failures spaced further apart than the window do not accumulate', () => {
    const { t, clock } = tracker({ failureWindowSeconds: 10 });
    for (let i = 0; i < 10; i++) {
      expect(t.recordFailure('alice')).toEqual({ locked: false });
      clock.advance(10);
    }
    t.recordFailure('alice');
    clock.advance(9);
    t.recordFailure('alice');
    clock.advance(9);
    expect(t.recordFailure('alice').locked).toBe(true);
  });

  test('maxFailures 1 locks on the first failure', () => {
    const { t } = tracker({ maxFailures: 1 });
    expect(t.recordFailure('alice').locked).toBe(true);
  });

  describe('bounded memory', () => {
    test('expired failures and locks are dropped as time passes', () => {
      const { t, clock } = tracker({ failureWindowSeconds: 10 });
      for (let i = 0; i < 1000; i++) t.recordFailure(`user-${i}`);
      for (let i = 0; i < 3; i++) t.recordFailure('locked-user');
      expect(t.size()).toBe(1001);
      clock.advance(10);
      expect(t.size()).toBe(1);
      clock.advance(50);
      expect(t.size()).toBe(0);
    });

    test('a spray of distinct users never grows past maxEntries per map', () => {
      const { t } = tracker({ maxEntries: 100 });
      for (let i = 0; i < 10_000; i++) t.recordFailure(`spray-${i}`);
      expect(t.size()).toBe(100);
      // The newest are kept.
      expect(t.failureCount('spray-9999')).toBe(1);
      expect(t.failureCount('spray-0')).toBe(0);
    });

    test('a flood of failures cannot push out a lock while the locked map has room', () => {
      const { t } = tracker({ maxEntries: 10 });
      for (let i = 0; i < 3; i++) t.recordFailure('victim');
      for (let i = 0; i < 1000; i++) t.recordFailure(`spray-${i}`);
      expect(t.isLocked('victim').locked).toBe(true);
    });

    test('a clock that steps backwards does not break expiry', () => {
      const { t, clock } = tracker();
      const start = clock.now().getTime();
      for (let i = 0; i < 3; i++) t.recordFailure('a');
      clock.set(start - 120_000);
      for (let i = 0; i < 3; i++) t.recordFailure('b');
      clock.set(start + 61_000);
      expect(t.isLocked('b')).toEqual({ locked: false });
      expect(t.isLocked('a')).toEqual({ locked: false });
      expect(t.size()).toBe(0);
    });
  });

  test.each([
    { maxFailures: 0 },
    { maxFailures: 2.5 },
    { lockoutSeconds: 0 },
    { lockoutSeconds: -1 },
    { lockoutSeconds: Infinity },
    { failureWindowSeconds: 0 },
    { maxEntries: 0 },
  ])('rejects %j', (bad) => {
    expect(() => tracker(bad)).toThrow(RangeError);
  });
});
