/**
 * A pipeline response body → chunk messages of at most 64 KiB, sent with backpressure: the
 * next piece of the body is read only once the gRPC stream has room, so a slow reader holds
 * back the storage servers instead of filling the proxy's memory.
 */
import type { Readable } from 'node:stream';

export const MAX_CHUNK = 64 * 1024;

/** Splits a buffer into views of at most `max` bytes (no copies). */
export function splitChunks(buf: Buffer, max: number = MAX_CHUNK): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += max) out.push(buf.subarray(i, Math.min(i + max, buf.length)));
  return out;
}

/** Where the chunks go: resolves once the stream can take more. */
export type ChunkSink = (chunk: Buffer) => Promise<void>;

/**
 * Sends the whole body; resolves when it has been sent, rejects when the body fails (e.g. the
 * proxy's MD5 check aborted it). `signal` aborts (client gone): the body is destroyed so the
 * storage connection is released.
 */
export async function sendBody(body: Readable | Buffer | string | undefined, send: ChunkSink, signal: AbortSignal): Promise<number> {
  if (body === undefined) return 0;
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    for (const c of splitChunks(buf)) {
      if (signal.aborted) return 0;
      await send(c);
    }
    return buf.length;
  }
  const onAbort = (): void => {
    body.destroy();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  let sent = 0;
  try {
    for await (const piece of body as AsyncIterable<Buffer | string>) {
      const buf = typeof piece === 'string' ? Buffer.from(piece) : piece;
      for (const c of splitChunks(buf)) {
        if (signal.aborted) return sent;
        await send(c);
        sent += c.length;
      }
    }
    return sent;
  } catch (err) {
    // Destroying the body on abort ends the loop with "premature close": not a body failure.
    if (signal.aborted) return sent;
    throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** Reads a (small) body as UTF-8 text, at most `limit` bytes; the rest is discarded. */
export async function readText(body: Readable | Buffer | string | undefined, limit: number): Promise<string> {
  if (body === undefined) return '';
  if (typeof body === 'string') return body.length > limit ? body.slice(0, limit) : body;
  if (Buffer.isBuffer(body)) return body.subarray(0, limit).toString('utf8');
  const parts: Buffer[] = [];
  let size = 0;
  for await (const piece of body as AsyncIterable<Buffer | string>) {
    const buf = typeof piece === 'string' ? Buffer.from(piece) : piece;
    parts.push(buf);
    size += buf.length;
    if (size >= limit) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(parts).subarray(0, limit).toString('utf8');
}
