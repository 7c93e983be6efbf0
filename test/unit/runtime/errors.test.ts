import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { ErrorInfo, ResourceInfo } from '../../../proto/gen/google/rpc/error_details';
import { Status as RpcStatus } from '../../../proto/gen/google/rpc/status';
import {
  aborted,
  alreadyExists,
  decodeStatusDetails,
  encodeStatusDetails,
  failedPrecondition,
  invalidArgument,
  notFound,
  outOfRange,
  permissionDenied,
  resourceExhausted,
  toServiceError,
  unauthenticated,
  WeftError,
} from '../../../services/runtime/errors';

const REQ = 'req-0123';

function statusOf(err: Partial<ServiceError>): RpcStatus {
  const raw = err.metadata?.get('grpc-status-details-bin')[0];
  if (!Buffer.isBuffer(raw)) throw new Error('no grpc-status-details-bin');
  return RpcStatus.decode(raw);
}

describe('error constructors', () => {
  test.each<[string, WeftError, status, string]>([
    ['invalidArgument', invalidArgument([{ field: 'a', description: 'bad' }]), status.INVALID_ARGUMENT, 'INVALID_ARGUMENT'],
    ['notFound', notFound('network', 'n1'), status.NOT_FOUND, 'NOT_FOUND'],
    ['alreadyExists', alreadyExists('dup'), status.ALREADY_EXISTS, 'ALREADY_EXISTS'],
    ['alreadyExists custom', alreadyExists('dup', 'MAC_IN_USE'), status.ALREADY_EXISTS, 'MAC_IN_USE'],
    ['failedPrecondition', failedPrecondition('in use'), status.FAILED_PRECONDITION, 'FAILED_PRECONDITION'],
    ['aborted', aborted('stale'), status.ABORTED, 'REVISION_MISMATCH'],
    ['resourceExhausted', resourceExhausted('full', 'IP_EXHAUSTED'), status.RESOURCE_EXHAUSTED, 'IP_EXHAUSTED'],
    ['permissionDenied', permissionDenied('no'), status.PERMISSION_DENIED, 'PERMISSION_DENIED'],
    ['unauthenticated', unauthenticated('who'), status.UNAUTHENTICATED, 'UNAUTHENTICATED'],
    ['outOfRange', outOfRange('far'), status.OUT_OF_RANGE, 'OUT_OF_RANGE'],
  ])('%s has the right code and reason', (_name, err, code, reason) => {
    expect(err).toBeInstanceOf(WeftError);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('WeftError');
    expect(err.code).toBe(code);
    expect(err.details.reason).toBe(reason);
  });

  test('invalidArgument joins violations into the message unless one is given', () => {
    const vs = [
      { field: 'name', description: 'too long' },
      { field: 'cidr', description: 'not a CIDR' },
    ];
    expect(invalidArgument(vs).message).toBe('name: too long; cidr: not a CIDR');
    expect(invalidArgument(vs, 'custom').message).toBe('custom');
    expect(invalidArgument(vs).details.fieldViolations).toEqual(vs);
  });

  test('notFound names the resource', () => {
    const err = notFound('subnet', 'abc');
    expect(err.message).toBe('subnet abc not found');
    expect(err.details.resource).toEqual({ type: 'subnet', name: 'abc' });
  });
});

