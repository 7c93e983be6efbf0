/**
 * `Expect: 100-continue` for client uploads: the request body handed to the pipeline sends
 * `100 Continue` only when something first reads it. A request refused before its body is read
 * (401, 404, 411, 413, quota) is answered with its final status and the client never sends
 * the body, as Swift's proxy does.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';

export class ContinueOnRead extends Readable {
  private started = false;

  /** True once 100 Continue went out (the client is sending the body). */
  get continued(): boolean {
    return this.started;
  }

  constructor(
    private readonly src: IncomingMessage,
    private readonly res: ServerResponse,
  ) {
    super();
  }

  override _read(): void {
    if (!this.started) {
      this.started = true;
      if (!this.res.headersSent) this.res.writeContinue();
      this.src.on('data', (chunk: Buffer) => {
        if (!this.push(chunk)) this.src.pause();
      });
      this.src.on('end', () => this.push(null));
      this.src.on('error', (err) => this.destroy(err));
      // A client that goes away mid-body must fail the upload, not end it.
      this.src.on('close', () => {
        if (!this.src.complete) this.destroy(new Error('client disconnected mid-body'));
      });
    }
    this.src.resume();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    if (!this.src.complete) this.src.destroy();
    cb(err);
  }
}
