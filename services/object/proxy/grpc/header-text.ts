/**
 * Header values cross two encodings here. The pipeline keeps header values as Node's HTTP parser
 * hands them over (one char per byte, latin1), so a UTF-8 value a Swift client sent goes back
 * byte for byte; protobuf strings are real Unicode. Converting at the gRPC boundary keeps
 * metadata written over gRPC readable over HTTP and the other way round.
 */

/** A Unicode string (from a proto message) as the pipeline's header value: its UTF-8 bytes as latin1. */
export function toHeaderValue(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** A header value from the pipeline back to Unicode (its bytes read as UTF-8). */
export function fromHeaderValue(value: string): string {
  return Buffer.from(value, 'latin1').toString('utf8');
}

/** Response headers with lower-case names and repeated values joined, as the mapping reads them. */
export function lowerCaseHeaders(headers: Record<string, string | number | readonly string[]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

/** RFC 9110 token characters: what a metadata key may contain to become part of a header name. */
const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

export function isHeaderToken(name: string): boolean {
  return TOKEN.test(name);
}
