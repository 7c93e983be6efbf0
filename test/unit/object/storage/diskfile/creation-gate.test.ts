import { CreationGate, gatedCreate } from '../../../../../services/object/storage/diskfile/creation-gate';

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/** Asks the gate once and, when it says inline, reports `micros`. Returns where it went. */
function step(gate: CreationGate, micros: number): 'inline' | 'pool' {
  if (!gate.inline()) return 'pool';
  gate.observe(micros);
  return 'inline';
}

describe('CreationGate', () => {
  it('keeps fast creations inline', () => {
    const gate = new CreationGate({ slowMicros: 150, retryMs: 1000, now: clock().now });
    for (let i = 0; i < 1000; i++) expect(step(gate, 20 + (i % 7) * 10)).toBe('inline');
    expect(gate.counters()).toMatchObject({ inline: 1000, pooled: 0, slowSpells: 0 });
    expect(gate.counters().medianMicros).toBeGreaterThanOrEqual(40);
    expect(gate.counters().medianMicros).toBeLessThanOrEqual(60);
  });

  it('ignores preempted outliers: fewer than half of a window slow keeps creations inline', () => {
    const gate = new CreationGate({ slowMicros: 150, retryMs: 1000, window: 16, now: clock().now });
    // 7 of every 16 take a whole time slice.
    for (let i = 0; i < 320; i++) expect(step(gate, i % 16 < 7 ? 4000 : 30)).toBe('inline');
    expect(gate.counters().slowSpells).toBe(0);
  });

  it('decides nothing before a full window', () => {
    const gate = new CreationGate({ slowMicros: 150, retryMs: 1000, window: 8, now: clock().now });
    for (let i = 0; i < 7; i++) expect(step(gate, 5000)).toBe('inline');
    expect(gate.counters().slowSpells).toBe(0);
    expect(step(gate, 5000)).toBe('inline'); // the 8th completes the window: slow
    expect(gate.counters().slowSpells).toBe(1);
    expect(step(gate, 20)).toBe('pool');
  });

  it('sends creations to the pool for retryMs once the median is slow, then a new window decides', () => {
    const c = clock();
    const gate = new CreationGate({ slowMicros: 150, retryMs: 1000, window: 4, now: c.now });
    for (let i = 0; i < 4; i++) step(gate, 20);
    for (let i = 0; i < 2; i++) expect(step(gate, 600)).toBe('inline'); // median (20, 20, 600, 600) = 310
    expect(gate.counters().slowSpells).toBe(1);
    for (let i = 0; i < 10; i++) {
      expect(step(gate, 20)).toBe('pool');
      c.advance(99);
    }
    c.advance(10); // 1000 ms after the spell began
    // Still slow: a fresh window of 4 probes, then another spell.
    for (let i = 0; i < 4; i++) expect(step(gate, 900)).toBe('inline');
    expect(gate.counters().slowSpells).toBe(2);
    expect(step(gate, 20)).toBe('pool');
    c.advance(1000);
    // Recovered: the probes are fast and creations stay inline.
    for (let i = 0; i < 40; i++) expect(step(gate, 25)).toBe('inline');
    expect(gate.counters()).toMatchObject({ slowSpells: 2, pooled: 11, medianMicros: 25 });
  });

  it('pinned modes: inline and pool never move, auto resumes deciding', () => {
    const c = clock();
    const gate = new CreationGate({ slowMicros: 150, retryMs: 1000, window: 2, mode: 'inline', now: c.now });
    for (let i = 0; i < 10; i++) expect(step(gate, 9000)).toBe('inline');
    expect(gate.counters().slowSpells).toBe(0);
    gate.setMode('pool');
    for (let i = 0; i < 10; i++) expect(step(gate, 1)).toBe('pool');
    gate.setMode('auto');
    expect(step(gate, 9000)).toBe('inline'); // the window (9000, 9000) is slow
    expect(step(gate, 1)).toBe('pool');
  });

  it('refuses nonsensical settings', () => {
    expect(() => new CreationGate({ slowMicros: 0, retryMs: 1 })).toThrow(RangeError);
    expect(() => new CreationGate({ slowMicros: 1, retryMs: -1 })).toThrow(RangeError);
    expect(() => new CreationGate({ slowMicros: 1, retryMs: 1, window: 0 })).toThrow(RangeError);
    expect(() => new CreationGate({ slowMicros: 1, retryMs: 1, window: 2.5 })).toThrow(RangeError);
  });
});

describe('gatedCreate', () => {
  function spin(ms: number): void {
    const until = performance.now() + ms;
    while (performance.now() < until) {
      // a slow creation
    }
  }

  it('runs inline and times it, or runs the pooled variant while the gate says so', async () => {
    const gate = new CreationGate({ slowMicros: 150, retryMs: 1000, window: 1, now: clock().now });
    const calls: string[] = [];
    const inline = (): number => {
      calls.push('inline');
      spin(1);
      return 1;
    };
    const pooled = async (): Promise<number> => {
      calls.push('pooled');
      return 2;
    };
    expect(await gatedCreate(gate, inline, pooled)).toBe(1);
    expect(gate.counters().medianMicros).toBeGreaterThanOrEqual(1000);
    expect(await gatedCreate(gate, inline, pooled)).toBe(2);
    expect(calls).toEqual(['inline', 'pooled']);
  });

  it('times a failing inline creation too, and passes its error on', async () => {
    const gate = new CreationGate({ slowMicros: 150, retryMs: 1000, window: 1, now: clock().now });
    const failing = (): number => {
      spin(1);
      throw Object.assign(new Error('exists'), { code: 'EEXIST' });
    };
    await expect(gatedCreate(gate, failing, async () => 2)).rejects.toThrow('exists');
    expect(gate.counters().slowSpells).toBe(1);
  });
});
