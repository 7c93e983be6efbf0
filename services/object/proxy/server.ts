/**
 * The HTTP face (Swift API v1). Turns each HTTP exchange into a ProxyRequest, runs the
 * pipeline, and writes the ProxyResponse back:
 *  - GET/HEAD /healthcheck and /info, and /auth/v1.0 (tempauth's login), are answered here,
 *    before the pipeline (no token needed, as in Swift);
 *  - `/v1/<account>[/<container>[/<object>]]` goes through the pipeline; a path that does not
 *    decode to UTF-8 without NUL is Swift's 412;
 *  - every answer carries X-Trans-Id and X-Openstack-Request-Id;
 *  - bodies stream with backpressure; if the client goes away, the response body (and so the
 *    storage server call behind it) is destroyed, and an upload's body stream errors so the
 *    controller aborts its backend uploads.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { Logger } from '../../runtime/log';
import { textResponse, withTransHeaders } from './app/responses';
import { BackendError } from './backend/backend-error';
import { forwardsPieces } from './backend/read-slabs';
import { writeReleasing } from './app/write-releasing';
import { ContinueOnRead } from './app/continue-on-read';
import { parseSwiftPath } from './app/swift-path';
import { newTransId } from './app/trans-id';
import type { Handler, ProxyRequest, ProxyResponse } from './app/types';
import type { ProxyConfig } from './config';
import { buildInfo, MAX_HEADER_SIZE } from './info';

/** Serves `/auth/v1.0` (and `/auth/v1.0/...`): proxy-auth's handleAuthRequest. */
export type AuthEndpoint = (req: ProxyRequest) => Promise<ProxyResponse>;

export interface ProxyHttpOptions {
  config: ProxyConfig;
  logger: Logger;
  /** The pipeline (pipeline.ts createPipeline). */
  handler: Handler;
  /** `/auth/v1.0`; absent → 501 (wire proxy-auth's handleAuthRequest here). */
  authEndpoint?: AuthEndpoint;
  /** host:port; defaults to config.listen. */
  listen?: string;
  /** How long a client may stay silent mid-request before its connection is dropped. */
  clientTimeoutMs?: number;
}

export interface ProxyHttpServer {
  readonly port: number;
  readonly server: Server;
  /** Stops accepting, lets in-flight requests finish (at most graceMs), then closes the rest. */
  stop(graceMs?: number): Promise<void>;
}

const BODY_METHODS = new Set(['PUT', 'POST', 'COPY']);

/**
 * System metadata (`X-{Account,Container,Object}-Sysmeta-*`) and internal `X-Backend-*` headers
 * belong to the proxy and its middleware: clients can neither set nor see them (Swift's
 * gatekeeper). Applied at the HTTP face, so middleware still sees them on both sides.
 */
export function isPrivateHeader(lowerName: string): boolean {
  return /^x-(account|container|object)-sysmeta-/.test(lowerName) || lowerName.startsWith('x-backend-');
}

/** Lower-case names; repeated headers joined with ", " (Node already does, except set-cookie); private headers dropped. */
export function flattenHeaders(raw: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined || isPrivateHeader(k)) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** The answer's headers without the private ones. */
export function publicHeaders(headers: ProxyResponse['headers']): ProxyResponse['headers'] {
  const out: ProxyResponse['headers'] = {};
  for (const [k, v] of Object.entries(headers)) if (!isPrivateHeader(k.toLowerCase())) out[k] = v;
  return out;
}

function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  if (len !== undefined && len !== '0') return true;
  return req.headers['transfer-encoding'] !== undefined;
}

