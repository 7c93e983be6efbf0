/**
 * File system steps that survive a power loss when `fsync` is on: a file's bytes are synced
 * before it is renamed into place, and a directory is synced after entries were added to it
 * (otherwise the rename itself may be lost). With `fsync` off (tests, benchmarks on tmpfs) the
 * same steps run without the syncs.
 *
 * Directory syncs go through one process-wide DirSyncer (group commit: concurrent writers that
 * need the same directory synced share an fsync). Steps that only have to be durable by the time
 * the caller answers (the parents of new directories, the directory a file was renamed into) are
 * synced concurrently, not one after the other: a crash before all of them completed leaves at
 * worst an unlinked or empty directory, and nobody was told the write succeeded.
 *
 * Calls that create inodes (open with O_CREAT, mkdir) go to libuv's thread pool, like fsync:
 * ext4 without a journal does not reuse an inode freed in the last seconds to minutes, and
 * scans past every such inode on each creation (kernel `find_inode_bit`/`recently_deleted`; in
 * the object benchmark, which runs right after deletes, ~15% of a storage server's CPU). On the
 * event loop that scan stalls every request (measured: event-loop CPU per PUT doubled and
 * throughput fell); in the pool it runs beside it. Opening an existing file or directory, small
 * writes into a fresh file, renames and closes are synchronous: microseconds, less than a pool
 * round trip (a futex wake-up and context switches on both sides).
 */
import { closeSync, fsync as fsyncCb, open as openCb, openSync, writeSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { DirSyncer } from './dir-syncer';
import { StorageError } from './storage-error';

/** fsync(2) of an open descriptor, off the event loop (it waits for the disk). */
export const fsyncFd: (fd: number) => Promise<void> = promisify(fsyncCb);

/** open(2) off the event loop, returning the descriptor (lighter than a FileHandle). */
export const openFd: (file: string, flags: string) => Promise<number> = promisify(openCb);

async function syncDirOnce(dir: string): Promise<void> {
  const fd = openSync(dir, 'r');
  try {
    await fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
}

/** Every directory sync of this process (one per directory at a time, shared by its waiters). */
export const dirSyncer = new DirSyncer(syncDirOnce);

/** Makes the entries added to `dir` before this call durable (shares a sync with concurrent callers). */
export function fsyncDir(dir: string): Promise<void> {
  return dirSyncer.sync(dir);
}

/** Syncs several directories concurrently (each once). */
export async function fsyncDirs(dirs: Iterable<string>): Promise<void> {
  await Promise.all([...new Set(dirs)].map((d) => dirSyncer.sync(d)));
}

/**
 * mkdir -p, returning the directories it created (outermost first); their parents are what must
 * be synced to make them durable. `device`, when given, must already exist: a device that
 * disappeared (unmounted, failed) is never recreated on the disk underneath (what Swift's mount
 * check is for; device availability is only re-checked once a second): what this call created
 * is removed again and DEVICE_UNAVAILABLE thrown. One call into the pool however many levels
 * are missing (Node's recursive mkdir walks them in C++).
 */
export async function makeDirs(dir: string, device?: string): Promise<string[]> {
  const leaf = path.resolve(dir);
  const first = await mkdir(leaf, { recursive: true });
  if (first === undefined) return [];
  if (device !== undefined && !path.relative(first, path.resolve(device)).startsWith('..')) {
    await rm(first, { recursive: true, force: true });
    throw new StorageError('DEVICE_UNAVAILABLE', `device directory ${device} is missing`);
  }
  const created: string[] = [];
  for (let d = leaf; ; d = path.dirname(d)) {
    created.unshift(d);
    if (d === first || path.dirname(d) === d) break;
  }
  return created;
}

/** The directories to sync so that the directories `makeDirs` created are durable. */
export function parentsOf(created: readonly string[]): string[] {
  return created.map((d) => path.dirname(d));
}

/**
 * mkdir -p; with fsync, also syncs (concurrently) the parent of every directory it created.
 * `device`: see makeDirs.
 */
export async function mkdirDurable(dir: string, fsync: boolean, device?: string): Promise<void> {
  const created = await makeDirs(dir, device);
  if (fsync && created.length > 0) await fsyncDirs(parentsOf(created));
}

/** Creates `file` (it must not exist) with `data`, synced when asked. */
export async function writeNewFile(file: string, data: string | Buffer, fsync: boolean): Promise<void> {
  const fd = await openFd(file, 'wx');
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
    if (fsync) await fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
}
