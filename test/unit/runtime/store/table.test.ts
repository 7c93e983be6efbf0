import { Port } from '../../../../proto/gen/weft/network/v1/resources';
import type { KvStore } from '../../../../services/runtime/store/kv';
import { encodeKeyPart, Table } from '../../../../services/runtime/store/table';
import { TmpKv } from './tmp-kv';

/** Ids in the UUID shape the API uses; `uid(3)` sorts before `uid(10)`. */
const uid = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

function port(n: number, networkId: string, securityGroupIds: string[] = [], tags: string[] = []): Port {
  return Port.fromPartial({ id: uid(n), projectId: 'proj', name: `port-${n}`, networkId, securityGroupIds, tags });
}

function makeTable(): Table<Port> {
  return new Table<Port>(
    'port',
    Port,
    { network: (p) => [p.networkId], tag: (p) => p.tags },
    { securityGroup: (p) => p.securityGroupIds, network: (p) => [p.networkId] },
  );
}

async function keysUnder(kv: KvStore, prefix: string): Promise<string[]> {
  return kv.db.keys({ gte: prefix, lt: prefix + '\xff' }).all();
}

const ids = (ports: readonly Port[]): string[] => ports.map((p) => p.id);
const refs = (t: Table<Port>, name: string, value: string): string[] => [...t.referencing(name, value)].sort();

describe('encodeKeyPart', () => {
  test('escapes the key separator and other reserved characters', () => {
    expect(encodeKeyPart('a/b')).toBe('a%2Fb');
    expect(encodeKeyPart('../r/network/x')).toBe('..%2Fr%2Fnetwork%2Fx');
    expect(encodeKeyPart('has space,comma%')).toBe('has%20space%2Ccomma%25');
    expect(encodeKeyPart('plain-value_1')).toBe('plain-value_1');
    expect(encodeKeyPart('')).toBe('');
  });
  test('is injective on distinct inputs that differ only by escapes', () => {
    const values = ['a/b', 'a%2Fb', 'a%252Fb', 'a', 'a/'];
    expect(new Set(values.map(encodeKeyPart)).size).toBe(values.length);
  });
});