describe('toServiceError', () => {
  test('a WeftError keeps its code and message and carries the request id', () => {
    const { error, internal } = toServiceError(permissionDenied('not yours'), REQ);
    expect(internal).toBe(false);
    expect(error.code).toBe(status.PERMISSION_DENIED);
    expect(error.details).toBe('not yours');
    expect(error.metadata?.get('x-request-id')).toEqual([REQ]);
  });

  test('field violations and reason round-trip through grpc-status-details-bin', () => {
    const vs = [
      { field: 'network.name', description: 'must be at most 255 characters' },
      { field: 'network.tags[2]', description: 'must not repeat a tag' },
    ];
    const { error } = toServiceError(invalidArgument(vs), REQ);
    expect(decodeStatusDetails(error)).toEqual({ fieldViolations: vs, reason: 'INVALID_ARGUMENT', preconditions: [] });
    const st = statusOf(error);
    expect(st.code).toBe(status.INVALID_ARGUMENT);
    expect(st.message).toBe('network.name: must be at most 255 characters; network.tags[2]: must not repeat a tag');
  });

  test('preconditions round-trip', () => {
    const pre = [
      { type: 'PORT', subject: 'port/p1', description: 'port p1 uses this network' },
      { type: 'SUBNET', subject: 'subnet/s1', description: 'subnet s1 is on this network' },
    ];
    const { error } = toServiceError(failedPrecondition('network in use', pre, 'NETWORK_IN_USE'), REQ);
    expect(error.code).toBe(status.FAILED_PRECONDITION);
    expect(decodeStatusDetails(error)).toEqual({ fieldViolations: [], reason: 'NETWORK_IN_USE', preconditions: pre });
  });

  test('ErrorInfo carries the weft.dev domain, and NOT_FOUND carries ResourceInfo', () => {
    const { error } = toServiceError(notFound('port', 'p9'), REQ);
    const st = statusOf(error);
    const byType = new Map(st.details.map((d) => [d.typeUrl, d.value]));
    expect([...byType.keys()].sort()).toEqual(['type.googleapis.com/google.rpc.ErrorInfo', 'type.googleapis.com/google.rpc.ResourceInfo']);
    const info = ErrorInfo.decode(byType.get('type.googleapis.com/google.rpc.ErrorInfo')!);
    expect(info).toMatchObject({ reason: 'NOT_FOUND', domain: 'weft.dev' });
    const res = ResourceInfo.decode(byType.get('type.googleapis.com/google.rpc.ResourceInfo')!);
    expect(res).toMatchObject({ resourceType: 'port', resourceName: 'p9' });
    expect(decodeStatusDetails(error)).toEqual({ fieldViolations: [], reason: 'NOT_FOUND', preconditions: [] });
  });

  test('a WeftError without details encodes an empty detail list', () => {
    const err = new WeftError(status.UNAVAILABLE, 'try later');
    const st = RpcStatus.decode(encodeStatusDetails(err));
    expect(st).toEqual({ code: status.UNAVAILABLE, message: 'try later', details: [] });
    expect(decodeStatusDetails(toServiceError(err, REQ).error)).toEqual({ fieldViolations: [], reason: undefined, preconditions: [] });
  });

  test('an unknown Error becomes a generic INTERNAL naming only the request id', () => {
    const secret = new Error('ENOENT: /var/lib/weft/db/LOCK at leveldb internals');
    const { error, internal } = toServiceError(secret, REQ);
    expect(internal).toBe(true);
    expect(error.code).toBe(status.INTERNAL);
    expect(error.details).toBe(`internal error (request ${REQ})`);
    expect(error.message).toBeUndefined();
    expect(error.metadata?.get('x-request-id')).toEqual([REQ]);
    expect(error.metadata?.get('grpc-status-details-bin')).toEqual([]);
    const everything = JSON.stringify({ details: error.details, md: error.metadata?.toJSON() });
    expect(everything).not.toContain('ENOENT');
    expect(everything).not.toContain('leveldb');
    expect(decodeStatusDetails(error)).toEqual({ fieldViolations: [], reason: undefined, preconditions: [] });
  });

  test.each<[string, unknown]>([
    ['a string', 'raw string thrown'],
    ['undefined', undefined],
    ['null', null],
    ['an object', { code: status.NOT_FOUND, message: 'looks like an error' }],
    ['a plain Error carrying a code', Object.assign(new Error('sneaky'), { code: status.NOT_FOUND })],
  ])('%s is INTERNAL too', (_name, thrown) => {
    const { error, internal } = toServiceError(thrown, REQ);
    expect(internal).toBe(true);
    expect(error.code).toBe(status.INTERNAL);
    expect(error.details).toBe(`internal error (request ${REQ})`);
  });
});

describe('decodeStatusDetails', () => {
  test('no metadata, or no details header, decodes to nothing', () => {
    const empty = { fieldViolations: [], reason: undefined, preconditions: [] };
    expect(decodeStatusDetails({})).toEqual(empty);
    expect(decodeStatusDetails({ metadata: new Metadata() })).toEqual(empty);
  });

  test('unknown detail types are ignored', () => {
    const st = RpcStatus.encode({
      code: status.INTERNAL,
      message: 'm',
      details: [
        { typeUrl: 'type.googleapis.com/example.Unknown', value: Buffer.from([1, 2, 3]) },
        { typeUrl: 'type.googleapis.com/google.rpc.ErrorInfo', value: Buffer.from(ErrorInfo.encode({ reason: 'X', domain: 'd', metadata: {} }).finish()) },
      ],
    }).finish();
    const md = new Metadata();
    md.set('grpc-status-details-bin', Buffer.from(st));
    expect(decodeStatusDetails({ metadata: md })).toEqual({ fieldViolations: [], reason: 'X', preconditions: [] });
  });
});
