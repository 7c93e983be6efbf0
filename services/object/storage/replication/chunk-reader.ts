/**
 * Reads a framed body (sync-frame.ts) from a stream of chunks: a bounded first line, then exact
 * byte counts handed on chunk by chunk, so a file of any size passes through in constant memory.
 */
import { SyncFrameError } from './sync-frame';

export class ChunkReader {
  private buffered: Buffer = Buffer.alloc(0);
  private done = false;
  private readonly it: AsyncIterator<unknown>;

  constructor(source: AsyncIterable<unknown>) {
    this.it = source[Symbol.asyncIterator]();
  }

  private async more(): Promise<boolean> {
    if (this.done) return false;
    const r = await this.it.next();
    if (r.done) {
      this.done = true;
      return false;
    }
    const chunk = r.value as Buffer;
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    return true;
  }

  /** The first line without its newline; SyncFrameError past `max` bytes or at the end. */
  async readLine(max: number): Promise<string> {
    for (;;) {
      const nl = this.buffered.indexOf(0x0a);
      if (nl >= 0) {
        const line = this.buffered.subarray(0, nl).toString('utf8');
        this.buffered = this.buffered.subarray(nl + 1);
        return line;
      }
      if (this.buffered.length > max) throw new SyncFrameError(`manifest longer than ${max} bytes`);
      if (!(await this.more())) throw new SyncFrameError('body ended inside the manifest');
    }
  }

  /** Hands exactly `size` bytes to `sink`; SyncFrameError when the body ends first. */
  async readExact(size: number, sink: (chunk: Buffer) => Promise<void> | void): Promise<void> {
    let left = size;
    while (left > 0) {
      if (this.buffered.length === 0 && !(await this.more())) throw new SyncFrameError(`body ended ${left} bytes early`);
      const take = Math.min(left, this.buffered.length);
      const piece = this.buffered.subarray(0, take);
      this.buffered = this.buffered.subarray(take);
      left -= take;
      await sink(piece);
    }
  }

  /** True when nothing follows (a well-formed frame has no trailing bytes). */
  async atEnd(): Promise<boolean> {
    while (this.buffered.length === 0) if (!(await this.more())) return true;
    return false;
  }
}
