/**
 * The client stream of PutObject → the header message plus a Readable body for the pipeline.
 *
 * Completion: the body ends only when the client says the content is complete (finish_write,
 * or exactly the declared content_length received by the time the stream ends). A cancelled
 * call ends the server's stream before it reports the cancellation, so "the stream ended" alone
 * must never complete an upload: that would commit a truncated object.
 *
 * Backpressure: when the body's buffer is full the gRPC call is paused, so a fast client cannot
 * make the proxy hold more than about one message plus the buffer, whatever the object's size.
 *
 * Protocol faults only gRPC can commit (no header first, a second header, data after
 * finish_write, more or fewer bytes than declared, no finish_write) destroy the body with an
 * INVALID_ARGUMENT error, which makes the pipeline abandon the upload before anything is
 * committed; `fault()` tells the face which error to report instead of the pipeline's answer.
 */
import { status as Code } from '@grpc/grpc-js';
import { PassThrough, type Readable } from 'node:stream';
import { invalidArgument, WeftError } from '../../../runtime/errors';
import type { PutObjectHeader, PutObjectRequest } from '../../../../proto/gen/weft/object/v1/object_service';

/** The parts of a grpc-js server readable stream this needs (a fake in unit tests). */
export interface MessageSource {
  on(event: 'data', cb: (msg: PutObjectRequest) => void): unknown;
  on(event: 'end', cb: () => void): unknown;
  on(event: 'error', cb: (err: Error) => void): unknown;
  on(event: 'cancelled', cb: () => void): unknown;
  pause(): unknown;
  resume(): unknown;
}

export interface Upload {
  header: PutObjectHeader;
  body: Readable;
  /** Bytes received so far. */
  received(): number;
  /** The protocol fault that ended the upload, if any. */
  fault(): WeftError | undefined;
}

/** Body buffer before the call is paused: large enough to keep a pipe to the storage servers busy. */
const BODY_HIGH_WATER = 1024 * 1024;

const contentFault = (description: string): WeftError => invalidArgument([{ field: 'content', description }]);

/** Resolves with the header once the first message arrives; rejects if it is not a header. */
export function receiveUpload(source: MessageSource): Promise<Upload> {
  return new Promise<Upload>((resolve, reject) => {
    let header: PutObjectHeader | undefined;
    let body: PassThrough | undefined;
    let received = 0;
    let fault: WeftError | undefined;
    let settled = false;
    let finished = false;

    const failBody = (err: WeftError | Error): void => {
      if (err instanceof WeftError && !fault) fault = err;
      if (body && !body.destroyed) body.destroy(err);
    };
    const failEarly = (err: Error): void => {
      if (settled) return;
      settled = true;
      reject(err);
    };
    /** Ends the body if the byte count agrees with a declared length; else a fault. */
    const complete = (): void => {
      const declared = header?.contentLength;
      if (declared !== undefined && received !== declared) {
        failBody(invalidArgument([{ field: 'header.content_length', description: `${received} bytes were sent, ${declared} declared` }]));
        return;
      }
      finished = true;
      body?.end();
    };
    const take = (chunk: Buffer): boolean => {
      received += chunk.length;
      const declared = header?.contentLength;
      if (declared !== undefined && received > declared) {
        failBody(invalidArgument([{ field: 'header.content_length', description: `more than the declared ${declared} bytes were sent` }]));
        return false;
      }
      if (chunk.length > 0 && body && !body.write(chunk)) source.pause();
      return true;
    };

    source.on('data', (msg: PutObjectRequest) => {
      const content = msg.content;
      if (header === undefined || body === undefined) {
        if (content?.$case !== 'header') {
          failEarly(contentFault('the first message must carry the header'));
          source.pause();
          return;
        }
        header = content.value;
        body = new PassThrough({ highWaterMark: BODY_HIGH_WATER });
        // The pipeline sees a destroyed body through its reads; an unheard 'error' must not crash.
        body.on('error', () => undefined);
        // The pipeline reading the body is what lets the client send more.
        body.on('drain', () => source.resume());
        settled = true;
        resolve({ header, body, received: () => received, fault: () => fault });
        if (msg.finishWrite) complete();
        return;
      }
      if (fault || body.destroyed) return;
      if (finished) {
        failBody(contentFault('no message may follow the one with finish_write'));
        return;
      }
      if (content?.$case === 'header') {
        failBody(contentFault('the header may be sent only once, first'));
        return;
      }
      if (content?.$case === 'chunk') {
        if (!take(content.value)) return;
      } else if (!msg.finishWrite) {
        failBody(contentFault('a message after the header must carry a chunk or finish_write'));
        return;
      }
      if (msg.finishWrite) complete();
    });
    source.on('end', () => {
      if (!body) {
        failEarly(contentFault('the stream carried no header message'));
        return;
      }
      if (fault || body.destroyed || finished) return;
      if (header?.contentLength !== undefined && received === header.contentLength) {
        complete();
        return;
      }
      failBody(
        header?.contentLength !== undefined
          ? invalidArgument([{ field: 'header.content_length', description: `${received} bytes were sent, ${header.contentLength} declared` }])
          : invalidArgument([{ field: 'finish_write', description: 'the stream ended without finish_write: the upload was abandoned, nothing is stored' }]),
      );
    });
    const abandon = (why: string): void => {
      failEarly(new WeftError(Code.CANCELLED, why));
      // Not a WeftError fault: the call is gone, nobody hears the answer.
      if (body && !body.destroyed && !body.writableEnded) body.destroy(new Error(why));
    };
    source.on('error', (err: Error) => abandon(`upload stream failed: ${err.message}`));
    source.on('cancelled', () => abandon('the client cancelled the upload'));
  });
}
