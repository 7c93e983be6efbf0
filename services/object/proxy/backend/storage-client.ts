/**
 * The proxy's HTTP client for storage servers (docs/object-storage.md, "internal protocol").
 *
 * - One keep-alive Agent per storage server (ip:port), so the steady state reuses connections.
 * - connTimeoutMs bounds connecting; nodeTimeoutMs bounds any silence once connected (waiting
 *   for headers, for 100 Continue, or between body chunks). Both end the call with a
 *   BackendError, never a hang.
 * - Every call carries the client request's X-Trans-Id, and X-Backend-Storage-Layer for the
 *   container and account layers.
 * - Bodies stream both ways: send() hands back the response stream (the caller reads it with
 *   backpressure, or abort()s it); openUpload() sends headers with `Expect: 100-continue` and
 *   only then streams the body, so a server that refuses (507, 409, 413) costs no bytes.
 */
import { Agent, type ClientRequest, type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import type { Readable } from 'node:stream';
import { asBackendError, BackendError, STALE_ATTEMPTS, StaleConnectionError } from './backend-error';
import { LeanReader } from './lean-reader';
import { decodeReplies, encodeBatch, type BatchReply } from '../../common/object-batch';
import { PutBatcher, type SmallPut } from './put-batcher';
import { encodeName, storagePath } from './storage-path';

export type StorageLayer = 'object' | 'container' | 'account';

/** A storage server device, as the rings name it (RingDevice fits). */
export interface NodeAddress {
  readonly ip: string;
  readonly port: number;
  readonly device: string;
}

export interface BackendRequest {
  node: NodeAddress;
  partition: number;
  method: string;
  account: string;
  container?: string;
  object?: string;
  /** Absent = object (the storage server's default). */
  layer?: StorageLayer;
  query?: URLSearchParams;
  headers?: Record<string, string | number>;
  /** A small body sent as is (Content-Length set here); uploads use openUpload(). */
  body?: Buffer | string;
  transId: string;
}

/** A response body as it streams; `complete` once every byte the server framed has arrived. */
export type BackendBody = Readable & { readonly complete: boolean };

/** An answer whose body is still streaming. */
export interface BackendResponse {
  node: NodeAddress;
  status: number;
  headers: IncomingHttpHeaders;
  body: BackendBody;
  /** Ends the call now (the body stream is destroyed); harmless after the end. */
  abort(): void;
}

/** An answer with its (small) body read. */
export interface BackendReply {
  node: NodeAddress;
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type UploadOpening = { kind: 'continue'; upload: BackendUpload } | { kind: 'refused'; reply: BackendReply };

export interface StorageClientOptions {
  connTimeoutMs: number;
  nodeTimeoutMs: number;
  /** Connections per storage server at most (requests beyond wait for one). */
  maxSocketsPerNode?: number;
}

/**
 * A pooled connection idle this long is closed by the proxy, well before the storage server's
 * keep-alive timeout (30 s by default) closes it: reusing a connection the server is closing at
 * that moment fails with ECONNRESET, and on a loaded machine timers run late.
 */
const IDLE_SOCKET_MS = 5000;


function staleOr(cr: ClientRequest, err: unknown, anySocket = false): Error {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if ((anySocket || cr.reusedSocket) && (code === 'ECONNRESET' || code === 'EPIPE')) return new StaleConnectionError(err);
  return asBackendError(err);
}

async function retryStale<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof StaleConnectionError)) throw err;
      if (attempt >= STALE_ATTEMPTS) throw asBackendError(err.original);
    }
  }
}

/** A batch answer is a JSON list of short replies. */
const BATCH_REPLY_MAX_BYTES = 1 << 20;

/** Small answers (status texts, listings) are read whole; more than this is refused. */
export const DEFAULT_MAX_REPLY_BYTES = 64 * 1024 * 1024;

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

/** A header of a backend answer as one string (repeated headers joined), or undefined. */
export function backendHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  return headerValue(headers[name.toLowerCase()]);
}

export class StorageClient {
  private readonly agents = new Map<string, Agent>();
  private readonly reader: LeanReader;
  private readonly batcher = new PutBatcher(
    (put) => this.putAlone(put),
    (node, puts) => this.putBatch(node, puts),
  );
  private closed = false;

