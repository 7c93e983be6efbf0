/**
 * The proxy's reads from storage servers (GET and HEAD, no request body) over plain keep-alive
 * TCP connections, instead of node:http's client.
 *
 * Why: reads are the proxy's hottest path. node:http's client costs a ClientRequest, an Agent
 * round, a parser and its events per call, and its parser copies every body chunk into a fresh
 * buffer; the garbage those copies make drives frequent full GCs while large objects stream
 * (measured per 64 MiB GET: a memmove of the whole body plus 100+ ms of GC threads). Here the
 * bytes of a read are cut into views (response-framing.ts) and handed on as they are.
 *
 * Semantics kept from StorageClient.send(): connTimeoutMs bounds connecting and nodeTimeoutMs
 * any silence once connected (before the head, and between body bytes), both ending the call
 * with a BackendError; a pooled connection the server closed just as it was reused (reset
 * before any byte of the answer) is retried on another; errors after the head arrived surface
 * on the body stream; abort() ends the call (the connection is dropped, never reused mid-body).
 */
import { connect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { IncomingHttpHeaders } from 'node:http';
import { asBackendError, BackendError, STALE_ATTEMPTS, StaleConnectionError } from './backend-error';
import { ReadWindows, SlabPool } from './read-slabs';
import { BodyFramer, framingOf, FramingError, headEnd, MAX_HEAD_BYTES, parseResponseHead, TOKEN } from './response-framing';

export interface LeanTarget {
  readonly ip: string;
  readonly port: number;
}

export interface LeanReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: LeanBody;
  abort(): void;
}

export interface LeanReaderOptions {
  connTimeoutMs: number;
  nodeTimeoutMs: number;
  /** A pooled connection idle this long is closed (before the server's own keep-alive timeout). */
  idleMs: number;
  /**
   * Reads in flight to one server at most (so connections to it too); more wait for a slot, and
   * one that waits longer than connTimeoutMs fails with CONNECT_TIMEOUT, as with an http Agent.
   */
  maxPerTarget: number;
}


const HEADER_SAFE = /^[^\r\n\0]*$/;

/** A response body: a Readable whose `complete` says whether every byte the server framed arrived. */
export class LeanBody extends Readable {
  complete = false;

  constructor(
    private readonly socket: Socket,
    private readonly windows: ReadWindows | undefined,
    private readonly onEarlyDestroy: () => void,
  ) {
    super();
  }

  /**
   * Pushes a piece, pausing the socket when the reader is behind. The piece is lent from its
   * read slab: a reader that is done with it may hand it back with releasePiece (read-slabs.ts).
   */
  feed(piece: Buffer): void {
    this.windows?.lend(piece);
    if (!this.push(piece)) this.socket.pause();
  }

  override _read(): void {
    // Once complete, the connection may already serve another call: hands off.
    if (!this.complete && this.socket.isPaused()) this.socket.resume();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.complete) this.onEarlyDestroy();
    cb(err);
  }
}

export class LeanReader {
  private readonly idle = new Map<string, Socket[]>();
  /** The listener that drops an idle connection (close, error, stray bytes, idle timeout). */
  private readonly dropOnIdle = new WeakMap<Socket, () => void>();
  /** Reads in flight per server, and those waiting for a slot (maxPerTarget). */
  private readonly busy = new Map<string, number>();
  /** Each connection's read windows (read-slabs.ts). */
  private readonly windows = new WeakMap<Socket, ReadWindows>();
  /** Large read slabs given back by released bodies, for any connection. */
  readonly slabs = new SlabPool();
  private readonly waiting = new Map<string, (() => void)[]>();
  private closed = false;

  constructor(private readonly opts: LeanReaderOptions) {}

  /** Sends `method path` with `headers` and resolves once the response head arrived. */
  async read(target: LeanTarget, method: 'GET' | 'HEAD', path: string, headers: Record<string, string | number>): Promise<LeanReply> {
    const head = this.requestHead(target, method, path, headers);
    const key = this.key(target);
    await this.acquire(key);
    for (let attempt = 1; ; attempt++) {
      // The slot is held until the exchange is over (its body read or failed), not its head.
      let ended = false;
      const onEnd = (): void => {
        if (ended) return;
        ended = true;
        this.releaseSlot(key);
      };
      try {
        const pooled = this.take(target);
        return await this.exchange(target, pooled ?? this.open(target), pooled !== undefined, method, head, onEnd);
      } catch (err) {
        onEnd();
        if (!(err instanceof StaleConnectionError)) throw err;
        if (attempt >= STALE_ATTEMPTS) throw asBackendError(err.original);
        await this.acquire(key);
      }
    }
  }

