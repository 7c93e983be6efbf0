/**
 * Small object bodies are read whole before the answer goes out: most objects are small, and one
 * Buffer costs the proxy far less than a stream piped to the client. Nothing has reached the
 * client while such a body is read, so a replica that fails mid-body is simply replaced by the
 * same version's whole body from the next replica (the caller's `next`), and when none is left
 * the caller answers a clean 503 instead of cutting a body short.
 */
import { readBody, type BackendResponse } from '../backend/storage-client';

/** Bodies up to this size are read whole (object-get.ts). */
export const SMALL_BODY_BYTES = 64 * 1024;

/** The whole body of `length` bytes from `first` or, replica by replica, from `next()`; undefined when none had it. */
export async function readSmallBody(
  first: BackendResponse,
  length: number,
  next: () => Promise<BackendResponse | undefined>,
  onFailed: (res: BackendResponse, error: Error) => void,
): Promise<Buffer | undefined> {
  for (let res: BackendResponse | undefined = first; res; res = await next()) {
    try {
      const body = await readBody(res, length);
      if (body.length === length) return body;
      throw new Error(`body of ${body.length} bytes instead of ${length}`);
    } catch (err) {
      res.abort();
      onFailed(res, err instanceof Error ? err : new Error(String(err)));
    }
  }
  return undefined;
}
