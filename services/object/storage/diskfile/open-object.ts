/**
 * An object opened for reading: its metadata and an open file handle on its `.data` (a
 * FileHandle, or a SyncFileSource for small objects).
 *
 * The handle is opened before anything is sent, so a concurrent overwrite that removes the file
 * cannot cut a response short (the bytes stay readable through the open handle).
 *
 * The body is copied to the destination through two reused buffers: one is read from the file
 * while the other is being written, so a transfer of any size allocates two buffers and leaves
 * no per-chunk garbage behind (fs.ReadStream allocates a new buffer per read, which on a busy
 * server keeps tens of MB of dead buffers around until V8 collects them).
 *
 * Whole-object reads are checked against the stored MD5 as they go, and the last chunk is only
 * written after the check passed: on a mismatch the copy fails instead of completing, so the
 * reader never receives a complete-looking corrupt body, and the object is quarantined (the
 * replicator then restores a good copy from another replica). Range reads are not checked.
 */
import { createHash } from 'node:crypto';
import { close as closeCb, closeSync, read as readCb, readSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { ObjectMetadata } from './object-metadata';

/**
 * 1 MiB per read and socket write: a quarter of the thread-pool round trips and writes of 256 KiB
 * (measured: storage CPU per 64 MiB GET ~190 -> ~165 ms), for 2 MiB of buffers per large read
 * in flight (smaller objects get buffers of their size).
 */
const COPY_CHUNK = 1024 * 1024;

/** What an open `.data` is read through: a FileHandle (fs/promises) or a SyncFileSource. */
export interface ReadSource {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

/**
 * Reads an open descriptor with synchronous calls. For small objects: their bytes are almost
 * always in the page cache, where a read takes microseconds, while each thread-pool round trip
 * of fs/promises (open, stat, read, close: four per GET) costs more CPU than that in wake-ups
 * and context switches. A read that does go to the disk blocks the event loop for that one
 * small read, which is why only small objects are read this way (DiskFile decides).
 */
export class SyncFileSource implements ReadSource {
  constructor(private readonly fd: number) {}

  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    try {
      return Promise.resolve({ bytesRead: readSync(this.fd, buffer, offset, length, position) });
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  close(): Promise<void> {
    closeSync(this.fd);
    return Promise.resolve();
  }
}

/**
 * Reads an open descriptor through the thread pool (large objects: a read that waits for the
 * disk must not stall the event loop). Like a FileHandle, without its per-handle objects.
 */
export class PoolFileSource implements ReadSource {
  constructor(private readonly fd: number) {}

  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    return new Promise((resolve, reject) => readCb(this.fd, buffer, offset, length, position, (err, bytesRead) => (err ? reject(err) : resolve({ bytesRead }))));
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => closeCb(this.fd, (err) => (err ? reject(err) : resolve())));
  }
}

/** An inclusive byte range [start, end] within the object. */
export interface ByteRange {
  start: number;
  end: number;
}

export class ChecksumError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChecksumError';
  }
}

/** The destination went away (client disconnected) before the copy finished. */
export class DestinationClosedError extends Error {
  constructor() {
    super('destination closed before the body was sent');
    this.name = 'DestinationClosedError';
  }
}

export class OpenObject {
  private open = true;

  constructor(
    readonly metadata: ObjectMetadata,
    private readonly fh: ReadSource,
    /** Called when a full read finds the bytes do not match the stored MD5. */
    private readonly onCorrupt: (reason: string) => void,
  ) {}

  /**
   * Writes the body, or a byte range of it, to `dest` (which is not ended), honouring
   * backpressure, then closes the file (unless `keepOpen`: the caller closes it). Rejects with ChecksumError on corruption (nothing past
   * the last good chunk was written) or DestinationClosedError when `dest` went away.
   */
  async copyTo(dest: Writable, range?: ByteRange, opts: { keepOpen?: boolean } = {}): Promise<number> {
    if (!this.open) throw new Error('OpenObject.copyTo: already used or closed');
    const size = this.metadata.contentLength;
    const start = range?.start ?? 0;
    const end = range?.end ?? size - 1;
    const md5 = range ? undefined : createHash('md5');
    const len = Math.min(COPY_CHUNK, Math.max(1, end - start + 1));
    const buffers = [Buffer.allocUnsafeSlow(len), Buffer.allocUnsafeSlow(len)];
    let inflight: Promise<void> = Promise.resolve();
    let pos = start;
    let sent = 0;
    try {
      for (let k = 0; pos <= end; k ^= 1) {
        // buffers[k] was last used by the write before the one in flight, which has completed.
        const { bytesRead } = await this.fh.read(buffers[k], 0, Math.min(len, end - pos + 1), pos);
        if (bytesRead === 0) throw this.corrupt(`file ended at byte ${pos} of ${size}`);
        const chunk = buffers[k].subarray(0, bytesRead);
        pos += bytesRead;
        if (md5) {
          md5.update(chunk);
          if (pos > end) {
            const got = md5.digest('hex');
            if (got !== this.metadata.etag) throw this.corrupt(`read MD5 ${got}; metadata says ${this.metadata.etag}`);
          }
        }
        await inflight;
        inflight = writeChunk(dest, chunk);
        // Awaited on the next turn; until then a failed write must not count as unhandled.
        inflight.catch(() => undefined);
        sent += bytesRead;
      }
      // An empty body never enters the loop; its MD5 is still checked.
      if (md5 && size === 0 && md5.digest('hex') !== this.metadata.etag) throw this.corrupt(`empty file; metadata says MD5 ${this.metadata.etag}`);
      await inflight;
      return sent;
    } finally {
      // keepOpen: several ranges of one response are copied from the same open file.
      if (!opts.keepOpen) await this.close();
    }
  }

  /** Releases the file handle (also when the body is not sent: HEAD, 304, 412, 416). */
  async close(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    await this.fh.close();
  }

  private corrupt(reason: string): ChecksumError {
    this.onCorrupt(reason);
    return new ChecksumError(reason);
  }
}

/** Resolves once `dest` has taken the chunk (flushed, or buffered below its high-water mark). */
function writeChunk(dest: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (dest.destroyed || dest.writableEnded) return reject(new DestinationClosedError());
    const onClose = (): void => reject(new DestinationClosedError());
    dest.once('close', onClose);
    dest.write(chunk, (err) => {
      dest.off('close', onClose);
      if (err) reject(err);
      else resolve();
    });
  });
}
