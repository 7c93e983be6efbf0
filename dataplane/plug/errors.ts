/**
 * Errors of the compute-side plugging library. Codes are stable (callers branch on them);
 * messages may change.
 *
 * - NOT_BOUND: the port has no binding host yet (vif_type unbound/empty): bind it first.
 * - BINDING_FAILED: the controller could not bind the port (the message quotes its reason).
 * - UNSUPPORTED_VIF: bound with a vif_type this library cannot plug (only "bridge").
 * - INVALID_PORT: the port, its subnets or network lack what plugging needs.
 * - INVALID_SPEC: a plug spec field is malformed.
 * - IFNAME_IN_USE: the instance already has the device name, and it is not this port's peer.
 * - COMMAND_FAILED: a command failed or timed out (the message has its argv and stderr).
 */
export type PlugErrorCode = 'NOT_BOUND' | 'BINDING_FAILED' | 'UNSUPPORTED_VIF' | 'INVALID_PORT' | 'INVALID_SPEC' | 'IFNAME_IN_USE' | 'COMMAND_FAILED';

export class PlugError extends Error {
  constructor(
    readonly code: PlugErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PlugError';
  }
}
