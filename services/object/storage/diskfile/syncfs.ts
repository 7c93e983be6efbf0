/**
 * syncfs(2) of the file system holding a directory: every dirty page and inode of that file
 * system reaches the disk, once. The intent journal's checkpoint (intent-journal.ts) uses it to
 * make all the files installed since the last checkpoint durable at once instead of one fsync
 * per file and directory.
 *
 * Node has no binding for syncfs, so coreutils' `sync --file-system` makes the call (one short
 * process per checkpoint, about one a second at most). Since Linux 5.8 syncfs reports writeback
 * errors, and `sync` exits non-zero on them.
 */
import { spawn } from 'node:child_process';

export type SyncFilesystem = (dir: string) => Promise<void>;

export const syncFilesystem: SyncFilesystem = (dir) =>
  new Promise<void>((resolve, reject) => {
    const child = spawn('sync', ['--file-system', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      if (stderr.length < 4096) stderr += s;
    });
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`sync --file-system ${dir}: ${signal ?? `exit ${code}`} ${stderr.trim()}`.trim()));
    });
  });
