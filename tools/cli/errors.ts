/**
 * How failures reach the user: one "weft: CODE: message" line on stderr, then any field violations
 * and precondition subjects indented below. API errors exit 1, usage errors exit 2.
 */
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { decodeStatusDetails } from '../../services/runtime/errors';
import { UsageError } from './args';

export const EXIT_API = 1;
export const EXIT_USAGE = 2;

/** An error the CLI itself detects that reads like an API error (e.g. a name matching nothing). */
export class CliError extends Error {
  constructor(
    readonly codeName: string,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function isServiceError(e: unknown): e is ServiceError {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'number' && typeof (e as { details?: unknown }).details === 'string';
}

export function codeName(code: number): string {
  return GrpcStatus[code] ?? `CODE_${code}`;
}

/** The lines to print for a failed API call (first line "weft: CODE: message"). */
export function formatServiceError(err: Pick<ServiceError, 'code' | 'details' | 'metadata'>, url: string, service = 'network'): string[] {
  const name = codeName(err.code);
  const message = (err.details || '')
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\s*Resolution note:\s*$/, '')
    .trim();
  if (err.code === GrpcStatus.UNAVAILABLE) {
    return [`weft: ${name}: cannot reach the ${service} service at ${url}${message ? ` (${message})` : ''}`];
  }
  if (err.code === GrpcStatus.DEADLINE_EXCEEDED) {
    return [`weft: ${name}: no answer from the ${service} service at ${url} in time${message ? ` (${message})` : ''}`];
  }
  const out = [`weft: ${name}: ${message || 'no message'}`];
  const details = decodeStatusDetails(err);
  for (const v of details.fieldViolations) out.push(`  ${v.field}: ${v.description}`);
  for (const p of details.preconditions) {
    out.push(`  ${[p.type.toLowerCase().replace(/_/g, ' '), p.subject].filter((s) => s).join(' ')}${p.description ? `: ${p.description}` : ''}`);
  }
  return out;
}

export function formatUsageError(err: UsageError): string[] {
  const help = err.topic ? `weft ${err.topic} --help` : 'weft --help';
  return [`weft: ${err.message} (see '${help}')`];
}

/** Maps anything thrown by a command to stderr lines and an exit code. */
export function describeFailure(e: unknown, url: string, service = 'network'): { lines: string[]; exitCode: number } {
  if (e instanceof UsageError) return { lines: formatUsageError(e), exitCode: EXIT_USAGE };
  if (e instanceof CliError) return { lines: [`weft: ${e.codeName}: ${e.message}`], exitCode: EXIT_API };
  if (isServiceError(e)) return { lines: formatServiceError(e, url, service), exitCode: EXIT_API };
  const msg = e instanceof Error ? e.message : String(e);
  return { lines: [`weft: INTERNAL: ${msg}`], exitCode: EXIT_API };
}
