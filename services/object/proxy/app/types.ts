/**
 * The proxy's transport-neutral request and response. The HTTP face (Swift API) and the gRPC
 * face (weft.object.v1.ObjectService) both turn what they receive into a ProxyRequest and run
 * the same pipeline: middleware (auth, quotas, large objects, ...) wrapped around the
 * controllers that talk to the storage servers. So every rule (names, limits, ACLs, quorum)
 * holds the same way on both faces.
 */
import type { Readable } from 'node:stream';

/** What the auth middleware learned about the caller (undefined on ProxyRequest = anonymous). */
export interface ObjectCaller {
  projectId: string;
  userId: string;
  /** Display name, when the token carries it (ACLs may name users as `project:user`). */
  userName?: string;
  /** Lower-case role names from the token. */
  roles: readonly string[];
  /** Holds the reseller admin role (`admin`): every account, as in Swift's reseller_admin. */
  isResellerAdmin: boolean;
  /** The token, to pass on to other services if needed. */
  token: string;
}

/** A container's access rules as stored (X-Container-Read / X-Container-Write). */
export interface ContainerAcl {
  read?: string;
  write?: string;
}

/** What a controller is about to do, for authorize(): the container's ACL when there is one. */
export interface AuthTarget {
  /** Undefined for account requests, or when the container does not exist. */
  containerAcl?: ContainerAcl;
}

/**
 * Set by the auth middleware. Controllers call it once they know the target (after reading
 * the container's info for container and object requests, before deciding 404) and return its
 * response when it denies: 401 for anonymous callers, 403 for authenticated ones.
 * Absent (auth disabled) = everything is allowed.
 */
export type Authorize = (req: ProxyRequest, target: AuthTarget) => ProxyResponse | undefined;

export interface ProxyRequest {
  /** GET, HEAD, PUT, POST, DELETE, COPY, OPTIONS (upper case). */
  method: string;
  /** The decoded path parts under /v1/ (validated by the controllers, not here). */
  account: string;
  container?: string;
  object?: string;
  /** Query parameters (decoded). */
  query: URLSearchParams;
  /** Lower-case header names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The request body stream (PUT/POST); undefined when there is none. */
  body?: Readable;
  /** X-Trans-Id of this request: sent to every storage server and returned to the client. */
  transId: string;
  caller?: ObjectCaller;
  authorize?: Authorize;
  /**
   * Who made this request: 'client' for what came in from outside, or the name of the middleware
   * that issued it as a sub-request (e.g. 'slo'), so middleware can skip its own sub-requests.
   */
  source: string;
}

export interface ProxyResponse {
  status: number;
  /** Header name → value; names as they should appear on the wire (e.g. 'X-Object-Meta-Color'). */
  headers: Record<string, string | number | readonly string[]>;
  /** Streamed body; Buffer/string for small ones; undefined = empty (and always for HEAD). */
  body?: Readable | Buffer | string;
}

export type Handler = (req: ProxyRequest) => Promise<ProxyResponse>;

/** A middleware wraps the next handler; the pipeline is middleware composed around the app. */
export type Middleware = (next: Handler) => Handler;

/** Composes middleware so that the first in the list sees the request first. */
export function compose(middleware: readonly Middleware[], app: Handler): Handler {
  return middleware.reduceRight<Handler>((next, mw) => mw(next), app);
}
