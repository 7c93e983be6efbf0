/**
 * Per-partition suffix hashes for the replicator (Swift's `hashes.pkl` + `hashes.invalid`).
 *
 * `objects/<partition>/hashes.json` maps each suffix directory to the MD5 of the live file names
 * under it (`<hash>/<file>` lines, sorted). Two replicas of a partition hold the same objects
 * exactly when their maps are equal, so the replicator compares maps and only walks suffixes that
 * differ.
 *
 * Recomputing a suffix means listing all its hash directories, so writers do not do it: they
 * append the suffix to `hashes.invalid` (a few bytes, no read-modify-write of the JSON), and
 * `get()` folds the invalid suffixes in, recomputes them and rewrites `hashes.json` atomically.
 * Writers invalidate before their rename (so a crash right after it still leaves the suffix
 * marked) and again after it only when a `get()` consumed marks in between (the generation
 * changed), since that `get()` may have hashed the suffix before the rename. Marks that arrive
 * while the partition lock is busy are written together by one append.
 *
 * Only the storage server process reads and consolidates these files (workers in other
 * processes ask it); in-process, appends and the consolidation are serialized by the
 * per-partition lock. The auditor, in the workers process, also appends (after a quarantine),
 * so marks must not get lost across processes without a shared lock: the consolidation first
 * renames `hashes.invalid` aside and reads the renamed file, and an appender checks after its
 * write that the file it wrote to is still the one at the path, appending again when the
 * consolidation took it meanwhile (a write that landed before the rename is read by it).
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, statSync, writeSync } from 'node:fs';
import { readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { listDir } from '../../common/list-dir';
import type { KeyedMutex } from './keyed-mutex';
import { classifyFiles } from './ondisk-files';
import { HASHES_FILE, HASHES_INVALID_FILE } from './layout';
import { createFd } from './durable-fs';

const SUFFIX = /^[0-9a-f]{3}$/;

export type SuffixHashes = Record<string, string>;

export class PartitionHashes {
  constructor(
    private readonly locks: KeyedMutex,
    /** `objects/<partition>` of one device. */
    readonly dir: string,
    private readonly newId: () => string,
  ) {}

  private get lockKey(): string {
    return `hashes:${this.dir}`;
  }

  /**
   * Bumped whenever get() takes `hashes.invalid` aside: a mark written under generation g is
   * still in the file as long as the generation is g (see DiskFile.install).
   */
  private gen = 0;
  /** Suffixes waiting for the next append (marks that arrive together share one write). */
  private readonly queued = new Set<string>();
  /** get() renamed `hashes.invalid` aside and no append has run since (see appendMarks). */
  private takenAway = false;
  private nextFlush: Promise<number> | undefined;

  get generation(): number {
    return this.gen;
  }

  /**
   * Marks a suffix as changed; its hash is recomputed by the next get(). Resolves, once the mark
   * is on disk, with the generation it was written under. Marks queued while an append or a
   * consolidation holds the partition lock are written together by one append.
   */
  async invalidate(suffix: string): Promise<void> {
    await this.mark(suffix);
  }

  /** invalidate(), resolving with the generation the mark was written under. */
  mark(suffix: string): Promise<number> {
    this.queued.add(suffix);
    if (!this.nextFlush) {
      this.nextFlush = this.locks.run(this.lockKey, async () => {
        this.nextFlush = undefined;
        const batch = [...this.queued];
        this.queued.clear();
        await this.appendMarks(batch);
        return this.gen;
      });
    }
    return this.nextFlush;
  }

  /**
   * The file usually exists (a write since the last consolidation created it): opening it then is
   * synchronous, cheaper than a thread-pool round trip. Creating it goes where the creation gate
   * says (durable-fs.ts createFd). The few bytes written, the stats and the close are synchronous.
   * Right after this instance's consolidation took the file away it is most likely missing, so
   * the first append goes straight to open-or-create instead of building an ENOENT exception (a
   * hint only: that open appends to a file another process created meanwhile just as well).
   */
  private async appendMarks(suffixes: readonly string[]): Promise<void> {
    const file = path.join(this.dir, HASHES_INVALID_FILE);
    const text = suffixes.map((s) => `${s}\n`).join('');
    for (let attempt = 0; attempt < 5; attempt++) {
      const fd = (this.takenAway ? undefined : openExisting(file)) ?? (await createFd(file, 'a'));
      this.takenAway = false;
      let landed: boolean;
      try {
        writeSync(fd, text);
        // Compared while the descriptor is open: the inode cannot be freed and its number reused
        // by a new hashes.invalid (after a consolidation took this one and removed it) meanwhile.
        landed = fstatSync(fd).ino === pathIno(file);
      } finally {
        closeSync(fd);
      }
      if (landed) return;
    }
  }

  /**
   * The current suffix → hash map. Recomputes invalidated suffixes, the ones in `recalculate`, and
   * everything when `hashes.json` is missing or unreadable. A partition that does not exist has no
   * suffixes (and is not created).
   */
  async get(recalculate: readonly string[] = []): Promise<SuffixHashes> {
    return this.locks.run(this.lockKey, async () => {
      let suffixDirs: string[];
      try {
        suffixDirs = (await readdir(this.dir)).filter((n) => SUFFIX.test(n));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
        throw err;
      }
      const stored = await this.readStored();
      const hashes: SuffixHashes = stored ?? {};
      const consumed = await this.takeInvalid();
      const invalid = await this.readInvalid(consumed);
      const todo = new Set([...invalid, ...recalculate.filter((s) => SUFFIX.test(s)), ...(stored ? [] : suffixDirs)]);
      for (const suffix of todo) {
        const h = await hashSuffixDir(path.join(this.dir, suffix));
        if (h === undefined) delete hashes[suffix];
        else hashes[suffix] = h;
      }
      if (todo.size > 0 || !stored) {
        const tmp = path.join(this.dir, `${HASHES_FILE}.${this.newId()}.tmp`);
        await writeFile(tmp, JSON.stringify(sortedKeys(hashes)));
        await rename(tmp, path.join(this.dir, HASHES_FILE));
      }
      // Only after hashes.json holds the recomputed values: a crash before this re-does the work.
      for (const f of consumed) await unlink(path.join(this.dir, f)).catch(() => undefined);
      return hashes;
    });
  }

  private async readStored(): Promise<SuffixHashes | undefined> {
    let text: string;
    try {
      text = await readFile(path.join(this.dir, HASHES_FILE), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const v: unknown = JSON.parse(text);
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
      const out: SuffixHashes = {};
      for (const [k, h] of Object.entries(v)) {
        if (!SUFFIX.test(k) || typeof h !== 'string') return undefined;
        out[k] = h;
      }
      return out;
    } catch {
      // A damaged hashes.json only costs a full recompute.
      return undefined;
    }
  }

  /**
   * Renames `hashes.invalid` aside (appends from now on start a new file) and returns every
   * set-aside file, including those of a consolidation that crashed before removing them.
   */
  private async takeInvalid(): Promise<string[]> {
    this.gen++;
    try {
      await rename(path.join(this.dir, HASHES_INVALID_FILE), path.join(this.dir, `${HASHES_INVALID_FILE}.${this.newId()}.taken`));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    this.takenAway = true;
    return (await readdir(this.dir)).filter((n) => n.startsWith(`${HASHES_INVALID_FILE}.`) && n.endsWith('.taken'));
  }

  private async readInvalid(files: readonly string[]): Promise<string[]> {
    const out = new Set<string>();
    for (const f of files) {
      try {
        const text = await readFile(path.join(this.dir, f), 'utf8');
        for (const s of text.split('\n')) if (SUFFIX.test(s)) out.add(s);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    return [...out];
  }
}

/** The inode at `file` now, or -1 when nothing is there (taken aside meanwhile by a consolidation). */
function pathIno(file: string): number {
  try {
    return statSync(file, { throwIfNoEntry: false })?.ino ?? -1;
  } catch {
    return -1;
  }
}

/** Opens `file` for appending when it exists; undefined when it does not. */
function openExisting(file: string): number | undefined {
  try {
    return openSync(file, constants.O_WRONLY | constants.O_APPEND);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function sortedKeys(h: SuffixHashes): SuffixHashes {
  const out: SuffixHashes = {};
  for (const k of Object.keys(h).sort()) out[k] = h[k];
  return out;
}

/** MD5 of the live files under a suffix directory, or undefined when it holds none. */
export async function hashSuffixDir(suffixDir: string): Promise<string | undefined> {
  const md5 = createHash('md5');
  let hashedAny = false;
  for (const h of await listDir(suffixDir, { sorted: true })) {
    for (const f of classifyFiles(await listDir(path.join(suffixDir, h))).live) {
      md5.update(`${h}/${f}\n`);
      hashedAny = true;
    }
  }
  return hashedAny ? md5.digest('hex') : undefined;
}