export function startProxyHttp(opts: ProxyHttpOptions): Promise<ProxyHttpServer> {
  const { logger } = opts;
  const info = JSON.stringify(buildInfo(opts.config));
  const onRequest = (req: IncomingMessage, res: ServerResponse, expectContinue: boolean): void => {
    const transId = newTransId();
    const started = process.hrtime.bigint();
    res.on('close', () => {
      const status = res.headersSent ? res.statusCode : 499;
      const fields = { method: req.method, path: req.url?.slice(0, 512), status, ms: Number(process.hrtime.bigint() - started) / 1e6, txId: transId, finished: res.writableFinished };
      if (status >= 500 || !res.writableFinished) logger.warn('request', fields);
      else logger.debug('request', fields);
    });
    serve(req, res, transId, expectContinue).catch((err: unknown) => {
      // Middleware may reach storage servers too (container info): unreachable ones are a 503.
      const unavailable = err instanceof BackendError;
      if (unavailable) logger.warn('storage servers unavailable', { txId: transId, error: err.message });
      else logger.error('request failed', { txId: transId, error: err });
      if (!res.headersSent) send(req, res, withTransHeaders({ transId }, unavailable ? textResponse(503) : textResponse(500, `An error occurred (${transId})`)));
      else res.destroy();
    });
  };
  const server = createServer({ maxHeaderSize: MAX_HEADER_SIZE * 2 }, (req, res) => onRequest(req, res, false));
  // Without this listener Node would send 100 Continue at once; the body stream sends it on first read instead.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => onRequest(req, res, true));

  const serve = async (req: IncomingMessage, res: ServerResponse, transId: string, expectContinue: boolean): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const target = req.url ?? '/';
    // tempauth also answers logins on bare `/v1.0`, which would otherwise parse as an API path without an account.
    const parsed = /^\/v1\.0\/?(\?|$)/.test(target) ? parseSwiftPath(`/auth${target}`) : parseSwiftPath(target);
    const base = { transId };
    if (parsed.kind === 'invalid') {
      req.resume();
      return send(req, res, withTransHeaders(base, textResponse(parsed.status, parsed.message)));
    }
    if (parsed.kind === 'other') {
      const p = parsed.path;
      if (p === '/healthcheck' && (method === 'GET' || method === 'HEAD')) {
        req.resume();
        return send(req, res, withTransHeaders(base, { status: 200, headers: { 'Content-Type': 'text/plain', 'Content-Length': 2 }, body: 'OK' }));
      }
      if (p === '/info' && (method === 'GET' || method === 'HEAD')) {
        req.resume();
        return send(req, res, withTransHeaders(base, { status: 200, headers: { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(info) }, body: info }));
      }
      if (p === '/auth/v1.0' || p.startsWith('/auth/v1.0/') || p === '/auth/v1' || p.startsWith('/auth/v1/')) {
        const authReq = toProxyRequest(req, { transId, account: '', query: parsed.query, method });
        const answer = opts.authEndpoint ? await opts.authEndpoint(authReq) : textResponse(501, 'auth endpoint not configured');
        req.resume();
        return send(req, res, withTransHeaders(base, answer));
      }
      req.resume();
      return send(req, res, withTransHeaders(base, textResponse(404)));
    }
    const proxyReq = toProxyRequest(req, { transId, account: parsed.account, container: parsed.container, object: parsed.object, query: parsed.query, method });
    const continuing = expectContinue && proxyReq.body ? new ContinueOnRead(req, res) : undefined;
    if (continuing) proxyReq.body = continuing;
    let answer = await opts.handler(proxyReq);
    // Refused before 100 Continue: the client will not send the body, so this connection's framing is unknown.
    if (continuing && !continuing.continued) answer = { ...answer, headers: { ...answer.headers, Connection: 'close' } };
    // Whatever the pipeline did not read (refused uploads) is drained so the connection stays usable.
    if (!req.readableEnded && !req.destroyed) req.resume();
    send(req, res, withTransHeaders(base, answer));
  };

  const clientTimeoutMs = opts.clientTimeoutMs ?? 60_000;
  // Uploads may take long as a whole; only silence (timeout below) and slow headers end them.
  server.requestTimeout = 0;
  server.headersTimeout = Math.min(clientTimeoutMs, 60_000);
  server.setTimeout(clientTimeoutMs, (socket) => socket.destroy());

  const [host, portText] = splitListen(opts.listen ?? opts.config.listen);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(portText), host, () => {
      server.off('error', reject);
      const port = (server.address() as AddressInfo).port;
      resolve({
        port,
        server,
        stop: (graceMs = 10_000) =>
          new Promise<void>((done) => {
            const timer = setTimeout(() => server.closeAllConnections(), graceMs);
            timer.unref();
            server.close(() => {
              clearTimeout(timer);
              done();
            });
            server.closeIdleConnections();
          }),
      });
    });
  });

  function toProxyRequest(req: IncomingMessage, p: { transId: string; account: string; container?: string; object?: string; query: string; method: string }): ProxyRequest {
    const out: ProxyRequest = {
      method: p.method,
      account: p.account,
      query: new URLSearchParams(p.query),
      headers: flattenHeaders(req.headers),
      transId: p.transId,
      source: 'client',
    };
    if (p.container !== undefined) out.container = p.container;
    if (p.object !== undefined) out.object = p.object;
    if (BODY_METHODS.has(p.method) || hasBody(req)) out.body = req;
    return out;
  }
}

function splitListen(listen: string): [string, string] {
  const i = listen.lastIndexOf(':');
  return [listen.slice(0, i).replace(/^\[(.*)\]$/, '$1'), listen.slice(i + 1)];
}

/** Writes a ProxyResponse: HEAD without body, streams with backpressure, client abort destroys the source. */
function send(req: IncomingMessage, res: ServerResponse, answer: ProxyResponse): void {
  if (res.headersSent || res.destroyed) {
    if (answer.body instanceof Readable) answer.body.destroy();
    return;
  }
  const headers = publicHeaders(answer.headers);
  const isHead = req.method === 'HEAD';
  const body = answer.body;
  if (isHead || body === undefined || answer.status === 204 || answer.status === 304) {
    if (body instanceof Readable) body.destroy();
    // A body-less answer still says its length (HEAD: the object's), or 0.
    const h = { ...headers };
    if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-length') && answer.status !== 204 && answer.status !== 304) h['Content-Length'] = 0;
    res.writeHead(answer.status, h as Record<string, string | number | string[]>);
    res.end();
    return;
  }
  if (!(body instanceof Readable)) {
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    const h = { ...headers };
    for (const k of Object.keys(h)) if (k.toLowerCase() === 'content-length') delete h[k];
    h['Content-Length'] = buf.length;
    res.writeHead(answer.status, h as Record<string, string | number | string[]>);
    res.end(buf);
    return;
  }
  res.writeHead(answer.status, headers as Record<string, string | number | string[]>);
  // pipe() rather than stream.pipeline(): per request, pipeline's AbortController and listeners
  // showed in the profile of small GETs. The two failure paths are wired by hand:
  // the body failed mid-stream (no replica left, bytes that do not match): the status line is
  // gone, so the only honest signal left is cutting the connection short;
  body.once('error', () => res.destroy());
  // the client went away: the body (and the storage server call behind it) is dropped.
  res.once('close', () => {
    if (!body.readableEnded) body.destroy();
  });
  if (forwardsPieces(body)) writeReleasing(body, res);
  else body.pipe(res);
}

