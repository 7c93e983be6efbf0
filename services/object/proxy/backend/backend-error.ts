/**
 * Why a call to a storage server produced no HTTP answer. Stable codes (messages may change):
 *  - CONNECT_FAILED: refused, unreachable, reset before any response;
 *  - CONNECT_TIMEOUT: no connection within connTimeoutMs (or, for an upload, no 100 Continue);
 *  - NODE_TIMEOUT: connected, but the server stayed silent for nodeTimeoutMs;
 *  - ABORTED: the proxy gave up on the call itself (client went away, quorum already decided);
 *  - BODY_TOO_LARGE: a response expected to be small (JSON, status text) was not.
 * A storage server that answers with an error status is not a BackendError: callers see the status.
 */
export type BackendErrorCode = 'CONNECT_FAILED' | 'CONNECT_TIMEOUT' | 'NODE_TIMEOUT' | 'ABORTED' | 'BODY_TOO_LARGE';

export class BackendError extends Error {
  constructor(
    readonly code: BackendErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'BackendError';
  }
}

/** Any failure of a call as a BackendError (a socket error becomes CONNECT_FAILED with its code). */
export function asBackendError(err: unknown): BackendError {
  if (err instanceof BackendError) return err;
  const e = err as NodeJS.ErrnoException;
  return new BackendError('CONNECT_FAILED', e?.code ? `${e.code}: ${e.message}` : String(e?.message ?? err));
}

/** A call on a pooled connection is tried this many times when the connection turns out stale. */
export const STALE_ATTEMPTS = 3;

/**
 * The server closed a reused keep-alive connection before it answered (its idle timeout won the
 * race with our request). It cannot have processed the request, so sending it again is safe.
 */
export class StaleConnectionError extends Error {
  constructor(readonly original: unknown) {
    super('pooled connection closed by the server');
  }
}
