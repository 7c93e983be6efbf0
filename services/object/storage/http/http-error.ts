/** A request the HTTP layer refuses before (or instead of) reaching the object layer. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Swift's status for a client that went away mid-request (nginx's convention). */
export const CLIENT_DISCONNECT = 499;
