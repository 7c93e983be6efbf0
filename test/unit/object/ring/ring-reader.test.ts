/**
 * RingReader against real files in a temp dir: first load, change detection, swaps, and refusing
 * bad files while the last good ring keeps serving.
 */
import { mkdtempSync, rmSync, writeFileSync, utimesSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { RingError, RingReader, encodeRingFile, ringFilePath } from '../../../../services/object/ring';
import { LAYOUTS, newBuilder } from './ring-fixtures';

const HASH = { prefix: 'pre', suffix: 'suf' };
let dir = '';

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'weft-ring-reader-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Two consecutive ring versions: v1, then v2 with one more device. */
function twoVersions(): [Buffer, Buffer] {
  const b = newBuilder(LAYOUTS[0].devices, { partPower: 8 });
  b.rebalance({ now: 0 });
  const v1 = encodeRingFile(b.ringData());
  b.addDevice({ ...LAYOUTS[0].devices[0], device: 'sdnew' });
  b.rebalance({ now: 0 });
  return [v1, encodeRingFile(b.ringData())];
}

/** Replaces the file the way the tool does (new inode via rename) and bumps the mtime. */
function install(file: string, bytes: Uint8Array, mtimeSec: number): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, bytes);
  utimesSync(tmp, mtimeSec, mtimeSec);
  renameSync(tmp, file);
}

test('the three rings live at <dir>/<name>.ring', () => {
  expect(['account', 'container', 'object'].map((n) => path.basename(ringFilePath(dir, n as 'account')))).toEqual(['account.ring', 'container.ring', 'object.ring']);
});

test('open() refuses a missing or bad file with a typed error', async () => {
  const file = ringFilePath(dir, 'object');
  await expect(RingReader.open({ path: file, hash: HASH })).rejects.toMatchObject({ code: 'UNREADABLE' });
  writeFileSync(file, 'garbage');
  await expect(RingReader.open({ path: file, hash: HASH })).rejects.toBeInstanceOf(RingError);
});

test('reload: unchanged file → unchanged; new version → swapped; bad file → refused, old ring keeps serving', async () => {
  const [v1, v2] = twoVersions();
  const file = ringFilePath(dir, 'object');
  install(file, v1, 1_000_000);
  const reader = await RingReader.open({ path: file, hash: HASH });
  const nodesV1 = reader.getNodes('AUTH_x', 'c', 'o');
  expect(reader.ring.version).toBe(1);

  expect(await reader.reload()).toEqual({ status: 'unchanged' });

  // The same content under a new mtime: re-read, but no swap.
  install(file, v1, 1_000_100);
  expect(await reader.reload()).toEqual({ status: 'unchanged' });
  expect(reader.counters).toMatchObject({ reloads: 0, rejected: 0 });
  // Lookups are stable across reloads of the same ring.
  expect(reader.getNodes('AUTH_x', 'c', 'o')).toEqual(nodesV1);

  // A truncated file is refused and not parsed again until it changes.
  install(file, v2.subarray(0, v2.length - 100), 1_000_200);
  const bad = await reader.reload();
  expect(bad).toMatchObject({ status: 'rejected', error: { code: 'CORRUPT' } });
  expect(await reader.reload()).toMatchObject({ status: 'rejected' });
  expect(reader.counters.rejected).toBe(1);
  expect(reader.ring.version).toBe(1);
  expect(reader.getNodes('AUTH_x', 'c', 'o')).toEqual(nodesV1);

  // A file of an unknown format version is refused too.
  const future = Buffer.from(v2);
  future.writeUInt16BE(9, 4);
  install(file, future, 1_000_300);
  expect(await reader.reload()).toMatchObject({ status: 'rejected', error: { code: 'UNSUPPORTED_VERSION' } });
  expect(reader.ring.version).toBe(1);

  // A removed file is refused (and retried next time).
  rmSync(file);
  expect(await reader.reload()).toMatchObject({ status: 'rejected', error: { code: 'UNREADABLE' } });

  // The good new ring is swapped in.
  install(file, v2, 1_000_400);
  expect(await reader.reload()).toEqual({ status: 'reloaded', version: 2, previousVersion: 1 });
  expect(reader.ring.version).toBe(2);
  expect(reader.counters).toMatchObject({ reloads: 1, rejected: 3 });
});

test('watch() reloads on a timer and stops when asked', async () => {
  const [v1, v2] = twoVersions();
  const file = ringFilePath(dir, 'container');
  install(file, v1, 2_000_000);
  const reader = await RingReader.open({ path: file, hash: HASH });
  const seen: string[] = [];
  const reloaded = new Promise<void>((resolve) => {
    const stop = reader.watch({
      intervalMs: 10,
      onOutcome: (o) => {
        seen.push(o.status);
        if (o.status === 'reloaded') {
          stop();
          resolve();
        }
      },
    });
  });
  install(file, v2, 2_000_100);
  await reloaded;
  expect(reader.ring.version).toBe(2);
  expect(seen[seen.length - 1]).toBe('reloaded');
});
