/**
 * A small HTTP client for the storage servers' internal protocol (docs/object-storage.md), for
 * the workers: keep-alive connections per server, a bounded time per exchange (connect to last
 * body byte), bodies read whole (workers only get small answers: listings, hashes, statuses).
 * Never rejects on an HTTP status; rejects only with DirectClientError when there was no answer.
 */
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';

export interface DirectRequest {
  host: string;
  port: number;
  method: string;
  /** Already percent-encoded (see storagePath). */
  path: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
  /** Overrides the client's timeout for this exchange. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface DirectReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type DirectClientErrorCode = 'TIMEOUT' | 'CONNECTION' | 'ABORTED';

export class DirectClientError extends Error {
  constructor(
    readonly code: DirectClientErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DirectClientError';
  }
}

export interface DirectClientOptions {
  /** Default bound on one exchange. */
  timeoutMs: number;
  /** Connections kept per server (Node's maxSockets). */
  maxSockets?: number;
}

/** `/<device>/<partition>/<account>[/<container>[/<object>]]`, each name percent-encoded whole. */
export function storagePath(device: string, partition: string | number, account: string, container?: string, object?: string): string {
  let p = `/${encodeURIComponent(device)}/${partition}/${encodeURIComponent(account)}`;
  if (container !== undefined) p += `/${encodeURIComponent(container)}`;
  if (object !== undefined) p += `/${encodeURIComponent(object)}`;
  return p;
}

export class DirectClient {
  private readonly agent: Agent;

  constructor(private readonly opts: DirectClientOptions) {
    this.agent = new Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 4 });
  }

  request(r: DirectRequest): Promise<DirectReply> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (code: DirectClientErrorCode, message: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        r.signal?.removeEventListener('abort', onAbort);
        req.destroy();
        reject(new DirectClientError(code, `${r.method} ${r.host}:${r.port}${r.path.slice(0, 200)}: ${message}`));
      };
      const onAbort = (): void => fail('ABORTED', 'aborted');
      const headers: Record<string, string | number> = { ...r.headers };
      if (r.body !== undefined) headers['Content-Length'] = Buffer.byteLength(r.body);
      else if (r.method === 'PUT' || r.method === 'POST') headers['Content-Length'] = 0;
      const req = httpRequest({ host: r.host, port: r.port, method: r.method, path: r.path, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => fail('CONNECTION', e.message));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          r.signal?.removeEventListener('abort', onAbort);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
      });
      const timer = setTimeout(() => fail('TIMEOUT', `no complete answer within ${r.timeoutMs ?? this.opts.timeoutMs} ms`), r.timeoutMs ?? this.opts.timeoutMs);
      req.on('error', (e) => fail('CONNECTION', e.message));
      if (r.signal?.aborted) return onAbort();
      r.signal?.addEventListener('abort', onAbort, { once: true });
      req.end(r.body);
    });
  }

  /** Closes the kept-alive connections (the process can then exit by itself). */
  close(): void {
    this.agent.destroy();
  }
}
