/**
 * The object bench's GET client: one keep-alive HTTP/1.1 connection per concurrent reader, read
 * into one reused buffer, every body byte checked with a CRC-32 against the content the bench
 * wrote (and the ETag header against its MD5).
 *
 * Why not node:http: on this 2-core machine the load generator shares the CPU with the cluster
 * it measures. Node's HTTP client copies every body chunk into a fresh buffer, and the garbage
 * those buffers make costs full GCs; with an MD5 of each body on top, the client used ~290 ms of
 * CPU per 64 MiB GET, more than the proxy. A client on another machine would pay that on its own
 * cores, so the bench keeps its share small without checking less: each byte is still compared.
 */
import { connect, type Socket } from 'node:net';
import { crc32 } from 'node:zlib';
import { headEnd, parseResponseHead as parseHead } from '../../services/object/proxy/backend/response-framing';

export interface LeanReply {
  status: number;
  /** Header names in lower case; a repeated header keeps its last value. */
  headers: Map<string, string>;
  bytes: number;
  /** CRC-32 of the body. */
  crc: number;
}

export interface ResponseHead {
  status: number;
  headers: Map<string, string>;
  /** The body's length from Content-Length. */
  length: number;
}

/**
 * Parses a response head (status line and headers, without the blank line) with the proxy's own
 * parser. Bodies must be framed by Content-Length: the proxy's object answers are, and anything
 * else is a bench error.
 */
export function parseResponseHead(text: string): ResponseHead {
  const { status, headers: raw } = parseHead(text);
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(raw)) if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  if (headers.has('transfer-encoding')) throw new Error(`unexpected Transfer-Encoding: ${headers.get('transfer-encoding')}`);
  const cl = headers.get('content-length');
  if (cl === undefined || !/^\d+$/.test(cl)) throw new Error(`response without a usable Content-Length (${String(cl)})`);
  return { status, headers, length: Number(cl) };
}

const READ_BUFFER_BYTES = 256 * 1024;
const MAX_HEAD_BYTES = 64 * 1024;

interface Pending {
  resolve(r: LeanReply): void;
  reject(e: Error): void;
}

/** One connection; one request at a time (the caller awaits each get()). */
export class LeanGetConnection {
  private readonly socket: Socket;
  private readonly ready: Promise<void>;
  private pending: Pending | undefined;
  private head: Buffer[] = [];
  private headBytes = 0;
  private reply: LeanReply | undefined;
  private remaining = 0;
  private failure: Error | undefined;

  constructor(host: string, port: number) {
    this.socket = connect({ host, port, onread: { buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES), callback: (n, buf) => this.onRead(Buffer.from(buf.buffer, buf.byteOffset, n)) } });
    this.socket.setNoDelay(true);
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', () => resolve());
      this.socket.once('error', reject);
    });
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => this.fail(new Error('connection closed')));
  }

  async get(path: string, headers: Record<string, string>): Promise<LeanReply> {
    await this.ready;
    if (this.failure) throw this.failure;
    if (this.pending) throw new Error('LeanGetConnection: one request at a time');
    const lines = [`GET ${path} HTTP/1.1`, 'Host: bench', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', ''];
    return new Promise<LeanReply>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket.write(lines.join('\r\n'));
    });
  }

  /** False once the connection failed or closed (a server closes idle keep-alive connections). */
  get usable(): boolean {
    return this.failure === undefined;
  }

  close(): void {
    this.socket.destroy();
  }

  /** `chunk` is a view of the reused read buffer: nothing may keep it past this call. */
  private onRead(chunk: Buffer): boolean {
    if (!this.pending) {
      this.fail(new Error(`${chunk.length} bytes with no request outstanding`));
      return false;
    }
    try {
      if (!this.reply) chunk = this.readHead(chunk);
      if (this.reply && chunk.length > 0) {
        if (chunk.length > this.remaining) throw new Error(`${chunk.length - this.remaining} bytes past the body's end`);
        this.reply.crc = crc32(chunk, this.reply.crc);
        this.reply.bytes += chunk.length;
        this.remaining -= chunk.length;
      }
      if (this.reply && this.remaining === 0) {
        const { resolve } = this.pending;
        const reply = this.reply;
        this.pending = undefined;
        this.reply = undefined;
        resolve(reply);
      }
    } catch (err) {
      this.fail(err as Error);
      return false;
    }
    return true;
  }

  /** Finds the end of the head; bytes of an unfinished head are copied (they outlive the read buffer). */
  private readHead(chunk: Buffer): Buffer {
    const seen = this.headBytes;
    const all = seen === 0 ? chunk : Buffer.concat([...this.head, chunk]);
    // The blank line may straddle reads: search from a little before this read's start.
    const end = headEnd(all, seen - 3);
    if (end < 0) {
      if (all.length > MAX_HEAD_BYTES) throw new Error('response head too large');
      this.head = [seen === 0 ? Buffer.from(chunk) : all];
      this.headBytes = all.length;
      return chunk.subarray(chunk.length);
    }
    const head = parseResponseHead(all.subarray(0, end - 4).toString('latin1'));
    this.head = [];
    this.headBytes = 0;
    this.reply = { status: head.status, headers: head.headers, bytes: 0, crc: 0 };
    this.remaining = head.length;
    return chunk.subarray(end - seen);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const p = this.pending;
    this.pending = undefined;
    p?.reject(this.failure);
    if (!this.socket.destroyed) this.socket.destroy();
  }
}

/** CRC-32 of `total` bytes made of `block` repeated (the bench's large objects). */
export function patternCrc(total: number, block: Buffer): number {
  let crc = 0;
  for (let sent = 0; sent < total; sent += block.length) crc = crc32(block.subarray(0, Math.min(block.length, total - sent)), crc);
  return crc;
}

/** Connections to one server, reused: a get() takes an idle one or opens another. */
export class LeanGetPool {
  private readonly idle: LeanGetConnection[] = [];

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  async get(path: string, headers: Record<string, string>): Promise<LeanReply> {
    let conn = this.idle.pop();
    while (conn && !conn.usable) conn = this.idle.pop();
    conn ??= new LeanGetConnection(this.host, this.port);
    try {
      const reply = await conn.get(path, headers);
      if (reply.headers.get('connection')?.toLowerCase() === 'close') conn.close();
      else this.idle.push(conn);
      return reply;
    } catch (err) {
      conn.close();
      throw err;
    }
  }

  close(): void {
    for (const c of this.idle.splice(0)) c.close();
  }
}
