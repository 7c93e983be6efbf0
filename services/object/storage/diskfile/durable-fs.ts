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
 * Calls that create inodes (open with O_CREAT, mkdir) run where creation-gate.ts says: on the
 * event loop while they are fast (a thread-pool round trip, a futex wake-up and context switches
 * on both sides, costs tens of microseconds of CPU on this VM, more than the creation), in the
 * pool while ext4 is slow at them (without a journal it scans past every inode freed in the last
 * minutes on each creation, kernel `recently_deleted`; right after mass deletions that can take
 * milliseconds, which on the event loop would stall every request). Opening an existing file or
 * directory, small writes into a fresh file, renames, stats and closes are synchronous. So a
 * creation is planned with synchronous stats (which level is the first missing one) and costs
 * one mkdir(2) per missing level.
 */
import { closeSync, fsync as fsyncCb, mkdir as mkdirCb, mkdirSync, open as openCb, openSync, statSync, writeSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { CreationGate, gatedCreate } from './creation-gate';
import { DirSyncer } from './dir-syncer';
import { StorageError } from './storage-error';

/** fsync(2) of an open descriptor, off the event loop (it waits for the disk). */
export const fsyncFd: (fd: number) => Promise<void> = promisify(fsyncCb);

/** open(2) off the event loop, returning the descriptor (lighter than a FileHandle). */
export const openFd: (file: string, flags: string) => Promise<number> = promisify(openCb);

/** fsync(2) of a file or directory by path (opened read-only, closed once the sync settled). */
export async function syncPath(file: string): Promise<void> {
  const fd = openSync(file, 'r');
  try {
    await fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
}

/** Every directory sync of this process (one per directory at a time, shared by its waiters). */
export const dirSyncer = new DirSyncer(syncPath);

/** Makes the entries added to `dir` before this call durable (shares a sync with concurrent callers). */
export function fsyncDir(dir: string): Promise<void> {
  return dirSyncer.sync(dir);
}

/** Syncs several directories concurrently (each once). */
export async function fsyncDirs(dirs: Iterable<string>): Promise<void> {
  await Promise.all([...new Set(dirs)].map((d) => dirSyncer.sync(d)));
}

export interface MakeDirsCounters {
  /** Single-level mkdir(2) calls of planned creations. */
  levels: number;
  /** Hand-overs to the recursive mkdir (unplanned cases and races). */
  recursive: number;
}

const stats: MakeDirsCounters = { levels: 0, recursive: 0 };

/** What makeDirs did so far in this process (a copy; for tests and stats). */
export function makeDirsCounters(): MakeDirsCounters {
  return { ...stats };
}

/** mkdir(2) of one level in the thread pool (where the creation gate sends creations while they are slow). */
const mkdirPool: (dir: string) => Promise<void> = promisify((dir: string, cb: (err: NodeJS.ErrnoException | null) => void) => mkdirCb(dir, cb));

/**
 * Where this process's inode creations run (creation-gate.ts): inline while the median of the
 * latest 16 stays under 150 µs, else in the pool for a second before a new window of inline
 * ones decides. One per process, like dirSyncer (a storage server sets its mode from its config).
 */
export const creationGate = new CreationGate({ slowMicros: 150, retryMs: 1000 });

/** mkdir(2) of one level (it creates an inode: see the header and creation-gate.ts). */
function mkdirOne(dir: string): Promise<void> {
  return gatedCreate(creationGate, () => void mkdirSync(dir), () => mkdirPool(dir));
}

/** open(2) that may create the file (`wx`, `a`...), returning the descriptor; see creation-gate.ts. */
export function createFd(file: string, flags: string): Promise<number> {
  return gatedCreate(creationGate, () => openSync(file, flags), () => openFd(file, flags));
}

/** What a synchronous stat says about one path (no exception is built for a missing one). */
export type DirProbe = 'dir' | 'missing' | 'other';

/**
 * How to get `leaf` created (pure, given a probe of the paths on the way up):
 * - `exists`: it is a directory already;
 * - `create`: these directories are missing (outermost first) and the parent of the first one
 *   is a directory at or under `device`, so they can be made one mkdir(2) each;
 * - `recursive`: anything else (more than `maxNew` levels missing, something that is not a
 *   directory on the way, the device itself missing): left to the recursive mkdir, which also
 *   refuses to recreate a missing device.
 */
export type MakeDirsPlan = { kind: 'exists' } | { kind: 'create'; dirs: string[] } | { kind: 'recursive' };

/**
 * Missing levels created one by one at most: a new hash directory in a new suffix of a new
 * partition. Probing costs microseconds per level, a thread-pool round trip tens.
 */
export const MAX_PLANNED_LEVELS = 3;

export interface PlanOptions {
  /** Must already exist (see makeDirs). */
  device?: string;
  /** The caller has just seen `dir` missing: no need to look again. */
  leafMissing?: boolean;
  /** Missing levels created one by one at most. */
  maxNew?: number;
}

export function planMakeDirs(dir: string, probe: (dir: string) => DirProbe, opts: PlanOptions = {}): MakeDirsPlan {
  const { device, leafMissing = false, maxNew = MAX_PLANNED_LEVELS } = opts;
  const leaf = path.resolve(dir);
  const top = leafMissing ? 'missing' : probe(leaf);
  if (top === 'dir') return { kind: 'exists' };
  if (top === 'other') return { kind: 'recursive' };
  const dirs = [leaf];
  for (;;) {
    const parent = path.dirname(dirs[0]);
    if (parent === dirs[0]) return { kind: 'recursive' };
    const p = probe(parent);
    if (p === 'dir') return device === undefined || isAtOrUnder(parent, device) ? { kind: 'create', dirs } : { kind: 'recursive' };
    if (p === 'other' || dirs.length >= maxNew) return { kind: 'recursive' };
    dirs.unshift(parent);
  }
}

/** Both absolute and normalized (path.resolve), as planMakeDirs' are. */
function isAtOrUnder(dir: string, ancestor: string): boolean {
  const a = path.resolve(ancestor);
  return dir === a || dir.startsWith(a.endsWith(path.sep) ? a : a + path.sep);
}

function probeDir(dir: string): DirProbe {
  try {
    const st = statSync(dir, { throwIfNoEntry: false });
    if (st === undefined) return 'missing';
    return st.isDirectory() ? 'dir' : 'other';
  } catch {
    // ENOTDIR, EACCES...: the recursive mkdir reports it as it always did
    return 'other';
  }
}

/**
 * mkdir -p, returning the directories it created (outermost first); their parents are what must
 * be synced to make them durable. `device`, when given, must already exist: a device that
 * disappeared (unmounted, failed) is never recreated on the disk underneath (what Swift's mount
 * check is for; device availability is only re-checked once a second): what this call created
 * is removed again and DEVICE_UNAVAILABLE thrown.
 *
 * Usually the directory exists (no pool call at all) or one or two levels are missing (a new
 * hash directory, maybe in a new suffix): a synchronous stat per level finds where to start and
 * each missing level costs one mkdir(2) in the pool. Node's recursive mkdir would spend a round
 * trip on the ENOENT of the leaf first (and two on an existing leaf: EEXIST, then a stat). Any
 * surprise (a concurrent creation or removal, an error) hands over to the recursive mkdir, which
 * knows every case.
 */
export async function makeDirs(dir: string, device?: string, opts: { leafMissing?: boolean } = {}): Promise<string[]> {
  const plan = planMakeDirs(dir, probeDir, { device, leafMissing: opts.leafMissing });
  if (plan.kind === 'exists') return [];
  const created: string[] = [];
  if (plan.kind === 'create') {
    try {
      for (const d of plan.dirs) {
        stats.levels++;
        // Noted before it exists: whoever sees it on disk also sees that its entry may not be
        // durable yet (see unsyncedAncestors).
        const noted = unsynced.has(d);
        unsynced.add(d);
        try {
          await mkdirOne(d);
        } catch (err) {
          // Another change of this process may have just created it: its note stays.
          if (!noted) unsynced.delete(d);
          throw err;
        }
        created.push(d);
      }
      return created;
    } catch {
      // raced with another creator or remover: the recursive mkdir sorts it out (or throws)
    }
  }
  const more = await makeDirsRecursive(path.resolve(dir), device);
  for (const d of more) unsynced.add(d);
  return [...created, ...more];
}

/**
 * Directories this process created whose entry in their parent may not be durable yet: a
 * change that finds one of them above its own directory (created by a concurrent change that has
 * not synced yet) syncs that parent too, sharing the fsync, before it acknowledges anything.
 */
const unsynced = new Set<string>();

/**
 * `dir` and the directories above it, up to `top` (excluded), that this process created and
 * whose parents were not synced since: their parents must be synced before a file in `dir`
 * counts as durable.
 */
export function unsyncedAncestors(dir: string, top: string): string[] {
  if (unsynced.size === 0) return [];
  const stop = path.resolve(top);
  const out: string[] = [];
  for (let d = path.resolve(dir); d !== stop && d.startsWith(stop); d = path.dirname(d)) {
    if (unsynced.has(d)) out.push(d);
    if (path.dirname(d) === d) break;
  }
  return out;
}

/** Their parents were synced (after they were created): their entries are durable. */
export function markSynced(dirs: readonly string[]): void {
  for (const d of dirs) unsynced.delete(d);
}

async function makeDirsRecursive(leaf: string, device: string | undefined): Promise<string[]> {
  stats.recursive++;
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
  if (!fsync) return markSynced(created);
  const pending = unsyncedAncestors(dir, device ?? path.parse(path.resolve(dir)).root);
  if (pending.length > 0) await fsyncDirs(parentsOf(pending));
  markSynced(pending);
}

/** Creates `file` (it must not exist) with `data`, synced when asked. */
export async function writeNewFile(file: string, data: string | Buffer, fsync: boolean): Promise<void> {
  const fd = await createFd(file, 'wx');
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
    if (fsync) await fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
}
