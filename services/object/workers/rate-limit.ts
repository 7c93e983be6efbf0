/**
 * Keeps a reader under a byte rate (the auditor's bytesPerSecond): after each chunk, waits until
 * the bytes read so far are no more than the rate allows for the time elapsed. Clock and sleep
 * are injected, so the pacing is testable without waiting.
 */

/** How long to wait (ms) so that `bytes` read in `elapsedMs` stay within `bytesPerSecond`. */
export function paceDelayMs(bytes: number, elapsedMs: number, bytesPerSecond: number): number {
  if (bytesPerSecond <= 0) return 0;
  return Math.max(0, (bytes * 1000) / bytesPerSecond - elapsedMs);
}

export class BytePacer {
  private readonly started: number;
  private bytes = 0;

  constructor(
    private readonly bytesPerSecond: number,
    private readonly clock: () => number,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {
    this.started = clock();
  }

  /** Counts `n` bytes read and waits as long as the rate requires. */
  async consume(n: number): Promise<void> {
    this.bytes += n;
    const delay = paceDelayMs(this.bytes, this.clock() - this.started, this.bytesPerSecond);
    if (delay > 0) await this.sleep(delay);
  }
}
