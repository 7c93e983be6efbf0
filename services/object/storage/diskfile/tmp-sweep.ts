/**
 * Removes temp files a previous process left behind (it crashed or was killed mid-upload).
 *
 * Only entries untouched for `maxAgeMs` go: a live upload writes (and so bumps the file's mtime)
 * at least every client timeout, so an old mtime means nobody is writing it any more. That keeps
 * the sweep safe even if another process (a replicator) shares the device's tmp directory.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import * as path from 'node:path';

export async function sweepTmp(tmpDir: string, opts: { maxAgeMs: number; now: number }): Promise<number> {
  let names: string[];
  try {
    names = await readdir(tmpDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  let removed = 0;
  for (const name of names) {
    const p = path.join(tmpDir, name);
    try {
      const st = await stat(p);
      if (opts.now - st.mtimeMs < opts.maxAgeMs) continue;
      await rm(p, { recursive: true, force: true });
      removed++;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return removed;
}