  private async acquire(key: string): Promise<void> {
    const n = this.busy.get(key) ?? 0;
    if (n < this.opts.maxPerTarget) {
      this.busy.set(key, n + 1);
      return;
    }
    await new Promise<void>((resolve, reject) => {
      let queue = this.waiting.get(key);
      if (!queue) this.waiting.set(key, (queue = []));
      const entry = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const i = queue.indexOf(entry);
        if (i >= 0) queue.splice(i, 1);
        reject(new BackendError('CONNECT_TIMEOUT', `no connection to ${key} in ${this.opts.connTimeoutMs} ms (${this.opts.maxPerTarget} reads in flight)`));
      }, this.opts.connTimeoutMs);
      queue.push(entry);
    });
  }

  /** Hands the slot to the next waiting read, or frees it. */
  private releaseSlot(key: string): void {
    const next = this.waiting.get(key)?.shift();
    if (next) next();
    else this.busy.set(key, Math.max(0, (this.busy.get(key) ?? 1) - 1));
  }

  /** Drops every pooled connection; reads after this fail. */
  close(): void {
    this.closed = true;
    for (const sockets of this.idle.values()) for (const s of sockets) s.destroy();
    this.idle.clear();
  }

  private requestHead(target: LeanTarget, method: string, path: string, headers: Record<string, string | number>): string {
    if (!HEADER_SAFE.test(path) || path.includes(' ')) throw new BackendError('CONNECT_FAILED', 'request path with invalid characters');
    let text = `${method} ${path} HTTP/1.1\r\nHost: ${target.ip}:${target.port}\r\n`;
    for (const [name, value] of Object.entries(headers)) {
      const v = String(value);
      if (!TOKEN.test(name) || !HEADER_SAFE.test(v)) throw new BackendError('CONNECT_FAILED', `invalid request header ${JSON.stringify(name)}`);
      text += `${name}: ${v}\r\n`;
    }
    return `${text}\r\n`;
  }

  private key(target: LeanTarget): string {
    return `${target.ip}:${target.port}`;
  }

  private take(target: LeanTarget): Socket | undefined {
    const list = this.idle.get(this.key(target));
    for (let s = list?.pop(); s; s = list?.pop()) {
      const drop = this.dropOnIdle.get(s);
      if (drop) {
        s.off('close', drop);
        s.off('error', drop);
        s.off('data', drop);
        s.off('timeout', drop);
        this.dropOnIdle.delete(s);
      }
      s.setTimeout(0);
      if (!s.destroyed && s.readyState === 'open') return s;
      s.destroy();
    }
    return undefined;
  }

  private open(target: LeanTarget): Socket {
    if (this.closed) throw new BackendError('ABORTED', 'storage client closed');
    // Reads land in consecutive windows of a per-connection slab instead of a fresh 64 KiB
    // buffer each, and large slabs are used again once their pieces were released (read-slabs.ts).
    const windows = new ReadWindows(this.slabs);
    const s: Socket = connect({
      host: target.ip,
      port: target.port,
      onread: {
        buffer: () => windows.window(),
        callback: (n: number, buf: Uint8Array): boolean => {
          windows.consumed(n, buf.length);
          s.emit('data', Buffer.from(buf.buffer, buf.byteOffset, n));
          return true;
        },
      },
    });
    this.windows.set(s, windows);
    s.once('close', () => windows.close());
    s.setNoDelay(true);
    return s;
  }

  private release(target: LeanTarget, s: Socket): void {
    if (this.closed || s.destroyed) {
      s.destroy();
      return;
    }
    const key = this.key(target);
    const drop = (): void => {
      s.destroy();
      const list = this.idle.get(key);
      const i = list?.indexOf(s) ?? -1;
      if (list && i >= 0) list.splice(i, 1);
    };
    this.dropOnIdle.set(s, drop);
    s.on('close', drop);
    s.on('error', drop);
    // Bytes on an idle connection answer nothing we asked: the connection cannot be trusted.
    s.on('data', drop);
    s.on('timeout', drop);
    s.setTimeout(this.opts.idleMs);
    let list = this.idle.get(key);
    if (!list) this.idle.set(key, (list = []));
    list.push(s);
  }

  private exchange(target: LeanTarget, s: Socket, reused: boolean, method: 'GET' | 'HEAD', requestHead: string, onEnd: () => void): Promise<LeanReply> {
    const where = `${target.ip}:${target.port}`;
    return new Promise<LeanReply>((resolve, reject) => {
      let headBytes: Buffer | undefined;
      let body: LeanBody | undefined;
      let framer: BodyFramer | undefined;
      let settled = false;
      let gotBytes = false;
      let keepAlive = true;
      let connTimer: NodeJS.Timeout | undefined;
      /** The exchange is over (body complete, connection released): late aborts must not touch the connection. */
      let over = false;
      const closedEarly = new Error(`connection to ${where} closed before the response ended`);

      const detach = (): void => {
        clearTimeout(connTimer);
        s.off('data', onData);
        s.off('error', onError);
        s.off('close', onClose);
        s.off('timeout', onTimeout);
        s.off('connect', onConnect);
        s.setTimeout(0);
      };
      const fail = (err: Error): void => {
        if (over) return;
        over = true;
        onEnd();
        detach();
        s.destroy();
        if (!settled) {
          settled = true;
          const code = (err as NodeJS.ErrnoException).code;
          reject(reused && !gotBytes && (code === 'ECONNRESET' || code === 'EPIPE' || err === closedEarly) ? new StaleConnectionError(err) : asBackendError(err));
        } else if (body && !body.complete && !body.destroyed) {
          // A body nobody reads (abandoned with abort()) goes quietly: an 'error' without a
          // listener would be an uncaught exception.
          body.destroy(body.listenerCount('error') > 0 ? asBackendError(err) : undefined);
        }
      };
      const finish = (extra: number): void => {
        over = true;
        onEnd();
        detach();
        if (body) {
          body.complete = true;
          body.push(null);
        }
        if (extra > 0 || !keepAlive || body?.destroyed) s.destroy();
        else {
          if (s.isPaused()) s.resume();
          this.release(target, s);
        }
      };
      const onBody = (bytes: Buffer): void => {
        if (!framer || !body) return;
        const fed = framer.feed(bytes);
        for (const p of fed.pieces) body.feed(p);
        if (fed.done) finish(fed.extra);
      };
      const onData = (chunk: Buffer): void => {
        gotBytes = true;
        try {
          if (framer) return onBody(chunk);
          const seen = headBytes?.length ?? 0;
          const all = headBytes ? Buffer.concat([headBytes, chunk]) : chunk;
          const end = headEnd(all, seen - 3);
          if (end < 0) {
            if (all.length > MAX_HEAD_BYTES) throw new FramingError('response head too large');
            // The first read's bytes are a view of a slab that may be used again: keep a copy.
            headBytes = all === chunk ? Buffer.from(chunk) : all;
            return;
          }
          const head = parseResponseHead(all.subarray(0, end - 4).toString('latin1'));
          const framing = framingOf(method, head);
          framer = new BodyFramer(framing);
          keepAlive = framing.kind !== 'close' && !/(^|,)\s*close\s*(,|$)/i.test(String(head.headers.connection ?? ''));
          body = new LeanBody(s, this.windows.get(s), () => fail(new BackendError('ABORTED', 'response body abandoned by the proxy')));
          settled = true;
          resolve({ status: head.status, headers: head.headers, body, abort: () => fail(new BackendError('ABORTED', 'call abandoned by the proxy')) });
          if (framer.done) finish(all.length - end);
          else onBody(all.subarray(end));
        } catch (err) {
          fail(err instanceof FramingError ? new BackendError('CONNECT_FAILED', `bad response from ${where}: ${err.message}`) : (err as Error));
        }
      };
      const onError = (err: Error): void => fail(err);
      const onClose = (): void => {
        if (settled && framer?.endOfInput() && body && !body.complete) {
          over = true;
          onEnd();
          detach();
          body.complete = true;
          body.push(null);
          return;
        }
        fail(closedEarly);
      };
      const onTimeout = (): void => fail(new BackendError('NODE_TIMEOUT', `${where} silent for ${this.opts.nodeTimeoutMs} ms`));
      const onConnect = (): void => {
        clearTimeout(connTimer);
        s.setTimeout(this.opts.nodeTimeoutMs);
      };

      s.on('data', onData);
      s.on('error', onError);
      s.on('close', onClose);
      s.on('timeout', onTimeout);
      if (s.connecting) {
        s.once('connect', onConnect);
        // After a busy stretch of the event loop, timers run before the I/O that completed
        // meanwhile: the verdict waits for one poll phase, so a connection made in time counts.
        connTimer = setTimeout(() => {
          setImmediate(() => {
            if (s.connecting) fail(new BackendError('CONNECT_TIMEOUT', `no connection to ${where} in ${this.opts.connTimeoutMs} ms`));
          });
        }, this.opts.connTimeoutMs);
      } else {
        s.setTimeout(this.opts.nodeTimeoutMs);
      }
      s.write(requestHead);
    });
  }
}
