/**
 * The body of a whole-object GET, read from one replica and continued on another when that one
 * fails mid-body, so the client sees one uninterrupted body.
 *
 * Who checks the bytes: a storage server verifies a whole-object read against the stored MD5
 * and holds its last chunk back until the check passes (storage/diskfile/open-object.ts), so a
 * replica that serves the whole body has served verified bytes, and one with bad bytes ends its
 * body short. The proxy therefore does not compute MD5 again (that doubled the CPU cost of
 * large GETs). What it must still guard is the seam of a resumed body: the bytes already sent
 * came from a replica that did not finish, so they are unverified. The continuation is a whole
 * read of the same version (If-Match) from the next replica, which that replica verifies end to
 * end; the proxy skips the prefix it already sent after checking that it is the same bytes
 * (CRC-32 of what was sent against CRC-32 of the verified prefix: cheap, and it catches any
 * accidental difference). If the prefixes differ, the client already has bad bytes: the stream
 * fails, and the client's transfer ends short.
 */
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { markForwardsPieces, releasePiece } from '../backend/read-slabs';
import type { BackendResponse } from '../backend/storage-client';

/** The next replica's whole body (same version), or undefined when no replica is left. */
export type Continuation = () => Promise<BackendResponse | undefined>;

export interface ReplicaBodyEvents {
  /** A replica failed after `sent` bytes; the body continues on the next one if there is one. */
  onReplicaFailed(res: BackendResponse, sent: number, error: Error): void;
  /** The body cannot be completed (no replica left, or bytes that differ at the seam). */
  onGaveUp?(sent: number, error: Error): void;
}

const BUFFER_BYTES = 256 * 1024;

export class ReplicaBody extends Readable {
  private current: BackendResponse | undefined;
  private sent = 0;
  private sentCrc = 0;
  /** Bytes of the current replica's body that were already sent (re-read to be checked). */
  private skip = 0;
  private skipCrc = 0;
  private detach: (() => void) | undefined;

  constructor(
    first: BackendResponse,
    private readonly total: number,
    private readonly next: Continuation,
    private readonly events: ReplicaBodyEvents,
  ) {
    // A storage server sends 1 MiB chunks that arrive as reads of up to 256 KiB: with the default
    // 16 KiB buffer every read would pause and resume the replica's socket (a syscall pair each).
    super({ highWaterMark: BUFFER_BYTES });
    // Chunks go on as they came (or as views, at a seam), so the response writer may release
    // them to the read slabs once written.
    markForwardsPieces(this);
    this.follow(first);
  }

  override _read(): void {
    this.current?.body.resume();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (err) this.events.onGaveUp?.(this.sent, err);
    this.stopFollowing();
    cb(err);
  }

  private follow(res: BackendResponse): void {
    this.current = res;
    const body = res.body;
    let ended = false;
    const onData = (chunk: Buffer): void => {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length);
        this.skipCrc = crc32(chunk.subarray(0, n), this.skipCrc);
        this.skip -= n;
        if (this.skip === 0 && this.skipCrc !== this.sentCrc) {
          this.destroy(new Error(`replica ${res.node.ip}:${res.node.port} holds different bytes than those already sent`));
          return;
        }
        if (n === chunk.length) {
          releasePiece(chunk); // read whole and dropped: nobody else holds it
          return;
        }
        chunk = chunk.subarray(n);
      }
      this.sent += chunk.length;
      this.sentCrc = crc32(chunk, this.sentCrc);
      if (!this.push(chunk)) body.pause();
    };
    const onEnd = (): void => {
      ended = true;
      if (this.sent === this.total && this.skip === 0) {
        this.stopFollowing();
        this.push(null);
      } else {
        this.failover(new Error(`response cut short at byte ${this.sent} of ${this.total}`));
      }
    };
    const onError = (err: Error): void => this.failover(err);
    const onClose = (): void => {
      if (!ended) this.failover(new Error('connection closed mid-body'));
    };
    body.on('data', onData);
    body.on('end', onEnd);
    body.on('error', onError);
    body.on('close', onClose);
    this.detach = () => {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onError);
      body.off('close', onClose);
      // A late error from an abandoned response must not go unhandled.
      body.on('error', () => undefined);
    };
  }

  private stopFollowing(): void {
    this.detach?.();
    this.detach = undefined;
    const res = this.current;
    this.current = undefined;
    if (res && !res.body.complete) res.abort();
  }

  private failover(error: Error): void {
    const failed = this.current;
    if (!failed || this.destroyed) return;
    this.stopFollowing();
    this.events.onReplicaFailed(failed, this.sent, error);
    this.next().then(
      (res) => {
        if (this.destroyed) {
          res?.abort();
          return;
        }
        if (!res) {
          this.destroy(error);
          return;
        }
        this.skip = this.sent;
        this.skipCrc = 0;
        this.follow(res);
      },
      (err: unknown) => this.destroy(err instanceof Error ? err : new Error(String(err))),
    );
  }
}
