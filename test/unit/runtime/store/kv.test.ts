import { isMirrored, type BatchOp, type KvStore } from '../../../../services/runtime/store/kv';
import { buf, TmpKv } from './tmp-kv';

type BatchFn = (ops: BatchOp[], opts?: object) => Promise<void>;

/**
 * Wraps the storage-level batch write (`_batch`, which KvStore calls for its pre-encoded ops) to
 * record every batch written (and optionally replace it).
 */
function interceptBatch(kv: KvStore, impl?: (orig: BatchFn, ops: BatchOp[], opts?: object) => Promise<void>): { calls: BatchOp[][]; restore(): void } {
  const db = kv.db as unknown as { _batch: BatchFn };
  const orig: BatchFn = db._batch.bind(db);
  const calls: BatchOp[][] = [];
  db._batch = (ops, opts) => {
    calls.push([...ops]);
    return impl ? impl(orig, ops, opts) : orig(ops, opts);
  };
  return { calls, restore: () => void Reflect.deleteProperty(db, '_batch') };
}

/** Reads a key straight from LevelDB (bypassing the mirror); undefined when absent. */
async function onDisk(kv: KvStore, key: string): Promise<string | undefined> {
  const v = await kv.db.get(key);
  return v === undefined ? undefined : v.toString('utf8');
}

async function diskKeys(kv: KvStore): Promise<string[]> {
  return kv.db.keys().all();
}

describe('isMirrored', () => {
  test.each(['r/network/1', 'a/vxlan/5', 'm/rev', 'u/name/x'])('%s is mirrored', (key) => {
    expect(isMirrored(key)).toBe(true);
  });
  test.each(['i/port/network/n/1', 'c/0000000000000001', 'x/other', 'rx/1', 'r', '', 'R/network/1', ' r/x'])('%s is not mirrored', (key) => {
    expect(isMirrored(key)).toBe(false);
  });
});

