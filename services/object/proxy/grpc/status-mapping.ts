/**
 * Pipeline response statuses → gRPC errors. Pure; the one place an HTTP status becomes a gRPC
 * code for this face (services/runtime/errors.ts then puts it on the wire).
 *
 * Where the cause of a 4xx is known (the status itself says it, or the proxy's message names
 * the thing at fault) the error carries a google.rpc.BadRequest field violation naming the
 * request field, so clients can point at it without parsing prose.
 */
import { status as Code } from '@grpc/grpc-js';
import { WeftError, type FieldViolation } from '../../../runtime/errors';

/** What kind of call failed: decides among codes the status alone leaves open. */
export type RpcKind =
  | 'PutObject'
  | 'GetObject'
  | 'GetObjectMetadata'
  | 'UpdateObjectMetadata'
  | 'DeleteObject'
  | 'ListObjects'
  | 'CreateContainer'
  | 'GetContainer'
  | 'UpdateContainer'
  | 'DeleteContainer'
  | 'ListContainers'
  | 'GetAccount'
  | 'UpdateAccount';

export interface FailedResponse {
  rpc: RpcKind;
  status: number;
  /** The response body as text (Swift's short error page), possibly empty. */
  body: string;
  /** The request carried If-* conditions. */
  conditional: boolean;
  /** Prefix of the request's field paths ('header.' for PutObject). */
  fieldPrefix: string;
  transId: string;
  /** What the request named (`c/o`, `c`, the account), for NOT_FOUND messages. */
  target: string;
}

const MESSAGE_LIMIT = 300;

/** Swift's error pages are tiny HTML documents: keep their words, drop the markup. */
export function errorText(body: string): string {
  const text = body
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return text.length > MESSAGE_LIMIT ? text.slice(0, MESSAGE_LIMIT) + '…' : text;
}

/** Which request field a 400's message is about, when its words say so (checked in this order). */
const FIELD_HINTS: readonly { pattern: RegExp; field: string }[] = [
  { pattern: /container name|container_name/i, field: 'container' },
  { pattern: /object name|object_name/i, field: 'object' },
  { pattern: /account name/i, field: 'account' },
  { pattern: /x-container-read|read acl/i, field: 'read_acl' },
  { pattern: /x-container-write|write acl/i, field: 'write_acl' },
  { pattern: /quota/i, field: 'quota_bytes' },
  { pattern: /x-delete-after/i, field: 'delete_after' },
  { pattern: /x-delete-at|delete.at/i, field: 'delete_at' },
  { pattern: /metadata|meta[- ]/i, field: 'metadata' },
  { pattern: /content-length|content length/i, field: 'content_length' },
  { pattern: /etag/i, field: 'etag' },
  { pattern: /content-type|content type/i, field: 'content_type' },
  { pattern: /delimiter/i, field: 'delimiter' },
  { pattern: /limit/i, field: 'page_size' },
  { pattern: /marker/i, field: 'page_token' },
  { pattern: /range/i, field: 'range' },
];

/** The field a message names, or undefined. */
export function fieldFromMessage(message: string): string | undefined {
  return FIELD_HINTS.find((h) => h.pattern.test(message))?.field;
}

function badRequest(r: FailedResponse, message: string, field: string | undefined, reason = 'INVALID_ARGUMENT'): WeftError {
  const fieldViolations: FieldViolation[] = field ? [{ field: r.fieldPrefix + field, description: message }] : [];
  return new WeftError(Code.INVALID_ARGUMENT, message, { reason, fieldViolations });
}

const RESOURCE_OF: Record<RpcKind, 'object' | 'container' | 'account'> = {
  PutObject: 'container',
  GetObject: 'object',
  GetObjectMetadata: 'object',
  UpdateObjectMetadata: 'object',
  DeleteObject: 'object',
  ListObjects: 'container',
  CreateContainer: 'account',
  GetContainer: 'container',
  UpdateContainer: 'container',
  DeleteContainer: 'container',
  ListContainers: 'account',
  GetAccount: 'account',
  UpdateAccount: 'account',
};

