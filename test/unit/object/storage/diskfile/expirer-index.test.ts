import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { addExpiryEntry, dueExpiryEntries, expiryEntryPath, removeExpiryEntry } from '../../../../../services/object/storage/diskfile/expirer-index';

const H = (c: string): string => c.repeat(32);
let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'weft-expiring-'));
  mkdirSync(path.join(root, 'sda'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

async function due(now: number): Promise<string[]> {
  const out: string[] = [];
  for await (const e of dueExpiryEntries(root, 'sda', now)) out.push(`${e.deleteAt}:${e.object}`);
  return out;
}

describe('expirer index', () => {
  test('entries come back in delete-at order up to now, across days', async () => {
    const add = (deleteAt: number, hash: string, object: string): Promise<void> => addExpiryEntry(root, 'sda', hash, { account: 'a', container: 'c', object, partition: '1', deleteAt }, false);
    await add(1_700_090_000, H('c'), 'next-day');
    await add(1_700_000_500, H('b'), 'second');
    await add(1_700_000_100, H('a'), 'first');
    await add(1_800_000_000, H('d'), 'far');
    expect(expiryEntryPath(root, 'sda', 1_700_000_100, H('a'))).toBe(path.join(root, 'sda', 'expiring', '19675', `1700000100-${H('a')}`));
    expect(await due(1_700_000_099)).toEqual([]);
    expect(await due(1_700_000_500)).toEqual(['1700000100:first', '1700000500:second']);
    expect(await due(1_700_100_000)).toEqual(['1700000100:first', '1700000500:second', '1700090000:next-day']);
    expect(await removeExpiryEntry(root, 'sda', 1_700_000_100, H('a'))).toBe(true);
    expect(await removeExpiryEntry(root, 'sda', 1_700_000_100, H('a'))).toBe(false);
    expect(await due(1_700_000_500)).toEqual(['1700000500:second']);
    // No temp files left behind.
    expect(readdirSync(path.join(root, 'sda', 'tmp'))).toEqual([]);
  });

  test('unreadable entries are dropped; emptied past days are removed', async () => {
    const day = path.join(root, 'sda', 'expiring', '19675');
    mkdirSync(day, { recursive: true });
    writeFileSync(path.join(day, `1700000100-${H('e')}`), 'not json');
    writeFileSync(path.join(day, 'stray.tmp'), '');
    expect(await due(1_700_200_000)).toEqual([]);
    expect(readdirSync(day)).toEqual(['stray.tmp']);
    rmSync(path.join(day, 'stray.tmp'));
    expect(await due(1_700_200_000)).toEqual([]);
    expect(readdirSync(path.join(root, 'sda', 'expiring'))).toEqual([]);
  });
});
