/**
 * Replays a device's intent journal after a crash (see intent-journal.ts), before the storage
 * server serves anything: every change acknowledged since the last checkpoint is in a segment,
 * while its file may have been lost or left short by the crash (it was renamed into place
 * without a sync).
 *
 * For each record, in journal order:
 * - its file is there with the same bytes: left in place (but see below);
 * - its file is there with other bytes (a torn unsynced write): rewritten;
 * - its file is missing and its directory holds nothing newer that supersedes it: written;
 * - its file is missing and something newer supersedes it (a later PUT or DELETE, by the same
 *   last-writer-wins rule as classifyFiles): skipped, as the change that removed it would have.
 * Every write marks the suffix changed, so the replicator compares it again; a file found
 * intact marks its suffix too (the mark appended before its rename was not synced and may be
 * what the crash lost). Writes are not synced one by one: an intact file may be intact only in
 * the page cache anyway (the process crashed, not the machine), so the whole device's file system
 * is synced once (syncfs, as a checkpoint does) before the segments are deleted.
 * Replaying twice is harmless.
 */
import { readdirSync, readFileSync, renameSync, statSync, unlinkSync } from 'node:fs';
import * as path from 'node:path';
import { fsyncDir, makeDirs, markSynced, writeNewFile } from './durable-fs';
import { decodeRecords, recordPartition, type DecodedRecord } from './journal-record';
import { JOURNAL_DIR, listSegments } from './intent-journal';
import { classifyFiles } from './ondisk-files';
import { TMP_DIR } from './layout';
import { syncFilesystem, type SyncFilesystem } from './syncfs';

export interface ReplayHooks {
  /** Marks a suffix of a partition changed (PartitionHashes.invalidate). */
  invalidate(partition: string, suffix: string): Promise<void>;
  /** Temp file names. */
  newId(): string;
  /**
   * Runs fn under the hash directory's writer lock (a device that appears while the server runs
   * is replayed while it may already take changes). Default: no lock (nothing else runs yet).
   */
  lock?<T>(dir: string, fn: () => Promise<T>): Promise<T>;
  /** syncfs(2) of the device's file system (default: syncfs.ts). */
  syncFilesystem?: SyncFilesystem;
}

export interface ReplayReport {
  segments: number;
  records: number;
  /** Files written or rewritten. */
  restored: number;
  /** Files found intact. */
  unchanged: number;
  /** Records whose file a newer change had superseded. */
  superseded: number;
  /** Segments that ended in a torn or damaged record (their valid records were replayed). */
  torn: number;
  /** The newest segment's sequence number (0: none). */
  lastSeq: number;
}

function listOrMissing(dir: string): string[] | undefined {
  try {
    return readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

function sameContent(file: string, body: Buffer): boolean {
  try {
    if (statSync(file).size !== body.length) return false;
    return readFileSync(file).equals(body);
  } catch {
    return false;
  }
}

type Outcome = 'restored' | 'unchanged' | 'superseded';

/** `created`: collects the directories made, durable only after the replay's file-system sync. */
function applyRecord(deviceDir: string, rec: DecodedRecord, hooks: ReplayHooks, created: string[]): Promise<Outcome> {
  const dir = path.join(deviceDir, rec.dir);
  const apply = (): Promise<Outcome> => applyLocked(deviceDir, dir, rec, hooks, created);
  return hooks.lock ? hooks.lock(dir, apply) : apply();
}

async function applyLocked(deviceDir: string, dir: string, rec: DecodedRecord, hooks: ReplayHooks, created: string[]): Promise<Outcome> {
  const names = listOrMissing(dir);
  if (names?.includes(rec.name)) {
    if (sameContent(path.join(dir, rec.name), rec.body)) {
      const { partition, suffix } = recordPartition(rec.dir);
      await hooks.invalidate(partition, suffix);
      return 'unchanged';
    }
  } else if (classifyFiles([...(names ?? []), rec.name]).obsolete.includes(rec.name)) {
    return 'superseded';
  }
  if (names === undefined) created.push(...(await makeDirs(dir, deviceDir)));
  const tmpDir = path.join(deviceDir, TMP_DIR);
  markSynced(await makeDirs(tmpDir, deviceDir));
  const tmp = path.join(tmpDir, hooks.newId());
  // Unsynced: the file-system sync before the segments go makes it and its directories durable.
  await writeNewFile(tmp, rec.body, false);
  renameSync(tmp, path.join(dir, rec.name));
  const { partition, suffix } = recordPartition(rec.dir);
  await hooks.invalidate(partition, suffix);
  return 'restored';
}

/** Replays and then deletes every segment of the device's journal. */
export async function replayJournal(deviceDir: string, hooks: ReplayHooks): Promise<ReplayReport> {
  const report: ReplayReport = { segments: 0, records: 0, restored: 0, unchanged: 0, superseded: 0, torn: 0, lastSeq: 0 };
  const journalDir = path.join(deviceDir, JOURNAL_DIR);
  const segments = listSegments(journalDir);
  const created: string[] = [];
  for (const seg of segments) {
    report.segments++;
    report.lastSeq = seg.seq;
    const decoded = decodeRecords(readFileSync(seg.file));
    if (decoded.problem) report.torn++;
    for (const rec of decoded.records) {
      report.records++;
      report[await applyRecord(deviceDir, rec, hooks, created)]++;
    }
  }
  if (segments.length === 0) return report;
  // Only once every record is durable in its place: the rewritten files, the intact ones, the
  // directories made for them and the marks, all by one sync.
  if (report.records > 0) await (hooks.syncFilesystem ?? syncFilesystem)(deviceDir);
  markSynced(created);
  for (const seg of segments) {
    try {
      unlinkSync(seg.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  await fsyncDir(journalDir);
  return report;
}
