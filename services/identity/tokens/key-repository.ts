/**
 * The token key repository: a directory of Fernet keys laid out like Keystone's, so operators can
 * reason about (and distribute) it the same way.
 *
 * - Each key is a file named by a non-negative integer, holding the key's base64url text.
 * - "0" is the staged key: not yet used to issue, but already accepted for validation.
 * - The highest number is the primary key: it issues every new token.
 * - Everything between is a secondary key: it only validates tokens issued before a rotation.
 *
 * Why a staged key: in a cluster, operators rotate on one node and copy the directory to the
 * others. Because every node already accepts the staged key, tokens issued by a node that has
 * rotated (its new primary is everyone's old staged key) validate on nodes that have not yet
 * received the copy.
 *
 * Rotation keeps the directory valid for a concurrent reader at every instant:
 *   1. the staged key's text is written under the next index (the new primary) — created with
 *      link(2), which fails if the name exists, so two racing rotators cannot both claim it;
 *   2. a fresh key atomically replaces "0" (temp file + rename);
 *   3. the oldest secondaries beyond maxActiveKeys are removed.
 * Between 1 and 2 the staged and primary keys are the same key, which is harmless. Every new file
 * is written to a temp name, fsynced, then moved into place, and the directory is fsynced, so a
 * crash or power loss never leaves a truncated key (a lost key would invalidate every token it
 * issued).
 *
 * Keys are secret: the directory is 0700 and files 0600, and `open` refuses an existing repository
 * that group or others can access rather than serve from leaked keys.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { chmod, link, mkdir, open as openFile, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { FERNET_KEY_BYTES, type FernetKey, keyFromBase64url, keyFromBytes, keyToBase64url } from './fernet';

/** Source of secret random bytes; crypto.randomBytes unless a test injects a deterministic one. */
export type RandomBytes = (size: number) => Buffer;

export interface KeyRepositoryOptions {
  random?: RandomBytes;
}

export interface RotateOptions {
  /**
   * Most keys kept, counting the staged and primary keys; at least 2. Tokens stay valid for
   * (maxActiveKeys - 2) rotations after the one that retired their key, so Keystone's rule applies:
   * maxActiveKeys >= token lifetime / rotation interval + 2.
   */
  maxActiveKeys: number;
}

export type KeyRole = 'primary' | 'secondary' | 'staged';

export interface KeyEntry {
  /** The file name as a number. */
  readonly index: number;
  readonly role: KeyRole;
  readonly key: FernetKey;
}

const STAGED_INDEX = 0;
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
const KEY_NAME = /^(0|[1-9][0-9]{0,14})$/;
const TEMP_PREFIX = '.tmp-';
/** A reload can race a rotation deleting a file it just listed; a re-list then sees the new state. */
const RELOAD_ATTEMPTS = 5;

export class KeyRepositoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyRepositoryError';
  }
}

export class KeyRepository {
  /** Primary first, then secondaries by descending index, then staged. */
  private entries: readonly KeyEntry[] = [];
  private keyList: readonly FernetKey[] = [];

  private constructor(
    readonly dir: string,
    private readonly random: RandomBytes,
  ) {}

  /**
   * Opens the repository at `dir`. A missing or empty directory is initialized (mode 0700) with a
   * staged key 0 and a primary key 1. Throws KeyRepositoryError if the directory holds an invalid
   * repository or one readable by group or others.
   */
  static async open(dir: string, options: KeyRepositoryOptions = {}): Promise<KeyRepository> {
    const repo = new KeyRepository(dir, options.random ?? randomBytes);
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
    const names = await listKeyNames(dir);
    if (names.length === 0) {
      // Ours to initialize: tighten a directory the operator pre-created with a looser mode
      // (mkdir's mode is also subject to the umask).
      await chmod(dir, DIR_MODE);
      await repo.writeNewKey(STAGED_INDEX, repo.newKey(), 'replace');
      await repo.writeNewKey(1, repo.newKey(), 'exclusive');
      await syncDir(dir);
    } else {
      await checkNotShared(dir);
    }
    await repo.reload();
    return repo;
  }

  /**
   * Opens a repository another process (the identity service) created, for validating only;
   * never initializes one. Throws KeyRepositoryError when it is missing or empty.
   */
  static async openExisting(dir: string): Promise<KeyRepository> {
    let names: number[];
    try {
      names = await listKeyNames(dir);
    } catch {
      names = [];
    }
    if (names.length === 0) throw new KeyRepositoryError(`no token key repository at ${dir} (start the identity service first, or point auth.keysDir at its keys)`);
    await checkNotShared(dir);
    const repo = new KeyRepository(dir, randomBytes);
    await repo.reload();
    return repo;
  }

  /** Keys for validation: primary first (it opens most tokens), secondaries newest first, staged last. */
  keys(): readonly FernetKey[] {
    return this.keyList;
  }

  /** The key that issues new tokens. */
  primary(): FernetKey {
    return this.entries[0].key;
  }

  /** Every key with its index and role, in `keys()` order (for status output and tests). */
  list(): readonly KeyEntry[] {
    return this.entries;
  }

