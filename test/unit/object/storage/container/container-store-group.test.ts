import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ContainerStore } from '../../../../../services/object/storage/container/container-store';
import type { ObjectRow } from '../../../../../services/object/storage/container/rows';
import { Timestamp } from '../../../../../services/object/common/timestamp';

/** Row updates that arrive together for one container share one batch (group commit). */
describe('ContainerStore.updateRow group commit', () => {
  let dir: string;
  let store: ContainerStore;
  const ref = { device: 'sda', account: 'AUTH_a', container: 'c' };
  const row = (name: string, ts: string, size: number, deleted = false): ObjectRow => ({ name, timestamp: ts, size, etag: 'e', content_type: 't', deleted });

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'weft-cgroup-'));
    store = new ContainerStore({ devicesRoot: dir, secret: { prefix: 'p', suffix: 's' }, fsync: true });
    expect(await store.putContainer(ref, Timestamp.parse('1700000000.00000'), {})).toBe('created');
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('many concurrent updates: every row applied once, counts exact', async () => {
    const n = 200;
    const outcomes = await Promise.all(Array.from({ length: n }, (_, i) => store.updateRow(ref, row(`o${i}`, '1700000001.00000', i))));
    expect(outcomes).toEqual(new Array(n).fill('applied'));
    const rec = await store.record(ref);
    expect(rec?.objectCount).toBe(n);
    expect(rec?.bytesUsed).toBe((n * (n - 1)) / 2);
    const listed = await store.list(ref, { limit: 10000, reverse: false });
    expect(listed).toHaveLength(n);
  });

  test('updates of one name in one group apply in order by timestamp, each with its own outcome', async () => {
    const results = await Promise.all([
      store.updateRow(ref, row('x', '1700000002.00000', 10)),
      store.updateRow(ref, row('x', '1700000001.00000', 99)), // older than the first: stale
      store.updateRow(ref, row('x', '1700000003.00000', 20)), // newer: replaces, count stays 1
      store.updateRow(ref, row('y', '1700000003.00000', 5)),
      store.updateRow(ref, row('y', '1700000004.00000', 0, true)), // deletes y
    ]);
    expect(results).toEqual(['applied', 'stale', 'applied', 'applied', 'applied']);
    const rec = await store.record(ref);
    expect(rec?.objectCount).toBe(1);
    expect(rec?.bytesUsed).toBe(20);
    // A later group sees what the earlier one committed.
    expect(await store.updateRow(ref, row('x', '1700000003.00000', 20))).toBe('stale');
    expect(await store.updateRow(ref, row('y', '1700000003.50000', 7))).toBe('stale');
  });

  test('no live container: every update of the group says so, nothing is counted', async () => {
    const other = { ...ref, container: 'missing' };
    const results = await Promise.all([store.updateRow(other, row('a', '1700000001.00000', 1)), store.updateRow(other, row('b', '1700000001.00000', 1))]);
    expect(results).toEqual(['no_container', 'no_container']);
    expect(await store.record(other)).toBeUndefined();
  });
});
