/**
 * The one error type the rtnetlink adapter throws.
 *
 * `code` is stable and meant for programs (codes don't change, messages may); `errno` is the
 * kernel's errno name when the kernel gave one (`EEXIST`, `ENODEV`, `EOPNOTSUPP`, ...); the message
 * names the operation and the device so an agent can show it to an operator as is.
 *
 * Codes:
 * - `NOT_FOUND`        a named device does not exist (ENODEV, or absent from a lookup)
 * - `EXISTS`           the object to create already exists (EEXIST)
 * - `UNSUPPORTED`      the kernel lacks the feature (EOPNOTSUPP, e.g. no 802.1Q module)
 * - `INVALID_ARGUMENT` rejected before anything was sent (bad name, MAC or address)
 * - `TIMEOUT`          no answer from the kernel within the request timeout
 * - `KERNEL_REJECTED`  any other error answer from the kernel (see `errno`)
 * - `SOCKET`           the netlink socket itself failed (send error, closed socket)
 */
export type RtnlErrorCode = 'NOT_FOUND' | 'EXISTS' | 'UNSUPPORTED' | 'INVALID_ARGUMENT' | 'TIMEOUT' | 'KERNEL_REJECTED' | 'SOCKET';

export class RtnlError extends Error {
  constructor(
    readonly code: RtnlErrorCode,
    /** What was attempted, e.g. `createVxlan vxlan-100`. */
    readonly op: string,
    message: string,
    /** The kernel's errno name, when the kernel answered with an error. */
    readonly errno?: string,
  ) {
    super(`${op}: ${message}${errno ? ` (${errno})` : ''}`);
    this.name = 'RtnlError';
  }
}
