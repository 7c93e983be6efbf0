/**
 * Opens the live files of one hash directory for sending (the replicator reads its local copy
 * through this, and pipes it to a peer). Files are opened before anything is sent, so a writer
 * that replaces them meanwhile cannot cut a transfer short: the open handles keep the bytes.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { listDir } from '../../common/list-dir';
import * as path from 'node:path';
import { classifyFiles } from '../diskfile/ondisk-files';
import type { FrameFile } from './sync-frame';
import { sortForFrame } from './sync-frame';

export interface OpenHashDir {
  /** Frame order (metadata first). */
  files: FrameFile[];
  handles: Map<string, FileHandle>;
  close(): Promise<void>;
}

const ATTEMPTS = 5;

/** The live files, opened; undefined when there is nothing worth sending. */
export async function openHashDir(dir: string): Promise<OpenHashDir | undefined> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    // A missing directory lists as empty: no winner, nothing to send.
    const state = classifyFiles(await listDir(dir));
    if (!state.winner || (state.winner.kind === 'data' && !state.dataMeta)) return undefined;
    const handles = new Map<string, FileHandle>();
    const close = async (): Promise<void> => {
      for (const fh of handles.values()) await fh.close().catch(() => undefined);
    };
    try {
      const files: FrameFile[] = [];
      for (const name of state.live) {
        const fh = await open(path.join(dir, name), 'r');
        handles.set(name, fh);
        files.push({ name, size: (await fh.stat()).size });
      }
      return { files: sortForFrame(files), handles, close };
    } catch (err) {
      await close();
      // Replaced between the listing and the open: list again.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
  }
  throw new Error(`hash directory ${dir} kept changing while being opened`);
}
