/**
 * Streams one upload into a temp file and, on commit, installs it as `<ts>.data`.
 *
 * The body goes to `tmp/<id>` while its MD5 is computed incrementally, so memory stays at one
 * write batch (`FLUSH_BYTES`) whatever the object size. commit() appends the metadata footer
 * (data-footer.ts) once the length and ETag are checked. Nothing is visible under `objects/`
 * until its content is durable: the file synced or, for a small file on a device with an intent
 * journal, its content appended to the journal and synced there (intent-journal.ts). An abort
 * (client gone, ETag mismatch, older timestamp) removes the temp file, so a failed upload leaves
 * no trace.
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { closeSync, unlinkSync, writev as writevCb, writevSync } from 'node:fs';
import { promisify } from 'node:util';
import type { HeaderBag } from '../../common/object-headers';
import type { Timestamp } from '../../common/timestamp';
import type { DataMetadataFile } from './object-metadata';
import { asStorageError, StorageError } from './storage-error';
import { encodeFooter } from './data-footer';
import { fsyncFd } from './durable-fs';
import { JOURNAL_MAX_FILE_BYTES } from './intent-journal';

const writevAsync = promisify(writevCb);

/** Chunks are gathered up to this size and written with one writev (fewer syscalls). */
const FLUSH_BYTES = 1 << 20;
/**
 * A batch this small is written with a synchronous call: copying it into the page cache takes
 * less than a thread-pool round trip. Larger ones go to the pool so the event loop keeps serving.
 */
const SYNC_WRITE_BYTES = 64 * 1024;

export interface CommitRequest {
  contentType: string;
  /** Stored headers: user metadata, allowed headers, system metadata. */
  headers: HeaderBag;
  /** The body's length the client announced (Content-Length), when it did. */
  expectedLength?: number;
  /** The MD5 the client announced (ETag header), lower-case hex, when it did. */
  expectedEtag?: string;
  /** Required after trustSenderDigest(). */
  senderDigest?: SenderDigest;
}

/**
 * Moves the committed temp file into the hash directory (DiskFile does it under its lock).
 * `journaled`: the file's complete content, when the writer left it unsynced for the device's
 * intent journal (intent-journal.ts) to make durable.
 */
export type Installer = (tmpData: string, journaled?: readonly Buffer[]) => Promise<void>;

/** The body's digest as its sender computed it (see ObjectWriter.trustSenderDigest). */
export interface SenderDigest {
  /** MD5 of the body, lower-case hex: becomes the object's ETag. */
  etag: string;
  /** CRC-32 of the same bytes, checked here against what arrived. */
  crc32: number;
}

export class ObjectWriter {
  private md5: ReturnType<typeof createHash> | undefined = createHash('md5');
  private crc = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private size = 0;
  /** Bytes written to the temp file before commit (a small body has none). */
  private flushed = 0;
  private closed = false;
  private fhOpen = true;

  constructor(
    /** The temp file, open for writing (owned by the writer: closed on commit or abort). */
    private readonly fd: number,
    private readonly tmpData: string,
    readonly name: string,
    readonly timestamp: Timestamp,
    private readonly fsync: boolean,
    private readonly install: Installer,
    /** The device's intent journal takes small files: such a file is not synced here. */
    private readonly journal = false,
  ) {}

  /**
   * The sender (the proxy, which hashes the body once anyway) sends the MD5 and a CRC-32 after
   * the body: this writer then computes only the CRC-32 (about four times cheaper than MD5), and
   * commit() needs the sender's digest, refusing the body if the CRC-32 differs. The stored ETag
   * is then the sender's MD5 of bytes proven equal (CRC-32) to the ones on disk; the auditor
   * still re-reads full MD5s. Call before the first write.
   */
  trustSenderDigest(): void {
    if (this.size > 0) throw new Error('trustSenderDigest after a write');
    this.md5 = undefined;
  }

