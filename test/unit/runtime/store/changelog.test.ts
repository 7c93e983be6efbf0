import { type Change, ResourceType, WatchResponse } from '../../../../proto/gen/weft/network/v1/network_service';
import { Network } from '../../../../proto/gen/weft/network/v1/resources';
import { ChangeLog, changeKey } from '../../../../services/runtime/store/changelog';
import type { KvStore } from '../../../../services/runtime/store/kv';
import { TmpKv } from './tmp-kv';

function change(id: string, deleted = false): Change {
  return {
    resourceType: ResourceType.RESOURCE_TYPE_NETWORK,
    id,
    projectId: 'proj',
    deleted,
    value: { $case: 'network', value: Network.fromPartial({ id, projectId: 'proj', name: `net ${id}` }) },
  };
}

/** What `NetworkState.mutate` does: record in the txn, commit, publish once durable. */
function mutate(kv: KvStore, log: ChangeLog<WatchResponse>, changes: Change[]): { event: WatchResponse; done: Promise<void> } {
  const txn = kv.begin();
  const event = log.record(txn, (revision) => ({ revision, changes }));
  return { event, done: kv.commit(txn, () => log.publish(event)) };
}

async function collect(gen: AsyncGenerator<WatchResponse>): Promise<WatchResponse[]> {
  const out: WatchResponse[] = [];
  for await (const e of gen) out.push(e);
  return out;
}

async function changeKeysOnDisk(kv: KvStore): Promise<string[]> {
  return kv.db.keys({ gte: 'c/', lt: 'c0' }).all();
}