  constructor(private readonly opts: StorageClientOptions) {
    this.reader = new LeanReader({ connTimeoutMs: opts.connTimeoutMs, nodeTimeoutMs: opts.nodeTimeoutMs, idleMs: IDLE_SOCKET_MS, maxPerTarget: opts.maxSocketsPerNode ?? 128 });
  }

  /** Sends a request (small or no body) and resolves once the response headers arrived. */
  send(req: BackendRequest): Promise<BackendResponse> {
    // Reads, the hot path, go through the lean reader (lean-reader.ts says why).
    if (req.body === undefined && (req.method === 'GET' || req.method === 'HEAD')) return this.read(req, req.method);
    return retryStale(() => this.sendOnce(req));
  }

  private async read(req: BackendRequest, method: 'GET' | 'HEAD'): Promise<BackendResponse> {
    if (this.closed) throw new BackendError('ABORTED', 'storage client closed');
    const { path, headers } = this.target(req, {});
    const r = await this.reader.read(req.node, method, path, headers);
    return { node: req.node, status: r.status, headers: r.headers, body: r.body, abort: r.abort };
  }

  private sendOnce(req: BackendRequest): Promise<BackendResponse> {
    const { path, headers } = this.target(req, {});
    return this.sendRaw(req.node, req.method, path, headers, req.body);
  }

  /** One exchange on a pooled connection, resolving once the response headers arrived. */
  private sendRaw(node: NodeAddress, method: string, path: string, headers: Record<string, string | number>, body?: Buffer | string): Promise<BackendResponse> {
    return new Promise((resolve, reject) => {
      const cr = this.open(node, method, path, headers);
      let answered = false;
      cr.on('response', (res) => {
        answered = true;
        resolve({ node, status: res.statusCode ?? 0, headers: res.headers, body: res, abort: () => cr.destroy(new BackendError('ABORTED', 'call abandoned by the proxy')) });
      });
      cr.on('error', (err) => {
        if (!answered) reject(staleOr(cr, err));
      });
      if (body !== undefined) cr.end(body);
      else cr.end();
    });
  }

  /** send(), then reads the whole (small) body. */
  async fetch(req: BackendRequest, maxBytes = DEFAULT_MAX_REPLY_BYTES): Promise<BackendReply> {
    const res = await this.send(req);
    return { node: res.node, status: res.status, headers: res.headers, body: await readBody(res, maxBytes) };
  }

  /**
   * Opens an upload: headers go out at once with `Expect: 100-continue`; resolves with the
   * upload when the server says continue, or with its final answer when it refuses first.
   * `req.headers` must say how the body is framed (Content-Length or Transfer-Encoding: chunked).
   */
  openUpload(req: BackendRequest): Promise<UploadOpening> {
    return retryStale(() => this.openUploadOnce(req));
  }

  private openUploadOnce(req: BackendRequest): Promise<UploadOpening> {
    return new Promise((resolve, reject) => {
      const cr = this.start(req, { Expect: '100-continue' });
      let settled = false;
      const upload = new BackendUpload(req.node, cr);
      cr.on('continue', () => {
        if (settled) return;
        settled = true;
        resolve({ kind: 'continue', upload });
      });
      cr.on('response', (res) => {
        if (settled) return; // the upload handles answers after continue
        settled = true;
        const wrapped: BackendResponse = { node: req.node, status: res.statusCode ?? 0, headers: res.headers, body: res, abort: () => cr.destroy() };
        readBody(wrapped, 1 << 20).then(
          (body) => {
            resolve({ kind: 'refused', reply: { node: req.node, status: wrapped.status, headers: res.headers, body } });
            // A refused upload's request is never finished; drop the connection, not reuse it.
            cr.destroy();
          },
          (err: unknown) => reject(asBackendError(err)),
        );
      });
      cr.on('error', (err) => {
        if (settled) return;
        settled = true;
        // Before 100 Continue no byte of the body left and the server committed nothing, so an
        // upload whose connection was reset (stale pooled one, or a new one reset under load)
        // can be opened again.
        reject(staleOr(cr, err, true));
      });
      cr.flushHeaders();
    });
  }

  /**
   * A small object PUT (body whole, at most OBJECT_BATCH_MAX_BODY bytes): sent alone, or with
   * others for the same device in one batch (put-batcher.ts). Resolves with this PUT's answer;
   * rejects (BackendError) when none came.
   */
  putSmall(put: SmallPut): Promise<BatchReply> {
    return this.batcher.put(put);
  }

