/** Agent liveness from in-memory heartbeats, against a pinned clock. */
import { Liveness } from '../../../controller/domain/agents/liveness';

describe('Liveness', () => {
  let now = 1_000_000;
  const clock = { now: () => new Date(now) };

  test('alive within downTime of the last beat; revived on the first beat after being dead', () => {
    const l = new Liveness(10_000, clock);
    expect(l.alive('a')).toBe(false);
    expect(l.beat('a')).toEqual({ revived: true });
    now += 5000;
    expect(l.beat('a', { reconciles: 3, actions: 1, errors: 0, feedLag: 0, relists: 0, ports: 2, networks: 1, rssBytes: 1 })).toEqual({ revived: false });
    now += 10_000;
    expect(l.alive('a')).toBe(true);
    now += 1;
    expect(l.alive('a')).toBe(false);
    expect(l.lastBeat('a')).toEqual(new Date(now - 10_001));
    // Stats survive a beat that carries none (a registration).
    expect(l.beat('a')).toEqual({ revived: true });
    expect(l.stats('a')?.ports).toBe(2);
    l.forget('a');
    expect(l.alive('a')).toBe(false);
    expect(l.lastBeat('a')).toBeUndefined();
  });
});