async function waitFor(cond: () => Promise<boolean> | boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const revs = (events: readonly WatchResponse[]): number[] => events.map((e) => e.revision);

describe('changeKey', () => {
  test('is fixed-width lowercase hex so lexical order is numeric order', () => {
    expect(changeKey(1)).toBe('c/0000000000000001');
    expect(changeKey(255)).toBe('c/00000000000000ff');
    const ns = [0, 1, 9, 10, 15, 16, 255, 256, 4095, 65536, 2 ** 40, Number.MAX_SAFE_INTEGER];
    const keys = ns.map(changeKey);
    expect([...keys].sort()).toEqual(keys);
    for (const k of keys) expect(k).toHaveLength(18);
  });
});

describe('ChangeLog', () => {
  let tmp: TmpKv;
  let kv: KvStore;

  beforeEach(async () => {
    tmp = new TmpKv();
    kv = await tmp.openStore();
  });

  afterEach(async () => {
    await tmp.cleanup();
    expect(tmp.fatal).toEqual([]);
  });

  test('a fresh log is at revision 0 with oldest 1', () => {
    const log = new ChangeLog<WatchResponse>(kv, 10, WatchResponse);
    expect(log.revision).toBe(0);
    expect(log.oldest).toBe(1);
  });

  test('record assigns consecutive revisions and writes m/rev and c/<rev> into the txn', async () => {
    const log = new ChangeLog<WatchResponse>(kv, 100, WatchResponse);
    const txn = kv.begin();
    const e1 = log.record(txn, (revision) => ({ revision, changes: [change('a')] }));
    expect(e1).toEqual({ revision: 1, changes: [change('a')] });
    expect(txn.ops.map((o) => o.key).sort()).toEqual([changeKey(1), 'm/rev'].sort());
    expect(txn.get('m/rev')?.readBigUInt64BE(0)).toBe(1n);
    await kv.commit(txn, () => log.publish(e1));
    const { event: e2, done } = mutate(kv, log, [change('b')]);
    expect(e2.revision).toBe(2);
    await done;
    expect(kv.get('m/rev')?.readBigUInt64BE(0)).toBe(2n);
  });

  test('revision advances only when the event is durable and published', async () => {
    const log = new ChangeLog<WatchResponse>(kv, 100, WatchResponse);
    const { event, done } = mutate(kv, log, [change('a')]);
    expect(event.revision).toBe(1);
    expect(log.revision).toBe(0);
    await done;
    expect(log.revision).toBe(1);
  });

  test('subscribers receive every event once, in revision order, before the commit resolves', async () => {
    const log = new ChangeLog<WatchResponse>(kv, 100, WatchResponse);
    const seenA: number[] = [];
    const seenB: WatchResponse[] = [];
    log.subscribe((e) => seenA.push(e.revision));
    log.subscribe((e) => seenB.push(e));
    const first = mutate(kv, log, [change('n1')]);
    // Several mutations in one turn (they share a batch).
    const rest = [2, 3, 4, 5].map((i) => mutate(kv, log, [change(`n${i}`)]));
    let publishedWhenResolved = -1;
    await first.done.then(() => {
      publishedWhenResolved = seenA.length;
    });
    expect(publishedWhenResolved).toBeGreaterThanOrEqual(1);
    await Promise.all(rest.map((r) => r.done));
    expect(seenA).toEqual([1, 2, 3, 4, 5]);
    expect(seenB.map((e) => e.changes[0].id)).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
    expect(seenB[2]).toEqual(rest[1].event);
    expect(log.revision).toBe(5);
  });

  test('unsubscribe stops delivery to that listener only', async () => {
    const log = new ChangeLog<WatchResponse>(kv, 100, WatchResponse);
    const a: number[] = [];
    const b: number[] = [];
    const offA = log.subscribe((e) => a.push(e.revision));
    log.subscribe((e) => b.push(e.revision));
    await mutate(kv, log, [change('x')]).done;
    offA();
    await mutate(kv, log, [change('y')]).done;
    expect(a).toEqual([1]);
    expect(b).toEqual([1, 2]);
  });

  test('an aborted mutation gives its revision back and writes nothing', async () => {
    const log = new ChangeLog<WatchResponse>(kv, 100, WatchResponse);
    await mutate(kv, log, [change('a')]).done;
    const seen: number[] = [];
    log.subscribe((e) => seen.push(e.revision));
    const txn = kv.begin();
    expect(log.record(txn, (revision) => ({ revision, changes: [change('aborted')] })).revision).toBe(2);
    kv.abort(txn);
    const { event, done } = mutate(kv, log, [change('b')]);
    expect(event.revision).toBe(2);
    await done;
    expect(seen).toEqual([2]);
    expect(await changeKeysOnDisk(kv)).toEqual([changeKey(1), changeKey(2)]);
    const replayed = await collect(log.replay(1, 2));
    expect(replayed.map((e) => e.changes[0].id)).toEqual(['a', 'b']);
  });

  test('replay(from, to) reads inclusive ranges from disk in order', async () => {
    const log = new ChangeLog<WatchResponse>(kv, 100, WatchResponse);
    for (let i = 1; i <= 20; i++) await mutate(kv, log, [change(`n${i}`), change(`m${i}`, true)]).done;
    const all = await collect(log.replay(1, 20));
    expect(revs(all)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(all[4]).toEqual({ revision: 5, changes: [change('n5'), change('m5', true)] });
    expect(revs(await collect(log.replay(15, 17)))).toEqual([15, 16, 17]);
    expect(revs(await collect(log.replay(7, 7)))).toEqual([7]);
    expect(revs(await collect(log.replay(19, 50)))).toEqual([19, 20]);
    expect(await collect(log.replay(8, 7))).toEqual([]);
    expect(await collect(log.replay(21, 30))).toEqual([]);
  });

  test('replay crosses hex digit boundaries in numeric order', async () => {
    const log = new ChangeLog<WatchResponse>(kv, 1000, WatchResponse);
    for (let i = 1; i <= 20; i++) mutate(kv, log, [change(`n${i}`)]);
    await kv.settled();
    expect(revs(await collect(log.replay(14, 18)))).toEqual([14, 15, 16, 17, 18]);
  });

  test('revision (and history) survive a reopen; numbering continues', async () => {
    let log = new ChangeLog<WatchResponse>(kv, 100, WatchResponse);
    for (let i = 1; i <= 3; i++) await mutate(kv, log, [change(`n${i}`)]).done;
    kv = await tmp.reopen(kv);
    log = new ChangeLog<WatchResponse>(kv, 100, WatchResponse);
    expect(log.revision).toBe(3);
    expect(log.oldest).toBe(1);
    const { event, done } = mutate(kv, log, [change('n4')]);
    expect(event.revision).toBe(4);
    await done;
    expect(revs(await collect(log.replay(1, 4)))).toEqual([1, 2, 3, 4]);
  });

  test('no compaction until the log exceeds retain plus slack', async () => {
    const retain = 10;
    const log = new ChangeLog<WatchResponse>(kv, retain, WatchResponse);
    // Compaction triggers once revision - oldest > retain + min(1000, retain), i.e. at 22 here.
    for (let i = 1; i <= 21; i++) await mutate(kv, log, [change(`n${i}`)]).done;
    await new Promise((r) => setTimeout(r, 30));
    expect(log.oldest).toBe(1);
    expect(await changeKeysOnDisk(kv)).toHaveLength(21);
  });

  test('compaction raises oldest, deletes older c/ entries, and the floor survives reopen', async () => {
    const retain = 10;
    let log = new ChangeLog<WatchResponse>(kv, retain, WatchResponse);
    for (let i = 1; i <= 25; i++) await mutate(kv, log, [change(`n${i}`)]).done;
    // Triggered at revision 22: keep the last `retain` + the current one, i.e. 12..22 (then 23..25).
    await waitFor(() => log.oldest === 12, 'oldest to rise');
    await waitFor(async () => (await changeKeysOnDisk(kv)).length === 14, 'old entries to be cleared');
    const keys = await changeKeysOnDisk(kv);
    expect(keys[0]).toBe(changeKey(12));
    expect(keys[keys.length - 1]).toBe(changeKey(25));
    expect(revs(await collect(log.replay(log.oldest, log.revision)))).toEqual(Array.from({ length: 14 }, (_, i) => i + 12));
    // Replaying from before the floor only yields what is left (callers check `oldest`).
    expect(revs(await collect(log.replay(1, 13)))).toEqual([12, 13]);

    kv = await tmp.reopen(kv);
    log = new ChangeLog<WatchResponse>(kv, retain, WatchResponse);
    expect(log.oldest).toBe(12);
    expect(log.revision).toBe(25);
  });

  test('compaction keeps working as the log grows (repeated rounds)', async () => {
    const retain = 10;
    const slack = Math.min(1000, retain);
    const log = new ChangeLog<WatchResponse>(kv, retain, WatchResponse);
    const floors: number[] = [];
    for (let i = 1; i <= 60; i++) {
      const before = log.oldest;
      await mutate(kv, log, [change(`n${i}`)]).done;
      if (log.revision - before > retain + slack) {
        // This publish started a compaction; let it finish so the next rounds are deterministic.
        const floor = log.revision - retain;
        await waitFor(() => log.oldest === floor, `oldest to reach ${floor}`);
        await waitFor(async () => (await changeKeysOnDisk(kv))[0] === changeKey(floor), `entries below ${floor} to be cleared`);
        floors.push(floor);
      }
    }
    // Triggers at 22, 33, 44 and 55 (each time revision - oldest exceeds 20).
    expect(floors).toEqual([12, 23, 34, 45]);
    expect(log.oldest).toBe(45);
    const keys = await changeKeysOnDisk(kv);
    expect(keys).toEqual(Array.from({ length: 16 }, (_, i) => changeKey(45 + i)));
  });

  // Compaction runs in the background; closing mid-compaction must neither crash nor leak a rejection.
  test('closing the store right after a commit that triggers compaction does not leave an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown): void => void unhandled.push(err);
    process.on('unhandledRejection', onUnhandled);
    try {
      const log = new ChangeLog<WatchResponse>(kv, 10, WatchResponse);
      for (let i = 1; i <= 22; i++) await mutate(kv, log, [change(`n${i}`)]).done; // 22 triggers compaction
      await tmp.close(kv);
      await new Promise((r) => setTimeout(r, 100));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
