/**
 * The one error type of the on-disk object layer. Callers branch on `code`; codes don't change,
 * messages may. The HTTP layer maps each code to one status in one place (http/status-for.ts).
 *
 * | code                 | meaning                                                          | HTTP |
 * | -------------------- | ---------------------------------------------------------------- | ---- |
 * | CONFLICT             | the disk holds a write with an equal or newer timestamp          | 409  |
 * | NOT_FOUND            | nothing to update (POST to a missing or deleted object)          | 404  |
 * | ETAG_MISMATCH        | the body's MD5 differs from the ETag the client announced        | 422  |
 * | LENGTH_MISMATCH      | the body is shorter or longer than announced                     | 499  |
 * | DEVICE_UNAVAILABLE   | the device directory is missing (unmounted, failed)              | 507  |
 * | INSUFFICIENT_STORAGE | the device is full (ENOSPC, EDQUOT)                              | 507  |
 * | WRITER_CLOSED        | a writer was used after commit or abort (a programming error)    | 500  |
 */
import type { Timestamp } from '../../common/timestamp';

export type StorageErrorCode =
  | 'CONFLICT'
  | 'NOT_FOUND'
  | 'ETAG_MISMATCH'
  | 'LENGTH_MISMATCH'
  | 'DEVICE_UNAVAILABLE'
  | 'INSUFFICIENT_STORAGE'
  | 'WRITER_CLOSED';

export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    /** For CONFLICT and NOT_FOUND: the timestamp of what is on disk, when there is one. */
    readonly timestamp?: Timestamp,
  ) {
    super(message);
    this.name = 'StorageError';
  }
}

/** ENOSPC/EDQUOT become INSUFFICIENT_STORAGE (a full device is the operator's problem, not a bug). */
export function asStorageError(err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new StorageError('INSUFFICIENT_STORAGE', 'device is full');
  return err;
}
