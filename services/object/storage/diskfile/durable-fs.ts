/**
 * File system steps that survive a power loss when `fsync` is on: a file's bytes are synced
 * before it is renamed into place, and a directory is synced after entries were added to it
 * (otherwise the rename itself may be lost). With `fsync` off (tests, benchmarks on tmpfs) the
 * same steps run without the syncs.
 */
import { mkdir, open } from 'node:fs/promises';
import * as path from 'node:path';

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** mkdir -p; with fsync, also syncs the parent of every directory it created. */
export async function mkdirDurable(dir: string, fsync: boolean): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
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
  const fh = await open(file, 'wx');
  try {
    if (data.length > 0) await fh.writeFile(data);
    if (fsync) await fh.sync();
  } finally {
    await fh.close();
  }
}
