import { Metadata, status } from '@grpc/grpc-js';
import { encodeStatusDetails, failedPrecondition, invalidArgument, WeftError, type FieldViolation } from '../../../services/runtime/errors';
import { UsageError } from '../../../tools/cli/args';
import { CliError, codeName, describeFailure, formatServiceError, formatUsageError } from '../../../tools/cli/errors';

const URL = '127.0.0.1:9696';

/** A client-side ServiceError as grpc-js delivers it for a server-side WeftError. */
function serviceError(err: WeftError): { code: number; details: string; metadata: Metadata; message: string } {
  const metadata = new Metadata();
  metadata.set('grpc-status-details-bin', encodeStatusDetails(err));
  return { code: err.code, details: err.message, metadata, message: `${err.code} ${status[err.code]}: ${err.message}` };
}

describe('formatServiceError', () => {
  test('one "weft: CODE: message" line, then each field violation indented', () => {
    const violations: FieldViolation[] = [
      { field: 'subnet.cidr', description: 'is not a valid CIDR' },
      { field: 'subnet.gateway_ip', description: 'is outside the CIDR' },
    ];
    expect(formatServiceError(serviceError(invalidArgument(violations, 'bad subnet')), URL)).toEqual([
      'weft: INVALID_ARGUMENT: bad subnet',
      '  subnet.cidr: is not a valid CIDR',
      '  subnet.gateway_ip: is outside the CIDR',
    ]);
  });

  test('precondition violations list their subjects', () => {
    const err = failedPrecondition('network n1 still has 1 port(s)', [{ type: 'PORT', subject: 'p1', description: 'port on this network' }]);
    expect(formatServiceError(serviceError(err), URL)).toEqual(['weft: FAILED_PRECONDITION: network n1 still has 1 port(s)', '  port p1: port on this network']);
  });

  test('errors without details are a single line; multi-line messages are joined', () => {
    expect(formatServiceError({ code: status.NOT_FOUND, details: 'port x\nnot found', metadata: new Metadata() }, URL)).toEqual(['weft: NOT_FOUND: port x not found']);
  });

  test('an unreachable server is one line naming the address', () => {
    const lines = formatServiceError({ code: status.UNAVAILABLE, details: 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: ', metadata: new Metadata() }, '127.0.0.1:1');
    expect(lines).toEqual(['weft: UNAVAILABLE: cannot reach the network service at 127.0.0.1:1 (No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1.)']);
    const slow = formatServiceError({ code: status.DEADLINE_EXCEEDED, details: 'Deadline exceeded', metadata: new Metadata() }, URL);
    expect(slow).toHaveLength(1);
    expect(slow[0]).toMatch(/^weft: DEADLINE_EXCEEDED: .*127\.0\.0\.1:9696/);
  });

  test('code names come from the gRPC status enum', () => {
    expect(codeName(status.ABORTED)).toBe('ABORTED');
    expect(codeName(99)).toBe('CODE_99');
  });
});

describe('describeFailure', () => {
  test('usage errors exit 2 and point at the right --help', () => {
    expect(describeFailure(new UsageError('unknown option --x', 'network create'), URL)).toEqual({
      lines: ["weft: unknown option --x (see 'weft network create --help')"],
      exitCode: 2,
    });
    expect(formatUsageError(new UsageError('missing command'))).toEqual(["weft: missing command (see 'weft --help')"]);
  });

  test('API and CLI-detected errors exit 1', () => {
    expect(describeFailure(serviceError(new WeftError(status.ABORTED, 'stale')), URL)).toEqual({ lines: ['weft: ABORTED: stale'], exitCode: 1 });
    expect(describeFailure(new CliError('NOT_FOUND', 'no network with id or name "x"'), URL)).toEqual({ lines: ['weft: NOT_FOUND: no network with id or name "x"'], exitCode: 1 });
  });

  test('anything else is reported, not thrown', () => {
    expect(describeFailure(new Error('boom'), URL)).toEqual({ lines: ['weft: INTERNAL: boom'], exitCode: 1 });
  });
});
