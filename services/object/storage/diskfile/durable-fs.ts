/**
 * File system steps that survive a power loss when `fsync` is on: a file's bytes are synced
 * before it is renamed into place, and a directory is synced after entries were added to it
 * (otherwise the rename itself may be lost). With `fsync` off (tests, benchmarks on tmpfs) the
 * same steps run without the syncs.
 *
 * Calls that create directory entries (open with O_CREAT, mkdir) go to libuv's thread pool: on
 * ext4 under a stream of fsyncs they wait for the journal (measured: milliseconds per call, which
 * blocked the event loop when they were synchronous). Opening an existing directory, small
 * writes into a fresh file and closes are synchronous: microseconds, cheaper than a pool round
 * trip.
 */
import { closeSync, fsync as fsyncCb, open as openCb, openSync, writeSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { StorageError } from './storage-error';

/** fsync(2) of an open descriptor, off the event loop (it waits for the disk). */
export const fsyncFd: (fd: number) => Promise<void> = promisify(fsyncCb);

/** open(2) off the event loop, returning the descriptor (lighter than a FileHandle). */
export const openFd: (file: string, flags: string) => Promise<number> = promisify(openCb);

export async function fsyncDir(dir: string): Promise<void> {
  const fd = openSync(dir, 'r');
  try {
    await fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * mkdir -p; with fsync, also syncs the parent of every directory it created. `device`, when
 * given, must already exist: a device that disappeared (unmounted, failed) is never recreated on
 * the disk underneath (what Swift's mount check is for; device availability is only re-checked
 * once a second): what this call created is removed again and DEVICE_UNAVAILABLE thrown.
 */
export async function mkdirDurable(dir: string, fsync: boolean, device?: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  if (device !== undefined && first !== undefined && !path.relative(first, device).startsWith('..')) {
    await rm(first, { recursive: true, force: true });
    throw new StorageError('DEVICE_UNAVAILABLE', `device directory ${device} is missing`);
  }
  if (!fsync || first === undefined) return;
  const created: string[] = [];
  for (let d = dir; ; d = path.dirname(d)) {
    created.push(d);
    if (d === first || path.dirname(d) === d) break;
  }
  for (const d of created) await fsyncDir(path.dirname(d));
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
