import { canonicalJson, DbDigest } from '../../../../../services/object/storage/replication/db-digest';
import { parseDbMergeRequest } from '../../../../../services/object/storage/replication/db-merge';
import { dbRequestPath, parseDbPath } from '../../../../../services/object/storage/replication/db-path';
import { SyncFrameError } from '../../../../../services/object/storage/replication/sync-frame';

const HASH = '0123456789abcdef0123456789abcdef';

describe('canonicalJson and DbDigest', () => {
  test('key order does not matter; values do', () => {
    expect(canonicalJson({ b: 1, a: [{ y: 2, x: 1 }] })).toBe('{"a":[{"x":1,"y":2}],"b":1}');
    const rec = { putTimestamp: '1', deleteTimestamp: '', metadata: { 'x-container-meta-a': { value: 'v', timestamp: '1' } } };
    const d1 = new DbDigest();
    d1.row('o', { timestamp: '1', size: 1, deleted: false });
    const d2 = new DbDigest();
    d2.row('o', { deleted: false, size: 1, timestamp: '1' });
    const h1 = d1.finish(rec);
    expect(d2.finish(rec)).toBe(h1);
    const d3 = new DbDigest();
    d3.row('o', { deleted: true, size: 1, timestamp: '1' });
    expect(d3.finish(rec)).not.toBe(h1);
  });
  test('the record counts too, but only the replicated fields', () => {
    const a = new DbDigest().finish({ putTimestamp: '1', deleteTimestamp: '', metadata: {} });
    const b = new DbDigest().finish({ putTimestamp: '1', deleteTimestamp: '2', metadata: {} });
    const c = new DbDigest().finish({ putTimestamp: '1', deleteTimestamp: '', metadata: {}, created: '0', objectCount: 5 } as never);
    expect(a).not.toBe(b);
    expect(a).toBe(c);
  });
});

describe('database paths', () => {
  test('round trips', () => {
    expect(parseDbPath(dbRequestPath('sda'))).toEqual({ ok: true, path: { kind: 'dbs', device: 'sda' } });
    expect(parseDbPath(dbRequestPath('sda', { kind: 'container', hash: HASH }))).toEqual({ ok: true, path: { kind: 'db', device: 'sda', ref: { kind: 'container', hash: HASH } } });
    expect(parseDbPath(dbRequestPath('sda', { kind: 'account', hash: HASH }, { rows: true, marker: 'a b/c' }))).toEqual({
      ok: true,
      path: { kind: 'db-rows', device: 'sda', ref: { kind: 'account', hash: HASH }, marker: 'a b/c' },
    });
    expect(parseDbPath('/sda/accounts')).toEqual({ ok: true, path: { kind: 'accounts', device: 'sda' } });
    expect(parseDbPath('/sda/accounts/AUTH_%C3%A9/containers')).toEqual({ ok: true, path: { kind: 'account-containers', device: 'sda', account: 'AUTH_é' } });
  });
  test('object replication paths are not database paths', () => {
    expect(parseDbPath('/sda/12/abc')).toEqual({ ok: false, notDb: true });
  });
  test.each(['/sda/dbs/object/' + HASH, '/sda/dbs/container/xyz', `/sda/dbs/container/${HASH}/rowz`, '/../dbs', '/sda/accounts/a/b', `/sda/dbs/container/${HASH}/rows/x`])('refuses %s', (url) => {
    const r = parseDbPath(url);
    expect(r.ok).toBe(false);
    expect('problem' in r).toBe(true);
  });
});

describe('parseDbMergeRequest', () => {
  test('accepts a record and rows', () => {
    expect(parseDbMergeRequest({ record: { account: 'a' }, rows: [{ name: 'x' }], final: true })).toEqual({ record: { account: 'a' }, rows: [{ name: 'x' }], final: true });
    expect(parseDbMergeRequest({ record: {}, rows: [] }).final).toBe(false);
  });
  test.each([null, 1, { rows: [] }, { record: [], rows: [] }, { record: {}, rows: {} }, { record: {}, rows: [1] }])('refuses %j', (v) => {
    expect(() => parseDbMergeRequest(v)).toThrow(SyncFrameError);
  });
});
