import { hashRequestPath, parseReplicationPath, partitionRequestPath } from '../../../../../services/object/storage/replication/replication-path';

const HASH = '0123456789abcdef0123456789abcdef';

describe('replication paths', () => {
  test('partition, with and without suffixes (duplicates dropped)', () => {
    expect(parseReplicationPath('/sda/12')).toEqual({ ok: true, path: { kind: 'partition', device: 'sda', partition: '12', suffixes: [] } });
    expect(parseReplicationPath('/sda/12/abc-def-abc?x=1')).toEqual({ ok: true, path: { kind: 'partition', device: 'sda', partition: '12', suffixes: ['abc', 'def'] } });
  });
  test('hash directory', () => {
    expect(parseReplicationPath(`/sda/3/def/${HASH}`)).toEqual({ ok: true, path: { kind: 'hash', device: 'sda', partition: '3', suffix: 'def', hash: HASH } });
  });
  test.each([
    ['', 'no slash'],
    ['/sda', 'no partition'],
    ['/../1', 'bad device'],
    ['/sda/x1', 'bad partition'],
    ['/sda/1/ABC', 'upper-case suffix'],
    ['/sda/1/abcd', 'long suffix'],
    ['/sda/1/abc-', 'empty suffix'],
    [`/sda/1/abc/${HASH}`, 'hash outside its suffix'],
    ['/sda/1/def/xyz', 'bad hash'],
    [`/sda/1/def/${HASH}/more`, 'too long'],
  ])('refuses %j (%s)', (url) => {
    expect(parseReplicationPath(url).ok).toBe(false);
  });
  test('request paths parse back', () => {
    expect(parseReplicationPath(partitionRequestPath('sda', 5, ['abc', 'def']))).toEqual({ ok: true, path: { kind: 'partition', device: 'sda', partition: '5', suffixes: ['abc', 'def'] } });
    expect(parseReplicationPath(hashRequestPath('sda', 5, HASH)).ok).toBe(true);
  });
});
