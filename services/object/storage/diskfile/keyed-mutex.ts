/**
 * Mutual exclusion per key (a hash directory, a partition) inside this process. One storage
 * server process owns each device, so this is enough to make "check the newest timestamp, rename
 * into place, remove older files" atomic with respect to other requests for the same object.
 * Critical sections are short (a directory listing and a few renames); bodies are streamed to
 * temp files before the lock is taken.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      // Forget idle keys so the map does not grow with every object ever touched.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys with a holder or waiters (for tests and stats). */
  get size(): number {
    return this.tails.size;
  }
}
