/**
 * Which deleted accounts a device's reaper has finished: `<device>/reaper/<account hash>.json`
 * holding `{account, deleteTimestamp, reapedAt}`. Only the reaper (its own process) writes
 * these, each by a synced temp file renamed into place, so a crash leaves either the old mark or
 * the new one. The account record stays in the account layer, deleted, until the reaper has it
 * reclaimed on every replica (reclaim-plan.ts); then the mark goes too.
 */
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { hashPath } from '../../common/hash-path';
import type { HashSecret } from '../../storage/diskfile/disk-file';

export const REAPER_DIR = 'reaper';

export interface ReapedMark {
  account: string;
  deleteTimestamp: string;
  reapedAt: string;
}

function markPath(devicesRoot: string, device: string, secret: HashSecret, account: string): string {
  return path.join(devicesRoot, device, REAPER_DIR, `${hashPath(secret.prefix, secret.suffix, account)}.json`);
}

export async function readReapedMark(devicesRoot: string, device: string, secret: HashSecret, account: string): Promise<ReapedMark | undefined> {
  try {
    const v = JSON.parse(await readFile(markPath(devicesRoot, device, secret, account), 'utf8')) as Partial<ReapedMark>;
    if (v.account !== account || typeof v.deleteTimestamp !== 'string' || typeof v.reapedAt !== 'string') return undefined;
    return { account: v.account, deleteTimestamp: v.deleteTimestamp, reapedAt: v.reapedAt };
  } catch {
    // Missing or unreadable: reaping again is harmless (every DELETE is idempotent).
    return undefined;
  }
}

export async function writeReapedMark(devicesRoot: string, device: string, secret: HashSecret, mark: ReapedMark, fsync: boolean): Promise<void> {
  const file = markPath(devicesRoot, device, secret, mark.account);
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(JSON.stringify(mark));
    if (fsync) await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
}

/** Forgets a reaped account once its record was reclaimed everywhere (missing is fine). */
export async function removeReapedMark(devicesRoot: string, device: string, secret: HashSecret, account: string): Promise<void> {
  await rm(markPath(devicesRoot, device, secret, account), { force: true });
}
