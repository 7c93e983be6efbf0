/**
 * What the disk under the object bench's devices can do with fsync on, measured with plain file
 * writes and no object store at all, so the bench can print the ceilings the disk sets for the
 * object phases: with 3 replicas every client byte is written (and synced) three times, and every
 * small PUT is at least three durable file creations (file data + directory entry synced).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, open, rename } from 'node:fs/promises';
import * as path from 'node:path';

export interface DiskProbe {
  /** MB/s of `writers` parallel writers each writing `fileMiB` MiB then fsync'ing it. */
  syncedWriteMBps: number;
  writers: number;
  fileMiB: number;
  /** Durable 4 KiB file creations per second at `concurrency` (write, fsync, rename, fsync dir). */
  durableSmallFilesPerSecond: number;
  concurrency: number;
}

const MIB = 1024 * 1024;

async function writeSynced(file: string, block: Buffer, blocks: number): Promise<void> {
  const fh = await open(file, 'wx');
  try {
    for (let i = 0; i < blocks; i++) await fh.write(block, 0, block.length);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Runs in a fresh directory under `parent` (on the devices' file system), removed after. */
export async function probeDisk(parent: string, o: { writers?: number; fileMiB?: number; concurrency?: number; seconds?: number } = {}): Promise<DiskProbe> {
  const writers = o.writers ?? 3;
  const fileMiB = o.fileMiB ?? 64;
  const concurrency = o.concurrency ?? 32;
  const seconds = o.seconds ?? 2;
  const dir = mkdtempSync(path.join(parent, 'weft-disk-probe-'));
  try {
    const block = randomBytes(MIB);
    const t0 = performance.now();
    await Promise.all(Array.from({ length: writers }, (_, i) => writeSynced(path.join(dir, `big-${i}`), block, fileMiB)));
    const syncedWriteMBps = (writers * fileMiB * MIB) / 1e6 / ((performance.now() - t0) / 1000);

    const small = randomBytes(4096);
    const tmp = path.join(dir, 'tmp');
    await mkdir(tmp);
    let made = 0;
    const t1 = performance.now();
    const end = t1 + seconds * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async (_, w) => {
        // One directory per writer, like objects landing in their own hash directories.
        const home = path.join(dir, `w${w}`);
        await mkdir(home);
        for (let i = 0; performance.now() < end && i < 1_000_000; i++) {
          const t = path.join(tmp, `${w}-${i}`);
          await writeSynced(t, small, 1);
          await rename(t, path.join(home, `${i}.data`));
          await syncDir(home);
          made++;
        }
      }),
    );
    const durableSmallFilesPerSecond = made / ((performance.now() - t1) / 1000);
    return { syncedWriteMBps, writers, fileMiB, durableSmallFilesPerSecond, concurrency };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The lines the object bench prints: what the disk does and the ceilings that follow from it. */
export function diskCeilingText(p: DiskProbe, replicas: number): string[] {
  return [
    `disk (fsync on, no object store): ${p.writers} parallel writers of ${p.fileMiB} MiB: ${p.syncedWriteMBps.toFixed(0)} MB/s, so PUT of large objects with ${replicas} replicas cannot pass ${(p.syncedWriteMBps / replicas).toFixed(0)} MB/s here`,
    `disk: durable 4 KiB file creations (write, fsync, rename, fsync dir) at C=${p.concurrency}: ${p.durableSmallFilesPerSecond.toFixed(0)}/s, so 4 KiB PUTs with ${replicas} replicas cannot pass ${(p.durableSmallFilesPerSecond / replicas).toFixed(0)}/s here`,
  ];
}
