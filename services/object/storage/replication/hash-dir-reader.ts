/**
 * Opens the live files of one hash directory for sending (the replicator reads its local copy
 * through this, and pipes it to a peer). Files are opened before anything is sent, so a writer
 * that replaces them meanwhile cannot cut a transfer short: the open handles keep the bytes.
 *
 * The frame (sync-frame.ts) carries a `.data` as its `<ts>.meta.json` and its body, whichever
 * form it has on disk: a footer-form `.data` (data-footer.ts) is sent as its footer's JSON and
 * its first `contentLength` bytes; a two-file-form one as both files. Receivers always store the
 * footer form.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { listDir } from '../../common/list-dir';
import * as path from 'node:path';
import { fileName } from '../diskfile/file-names';
import { readFooter } from '../diskfile/footer-reader';
import { classifyFiles } from '../diskfile/ondisk-files';
import type { FrameFile } from './sync-frame';
import { sortForFrame } from './sync-frame';

/** Where a frame file's bytes come from: the first `size` bytes of an open file, or memory. */
export type FrameSource = { kind: 'file'; fh: FileHandle } | { kind: 'bytes'; bytes: Buffer };

export interface OpenHashDir {
  /** Frame order (metadata first). */
  files: FrameFile[];
  sources: Map<string, FrameSource>;
  close(): Promise<void>;
}

const ATTEMPTS = 5;

/**
 * The live files, opened; undefined when there is nothing worth sending (nothing there, or a
 * damaged `.data`: a peer's good copy replaces it, and the auditor or a reader quarantines it).
 */
export async function openHashDir(dir: string): Promise<OpenHashDir | undefined> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    // A missing directory lists as empty: no winner, nothing to send.
    const state = classifyFiles(await listDir(dir));
    if (!state.winner) return undefined;
    const handles: FileHandle[] = [];
    const close = async (): Promise<void> => {
      for (const fh of handles) await fh.close().catch(() => undefined);
    };
    try {
      const files: FrameFile[] = [];
      const sources = new Map<string, FrameSource>();
      const names = state.dataMeta ? [...state.live, state.dataMeta.name] : state.live;
      for (const name of names) {
        const fh = await open(path.join(dir, name), 'r');
        handles.push(fh);
        const size = (await fh.stat()).size;
        sources.set(name, { kind: 'file', fh });
        if (name !== state.winner.name || state.winner.kind !== 'data' || state.dataMeta) {
          files.push({ name, size });
          continue;
        }
        const footer = await readFooter(fh, size);
        if (!footer.ok) {
          await close();
          return undefined;
        }
        files.push({ name, size: footer.meta.contentLength });
        const metaName = fileName('dataMeta', state.winner.timestamp);
        files.push({ name: metaName, size: footer.json.length });
        sources.set(metaName, { kind: 'bytes', bytes: footer.json });
      }
      return { files: sortForFrame(files), sources, close };
    } catch (err) {
      await close();
      // Replaced between the listing and the open: list again.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
  }
  throw new Error(`hash directory ${dir} kept changing while being opened`);
}
