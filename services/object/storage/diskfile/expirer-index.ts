/**
 * The expirer's index of one device: which objects carry an X-Delete-At, ordered by that time,
 * so the expirer reads what is due instead of walking the disk. One small file per entry:
 *
 *   <device>/expiring/<day>/<deleteAt>-<hash>     JSON { account, container, object, partition, deleteAt }
 *
 * (`day` = floor(deleteAt / 86400); `deleteAt` zero-padded to 10 digits, so names sort by time.)
 * Files, not the device's LevelDB, because the expirer runs in the workers process and a LevelDB
 * can only be open in one process.
 *
 * The index may hold more than what is true: an entry whose object was overwritten, deleted or
 * re-posted without that X-Delete-At is harmless, since the expirer deletes with
 * `X-If-Delete-At` and the object server refuses (412) when the object no longer expires then;
 * writers still remove the entry they replace, best effort. It must never hold less: the entry is
 * written before the write that sets X-Delete-At is acknowledged.
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile, rename, rmdir, unlink } from 'node:fs/promises';
import * as path from 'node:path';
import { fsyncDir, mkdirDurable, writeNewFile } from './durable-fs';
import { tmpPath } from './layout';

export const EXPIRING_DIR = 'expiring';
const DAY_SECONDS = 86_400;

export interface ExpiryEntry {
  account: string;
  container: string;
  object: string;
  partition: string;
  /** Seconds since the epoch (Swift's X-Delete-At). */
  deleteAt: number;
}

/** One entry as listed: where it is, and what it says. */
export interface DueEntry extends ExpiryEntry {
  hash: string;
  file: string;
}

function dayDir(devicesRoot: string, device: string, deleteAt: number): string {
  return path.join(devicesRoot, device, EXPIRING_DIR, String(Math.floor(deleteAt / DAY_SECONDS)));
}

export function expiryEntryPath(devicesRoot: string, device: string, deleteAt: number, hash: string): string {
  return path.join(dayDir(devicesRoot, device, deleteAt), `${String(deleteAt).padStart(10, '0')}-${hash}`);
}

export async function addExpiryEntry(devicesRoot: string, device: string, hash: string, e: ExpiryEntry, fsync: boolean): Promise<void> {
  const file = expiryEntryPath(devicesRoot, device, e.deleteAt, hash);
  const tmpDir = tmpPath(devicesRoot, device);
  await mkdirDurable(tmpDir, false, path.join(devicesRoot, device));
  await mkdirDurable(path.dirname(file), fsync, path.join(devicesRoot, device));
  const tmp = path.join(tmpDir, `expiring-${randomUUID()}`);
  await writeNewFile(tmp, JSON.stringify({ account: e.account, container: e.container, object: e.object, partition: e.partition, deleteAt: e.deleteAt }), fsync);
  await rename(tmp, file);
  if (fsync) await fsyncDir(path.dirname(file));
}

/** Removes an entry; false when it was not there. */
export async function removeExpiryEntry(devicesRoot: string, device: string, deleteAt: number, hash: string): Promise<boolean> {
  try {
    await unlink(expiryEntryPath(devicesRoot, device, deleteAt, hash));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

async function names(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw err;
  }
}

function parseEntry(text: string): ExpiryEntry | undefined {
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    const { account, container, object, partition, deleteAt } = v;
    if (typeof account !== 'string' || typeof container !== 'string' || typeof object !== 'string' || typeof partition !== 'string') return undefined;
    if (typeof deleteAt !== 'number' || !Number.isSafeInteger(deleteAt)) return undefined;
    return { account, container, object, partition, deleteAt };
  } catch {
    return undefined;
  }
}

/**
 * The entries due at `nowSeconds` (deleteAt <= now), oldest first. Unreadable entry files are
 * removed (they cannot be acted on; the object server's X-If-Delete-At check keeps a missed
 * expiry from ever deleting the wrong version, and a GET already answers 404 for it). Day
 * directories of past days left empty are removed (no writer adds to a past day: X-Delete-At in
 * the past is refused).
 */
export async function* dueExpiryEntries(devicesRoot: string, device: string, nowSeconds: number): AsyncGenerator<DueEntry> {
  const root = path.join(devicesRoot, device, EXPIRING_DIR);
  const today = Math.floor(nowSeconds / DAY_SECONDS);
  const days = (await names(root)).filter((d) => /^\d+$/.test(d) && Number(d) <= today).sort((a, b) => Number(a) - Number(b));
  for (const day of days) {
    const dir = path.join(root, day);
    for (const name of (await names(dir)).sort()) {
      const m = /^(\d{10})-([0-9a-f]{32})$/.exec(name);
      if (!m) continue;
      if (Number(m[1]) > nowSeconds) return;
      const file = path.join(dir, name);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      const e = parseEntry(text);
      if (!e || e.deleteAt !== Number(m[1])) {
        await unlink(file).catch(() => undefined);
        continue;
      }
      yield { ...e, hash: m[2], file };
    }
    if (Number(day) < today) await rmdir(dir).catch(() => undefined);
  }
}

/** The index bound to one server's devices (what the object handlers use). */
export class ExpiryIndex {
  constructor(private readonly opts: { devicesRoot: string; fsync: boolean }) {}

  add(device: string, hash: string, e: ExpiryEntry): Promise<void> {
    return addExpiryEntry(this.opts.devicesRoot, device, hash, e, this.opts.fsync);
  }

  remove(device: string, deleteAt: number, hash: string): Promise<boolean> {
    return removeExpiryEntry(this.opts.devicesRoot, device, deleteAt, hash);
  }
}