describe('Table', () => {
  let tmp: TmpKv;
  let kv: KvStore;
  let table: Table<Port>;

  beforeEach(async () => {
    tmp = new TmpKv();
    kv = await tmp.openStore();
    table = makeTable();
  });

  afterEach(async () => {
    await tmp.cleanup();
    expect(tmp.fatal).toEqual([]);
  });

  async function save(next: Port, prev?: Port): Promise<void> {
    const txn = kv.begin();
    table.put(txn, next, prev);
    await kv.commit(txn);
  }

  async function remove(prev: Port): Promise<void> {
    const txn = kv.begin();
    table.delete(txn, prev);
    await kv.commit(txn);
  }

  test('key and indexPrefix layout', () => {
    expect(table.key('abc')).toBe('r/port/abc');
    expect(table.indexPrefix('network', 'n1')).toBe('i/port/network/n1/');
    expect(table.indexPrefix('network', 'a/b')).toBe('i/port/network/a%2Fb/');
  });

  describe('put / update / delete', () => {
    test('put writes the encoded record and one key per index value', async () => {
      const p = port(1, 'net-a', ['sg1'], ['x', 'y']);
      await save(p);
      expect(table.get(kv, p.id)).toEqual(p);
      expect(Port.decode((await kv.db.get(table.key(p.id)))!)).toEqual(p);
      expect(await keysUnder(kv, 'i/port/')).toEqual([
        `i/port/network/net-a/${p.id}`,
        `i/port/tag/x/${p.id}`,
        `i/port/tag/y/${p.id}`,
      ]);
    });

    test('get through the txn sees the pending record; the store does not until commit', async () => {
      const p = port(1, 'net-a');
      const txn = kv.begin();
      table.put(txn, p);
      expect(table.get(txn, p.id)).toEqual(p);
      expect(table.get(kv, p.id)).toBeUndefined();
      await kv.commit(txn);
      expect(table.get(kv, p.id)).toEqual(p);
    });

    test('get with an empty or unknown id is undefined', async () => {
      await save(port(1, 'n'));
      expect(table.get(kv, '')).toBeUndefined();
      expect(table.get(kv, uid(99))).toBeUndefined();
    });

    test('duplicate index values produce a single index key', async () => {
      const p = port(1, 'n', [], ['dup', 'dup']);
      const txn = kv.begin();
      table.put(txn, p);
      expect(txn.ops.filter((o) => o.key.startsWith('i/port/tag/'))).toHaveLength(1);
      await kv.commit(txn);
      expect(await keysUnder(kv, 'i/port/tag/')).toEqual([`i/port/tag/dup/${p.id}`]);
    });

    test('update moves index keys: old values removed, new ones added, unchanged ones untouched', async () => {
      const v1 = port(1, 'net-a', ['sg1'], ['keep', 'drop']);
      await save(v1);
      const v2 = { ...v1, networkId: 'net-b', tags: ['keep', 'new'], revisionNumber: 2 };
      const txn = kv.begin();
      table.put(txn, v2, v1);
      const indexOps = txn.ops.filter((o) => o.key.startsWith('i/')).map((o) => `${o.type} ${o.key}`).sort();
      expect(indexOps).toEqual(
        [
          `del i/port/network/net-a/${v1.id}`,
          `put i/port/network/net-b/${v1.id}`,
          `del i/port/tag/drop/${v1.id}`,
          `put i/port/tag/new/${v1.id}`,
        ].sort(),
      );
      await kv.commit(txn);
      expect(await keysUnder(kv, 'i/port/')).toEqual([
        `i/port/network/net-b/${v1.id}`,
        `i/port/tag/keep/${v1.id}`,
        `i/port/tag/new/${v1.id}`,
      ]);
      expect(table.get(kv, v1.id)?.revisionNumber).toBe(2);
    });

    test('an update that changes no indexed value writes only the record', async () => {
      const v1 = port(1, 'net-a', ['sg1'], ['t']);
      await save(v1);
      const txn = kv.begin();
      table.put(txn, { ...v1, name: 'renamed' }, v1);
      expect(txn.ops.map((o) => `${o.type} ${o.key}`)).toEqual([`put r/port/${v1.id}`]);
      kv.abort(txn);
    });

    test('delete removes the record and every index key', async () => {
      const keep = port(2, 'net-a', ['sg1'], ['t']);
      const p = port(1, 'net-a', ['sg1'], ['t', 'u']);
      await save(keep);
      await save(p);
      await remove(p);
      expect(table.get(kv, p.id)).toBeUndefined();
      expect(await kv.db.get(table.key(p.id))).toBeUndefined();
      expect(await keysUnder(kv, 'i/port/')).toEqual([`i/port/network/net-a/${keep.id}`, `i/port/tag/t/${keep.id}`]);
      expect(ids([...table.all(kv)])).toEqual([keep.id]);
    });
  });

  describe('memory indexes', () => {
    test('referencing() follows put, update and delete', async () => {
      const a = port(1, 'net-a', ['sg1', 'sg2']);
      const b = port(2, 'net-a', ['sg2']);
      await save(a);
      await save(b);
      expect(refs(table, 'securityGroup', 'sg1')).toEqual([a.id]);
      expect(refs(table, 'securityGroup', 'sg2')).toEqual([a.id, b.id]);
      expect(refs(table, 'network', 'net-a')).toEqual([a.id, b.id]);

      const a2 = { ...a, securityGroupIds: ['sg3'], networkId: 'net-b' };
      await save(a2, a);
      expect(refs(table, 'securityGroup', 'sg1')).toEqual([]);
      expect(refs(table, 'securityGroup', 'sg2')).toEqual([b.id]);
      expect(refs(table, 'securityGroup', 'sg3')).toEqual([a.id]);
      expect(refs(table, 'network', 'net-a')).toEqual([b.id]);
      expect(refs(table, 'network', 'net-b')).toEqual([a.id]);

      await remove(b);
      expect(refs(table, 'securityGroup', 'sg2')).toEqual([]);
      expect(refs(table, 'network', 'net-a')).toEqual([]);
      expect(refs(table, 'network', 'net-b')).toEqual([a.id]);
    });

    test('referencing() is updated synchronously inside the txn (before commit)', () => {
      const a = port(1, 'net-a', ['sg1']);
      const txn = kv.begin();
      table.put(txn, a);
      expect(refs(table, 'securityGroup', 'sg1')).toEqual([a.id]);
      kv.abort(txn);
    });

    test('unknown index names and values answer an empty set', () => {
      expect(table.referencing('nope', 'x').size).toBe(0);
      expect(table.referencing('securityGroup', 'unused').size).toBe(0);
    });

    test('aborting a txn reverts put, update and delete of memory refs', async () => {
      const a = port(1, 'net-a', ['sg1']);
      await save(a);

      // Create of another record, aborted.
      const b = port(2, 'net-a', ['sg1', 'sg9']);
      let txn = kv.begin();
      table.put(txn, b);
      expect(refs(table, 'securityGroup', 'sg1')).toEqual([a.id, b.id]);
      kv.abort(txn);
      expect(refs(table, 'securityGroup', 'sg1')).toEqual([a.id]);
      expect(refs(table, 'securityGroup', 'sg9')).toEqual([]);

      // Update, aborted.
      txn = kv.begin();
      table.put(txn, { ...a, securityGroupIds: ['sg5'] }, a);
      expect(refs(table, 'securityGroup', 'sg1')).toEqual([]);
      kv.abort(txn);
      expect(refs(table, 'securityGroup', 'sg1')).toEqual([a.id]);
      expect(refs(table, 'securityGroup', 'sg5')).toEqual([]);

      // Delete, aborted.
      txn = kv.begin();
      table.delete(txn, a);
      expect(refs(table, 'network', 'net-a')).toEqual([]);
      kv.abort(txn);
      expect(refs(table, 'network', 'net-a')).toEqual([a.id]);
      expect(refs(table, 'securityGroup', 'sg1')).toEqual([a.id]);
    });

    test('aborting a txn with several steps on one record unwinds them all', async () => {
      const a = port(1, 'net-a', ['sg1']);
      await save(a);
      const txn = kv.begin();
      const a2 = { ...a, securityGroupIds: ['sg2'] };
      table.put(txn, a2, a);
      const a3 = { ...a2, securityGroupIds: ['sg3'] };
      table.put(txn, a3, a2);
      table.delete(txn, a3);
      kv.abort(txn);
      expect(refs(table, 'securityGroup', 'sg1')).toEqual([a.id]);
      expect(refs(table, 'securityGroup', 'sg2')).toEqual([]);
      expect(refs(table, 'securityGroup', 'sg3')).toEqual([]);
      expect(table.get(kv, a.id)).toEqual(a);
    });

    test('rebuild() restores memory refs from the store after reopen', async () => {
      const a = port(1, 'net-a', ['sg1', 'sg2']);
      const b = port(2, 'net-b', ['sg2']);
      const c = port(3, 'net-b', []);
      await save(a);
      await save(b);
      await save(c);
      await remove(c);
      kv = await tmp.reopen(kv);

      const fresh = makeTable();
      expect(fresh.referencing('securityGroup', 'sg2').size).toBe(0);
      expect(fresh.rebuild(kv)).toBe(2);
      expect(refs(fresh, 'securityGroup', 'sg1')).toEqual([a.id]);
      expect(refs(fresh, 'securityGroup', 'sg2')).toEqual([a.id, b.id]);
      expect(refs(fresh, 'network', 'net-b')).toEqual([b.id]);
      expect(ids([...fresh.all(kv)]).sort()).toEqual([a.id, b.id]);
      expect(fresh.get(kv, a.id)).toEqual(a);
    });
  });

  describe('page()', () => {
    const all = (): true => true;

    test('returns records in id order regardless of insertion order, honouring limit and afterId', async () => {
      const order = [7, 3, 10, 1, 5, 2, 9, 4, 8, 6];
      for (const n of order) await save(port(n, 'net'));
      const p1 = await table.page(kv, { limit: 4, match: all });
      expect(ids(p1.items)).toEqual([1, 2, 3, 4].map(uid));
      expect(p1.lastId).toBe(uid(4));
      const p2 = await table.page(kv, { limit: 4, afterId: p1.lastId, match: all });
      expect(ids(p2.items)).toEqual([5, 6, 7, 8].map(uid));
      expect(p2.lastId).toBe(uid(8));
      const p3 = await table.page(kv, { limit: 4, afterId: p2.lastId, match: all });
      expect(ids(p3.items)).toEqual([9, 10].map(uid));
      expect(p3.lastId).toBeUndefined();
    });

    test('a page filled exactly to the limit still offers a continuation, which is then empty', async () => {
      for (const n of [1, 2]) await save(port(n, 'net'));
      const p1 = await table.page(kv, { limit: 2, match: all });
      expect(ids(p1.items)).toEqual([uid(1), uid(2)]);
      expect(p1.lastId).toBe(uid(2));
      const p2 = await table.page(kv, { limit: 2, afterId: p1.lastId, match: all });
      expect(p2).toEqual({ items: [], lastId: undefined });
    });

    test('an empty table yields an empty page', async () => {
      expect(await table.page(kv, { limit: 10, match: all })).toEqual({ items: [], lastId: undefined });
    });

    test('match filters records, and the limit counts only matches', async () => {
      for (let n = 1; n <= 10; n++) await save(port(n, 'net', n % 2 === 0 ? ['even'] : []));
      const even = (p: Port): boolean => p.securityGroupIds.includes('even');
      const p1 = await table.page(kv, { limit: 3, match: even });
      expect(ids(p1.items)).toEqual([2, 4, 6].map(uid));
      expect(p1.lastId).toBe(uid(6));
      const p2 = await table.page(kv, { limit: 3, afterId: p1.lastId, match: even });
      expect(ids(p2.items)).toEqual([8, 10].map(uid));
      expect(p2.lastId).toBeUndefined();
    });

    test('index paging returns only that value, in id order, without leaking similar-prefixed values', async () => {
      const values: Record<number, string> = { 1: 'a', 2: 'ab', 3: 'a', 4: 'a0', 5: 'a-', 6: 'a/b', 7: 'a', 8: 'b', 9: 'a.', 10: 'a~' };
      for (const n of [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]) await save(port(n, values[n]));
      const byNet = async (value: string): Promise<string[]> =>
        ids((await table.page(kv, { index: { name: 'network', value }, limit: 100, match: all })).items);
      expect(await byNet('a')).toEqual([1, 3, 7].map(uid));
      expect(await byNet('ab')).toEqual([uid(2)]);
      expect(await byNet('a0')).toEqual([uid(4)]);
      expect(await byNet('a-')).toEqual([uid(5)]);
      expect(await byNet('a/b')).toEqual([uid(6)]);
      expect(await byNet('a.')).toEqual([uid(9)]);
      expect(await byNet('a~')).toEqual([uid(10)]);
      expect(await byNet('missing')).toEqual([]);
      expect(await byNet('')).toEqual([]);
    });

    test('index paging honours afterId and limit', async () => {
      for (let n = 1; n <= 6; n++) await save(port(n, n <= 5 ? 'net-x' : 'net-y'));
      const p1 = await table.page(kv, { index: { name: 'network', value: 'net-x' }, limit: 2, match: all });
      expect(ids(p1.items)).toEqual([uid(1), uid(2)]);
      const p2 = await table.page(kv, { index: { name: 'network', value: 'net-x' }, afterId: p1.lastId, limit: 2, match: all });
      expect(ids(p2.items)).toEqual([uid(3), uid(4)]);
      const p3 = await table.page(kv, { index: { name: 'network', value: 'net-x' }, afterId: p2.lastId, limit: 2, match: all });
      expect(ids(p3.items)).toEqual([uid(5)]);
      expect(p3.lastId).toBeUndefined();
    });

    test('index paging follows updates and deletes', async () => {
      const a = port(1, 'net-x');
      const b = port(2, 'net-x');
      await save(a);
      await save(b);
      await save({ ...a, networkId: 'net-y' }, a);
      await remove(b);
      const x = await table.page(kv, { index: { name: 'network', value: 'net-x' }, limit: 10, match: all });
      const y = await table.page(kv, { index: { name: 'network', value: 'net-y' }, limit: 10, match: all });
      expect(x.items).toEqual([]);
      expect(ids(y.items)).toEqual([a.id]);
      expect(y.items[0].networkId).toBe('net-y');
    });

    test('a multi-valued index lists a record under each of its values', async () => {
      await save(port(1, 'n', [], ['red', 'blue']));
      await save(port(2, 'n', [], ['blue']));
      const tag = async (value: string): Promise<string[]> =>
        ids((await table.page(kv, { index: { name: 'tag', value }, limit: 10, match: all })).items);
      expect(await tag('blue')).toEqual([uid(1), uid(2)]);
      expect(await tag('red')).toEqual([uid(1)]);
    });

    test('full-table paging does not leak records of a table whose type shares a prefix', async () => {
      const others = new Table<Port>('ports', Port);
      const dashed = new Table<Port>('port-x', Port);
      const txn = kv.begin();
      others.put(txn, port(1, 'n'));
      dashed.put(txn, port(2, 'n'));
      table.put(txn, port(3, 'n'));
      await kv.commit(txn);
      const page = await table.page(kv, { limit: 10, match: all });
      expect(ids(page.items)).toEqual([uid(3)]);
      expect(ids([...table.all(kv)])).toEqual([uid(3)]);
      expect(ids((await others.page(kv, { limit: 10, match: all })).items)).toEqual([uid(1)]);
    });

    test('paging reads durable state: records committed and settled are listed after reopen', async () => {
      for (let n = 1; n <= 3; n++) {
        const txn = kv.begin();
        table.put(txn, port(n, 'net'));
        void kv.commit(txn);
      }
      await kv.settled();
      kv = await tmp.reopen(kv);
      const page = await table.page(kv, { index: { name: 'network', value: 'net' }, limit: 10, match: all });
      expect(ids(page.items)).toEqual([1, 2, 3].map(uid));
    });
  });
});
