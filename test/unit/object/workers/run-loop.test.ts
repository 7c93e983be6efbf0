import { createLogger } from '../../../../services/runtime/log';
import { runLoops, runPass, sleep } from '../../../../services/object/workers/run-loop';
import type { Worker } from '../../../../services/object/workers/worker';

const logger = createLogger({ level: 'error', base: {} });

describe('worker loops', () => {
  test('sleep ends at once on abort', async () => {
    const c = new AbortController();
    const started = Date.now();
    const p = sleep(10_000, c.signal);
    c.abort();
    await p;
    expect(Date.now() - started).toBeLessThan(1000);
  });

  test('one pass at a time per worker; a pass that throws does not stop the loop; abort stops it', async () => {
    let running = 0;
    let maxRunning = 0;
    let passes = 0;
    const c = new AbortController();
    const w: Worker = {
      name: 'test',
      runOnce: async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        passes++;
        if (passes === 2) throw new Error('one bad pass');
        if (passes === 4) c.abort();
        return { passes };
      },
    };
    await runLoops([{ worker: w, intervalMs: 10 }], c.signal, logger);
    expect(passes).toBe(4);
    expect(maxRunning).toBe(1);
  });

  test('runPass returns the stats, or undefined when the pass threw', async () => {
    const c = new AbortController();
    expect(await runPass({ name: 'ok', runOnce: async () => ({ n: 1 }) }, c.signal, logger)).toEqual({ n: 1 });
    expect(await runPass({ name: 'bad', runOnce: () => Promise.reject(new Error('x')) }, c.signal, logger)).toBeUndefined();
  });
});
