/**
 * Domain errors as values with stable codes, and the one mapping from them to gRPC status.
 *
 * Handlers and domain code throw (or return) `WeftError`; only `toServiceError` turns anything into
 * a wire status. Unknown errors become a generic INTERNAL that names the request id and nothing
 * else, so internals never leak to callers.
 */
import { Metadata, status as Status, type ServiceError } from '@grpc/grpc-js';
import { Any } from '../../proto/gen/google/protobuf/any';
import { BadRequest, ErrorInfo, PreconditionFailure, ResourceInfo } from '../../proto/gen/google/rpc/error_details';
import { Status as RpcStatus } from '../../proto/gen/google/rpc/status';

export interface FieldViolation {
  field: string;
  description: string;
}

export interface ErrorDetails {
  fieldViolations?: FieldViolation[];
  /** A stable, machine-readable reason (UPPER_SNAKE) for ErrorInfo. */
  reason?: string;
  /** What holds a resource (FAILED_PRECONDITION) as google.rpc.PreconditionFailure violations. */
  preconditions?: { type: string; subject: string; description: string }[];
  resource?: { type: string; name: string };
}

export class WeftError extends Error {
  constructor(
    readonly code: Status,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
    this.name = 'WeftError';
  }
}

export const invalidArgument = (violations: FieldViolation[], message?: string): WeftError =>
  new WeftError(
    Status.INVALID_ARGUMENT,
    message ?? violations.map((v) => `${v.field}: ${v.description}`).join('; '),
    { fieldViolations: violations, reason: 'INVALID_ARGUMENT' },
  );

export const notFound = (type: string, id: string): WeftError =>
  new WeftError(Status.NOT_FOUND, `${type} ${id} not found`, { reason: 'NOT_FOUND', resource: { type, name: id } });

export const alreadyExists = (message: string, reason = 'ALREADY_EXISTS'): WeftError =>
  new WeftError(Status.ALREADY_EXISTS, message, { reason });

export const failedPrecondition = (
  message: string,
  preconditions: { type: string; subject: string; description: string }[] = [],
  reason = 'FAILED_PRECONDITION',
): WeftError => new WeftError(Status.FAILED_PRECONDITION, message, { reason, preconditions });

export const aborted = (message: string): WeftError =>
  new WeftError(Status.ABORTED, message, { reason: 'REVISION_MISMATCH' });

export const resourceExhausted = (message: string, reason = 'RESOURCE_EXHAUSTED'): WeftError =>
  new WeftError(Status.RESOURCE_EXHAUSTED, message, { reason });

export const permissionDenied = (message: string): WeftError =>
  new WeftError(Status.PERMISSION_DENIED, message, { reason: 'PERMISSION_DENIED' });

export const unauthenticated = (message: string): WeftError =>
  new WeftError(Status.UNAUTHENTICATED, message, { reason: 'UNAUTHENTICATED' });

export const outOfRange = (message: string): WeftError => new WeftError(Status.OUT_OF_RANGE, message, { reason: 'OUT_OF_RANGE' });

const ERROR_DOMAIN = 'weft.dev';

function pack(typeName: string, value: Uint8Array): Any {
  return { typeUrl: `type.googleapis.com/${typeName}`, value: Buffer.from(value) };
}

/** Encodes a WeftError as google.rpc.Status (what grpc-status-details-bin carries). */
export function encodeStatusDetails(err: WeftError): Buffer {
  const details: Any[] = [];
  if (err.details.reason) {
    details.push(pack('google.rpc.ErrorInfo', ErrorInfo.encode({ reason: err.details.reason, domain: ERROR_DOMAIN, metadata: {} }).finish()));
  }
  if (err.details.fieldViolations?.length) {
    details.push(
      pack(
        'google.rpc.BadRequest',
        BadRequest.encode({ fieldViolations: err.details.fieldViolations.map((v) => ({ ...v, reason: '' })) }).finish(),
      ),
    );
  }
  if (err.details.preconditions?.length) {
    details.push(pack('google.rpc.PreconditionFailure', PreconditionFailure.encode({ violations: err.details.preconditions }).finish()));
  }
  if (err.details.resource) {
    details.push(
      pack(
        'google.rpc.ResourceInfo',
        ResourceInfo.encode({ resourceType: err.details.resource.type, resourceName: err.details.resource.name, owner: '', description: '' }).finish(),
      ),
    );
  }
  return Buffer.from(RpcStatus.encode({ code: err.code, message: err.message, details }).finish());
}

/** The only place anything becomes a gRPC status. */
export function toServiceError(err: unknown, requestId: string): { error: Partial<ServiceError>; internal: boolean } {
  if (err instanceof WeftError) {
    const metadata = new Metadata();
    metadata.set('grpc-status-details-bin', encodeStatusDetails(err));
    metadata.set('x-request-id', requestId);
    return { error: { code: err.code, details: err.message, metadata }, internal: false };
  }
  const metadata = new Metadata();
  metadata.set('x-request-id', requestId);
  return { error: { code: Status.INTERNAL, details: `internal error (request ${requestId})`, metadata }, internal: true };
}

/** Client side: reads google.rpc details back out of a ServiceError (used by the CLI and tests). */
export function decodeStatusDetails(err: Partial<ServiceError>): {
  fieldViolations: FieldViolation[];
  reason?: string;
  preconditions: { type: string; subject: string; description: string }[];
} {
  const out = { fieldViolations: [] as FieldViolation[], reason: undefined as string | undefined, preconditions: [] as { type: string; subject: string; description: string }[] };
  const raw = err.metadata?.get('grpc-status-details-bin')[0];
  if (!raw || typeof raw === 'string') return out;

  const status = RpcStatus.decode(raw);
  for (const d of status.details) {
    const name = d.typeUrl.slice(d.typeUrl.lastIndexOf('/') + 1);
    if (name === 'google.rpc.BadRequest') {
      out.fieldViolations.push(...BadRequest.decode(d.value).fieldViolations.map((v) => ({ field: v.field, description: v.description })));
    } else if (name === 'google.rpc.ErrorInfo') {
      out.reason = ErrorInfo.decode(d.value).reason;
    } else if (name === 'google.rpc.PreconditionFailure') {
      out.preconditions.push(...PreconditionFailure.decode(d.value).violations);
    }
  }
  return out;
}
