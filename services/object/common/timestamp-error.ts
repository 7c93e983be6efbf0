/** A string that is not a valid Swift timestamp (or a value out of Swift's range). */
export class TimestampError extends Error {
  readonly code = 'INVALID_TIMESTAMP';
  constructor(message: string) {
    super(message);
    this.name = 'TimestampError';
  }
}
