/**
 * A directory's entry names, or none when it (or a parent) does not exist: the walkers over
 * device trees (workers, replication, expirer index) meet directories that a concurrent writer
 * has not created yet or a cleaner has just removed, and both mean "nothing here".
 */
import { readdir } from 'node:fs/promises';

export async function listDir(dir: string, opts: { sorted?: boolean } = {}): Promise<string[]> {
  try {
    const names = await readdir(dir);
    return opts.sorted ? names.sort() : names;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw err;
  }
}