/**
 * The error for a response that is not a success of its RPC. Statuses this face never expects
 * (3xx other than 304, 1xx) are INTERNAL: they mean the pipeline misbehaved.
 */
export function errorForResponse(r: FailedResponse): WeftError {
  const text = errorText(r.body);
  const say = (fallback: string): string => text || fallback;
  switch (r.status) {
    case 304:
      return new WeftError(Code.FAILED_PRECONDITION, 'not modified', { reason: 'NOT_MODIFIED' });
    case 400:
      return badRequest(r, say('bad request'), fieldFromMessage(text));
    case 401:
      return new WeftError(Code.UNAUTHENTICATED, say('unauthorized'), { reason: 'UNAUTHENTICATED' });
    case 403:
      return new WeftError(Code.PERMISSION_DENIED, say('forbidden'), { reason: 'PERMISSION_DENIED' });
    case 404: {
      const type = RESOURCE_OF[r.rpc];
      return new WeftError(Code.NOT_FOUND, `${type} ${r.target} not found`.replace('  ', ' '), { reason: 'NOT_FOUND', resource: { type, name: r.target } });
    }
    case 405:
    case 501:
      return new WeftError(Code.UNIMPLEMENTED, say('not supported'), { reason: 'NOT_SUPPORTED' });
    case 408:
      return new WeftError(Code.DEADLINE_EXCEEDED, say('request timed out'), { reason: 'TIMEOUT' });
    case 409:
      if (r.rpc === 'DeleteContainer') {
        return new WeftError(Code.FAILED_PRECONDITION, say('container is not empty'), { reason: 'CONTAINER_NOT_EMPTY' });
      }
      if (r.rpc === 'PutObject' || r.rpc === 'CreateContainer') {
        return new WeftError(Code.ALREADY_EXISTS, say('a newer version exists'), { reason: 'CONFLICT' });
      }
      return new WeftError(Code.FAILED_PRECONDITION, say('conflict'), { reason: 'CONFLICT' });
    case 411:
      return badRequest(r, say('length required'), 'content_length', 'LENGTH_REQUIRED');
    case 412:
      if (r.conditional) return new WeftError(Code.FAILED_PRECONDITION, say('precondition failed'), { reason: 'CONDITION_NOT_MET' });
      return badRequest(r, say('precondition failed'), fieldFromMessage(text));
    case 413:
      return /quota/i.test(text)
        ? new WeftError(Code.RESOURCE_EXHAUSTED, say('quota exceeded'), { reason: 'QUOTA_EXCEEDED' })
        : new WeftError(Code.RESOURCE_EXHAUSTED, say('request too large'), { reason: 'TOO_LARGE' });
    case 416:
      return new WeftError(Code.OUT_OF_RANGE, say('requested range not satisfiable'), {
        reason: 'RANGE_NOT_SATISFIABLE',
        fieldViolations: [{ field: r.fieldPrefix + 'range', description: 'not satisfiable for this object' }],
      });
    case 422:
      return badRequest(r, say('content does not match the ETag'), 'etag', 'ETAG_MISMATCH');
    case 499:
      return new WeftError(Code.CANCELLED, say('client disconnected'), { reason: 'CANCELLED' });
    case 429:
    case 503:
    case 507:
      return new WeftError(Code.UNAVAILABLE, say('service unavailable'), { reason: 'UNAVAILABLE' });
    case 504:
      return new WeftError(Code.UNAVAILABLE, say('storage servers timed out'), { reason: 'UNAVAILABLE' });
    default:
      if (r.status >= 400 && r.status < 500) return badRequest(r, say(`request refused (${r.status})`), fieldFromMessage(text));
      return new WeftError(Code.INTERNAL, `internal error (transaction ${r.transId})`, { reason: 'INTERNAL' });
  }
}

/** The statuses each RPC treats as success (anything else goes through errorForResponse). */
export function isSuccess(rpc: RpcKind, status: number): boolean {
  switch (rpc) {
    case 'GetObject':
      return status === 200 || status === 206;
    case 'ListObjects':
    case 'ListContainers':
      return status === 200 || status === 204;
    default:
      return status >= 200 && status < 300;
  }
}
