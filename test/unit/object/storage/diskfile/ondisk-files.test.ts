import { fileName, parseFileName } from '../../../../../services/object/storage/diskfile/file-names';
import { classifyFiles } from '../../../../../services/object/storage/diskfile/ondisk-files';
import { Timestamp } from '../../../../../services/object/common/timestamp';

const T = (s: string): Timestamp => Timestamp.parse(s);

describe('file names', () => {
  test('round trip, and only canonical spellings are ours', () => {
    const t = T('1700000000.00001').withOffset(3n);
    for (const kind of ['data', 'dataMeta', 'tombstone', 'meta'] as const) {
      const f = parseFileName(fileName(kind, t));
      expect(f?.kind).toBe(kind);
      expect(f?.timestamp.equals(t)).toBe(true);
    }
    expect(fileName('dataMeta', T('1'))).toBe('0000000001.00000.meta.json');
    expect(parseFileName('1.5.data')).toBeUndefined();
    expect(parseFileName('hashes.json')).toBeUndefined();
    expect(parseFileName('1700000000.00001.tmp')).toBeUndefined();
  });
});

describe('classifyFiles', () => {
  test('empty directory: nothing', () => {
    expect(classifyFiles([])).toEqual({ winner: undefined, dataMeta: undefined, meta: undefined, live: [], obsolete: [] });
  });

  test('newest .data wins alone (footer form): no dataMeta, older versions are obsolete', () => {
    const s = classifyFiles(['1700000000.00001.data', '1700000000.00003.data', '1700000000.00002.ts']);
    expect(s.winner?.name).toBe('1700000000.00003.data');
    expect(s.dataMeta).toBeUndefined();
    expect(s.live).toEqual(['1700000000.00003.data']);
    expect(s.obsolete).toEqual(['1700000000.00001.data', '1700000000.00002.ts']);
  });

  // The two-file form written before the footer existed: still read, so still classified.
  test('two-file form: the winner keeps its .meta.json (dataMeta, not obsolete) but live never names it', () => {
    const s = classifyFiles([
      '1700000000.00001.data',
      '1700000000.00001.meta.json',
      '1700000000.00003.data',
      '1700000000.00003.meta.json',
      '1700000000.00002.ts',
    ]);
    expect(s.winner?.name).toBe('1700000000.00003.data');
    expect(s.dataMeta?.name).toBe('1700000000.00003.meta.json');
    expect(s.live).toEqual(['1700000000.00003.data']);
    expect(s.obsolete).toEqual(['1700000000.00001.data', '1700000000.00001.meta.json', '1700000000.00002.ts']);
  });

  test('replicas holding the two-file and the footer form of one version (and one POST) have the same live names', () => {
    const footer = classifyFiles(['1700000000.00001.data', '1700000000.00002.meta']);
    const twoFile = classifyFiles(['1700000000.00001.data', '1700000000.00001.meta.json', '1700000000.00002.meta']);
    expect(footer.live).toEqual(['1700000000.00001.data', '1700000000.00002.meta']);
    expect(twoFile.live).toEqual(footer.live);
    expect(twoFile.obsolete).toEqual([]);
    expect(twoFile.meta?.name).toBe('1700000000.00002.meta');
  });

  test('a .meta.json is never a winner: alone, or newer than the .data, it is an obsolete orphan', () => {
    const alone = classifyFiles(['1700000000.00001.meta.json']);
    expect(alone.winner).toBeUndefined();
    expect(alone.dataMeta).toBeUndefined();
    expect(alone.live).toEqual([]);
    expect(alone.obsolete).toEqual(['1700000000.00001.meta.json']);
    const newer = classifyFiles(['1700000000.00001.data', '1700000000.00002.meta.json']);
    expect(newer.winner?.name).toBe('1700000000.00001.data');
    expect(newer.dataMeta).toBeUndefined();
    expect(newer.live).toEqual(['1700000000.00001.data']);
    expect(newer.obsolete).toEqual(['1700000000.00002.meta.json']);
  });

  test('a tombstone winning on an equal timestamp makes that .meta.json obsolete, not dataMeta', () => {
    const s = classifyFiles(['1700000000.00001.data', '1700000000.00001.meta.json', '1700000000.00001.ts']);
    expect(s.dataMeta).toBeUndefined();
    expect(s.live).toEqual(['1700000000.00001.ts']);
    expect(s.obsolete).toEqual(['1700000000.00001.data', '1700000000.00001.meta.json']);
  });

  test('a newer tombstone wins and makes everything else obsolete', () => {
    const s = classifyFiles(['1700000000.00001.data', '1700000000.00001.meta.json', '1700000000.00005.meta', '1700000000.00002.ts']);
    expect(s.winner?.kind).toBe('tombstone');
    expect(s.meta).toBeUndefined();
    expect(s.live).toEqual(['1700000000.00002.ts']);
    expect(s.obsolete).toHaveLength(3);
  });

  test('on equal timestamps the tombstone wins (as in Swift)', () => {
    expect(classifyFiles(['1700000000.00001.data', '1700000000.00001.meta.json', '1700000000.00001.ts']).winner?.kind).toBe('tombstone');
  });

  test('only the newest .meta newer than the data counts', () => {
    const s = classifyFiles([
      '1700000000.00002.data',
      '1700000000.00002.meta.json',
      '1700000000.00001.meta',
      '1700000000.00003.meta',
      '1700000000.00004.meta',
    ]);
    expect(s.meta?.name).toBe('1700000000.00004.meta');
    expect(s.obsolete).toEqual(['1700000000.00001.meta', '1700000000.00003.meta']);
  });

  test('a .data without .meta.json has no dataMeta; an orphan .meta.json is obsolete; foreign files are left alone', () => {
    const s = classifyFiles(['1700000000.00001.data', '1700000000.00009.meta.json', 'README']);
    expect(s.winner?.kind).toBe('data');
    expect(s.dataMeta).toBeUndefined();
    expect(s.obsolete).toEqual(['1700000000.00009.meta.json']);
    expect(s.live).toEqual(['1700000000.00001.data']);
  });

  test('offsets order versions with the same time', () => {
    const t = T('1700000000.00001');
    const s = classifyFiles([fileName('data', t), fileName('dataMeta', t), fileName('tombstone', t.withOffset(1n))]);
    expect(s.winner?.kind).toBe('tombstone');
    expect(s.winner?.name).toBe('1700000000.00001_0000000000000001.ts');
  });
});
