import { DirSyncer } from '../../../../../services/object/storage/diskfile/dir-syncer';

/** A fake fsync whose calls stay pending until the test finishes them, in order. */
function gatedSync(): { syncer: DirSyncer; calls: string[]; finish(err?: Error): void } {
  const calls: string[] = [];
  const gates: Array<(err?: Error) => void> = [];
  const syncer = new DirSyncer((dir) => {
    calls.push(dir);
    return new Promise<void>((resolve, reject) => gates.push((err) => (err ? reject(err) : resolve())));
  });
  return {
    syncer,
    calls,
    finish: (err) => {
      const g = gates.shift();
      if (!g) throw new Error('no sync running');
      g(err);
    },
  };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Tracks whether a promise has settled (without awaiting it). */
function watch(p: Promise<void>): { settled: () => boolean; failed: () => unknown } {
  let settled = false;
  let failure: unknown;
  p.then(
    () => (settled = true),
    (err: unknown) => {
      settled = true;
      failure = err;
    },
  );
  return { settled: () => settled, failed: () => failure };
}

describe('DirSyncer (group commit of directory syncs)', () => {
  test('an idle directory is synced at once, once', async () => {
    const { syncer, calls, finish } = gatedSync();
    const w = watch(syncer.sync('/d'));
    expect(calls).toEqual(['/d']);
    await tick();
    expect(w.settled()).toBe(false);
    finish();
    await tick();
    expect(w.settled()).toBe(true);
    expect(syncer.counters).toEqual({ requests: 1, syncs: 1 });
    expect(syncer.busy).toBe(0);
  });

  test('requests arriving during a sync wait for the next one, which covers all of them', async () => {
    const { syncer, calls, finish } = gatedSync();
    const first = watch(syncer.sync('/d'));
    const later = Array.from({ length: 10 }, () => watch(syncer.sync('/d')));
    // One sync runs; the ten later requests share the next one, which has not started yet.
    expect(calls).toEqual(['/d']);
    finish();
    await tick();
    expect(first.settled()).toBe(true);
    // The running sync may have started before their entries were added: it does not count for them.
    expect(later.some((w) => w.settled())).toBe(false);
    expect(calls).toEqual(['/d', '/d']);
    finish();
    await tick();
    expect(later.every((w) => w.settled())).toBe(true);
    expect(syncer.counters).toEqual({ requests: 11, syncs: 2 });
    expect(syncer.busy).toBe(0);
  });

  test('different directories are synced independently and concurrently', async () => {
    const { syncer, calls, finish } = gatedSync();
    const a = watch(syncer.sync('/a'));
    const b = watch(syncer.sync('/b'));
    expect(calls).toEqual(['/a', '/b']);
    finish();
    await tick();
    expect([a.settled(), b.settled()]).toEqual([true, false]);
    finish();
    await tick();
    expect(b.settled()).toBe(true);
  });

  test('a failed sync rejects the requests it covered; the next batch syncs again', async () => {
    const { syncer, calls, finish } = gatedSync();
    const first = watch(syncer.sync('/d'));
    const second = watch(syncer.sync('/d'));
    finish(new Error('EIO'));
    await tick();
    expect((first.failed() as Error).message).toBe('EIO');
    expect(second.settled()).toBe(false);
    finish();
    await tick();
    expect(second.settled()).toBe(true);
    expect(second.failed()).toBeUndefined();
    expect(calls).toHaveLength(2);
  });

  test('a sync function that throws synchronously rejects its batch and leaves the syncer usable', async () => {
    let n = 0;
    const syncer = new DirSyncer(() => {
      if (n++ === 0) throw new Error('EBADF');
      return Promise.resolve();
    });
    await expect(syncer.sync('/d')).rejects.toThrow('EBADF');
    await expect(syncer.sync('/d')).resolves.toBeUndefined();
    expect(syncer.busy).toBe(0);
  });
});