  /**
   * Re-reads the directory, so a rotation by another process (or a copy from the rotating node)
   * is seen. On failure the previous keys stay in use and the error is thrown.
   */
  async reload(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        this.entries = await readRepository(this.dir);
        this.keyList = this.entries.map((e) => e.key);
        return;
      } catch (err) {
        if (attempt >= RELOAD_ATTEMPTS || (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  }

  /**
   * Promotes the staged key to primary (next index), stages a fresh key and removes the oldest
   * secondaries so at most maxActiveKeys remain. Re-reads the directory first so it rotates what
   * is on disk, not a stale view. Throws KeyRepositoryError if another rotation got there first.
   */
  async rotate(options: RotateOptions): Promise<void> {
    const { maxActiveKeys } = options;
    if (!Number.isSafeInteger(maxActiveKeys) || maxActiveKeys < 2) {
      throw new RangeError(`maxActiveKeys must be an integer >= 2 (staged + primary), got ${maxActiveKeys}`);
    }
    await this.reload();
    const staged = this.entries[this.entries.length - 1];
    const nextIndex = this.entries[0].index + 1;
    if (!Number.isSafeInteger(nextIndex) || !KEY_NAME.test(String(nextIndex))) {
      throw new KeyRepositoryError(`key index ${nextIndex} is out of range`);
    }
    await this.writeNewKey(nextIndex, staged.key, 'exclusive');
    await this.writeNewKey(STAGED_INDEX, this.newKey(), 'replace');

    // Active after the two writes: the new primary, the old primary and secondaries, the new staged.
    const secondaries = this.entries.filter((e) => e.role !== 'staged').map((e) => e.index);
    const keep = maxActiveKeys - 2;
    const excess = secondaries.sort((a, b) => b - a).slice(keep);
    for (const index of excess) {
      try {
        await unlink(join(this.dir, String(index)));
      } catch (err) {
        // Already pruned by a concurrent rotator: the goal state holds.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    await syncDir(this.dir);
    await this.reload();
  }

  private newKey(): FernetKey {
    const raw = this.random(FERNET_KEY_BYTES);
    if (raw.length !== FERNET_KEY_BYTES) {
      throw new RangeError(`random source returned ${raw.length} bytes, wanted ${FERNET_KEY_BYTES}`);
    }
    return keyFromBytes(raw);
  }

  /**
   * Writes a key file atomically: temp file (0600, fsynced), then moved into place. 'exclusive'
   * uses link(2), which fails if the name exists; 'replace' uses rename(2), which swaps atomically.
   */
  private async writeNewKey(index: number, key: FernetKey, mode: 'exclusive' | 'replace'): Promise<void> {
    const name = String(index);
    // Not from the injected source: a deterministic one would give two instances the same name.
    const temp = join(this.dir, `${TEMP_PREFIX}${name}-${process.pid}-${randomBytes(6).toString('hex')}`);
    const handle = await openFile(temp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, FILE_MODE);
    try {
      // The umask can only clear bits, but be explicit: the file holds a secret.
      await handle.chmod(FILE_MODE);
      await handle.writeFile(keyToBase64url(key), 'ascii');
      await handle.sync();
    } finally {
      await handle.close();
    }
    const target = join(this.dir, name);
    try {
      if (mode === 'exclusive') {
        try {
          await link(temp, target);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
            throw new KeyRepositoryError(`key ${name} already exists in ${this.dir}: another rotation is in progress`);
          }
          throw err;
        }
        await unlink(temp);
      } else {
        await rename(temp, target);
      }
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    }
  }
}

/** Key file names (numbers) in `dir`, ignoring temp files and anything else an operator left. */
async function listKeyNames(dir: string): Promise<number[]> {
  const names = await readdir(dir);
  return names.filter((n) => KEY_NAME.test(n)).map(Number);
}

async function readRepository(dir: string): Promise<KeyEntry[]> {
  const indices = (await listKeyNames(dir)).sort((a, b) => b - a);
  if (!indices.includes(STAGED_INDEX)) {
    throw new KeyRepositoryError(`key repository ${dir} has no staged key file "0"`);
  }
  if (indices.length < 2) {
    throw new KeyRepositoryError(`key repository ${dir} has no primary key (a file "1" or higher)`);
  }
  const entries: KeyEntry[] = [];
  for (const index of indices) {
    const path = join(dir, String(index));
    const text = await readFile(path, 'ascii');
    let key: FernetKey;
    try {
      key = keyFromBase64url(text);
    } catch {
      throw new KeyRepositoryError(`key file ${path} does not hold a base64url ${FERNET_KEY_BYTES}-byte key`);
    }
    const role: KeyRole = index === STAGED_INDEX ? 'staged' : entries.length === 0 ? 'primary' : 'secondary';
    entries.push({ index, role, key });
  }
  // Sorted descending, so the staged key 0 is already last.
  return entries;
}

async function checkNotShared(dir: string): Promise<void> {
  const paths = [dir, ...(await listKeyNames(dir)).map((n) => join(dir, String(n)))];
  for (const path of paths) {
    let mode: number;
    try {
      mode = (await stat(path)).mode & 0o777;
    } catch (err) {
      // Pruned by a concurrent rotation since the listing; nothing left to leak.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    if ((mode & 0o077) !== 0) {
      throw new KeyRepositoryError(
        `${path} has mode ${mode.toString(8).padStart(4, '0')}; token keys must not be accessible to group or others ` +
          `(chmod 700 the directory and 600 its files)`,
      );
    }
  }
}

/** Makes renames, links and unlinks in `dir` durable. */
async function syncDir(dir: string): Promise<void> {
  const handle = await openFile(dir, fsConstants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
