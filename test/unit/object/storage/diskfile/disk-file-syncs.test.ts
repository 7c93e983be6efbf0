/**
 * What a write costs in directory syncs (fsync on): pinned so that a change adding syncs to the
 * write path is noticed. The data and metadata files' own fsyncs come on top (2 per PUT).
 */
import { dirSyncer } from '../../../../../services/object/storage/diskfile/durable-fs';
import { makeStore, put, T, type Fixture } from './store-fixture';

let fx: Fixture;
beforeEach(() => (fx = makeStore()));
afterEach(() => fx.cleanup());

async function dirSyncRequests(fn: () => Promise<unknown>): Promise<number> {
  const before = dirSyncer.counters.requests;
  await fn();
  return dirSyncer.counters.requests - before;
}

describe('directory syncs per write', () => {
  test('new object: its hash directory and the parent of each directory created; overwrite, DELETE, POST: the hash directory only', async () => {
    const a = fx.store.object(fx.ref('a'));
    // First object of the device: objects/, the partition, the suffix and the hash directory are
    // new, so their parents (device, objects/, partition, suffix) and the hash directory are synced.
    expect(await dirSyncRequests(() => put(a, '1700000001.00000', 'one'))).toBe(5);
    let other = fx.store.object(fx.ref('b'));
    for (let i = 0; other.suffix === a.suffix; i++) other = fx.store.object(fx.ref(`b${i}`));
    // Same partition, new suffix: partition, suffix, hash directory.
    expect(await dirSyncRequests(() => put(other, '1700000001.00000', 'two'))).toBe(3);
    expect(await dirSyncRequests(() => put(a, '1700000002.00000', 'one again'))).toBe(1);
    expect(await dirSyncRequests(() => a.post(T('1700000003.00000'), { headers: {} }))).toBe(1);
    expect(await dirSyncRequests(() => a.delete(T('1700000004.00000')))).toBe(1);
  });

  test('concurrent new objects in one partition share the syncs of the directories they have in common', async () => {
    await put(fx.store.object(fx.ref('seed')), '1700000001.00000', 'x');
    const before = dirSyncer.counters;
    await Promise.all(Array.from({ length: 24 }, (_, i) => put(fx.store.object(fx.ref(`o-${i}`)), '1700000002.00000', `body ${i}`)));
    const after = dirSyncer.counters;
    const requests = after.requests - before.requests;
    // Each new object asks for its hash directory, its suffix and (new suffix) the partition.
    expect(requests).toBeGreaterThanOrEqual(24 * 2);
    expect(after.syncs - before.syncs).toBeLessThan(requests);
    for (let i = 0; i < 24; i++) {
      const r = await fx.store.object(fx.ref(`o-${i}`)).read();
      expect(r.kind).toBe('found');
      if (r.kind === 'found') await r.object.close();
    }
  });
});
