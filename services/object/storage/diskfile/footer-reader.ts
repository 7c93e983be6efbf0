/**
 * Reads the metadata footer (data-footer.ts) of an open `.data`: one positional read of its last
 * few KiB, a second only when the metadata is longer than that.
 */
import { open } from 'node:fs/promises';
import { FOOTER_FIRST_READ_BYTES, parseFooterTail, type ParsedFooter } from './data-footer';

/** A FileHandle, or open-object.ts's SyncFileSource. */
export interface PositionalReader {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
}

async function readTail(src: PositionalReader, fileSize: number, length: number): Promise<Buffer | undefined> {
  const buf = Buffer.allocUnsafe(length);
  for (let got = 0; got < length; ) {
    const { bytesRead } = await src.read(buf, got, length - got, fileSize - length + got);
    if (bytesRead === 0) return undefined;
    got += bytesRead;
  }
  return buf;
}

/** The footer of a `.data` of `fileSize` bytes (as stat saw it), or why it is damaged. */
export async function readFooter(src: PositionalReader, fileSize: number): Promise<ParsedFooter> {
  let length = Math.min(fileSize, FOOTER_FIRST_READ_BYTES);
  for (let attempt = 0; attempt < 2; attempt++) {
    const tail = await readTail(src, fileSize, length);
    if (!tail) return { ok: false, reason: `data file ended before its ${fileSize} bytes` };
    const parsed = parseFooterTail(tail, fileSize);
    if (parsed.ok !== 'need') return parsed;
    length = parsed.need;
  }
  return { ok: false, reason: 'metadata footer kept growing' };
}

/**
 * The footer of the `.data` at `file` (opened, read, closed). Rejects as the file system does
 * (ENOENT when it is gone), so callers can tell a vanished file from a damaged one.
 */
export async function readFileFooter(file: string): Promise<ParsedFooter> {
  const fh = await open(file, 'r');
  try {
    return await readFooter(fh, (await fh.stat()).size);
  } finally {
    await fh.close();
  }
}