  /**
   * Whether a connection to the node's server is open in the pool (idle or in use). A server
   * that stopped closed its connections, and the pool dropped them: so "no connection" means
   * down, restarted, or not used yet, and callers that must not write before knowing a quorum
   * is there take the careful path (object-put.ts).
   */
  hasConnection(node: NodeAddress): boolean {
    const agent = this.agents.get(`${node.ip}:${node.port}`);
    if (!agent) return false;
    const name = agent.getName({ host: node.ip, port: node.port });
    // A socket still connecting (to a server that may be down) proves nothing.
    const live = (s: { connecting: boolean; destroyed: boolean }): boolean => !s.connecting && !s.destroyed;
    return (agent.freeSockets[name] ?? []).some(live) || (agent.sockets[name] ?? []).some(live);
  }

  private async putAlone(put: SmallPut): Promise<BatchReply> {
    const reply = await this.fetch({ node: put.node, partition: put.partition, method: 'PUT', account: put.account, container: put.container, object: put.object, headers: put.headers, body: put.body, transId: put.transId }, 1 << 20);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(reply.headers)) {
      const value = headerValue(v);
      if (value !== undefined) headers[k] = value;
    }
    return { status: reply.status, headers, message: reply.body.toString('utf8').trim() };
  }

  private async putBatch(node: NodeAddress, puts: SmallPut[]): Promise<BatchReply[]> {
    const body = Buffer.concat(encodeBatch(puts.map((p) => ({ partition: String(p.partition), account: p.account, container: p.container, object: p.object, headers: { ...p.headers, 'x-trans-id': p.transId }, body: p.body }))));
    const headers = { 'X-Backend-Storage-Layer': 'object-batch', 'X-Trans-Id': puts[0]!.transId, 'Content-Type': 'application/octet-stream', 'Content-Length': body.length };
    const res = await retryStale(() => this.sendRaw(node, 'POST', `/${encodeName(node.device)}`, headers, body));
    const reply = { status: res.status, body: await readBody(res, BATCH_REPLY_MAX_BYTES) };
    // A whole-batch refusal (507: device gone; 400: not understood) is every entry's answer.
    if (reply.status !== 200) {
      const message = reply.body.toString('utf8').trim();
      return puts.map(() => ({ status: reply.status, headers: {}, message }));
    }
    const replies = decodeReplies(reply.body.toString('utf8'), puts.length);
    if (!replies) throw new BackendError('CONNECT_FAILED', `${node.ip}:${node.port}/${node.device} sent a malformed batch answer`);
    return replies;
  }

  /** Drops every pooled connection; calls after this fail. */
  close(): void {
    this.closed = true;
    this.reader.close();
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }

  private agentFor(node: NodeAddress): Agent {
    const key = `${node.ip}:${node.port}`;
    let agent = this.agents.get(key);
    if (!agent) {
      const maxSockets = this.opts.maxSocketsPerNode ?? 128;
      // Keep every connection the concurrency opened: closing idle ones above a lower cap only
      // means reconnecting for the next burst.
      agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, timeout: IDLE_SOCKET_MS });
      this.agents.set(key, agent);
    }
    return agent;
  }

  private target(req: BackendRequest, extra: Record<string, string>): { path: string; headers: Record<string, string | number> } {
    const headers: Record<string, string | number> = { ...req.headers, ...extra, 'X-Trans-Id': req.transId };
    if (req.layer && req.layer !== 'object') headers['X-Backend-Storage-Layer'] = req.layer;
    if (req.body !== undefined) headers['Content-Length'] = Buffer.byteLength(req.body);
    const query = req.query?.toString();
    const path = storagePath({ device: req.node.device, partition: req.partition, account: req.account, container: req.container, object: req.object }) + (query ? `?${query}` : '');
    return { path, headers };
  }

  private start(req: BackendRequest, extra: Record<string, string>): ClientRequest {
    const { path, headers } = this.target(req, extra);
    return this.open(req.node, req.method, path, headers);
  }

  private open(node: NodeAddress, method: string, path: string, headers: Record<string, string | number>): ClientRequest {
    if (this.closed) throw new BackendError('ABORTED', 'storage client closed');
    const cr = httpRequest({ host: node.ip, port: node.port, method, path, headers, agent: this.agentFor(node) });
    const where = `${node.ip}:${node.port}/${node.device}`;
    let connected = false;
    // After a busy stretch of the event loop, timers run before the I/O that completed meanwhile:
    // the verdict waits for one poll phase (setImmediate), so a connection the kernel made in
    // time is not counted as a timeout.
    const connTimer = setTimeout(() => {
      setImmediate(() => {
        if (!connected) cr.destroy(new BackendError('CONNECT_TIMEOUT', `no connection to ${where} in ${this.opts.connTimeoutMs} ms`));
      });
    }, this.opts.connTimeoutMs);
    const onConnected = (): void => {
      connected = true;
      clearTimeout(connTimer);
    };
    cr.on('socket', (socket) => {
      if (!socket.connecting) onConnected();
      else socket.once('connect', onConnected);
    });
    cr.on('close', () => clearTimeout(connTimer));
    cr.setTimeout(this.opts.nodeTimeoutMs, () => cr.destroy(new BackendError('NODE_TIMEOUT', `${where} silent for ${this.opts.nodeTimeoutMs} ms`)));
    // Errors after the response arrived surface on the response stream (its reader sees them).
    cr.on('response', (res) => cr.on('error', (err) => res.destroy(err)));
    return cr;
  }
}

