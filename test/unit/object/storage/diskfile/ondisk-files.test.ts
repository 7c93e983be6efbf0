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

  test('newest .data wins with its .meta.json; older versions are obsolete', () => {
    const s = classifyFiles([
      '1700000000.00001.data',
      '1700000000.00001.meta.json',
      '1700000000.00003.data',
      '1700000000.00003.meta.json',
      '1700000000.00002.ts',
    ]);
    expect(s.winner?.name).toBe('1700000000.00003.data');
    expect(s.dataMeta?.name).toBe('1700000000.00003.meta.json');
    expect(s.live).toEqual(['1700000000.00003.data', '1700000000.00003.meta.json']);
    expect(s.obsolete).toEqual(['1700000000.00001.data', '1700000000.00001.meta.json', '1700000000.00002.ts']);
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
