import { filesToInstall, hashesToPush, suffixesToSync } from '../../../../../services/object/storage/replication/merge-plan';

const H1 = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaa111';
const H2 = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbb111';

describe('filesToInstall (what a peer takes from a push)', () => {
  test('an empty directory takes every live file', () => {
    expect(filesToInstall([], ['1700000001.00000.data', '1700000001.00000.meta.json'])).toEqual(['1700000001.00000.data', '1700000001.00000.meta.json']);
  });
  test('an older version is never installed over a newer one', () => {
    expect(filesToInstall(['1700000002.00000.data', '1700000002.00000.meta.json'], ['1700000001.00000.data', '1700000001.00000.meta.json'])).toEqual([]);
    expect(filesToInstall(['1700000002.00000.ts'], ['1700000001.00000.data', '1700000001.00000.meta.json'])).toEqual([]);
  });
  test('a newer version and a newer tombstone are installed', () => {
    expect(filesToInstall(['1700000001.00000.data', '1700000001.00000.meta.json'], ['1700000002.00000.data', '1700000002.00000.meta.json'])).toEqual(['1700000002.00000.data', '1700000002.00000.meta.json']);
    expect(filesToInstall(['1700000001.00000.data', '1700000001.00000.meta.json'], ['1700000002.00000.ts'])).toEqual(['1700000002.00000.ts']);
  });
  test('on equal timestamps the tombstone wins, as on disk', () => {
    expect(filesToInstall(['1700000001.00000.ts'], ['1700000001.00000.data', '1700000001.00000.meta.json'])).toEqual([]);
    expect(filesToInstall(['1700000001.00000.data', '1700000001.00000.meta.json'], ['1700000001.00000.ts'])).toEqual(['1700000001.00000.ts']);
  });
  test('a POST newer than the peer\'s data travels alone', () => {
    expect(filesToInstall(['1700000001.00000.data', '1700000001.00000.meta.json'], ['1700000001.00000.data', '1700000001.00000.meta.json', '1700000003.00000.meta'])).toEqual(['1700000003.00000.meta']);
  });
  test('a POST older than the peer\'s newer data is dropped', () => {
    expect(filesToInstall(['1700000004.00000.data', '1700000004.00000.meta.json'], ['1700000001.00000.data', '1700000001.00000.meta.json', '1700000003.00000.meta'])).toEqual([]);
  });
  test('identical listings need nothing', () => {
    expect(filesToInstall(['1700000001.00000.ts'], ['1700000001.00000.ts'])).toEqual([]);
  });
  test('names that are not ours are ignored', () => {
    expect(filesToInstall([], ['junk', '1700000001.00000.ts'])).toEqual(['1700000001.00000.ts']);
  });
});

describe('suffixesToSync (Swift: local suffixes whose hash the peer does not share)', () => {
  test('differing and missing suffixes, sorted; remote-only suffixes are the peer\'s to push', () => {
    expect(suffixesToSync({ abc: '1', def: '2', '111': '3' }, { abc: '1', def: 'x', fff: '9' })).toEqual(['111', 'def']);
  });
  test('equal maps need nothing', () => {
    expect(suffixesToSync({ abc: '1' }, { abc: '1' })).toEqual([]);
    expect(suffixesToSync({}, { abc: '1' })).toEqual([]);
  });
});

describe('hashesToPush', () => {
  test('only hash directories that change the peer', () => {
    const local = { '111': { [H1]: ['1700000002.00000.data', '1700000002.00000.meta.json'], [H2]: ['1700000001.00000.ts'] } };
    const remote = { '111': { [H1]: ['1700000001.00000.data', '1700000001.00000.meta.json'], [H2]: ['1700000001.00000.ts'] } };
    expect(hashesToPush(local, remote)).toEqual([{ suffix: '111', hash: H1, files: ['1700000002.00000.data', '1700000002.00000.meta.json'] }]);
  });
  test('a suffix the peer lacks entirely is pushed whole', () => {
    const local = { '111': { [H1]: ['1700000001.00000.ts'], [H2]: ['1700000001.00000.ts'] } };
    expect(hashesToPush(local, {}).map((h) => h.hash)).toEqual([H1, H2]);
  });
  test('the peer\'s newer copy is left alone', () => {
    expect(hashesToPush({ '111': { [H1]: ['1700000001.00000.ts'] } }, { '111': { [H1]: ['1700000005.00000.data', '1700000005.00000.meta.json'] } })).toEqual([]);
  });
});
