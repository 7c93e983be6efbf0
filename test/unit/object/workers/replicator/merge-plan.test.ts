import { filesToInstall, hashesToPush, suffixesToSync } from '../../../../../services/object/storage/replication/merge-plan';

const H1 = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaa111';
const H2 = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbb111';

/*
 * Listings hold what classifyFiles calls live: a `.data` (its metadata in its footer) or a `.ts`,
 * and a newer `.meta`. A push's manifest also names the `.meta.json` the frame carries a `.data`'s
 * metadata in, and a directory written before the footer existed still holds one on disk: both
 * appear below where they matter, and never come out as something to install.
 */
describe('filesToInstall (what a peer takes from a push)', () => {
  test('an empty directory takes the live file', () => {
    expect(filesToInstall([], ['1700000001.00000.data'])).toEqual(['1700000001.00000.data']);
    expect(filesToInstall([], ['1700000001.00000.ts'])).toEqual(['1700000001.00000.ts']);
  });
  test('the frame\'s .meta.json is never installed as a file of its own', () => {
    expect(filesToInstall([], ['1700000001.00000.data', '1700000001.00000.meta.json'])).toEqual(['1700000001.00000.data']);
    expect(filesToInstall([], ['1700000001.00000.meta.json'])).toEqual([]);
  });
  test('an older version is never installed over a newer one', () => {
    expect(filesToInstall(['1700000002.00000.data'], ['1700000001.00000.data', '1700000001.00000.meta.json'])).toEqual([]);
    expect(filesToInstall(['1700000002.00000.ts'], ['1700000001.00000.data', '1700000001.00000.meta.json'])).toEqual([]);
  });
  test('a newer version and a newer tombstone are installed', () => {
    expect(filesToInstall(['1700000001.00000.data'], ['1700000002.00000.data', '1700000002.00000.meta.json'])).toEqual(['1700000002.00000.data']);
    expect(filesToInstall(['1700000001.00000.data'], ['1700000002.00000.ts'])).toEqual(['1700000002.00000.ts']);
  });
  test('a newer version replaces the two-file form of an older one', () => {
    expect(filesToInstall(['1700000001.00000.data', '1700000001.00000.meta.json'], ['1700000002.00000.data', '1700000002.00000.meta.json'])).toEqual(['1700000002.00000.data']);
  });
  test('the same version is not taken again, whichever form either side holds', () => {
    const pushed = ['1700000001.00000.data', '1700000001.00000.meta.json'];
    expect(filesToInstall(['1700000001.00000.data'], pushed)).toEqual([]);
    // The peer holds the two-file form of that version (the legacy layout).
    expect(filesToInstall(['1700000001.00000.data', '1700000001.00000.meta.json'], pushed)).toEqual([]);
  });
  test('a .data over an orphan .meta.json of its timestamp is taken', () => {
    expect(filesToInstall(['1700000001.00000.meta.json'], ['1700000001.00000.data', '1700000001.00000.meta.json'])).toEqual(['1700000001.00000.data']);
  });
  test('on equal timestamps the tombstone wins, as on disk', () => {
    expect(filesToInstall(['1700000001.00000.ts'], ['1700000001.00000.data', '1700000001.00000.meta.json'])).toEqual([]);
    expect(filesToInstall(['1700000001.00000.data'], ['1700000001.00000.ts'])).toEqual(['1700000001.00000.ts']);
  });
  test('a POST newer than the peer\'s data travels alone', () => {
    expect(filesToInstall(['1700000001.00000.data'], ['1700000001.00000.data', '1700000001.00000.meta.json', '1700000003.00000.meta'])).toEqual(['1700000003.00000.meta']);
    expect(filesToInstall(['1700000001.00000.data', '1700000001.00000.meta.json'], ['1700000001.00000.data', '1700000003.00000.meta'])).toEqual(['1700000003.00000.meta']);
  });
  test('a POST older than the peer\'s newer data is dropped', () => {
    expect(filesToInstall(['1700000004.00000.data'], ['1700000001.00000.data', '1700000001.00000.meta.json', '1700000003.00000.meta'])).toEqual([]);
  });
  test('identical listings need nothing', () => {
    expect(filesToInstall(['1700000001.00000.ts'], ['1700000001.00000.ts'])).toEqual([]);
    expect(filesToInstall(['1700000001.00000.data', '1700000003.00000.meta'], ['1700000001.00000.data', '1700000003.00000.meta'])).toEqual([]);
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
    const local = { '111': { [H1]: ['1700000002.00000.data'], [H2]: ['1700000001.00000.ts'] } };
    const remote = { '111': { [H1]: ['1700000001.00000.data'], [H2]: ['1700000001.00000.ts'] } };
    expect(hashesToPush(local, remote)).toEqual([{ suffix: '111', hash: H1, files: ['1700000002.00000.data'] }]);
  });
  test('a suffix the peer lacks entirely is pushed whole', () => {
    const local = { '111': { [H1]: ['1700000001.00000.ts'], [H2]: ['1700000001.00000.data'] } };
    expect(hashesToPush(local, {})).toEqual([
      { suffix: '111', hash: H1, files: ['1700000001.00000.ts'] },
      { suffix: '111', hash: H2, files: ['1700000001.00000.data'] },
    ]);
  });
  test('the peer\'s newer copy is left alone', () => {
    expect(hashesToPush({ '111': { [H1]: ['1700000001.00000.ts'] } }, { '111': { [H1]: ['1700000005.00000.data'] } })).toEqual([]);
  });
});