/**
 * One body being streamed to one storage server (after its 100 Continue). writeAll() respects the
 * connection's backpressure; finish() ends the body and waits for the server's verdict;
 * abort() cuts the connection so the server commits nothing.
 */
export class BackendUpload {
  /** Set once the upload can no longer succeed (connection failed, or the server answered early). */
  failure: Error | undefined;
  private readonly response: Promise<BackendReply>;

  constructor(
    readonly node: NodeAddress,
    private readonly cr: ClientRequest,
  ) {
    this.response = new Promise<BackendReply>((resolve, reject) => {
      cr.on('response', (res) => {
        const status = res.statusCode ?? 0;
        // An error answer before the body ended is a refusal (413, 499...): stop sending to it.
        // A success can come first too: a server commits as soon as it has Content-Length bytes
        // (at once for an empty body), which may be before this side called end(); that 201 is
        // the verdict, not a failure (counting it as one turned zero-byte PUTs into 503s under load).
        if (!cr.writableFinished && (status < 200 || status >= 300)) this.failure ??= new Error(`storage server answered ${status} mid-upload`);
        readBody({ node, status, headers: res.headers, body: res, abort: () => cr.destroy() }, 1 << 20).then(
          (body) => resolve({ node, status, headers: res.headers, body }),
          (err: unknown) => reject(asBackendError(err)),
        );
      });
      cr.on('error', (err) => {
        this.failure ??= asBackendError(err);
        reject(this.failure);
      });
    });
    // Avoid an unhandled rejection when nobody waits for the verdict (aborted uploads).
    this.response.catch(() => undefined);
  }

  /**
   * Writes the chunks in this turn (so they leave in one writev) and resolves once the
   * connection can take more.
   */
  async writeAll(chunks: readonly Buffer[]): Promise<void> {
    if (this.failure) throw this.failure;
    let ok = true;
    for (const c of chunks) ok = this.cr.write(c);
    if (ok) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.cr.off('drain', done);
        this.cr.off('close', done);
        this.cr.off('error', done);
        resolve();
      };
      this.cr.on('drain', done);
      this.cr.on('close', done);
      this.cr.on('error', done);
    });
    if (this.failure) throw this.failure;
  }

  /**
   * Ends the body (with trailers, for a chunked body); resolves with the server's answer (its
   * status says whether it committed).
   */
  finish(trailers?: Record<string, string>): Promise<BackendReply> {
    if (!this.failure) {
      if (trailers) this.cr.addTrailers(trailers);
      this.cr.end();
    }
    return this.response;
  }

  abort(): void {
    this.failure ??= new BackendError('ABORTED', 'upload abandoned by the proxy');
    this.cr.destroy(this.failure);
  }
}

/** Reads a response body whole, refusing more than maxBytes. */
export async function readBody(res: BackendResponse, maxBytes = DEFAULT_MAX_REPLY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > maxBytes) {
        res.abort();
        throw new BackendError('BODY_TOO_LARGE', `response from ${res.node.ip}:${res.node.port} larger than ${maxBytes} bytes`);
      }
      chunks.push(buf);
    }
  } catch (err) {
    throw asBackendError(err);
  }
  if (!res.body.complete) throw new BackendError('CONNECT_FAILED', `response from ${res.node.ip}:${res.node.port} cut short`);
  return Buffer.concat(chunks);
}

export { asBackendError };
