/**
 * The one error type of the ring package. Callers branch on `code`; codes don't change, messages
 * may. Every failure the ring code can raise on bad input (a device spec, a builder file, a ring
 * file, a lookup) is a RingError with one of these codes, so the object service can map them at
 * its boundary and the `weft-ring` tool can print one line and exit 2.
 *
 * | code                  | meaning                                                            |
 * | --------------------- | ------------------------------------------------------------------ |
 * | INVALID_ARGUMENT      | a parameter or device field is out of range or malformed           |
 * | DEVICE_NOT_FOUND      | no (non-removed) device has that id                                |
 * | DUPLICATE_DEVICE      | the same ip:port/device is already in the builder                  |
 * | INSUFFICIENT_DEVICES  | fewer devices with weight > 0 than replicas                        |
 * | NOT_BALANCED          | the builder has never been rebalanced, so there is no ring yet     |
 * | BAD_MAGIC             | the bytes are not a Weft ring file                                 |
 * | UNSUPPORTED_VERSION   | a ring or builder file of a format version this code cannot read   |
 * | CORRUPT               | truncated, checksum mismatch, or an inconsistent header/table      |
 * | BAD_BUILDER_FILE      | the builder file is not valid builder JSON                         |
 * | UNREADABLE            | the ring file could not be read at all (missing, permissions)      |
 */
export type RingErrorCode =
  | 'INVALID_ARGUMENT'
  | 'DEVICE_NOT_FOUND'
  | 'DUPLICATE_DEVICE'
  | 'INSUFFICIENT_DEVICES'
  | 'NOT_BALANCED'
  | 'BAD_MAGIC'
  | 'UNSUPPORTED_VERSION'
  | 'CORRUPT'
  | 'BAD_BUILDER_FILE'
  | 'UNREADABLE';

export class RingError extends Error {
  constructor(
    readonly code: RingErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RingError';
  }
}
