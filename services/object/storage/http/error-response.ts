/**
 * The one mapping from errors to HTTP responses. Storage errors map by code (see
 * diskfile/storage-error.ts); anything unexpected becomes a 500 whose body names only the
 * transaction id, so internals never leak (the details go to the log).
 */
import { TimestampError } from '../../common/timestamp-error';
import { StorageError } from '../diskfile/storage-error';
import { CLIENT_DISCONNECT, HttpError } from './http-error';

export interface ErrorResponse {
  status: number;
  message: string;
  headers: Record<string, string>;
  /** True when the error is a bug or an I/O failure worth logging with its stack. */
  unexpected: boolean;
}

const STORAGE_STATUS: Record<StorageError['code'], number> = {
  CONFLICT: 409,
  NOT_FOUND: 404,
  ETAG_MISMATCH: 422,
  LENGTH_MISMATCH: CLIENT_DISCONNECT,
  DEVICE_UNAVAILABLE: 507,
  INSUFFICIENT_STORAGE: 507,
  WRITER_CLOSED: 500,
};

export function errorResponse(err: unknown, transId: string): ErrorResponse {
  if (err instanceof HttpError) return { status: err.status, message: err.message, headers: err.headers, unexpected: false };
  if (err instanceof TimestampError) return { status: 400, message: err.message, headers: {}, unexpected: false };
  if (err instanceof StorageError) {
    const headers: Record<string, string> = {};
    if (err.timestamp) headers['X-Backend-Timestamp'] = err.timestamp.internal;
    const status = STORAGE_STATUS[err.code];
    return { status, message: status === 500 ? `internal error (${transId})` : err.message, headers, unexpected: status === 500 };
  }
  return { status: 500, message: `internal error (${transId})`, headers: {}, unexpected: true };
}
