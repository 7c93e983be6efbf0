/** HTTP dates (RFC 9110 IMF-fixdate) for Last-Modified and the If-*-Since conditions. */

/** `Tue, 14 Nov 2023 22:13:20 GMT` for whole seconds since the epoch. */
export function formatHttpDate(seconds: number): string {
  return new Date(seconds * 1000).toUTCString();
}

/**
 * Seconds since the epoch of an HTTP date, or undefined when it does not parse: an invalid date in
 * a condition header is ignored, as RFC 9110 requires.
 */
export function parseHttpDate(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}
