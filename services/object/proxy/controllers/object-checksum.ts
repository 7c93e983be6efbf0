/**
 * A pass-through stream that checks a whole object's MD5 (and length) on its way to the client,
 * holding back the last chunk until the check is done: when the bytes do not match, the stream
 * fails before that chunk is sent, so the client's transfer ends short and no client ever
 * receives a complete body with bad bytes (its own length/ETag check fails too).
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export class ChecksumMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChecksumMismatchError';
  }
}

export class ChecksumGuard extends Transform {
  private readonly md5: Hash = createHash('md5');
  private held: Buffer | undefined;
  private bytes = 0;

  constructor(
    private readonly expectedEtag: string,
    private readonly expectedLength: number | undefined,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.md5.update(chunk);
    this.bytes += chunk.length;
    const previous = this.held;
    this.held = chunk;
    if (previous) this.push(previous);
    cb();
  }

  override _flush(cb: TransformCallback): void {
    const actual = this.md5.digest('hex');
    if (this.expectedLength !== undefined && this.bytes !== this.expectedLength) {
      cb(new ChecksumMismatchError(`object body is ${this.bytes} bytes, expected ${this.expectedLength}`));
      return;
    }
    if (actual !== this.expectedEtag) {
      cb(new ChecksumMismatchError(`object body MD5 ${actual} does not match its ETag ${this.expectedEtag}`));
      return;
    }
    if (this.held) this.push(this.held);
    this.held = undefined;
    cb();
  }
}