describe('KvStore', () => {
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

  describe('txn overlay', () => {
    test('a txn sees its own puts; the mirror does not until commit', async () => {
      const txn = kv.begin();
      txn.put('r/network/1', buf('one'));
      expect(txn.get('r/network/1')?.toString()).toBe('one');
      expect(kv.get('r/network/1')).toBeUndefined();
      expect([...kv.peekPrefix('r/')]).toEqual([]);

      const done = kv.commit(txn);
      // Applied to the mirror synchronously at commit, before durability.
      expect(kv.get('r/network/1')?.toString()).toBe('one');
      await done;
      expect(await onDisk(kv, 'r/network/1')).toBe('one');
    });

    test('a txn sees its own deletes over the mirror; others still see the old value', async () => {
      const t1 = kv.begin();
      t1.put('r/network/1', buf('v1'));
      await kv.commit(t1);

      const t2 = kv.begin();
      t2.del('r/network/1');
      expect(t2.get('r/network/1')).toBeUndefined();
      expect(kv.get('r/network/1')?.toString()).toBe('v1');
      // A second, independent txn does not see t2's pending delete.
      expect(kv.begin().get('r/network/1')?.toString()).toBe('v1');

      await kv.commit(t2);
      expect(kv.get('r/network/1')).toBeUndefined();
      expect(await onDisk(kv, 'r/network/1')).toBeUndefined();
    });

    test('the last write to a key in a txn wins, in the overlay, the mirror and on disk', async () => {
      const txn = kv.begin();
      txn.put('r/x/1', buf('a'));
      txn.del('r/x/1');
      expect(txn.get('r/x/1')).toBeUndefined();
      txn.put('r/x/1', buf('b'));
      expect(txn.get('r/x/1')?.toString()).toBe('b');
      txn.put('r/x/2', buf('c'));
      txn.del('r/x/2');
      expect(txn.ops.map((o) => `${o.type} ${o.key}`)).toEqual(['put r/x/1', 'del r/x/1', 'put r/x/1', 'put r/x/2', 'del r/x/2']);
      await kv.commit(txn);
      expect(kv.get('r/x/1')?.toString()).toBe('b');
      expect(kv.get('r/x/2')).toBeUndefined();
      expect(await onDisk(kv, 'r/x/1')).toBe('b');
      expect(await onDisk(kv, 'r/x/2')).toBeUndefined();
    });

    test('txn reads fall through to the mirror for keys it did not touch', async () => {
      const t1 = kv.begin();
      t1.put('m/a', buf('A'));
      await kv.commit(t1);
      const t2 = kv.begin();
      t2.put('m/b', buf('B'));
      expect(t2.get('m/a')?.toString()).toBe('A');
      expect(t2.get('m/b')?.toString()).toBe('B');
      expect(t2.get('m/missing')).toBeUndefined();
      kv.abort(t2);
    });

    test('Uint8Array values (protobuf output) are stored byte-exact, including views into larger buffers', async () => {
      const backing = new Uint8Array([9, 9, 1, 2, 3, 9]);
      const view = backing.subarray(2, 5);
      const txn = kv.begin();
      txn.put('r/bytes/1', view);
      expect([...(txn.get('r/bytes/1') ?? [])]).toEqual([1, 2, 3]);
      await kv.commit(txn);
      expect([...(kv.get('r/bytes/1') ?? [])]).toEqual([1, 2, 3]);
      kv = await tmp.reopen(kv);
      expect([...(kv.get('r/bytes/1') ?? [])]).toEqual([1, 2, 3]);
    });

    test('non-mirrored keys are queued for disk but never enter the overlay or mirror', async () => {
      const txn = kv.begin();
      txn.put('i/port/network/n1/p1', Buffer.alloc(0));
      txn.put('c/0000000000000001', buf('log'));
      expect(txn.get('i/port/network/n1/p1')).toBeUndefined();
      expect(txn.ops).toHaveLength(2);
      await kv.commit(txn);
      expect(kv.get('i/port/network/n1/p1')).toBeUndefined();
      expect(kv.get('c/0000000000000001')).toBeUndefined();
      expect(await onDisk(kv, 'i/port/network/n1/p1')).toBe('');
      expect(await onDisk(kv, 'c/0000000000000001')).toBe('log');
    });
  });

  describe('abort', () => {
    test('runs onAbort undos in reverse registration order and writes nothing', async () => {
      const order: string[] = [];
      const txn = kv.begin();
      txn.put('r/network/1', buf('x'));
      txn.put('i/network/idx/v/1', buf(''));
      txn.onAbort(() => order.push('first'));
      txn.onAbort(() => order.push('second'));
      txn.onAbort(() => order.push('third'));
      kv.abort(txn);
      expect(order).toEqual(['third', 'second', 'first']);
      expect(kv.get('r/network/1')).toBeUndefined();
      await kv.settled();
      expect(await diskKeys(kv)).toEqual([]);
    });

    test('undos are not run on commit', async () => {
      const undo = jest.fn();
      const txn = kv.begin();
      txn.put('r/network/1', buf('x'));
      txn.onAbort(undo);
      await kv.commit(txn);
      expect(undo).not.toHaveBeenCalled();
    });

    test('an aborted txn does not disturb txns committed before or after it', async () => {
      const t1 = kv.begin();
      t1.put('r/a/1', buf('1'));
      const p1 = kv.commit(t1);
      const t2 = kv.begin();
      t2.put('r/a/2', buf('2'));
      t2.del('r/a/1');
      kv.abort(t2);
      const t3 = kv.begin();
      t3.put('r/a/3', buf('3'));
      const p3 = kv.commit(t3);
      await Promise.all([p1, p3]);
      expect(kv.get('r/a/1')?.toString()).toBe('1');
      expect(kv.get('r/a/2')).toBeUndefined();
      expect(await diskKeys(kv)).toEqual(['r/a/1', 'r/a/3']);
    });
  });

  describe('group commit and durability', () => {
    test('many txns committed in one synchronous turn all resolve, share batches and survive reopen', async () => {
      const batch = interceptBatch(kv);
      const n = 50;
      const promises: Promise<void>[] = [];
      for (let i = 0; i < n; i++) {
        const txn = kv.begin();
        const id = String(i).padStart(3, '0');
        txn.put(`r/thing/${id}`, buf(`value ${i}`));
        txn.put(`i/thing/byparity/${i % 2}/${id}`, Buffer.alloc(0));
        promises.push(kv.commit(txn));
      }
      await Promise.all(promises);
      // Group commit: far fewer LevelDB batches than txns (the first txn starts a batch, the
      // rest accumulate meanwhile and go together in the next).
      expect(batch.calls.length).toBeGreaterThanOrEqual(1);
      expect(batch.calls.length).toBeLessThanOrEqual(2);
      expect(batch.calls.flat()).toHaveLength(2 * n);
      batch.restore();

      kv = await tmp.reopen(kv);
      for (let i = 0; i < n; i++) {
        const id = String(i).padStart(3, '0');
        expect(kv.get(`r/thing/${id}`)?.toString()).toBe(`value ${i}`);
      }
      expect([...kv.peekPrefix('r/thing/')]).toHaveLength(n);
      const idx = await kv.db.keys({ gte: 'i/thing/byparity/0/', lt: 'i/thing/byparity/00' }).all();
      expect(idx).toHaveLength(n / 2);
    });

    test('txns committed while a batch is being written wait and go together in the next batch', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const batch = interceptBatch(kv, async (orig, ops, opts) => {
        if (batch.calls.length === 1) await gate; // hold the first batch open
        return orig(ops, opts);
      });
      const acked: string[] = [];
      const commit = (name: string): Promise<void> => {
        const t = kv.begin();
        t.put(`r/g/${name}`, buf(name));
        return kv.commit(t).then(() => void acked.push(name));
      };
      const p1 = commit('t1');
      expect(batch.calls.map((ops) => ops.map((o) => o.key))).toEqual([['r/g/t1']]);
      const p2 = commit('t2');
      const p3 = commit('t3');
      // Visible in the mirror at once, but not written (nor acknowledged) while t1's batch is open.
      expect(kv.get('r/g/t3')?.toString()).toBe('t3');
      await new Promise((r) => setTimeout(r, 20));
      expect(batch.calls).toHaveLength(1);
      expect(acked).toEqual([]);
      const settled = kv.settled();
      release();
      await Promise.all([p1, p2, p3, settled]);
      expect(batch.calls.map((ops) => ops.map((o) => o.key))).toEqual([['r/g/t1'], ['r/g/t2', 'r/g/t3']]);
      expect(acked).toEqual(['t1', 't2', 't3']);
      batch.restore();
      expect(await onDisk(kv, 'r/g/t3')).toBe('t3');
    });

    test('a commit is acknowledged only once its batch is on disk', async () => {
      const txn = kv.begin();
      txn.put('r/a/1', buf('1'));
      let resolved = false;
      const p = kv.commit(txn).then(() => {
        resolved = true;
      });
      expect(resolved).toBe(false);
      await p;
      expect(await onDisk(kv, 'r/a/1')).toBe('1');
    });

    test('settled() waits for everything committed so far, including later batches', async () => {
      await kv.settled(); // nothing pending: resolves
      for (let i = 0; i < 10; i++) {
        const txn = kv.begin();
        txn.put(`r/s/${i}`, buf(String(i)));
        txn.put(`c/${i}`, buf(String(i)));
        void kv.commit(txn);
      }
      await kv.settled();
      const keys = await diskKeys(kv);
      expect(keys.filter((k) => k.startsWith('r/s/'))).toHaveLength(10);
      expect(keys.filter((k) => k.startsWith('c/'))).toHaveLength(10);
    });

    test('settled() also covers commits made while a batch is in flight', async () => {
      const t1 = kv.begin();
      t1.put('r/a/1', buf('1'));
      void kv.commit(t1);
      const s = kv.settled();
      const t2 = kv.begin();
      t2.put('r/a/2', buf('2'));
      void kv.commit(t2);
      await s;
      expect(await onDisk(kv, 'r/a/1')).toBe('1');
      expect(await onDisk(kv, 'r/a/2')).toBe('2');
    });

    test('onDurable hooks run in commit order, and all hooks of a batch run before any commit promise resumes', async () => {
      const events: string[] = [];
      const t0 = kv.begin();
      t0.put('r/o/0', buf('0'));
      const p0 = kv.commit(t0, () => events.push('durable 0'));
      // These three are committed while t0's batch is being written, so they share the next batch.
      const ps = [1, 2, 3].map((i) => {
        const t = kv.begin();
        t.put(`r/o/${i}`, buf(String(i)));
        return kv.commit(t, () => events.push(`durable ${i}`)).then(() => {
          events.push(`resumed ${i}`);
        });
      });
      await Promise.all([p0, ...ps]);
      const durable = events.filter((e) => e.startsWith('durable'));
      expect(durable).toEqual(['durable 0', 'durable 1', 'durable 2', 'durable 3']);
      const lastHook = events.indexOf('durable 3');
      for (const i of [1, 2, 3]) expect(events.indexOf(`resumed ${i}`)).toBeGreaterThan(lastHook);
      expect(events.filter((e) => e.startsWith('resumed'))).toEqual(['resumed 1', 'resumed 2', 'resumed 3']);
    });

    test('an onDurable hook sees its own write on disk', async () => {
      const txn = kv.begin();
      txn.put('c/0000000000000001', buf('entry'));
      let seen: Promise<string | undefined> | undefined;
      await kv.commit(txn, () => {
        seen = onDisk(kv, 'c/0000000000000001');
      });
      expect(await seen).toBe('entry');
    });
  });

  describe('mirror after reopen', () => {
    test('r/ a/ m/ u/ keys are loaded into the mirror; i/ and c/ stay on disk only', async () => {
      const txn = kv.begin();
      const keys = ['r/network/1', 'a/vxlan/100', 'm/rev', 'u/network-name/p/n', 'i/port/network/n/1', 'c/0000000000000001', 'x/unknown'];
      for (const k of keys) txn.put(k, buf(`v:${k}`));
      await kv.commit(txn);

      kv = await tmp.reopen(kv);
      for (const k of ['r/network/1', 'a/vxlan/100', 'm/rev', 'u/network-name/p/n']) {
        expect(kv.get(k)?.toString()).toBe(`v:${k}`);
      }
      for (const k of ['i/port/network/n/1', 'c/0000000000000001', 'x/unknown']) {
        expect(kv.get(k)).toBeUndefined();
        expect(await onDisk(kv, k)).toBe(`v:${k}`);
      }
      expect(kv.begin().get('r/network/1')?.toString()).toBe('v:r/network/1');
    });

    test('deletes are durable: a deleted mirrored key is absent after reopen', async () => {
      const t1 = kv.begin();
      t1.put('r/a/1', buf('1'));
      t1.put('r/a/2', buf('2'));
      await kv.commit(t1);
      const t2 = kv.begin();
      t2.del('r/a/1');
      await kv.commit(t2);
      kv = await tmp.reopen(kv);
      expect(kv.get('r/a/1')).toBeUndefined();
      expect(kv.get('r/a/2')?.toString()).toBe('2');
    });

    test('keys sorting next to mirrored prefixes (e.g. "r0", "rz/") are not loaded', async () => {
      const txn = kv.begin();
      txn.put('r0', buf('x'));
      txn.put('rz/1', buf('x'));
      txn.put('r/ok', buf('ok'));
      await kv.commit(txn);
      kv = await tmp.reopen(kv);
      expect(kv.get('r0')).toBeUndefined();
      expect(kv.get('rz/1')).toBeUndefined();
      expect(kv.get('r/ok')?.toString()).toBe('ok');
    });

    test('peekPrefix yields only mirrored entries under the prefix', async () => {
      const txn = kv.begin();
      txn.put('r/net/1', buf('1'));
      txn.put('r/net/2', buf('2'));
      txn.put('r/network/3', buf('3'));
      txn.put('r/port/1', buf('p'));
      await kv.commit(txn);
      const got = [...kv.peekPrefix('r/net/')].map(([k, v]) => `${k}=${v.toString()}`).sort();
      expect(got).toEqual(['r/net/1=1', 'r/net/2=2']);
    });
  });

  describe('write failure', () => {
    test('a failed batch is fatal: onFatal receives the error and later commits are rejected', async () => {
      const boom = new Error('disk on fire');
      const batch = interceptBatch(kv, () => Promise.reject(boom));
      const t1 = kv.begin();
      t1.put('r/a/1', buf('1'));
      void kv.commit(t1); // never acknowledged: the process is expected to exit via onFatal
      await kv.settled();
      expect(tmp.fatal).toEqual([boom]);
      const t2 = kv.begin();
      t2.put('r/a/2', buf('2'));
      await expect(kv.commit(t2)).rejects.toBe(boom);
      // The rejected txn never touched the mirror.
      expect(kv.get('r/a/2')).toBeUndefined();
      expect(batch.calls).toHaveLength(1);
      batch.restore();
      tmp.fatal.length = 0;
    });
  });
});

describe('KvStore empty commits', () => {
  const tmp = new TmpKv();
  afterAll(() => tmp.cleanup());
  test('a txn with no writes resolves (after earlier commits) instead of waiting forever', async () => {
    const kv = await tmp.openStore();
    const t1 = kv.begin();
    t1.put('r/x/1', buf('1'));
    const first = kv.commit(t1);
    let hook = false;
    await kv.commit(kv.begin(), () => (hook = true));
    expect(hook).toBe(true);
    await first;
    await tmp.close(kv);
  });
});