  /** Bytes received so far. */
  get bytesWritten(): number {
    return this.size;
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.closed) throw new StorageError('WRITER_CLOSED', 'write after commit or abort');
    if (this.md5) this.md5.update(chunk);
    else this.crc = crc32(chunk, this.crc);
    this.size += chunk.length;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= FLUSH_BYTES) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const bufs = this.pending;
    const total = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    this.flushed += total;
    try {
      let bytesWritten = total <= SYNC_WRITE_BYTES ? writevSync(this.fd, bufs) : (await writevAsync(this.fd, bufs)).bytesWritten;
      // A short write is legal; finish the rest from where it stopped.
      if (bytesWritten < total) {
        const all = Buffer.concat(bufs);
        while (bytesWritten < total) bytesWritten += (await writevAsync(this.fd, [all.subarray(bytesWritten)])).bytesWritten;
      }
    } catch (err) {
      throw asStorageError(err);
    }
  }

  /**
   * Verifies the body against what the client announced, then makes it the object's newest
   * version. Throws LENGTH_MISMATCH, ETAG_MISMATCH or CONFLICT (a newer write is on disk); in
   * every failure the temp files are gone.
   */
  async commit(req: CommitRequest): Promise<DataMetadataFile> {
    if (this.closed) throw new StorageError('WRITER_CLOSED', 'commit after commit or abort');
    this.closed = true;
    try {
      // Checked before any write of the last batch or sync: a refused body costs neither.
      if (req.expectedLength !== undefined && req.expectedLength !== this.size) {
        throw new StorageError('LENGTH_MISMATCH', `received ${this.size} bytes, expected ${req.expectedLength}`);
      }
      let etag: string;
      if (this.md5) etag = this.md5.digest('hex');
      else {
        const sent = req.senderDigest;
        if (!sent || !/^[0-9a-f]{32}$/.test(sent.etag)) throw new StorageError('ETAG_MISMATCH', 'the sender promised a digest after the body and sent none');
        if (sent.crc32 !== this.crc) throw new StorageError('ETAG_MISMATCH', `body CRC-32 ${this.crc.toString(16)} does not match the sender's ${sent.crc32.toString(16)}`);
        etag = sent.etag;
      }
      if (req.expectedEtag !== undefined && req.expectedEtag !== etag) {
        throw new StorageError('ETAG_MISMATCH', `body MD5 ${etag} does not match ETag ${req.expectedEtag}`);
      }
      const meta: DataMetadataFile = {
        version: 1,
        name: this.name,
        timestamp: this.timestamp.internal,
        contentLength: this.size,
        etag,
        contentType: req.contentType,
        headers: req.headers,
      };
      // The footer goes right after the body, in the same writev as the body's last batch (for a
      // small object, the whole file in one call).
      const footer = encodeFooter(meta);
      this.pending.push(footer);
      this.pendingBytes += footer.length;
      // The whole file is still in memory: the journal's record carries it (no copy is made).
      const journaled = this.journal && this.flushed === 0 && this.pendingBytes <= JOURNAL_MAX_FILE_BYTES ? [...this.pending] : undefined;
      await this.flush();
      try {
        if (this.fsync && !journaled) await fsyncFd(this.fd);
      } finally {
        // Closed only once its fsync settled: the descriptor number must not be reused meanwhile.
        this.closeFile();
      }
      await this.install(this.tmpData, journaled);
      return meta;
    } catch (err) {
      await this.removeTemp();
      throw asStorageError(err);
    }
  }

  /** Drops the upload. Safe to call at any time, more than once, and after a failed commit. */
  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pending = [];
    await this.removeTemp();
  }

  private closeFile(): void {
    if (!this.fhOpen) return;
    this.fhOpen = false;
    closeSync(this.fd);
  }

  private async removeTemp(): Promise<void> {
    try {
      this.closeFile();
    } catch {
      // the descriptor is gone either way
    }
    try {
      unlinkSync(this.tmpData);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}
