/**
 * Removes files a handoff has handed over (the replicator names exactly the files every primary
 * took). Anything that arrived since stays, so a write landing on the handoff during the pass is
 * not lost; the directory goes only when it is empty.
 */
import { readdir, rmdir, unlink } from 'node:fs/promises';
import * as path from 'node:path';
import { parseFileName } from '../diskfile/file-names';
import type { HashDirAccess } from './hash-dir-access';
import type { HashDirTarget } from './hash-dir-receiver';

export async function removeHashFiles(access: HashDirAccess, target: HashDirTarget, files: readonly string[]): Promise<{ removed: number; dirRemoved: boolean }> {
  const dir = access.hashDir(target.device, target.partition, target.hash);
  const suffix = target.hash.slice(-3);
  return access.lock(dir, async () => {
    let removed = 0;
    for (const name of files) {
      if (!parseFileName(name)) continue;
      try {
        await unlink(path.join(dir, name));
        removed++;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    let dirRemoved = false;
    try {
      if ((await readdir(dir)).length === 0) {
        await rmdir(dir);
        dirRemoved = true;
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTEMPTY') throw err;
    }
    if (removed > 0 || dirRemoved) await access.invalidate(target.device, target.partition, suffix);
    return { removed, dirRemoved };
  });
}
