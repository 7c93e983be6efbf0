import { BytePacer, paceDelayMs } from '../../../../services/object/workers/rate-limit';

describe('byte pacing (auditor bytesPerSecond)', () => {
  test('delay keeps bytes/elapsed within the rate', () => {
    expect(paceDelayMs(1000, 0, 1000)).toBe(1000);
    expect(paceDelayMs(1000, 400, 1000)).toBe(600);
    expect(paceDelayMs(1000, 2000, 1000)).toBe(0);
    expect(paceDelayMs(5, 0, 0)).toBe(0);
  });

  test('a pacer sleeps just enough over a run of chunks (simulated clock)', async () => {
    let now = 0;
    const slept: number[] = [];
    const pacer = new BytePacer(1024, () => now, async (ms) => {
      slept.push(ms);
      now += ms;
    });
    for (let i = 0; i < 4; i++) {
      now += 100; // reading a chunk takes 100 ms
      await pacer.consume(512);
    }
    // 2048 bytes at 1024 B/s need 2 s in all; reading took 400 ms of it.
    expect(now).toBe(2000);
    expect(slept).toEqual([400, 400, 400, 400]);
  });
});
