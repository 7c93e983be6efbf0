/**
 * The tool's file handling: builder files in and out, ring files out. Every write goes to a
 * temporary file in the same directory, is fsynced, then renamed (or hard-linked, for files that
 * must not exist yet) into place, so a reader never sees half a file and a failed command leaves
 * the old file untouched.
 */
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, unlink } from 'node:fs/promises';
import * as path from 'node:path';
import { type BuilderState, decodeBuilderFile, encodeBuilderFile } from '../../services/object/ring';
import { UsageError } from '../cli/args';

async function writeTemp(file: string, data: string | Uint8Array): Promise<string> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  return tmp;
}

/** Writes a file atomically, replacing any existing one. */
export async function replaceFile(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = await writeTemp(file, data);
  try {
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/** Writes a file atomically; a UsageError (nothing written) if it already exists. */
export async function createFile(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = await writeTemp(file, data);
  try {
    await link(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`${file} already exists; not overwriting it`);
    throw e;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

export async function readBuilder(file: string): Promise<BuilderState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read builder file ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return decodeBuilderFile(text);
}

export function saveBuilder(file: string, state: BuilderState): Promise<void> {
  return replaceFile(file, encodeBuilderFile(state));
}
