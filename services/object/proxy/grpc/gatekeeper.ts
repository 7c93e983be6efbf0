/**
 * The gRPC face's gatekeeper (Swift's gatekeeper middleware, as the HTTP face applies it in
 * server.ts): system metadata (`x-*-sysmeta-*`) and backend fields (`x-backend-*`) are the
 * proxy's own; clients may neither set them nor see them. The request plans and response
 * mappings already work from allow-lists; this is the one place that guarantees it whatever a
 * future plan or mapping does. Pure.
 */
import type { ProxyResponse } from '../app/types';
import { isPrivateHeader, publicHeaders } from '../server';

/** A client's request headers without the private ones. */
export function clientRequestHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (!isPrivateHeader(name.toLowerCase())) out[name] = value;
  return out;
}

/** The pipeline's answer as a client may see it (body untouched). */
export function clientResponse(res: ProxyResponse): ProxyResponse {
  return { ...res, headers: publicHeaders(res.headers) };
}
