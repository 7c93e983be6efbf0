/**
 * The object bench's GET client: one keep-alive HTTP/1.1 connection per concurrent reader, read
 * into one reused buffer, every body byte compared with the content the bench wrote (and the ETag
 * header checked against its MD5 by the caller). Small PUTs go through it too (the head and the
 * body in one write; node:http's client cost ~0.25 ms of CPU per 4 KiB PUT, a twentieth of the
 * whole cluster's).
 *
 * Why not node:http: on this 2-core machine the load generator shares the CPU with the cluster
 * it measures. Node's HTTP client copies every body chunk into a fresh buffer, and the garbage
 * those buffers make costs full GCs; with an MD5 of each body on top, the client used ~290 ms of
 * CPU per 64 MiB GET, more than the proxy. A client on another machine would pay that on its own
 * cores, so the bench keeps its share small without checking less: each byte is still compared.
 *
 * Why comparison and not a checksum: the bench knows the exact bytes (a 4 KiB object, or a 1 MiB
 * block repeated), so each chunk is compared with the matching slice of that pattern: a memcmp.
 * zlib's crc32 has no SIMD here and cost ~25-30 ms of CPU per 64 MiB GET, which the cluster then
 * lacked; the comparison costs ~9 ms (measured on 64 MiB in 256 KiB reads), and is exact where a
 * CRC only nearly is.
 */
import { connect, type Socket } from 'node:net';
import { headEnd, parseResponseHead as parseHead } from '../../services/object/proxy/backend/response-framing';

export interface LeanReply {
  status: number;
  /** Header names in lower case; a repeated header keeps its last value. */
  headers: Map<string, string>;
  bytes: number;
  /** The body is exactly the expected one: the pattern repeated, cut at the expected length. */
  matches: boolean;
  /** Where the body first differs from the expected one (a short or long body: where it ends or overruns). */
  mismatchAt: number | undefined;
  /** Up to 32 bytes received from mismatchAt on (copied), so an error can say what arrived instead. */
  received: Buffer | undefined;
}

/** The body a GET should return: `pattern` repeated and cut at `length` bytes. */
export interface ExpectedBody {
  pattern: Buffer;
  length: number;
}

/**
 * Compares a body, fed in chunks as they arrive, with an expected body, without building either.
 * Pure (no I/O), so every way a chunk can fall across the pattern's boundaries is unit-tested.
 */
export class PatternMatcher {
  private fed = 0;
  private mismatch: number | undefined;
  private sample: Buffer | undefined;

  constructor(private readonly expected: ExpectedBody) {
    validateExpected(expected);
  }

  feed(chunk: Buffer): void {
    const { pattern, length } = this.expected;
    // Once a difference is known the rest is only counted: the verdict cannot change.
    for (let i = 0; i < chunk.length && this.mismatch === undefined; ) {
      const at = this.fed + i;
      if (at >= length) {
        this.mismatch = length;
        this.sample = Buffer.from(chunk.subarray(i, i + SAMPLE_BYTES));
        break;
      }
      const p = at % pattern.length;
      const n = Math.min(chunk.length - i, pattern.length - p, length - at);
      if (pattern.compare(chunk, i, i + n, p, p + n) !== 0) {
        const k = firstDifference(chunk, i, pattern, p, n);
        this.mismatch = at + k;
        this.sample = Buffer.from(chunk.subarray(i + k, i + k + SAMPLE_BYTES));
      }
      i += n;
    }
    this.fed += chunk.length;
  }

  /** Bytes fed so far. */
  get bytes(): number {
    return this.fed;
  }

  /** Bytes received from mismatchAt on (those of the chunk it was found in, at most 32). */
  get received(): Buffer | undefined {
    return this.sample;
  }

  /** Where what was fed first differs from the whole expected body; undefined when it equals it. */
  get mismatchAt(): number | undefined {
    if (this.mismatch !== undefined) return this.mismatch;
    return this.fed === this.expected.length ? undefined : Math.min(this.fed, this.expected.length);
  }
}

const SAMPLE_BYTES = 32;

/** Refuses an expectation no body can meet (it would report every body a mismatch, hiding the bench's own bug). */
function validateExpected({ pattern, length }: ExpectedBody): void {
  if (!Number.isSafeInteger(length) || length < 0) throw new Error(`expected body length ${length}`);
  if (pattern.length === 0 && length > 0) throw new Error('an empty pattern cannot make a non-empty body');
}

/** Index of the first differing byte of a[aStart..aStart+n) and b[bStart..bStart+n); only run once they differ. */
function firstDifference(a: Buffer, aStart: number, b: Buffer, bStart: number, n: number): number {
  for (let k = 0; k < n; k++) if (a[aStart + k] !== b[bStart + k]) return k;
  return n;
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
const EMPTY_BODY: ExpectedBody = { pattern: Buffer.alloc(0), length: 0 };
const MAX_HEAD_BYTES = 64 * 1024;

interface Pending {
  expected: ExpectedBody;
  resolve(r: LeanReply): void;
  reject(e: Error): void;
}

interface Reading {
  status: number;
  headers: Map<string, string>;
  matcher: PatternMatcher;
}

/** One connection; one request at a time (the caller awaits each get()). */
export class LeanGetConnection {
  private readonly socket: Socket;
  private readonly ready: Promise<void>;
  private pending: Pending | undefined;
  private head: Buffer[] = [];
  private headBytes = 0;
  private reply: Reading | undefined;
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

  /** Reads one response; its body is compared with `expected` (a mismatch is reported, not thrown). */
  get(path: string, headers: Record<string, string>, expected: ExpectedBody): Promise<LeanReply> {
    return this.request('GET', path, headers, undefined, expected);
  }

  /**
   * PUTs `body` (sent whole, with its Content-Length); the answer's body is expected empty (the
   * proxy's 201), so an error text shows as a mismatch beside the status.
   */
  put(path: string, headers: Record<string, string>, body: Buffer): Promise<LeanReply> {
    return this.request('PUT', path, { ...headers, 'Content-Length': String(body.length) }, body, EMPTY_BODY);
  }

  private async request(method: string, path: string, headers: Record<string, string>, body: Buffer | undefined, expected: ExpectedBody): Promise<LeanReply> {
    validateExpected(expected);
    await this.ready;
    if (this.failure) throw this.failure;
    if (this.pending) throw new Error('LeanGetConnection: one request at a time');
    const lines = [`${method} ${path} HTTP/1.1`, 'Host: bench', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', ''];
    return new Promise<LeanReply>((resolve, reject) => {
      this.pending = { expected, resolve, reject };
      // Head and body in one write: one segment for a small body.
      this.socket.write(body === undefined ? lines.join('\r\n') : Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), body]));
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
      if (!this.reply) chunk = this.readHead(chunk, this.pending.expected);
      if (this.reply && chunk.length > 0) {
        if (chunk.length > this.remaining) throw new Error(`${chunk.length - this.remaining} bytes past the body's end`);
        this.reply.matcher.feed(chunk);
        this.remaining -= chunk.length;
      }
      if (this.reply && this.remaining === 0) {
        const { resolve } = this.pending;
        const { status, headers, matcher } = this.reply;
        this.pending = undefined;
        this.reply = undefined;
        const mismatchAt = matcher.mismatchAt;
        resolve({ status, headers, bytes: matcher.bytes, matches: mismatchAt === undefined, mismatchAt, received: matcher.received });
      }
    } catch (err) {
      this.fail(err as Error);
      return false;
    }
    return true;
  }

  /** Finds the end of the head; bytes of an unfinished head are copied (they outlive the read buffer). */
  private readHead(chunk: Buffer, expected: ExpectedBody): Buffer {
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
    this.reply = { status: head.status, headers: head.headers, matcher: new PatternMatcher(expected) };
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

/** Connections to one server, reused: a get() takes an idle one or opens another. */
export class LeanGetPool {
  private readonly idle: LeanGetConnection[] = [];

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  get(path: string, headers: Record<string, string>, expected: ExpectedBody): Promise<LeanReply> {
    return this.on((conn) => conn.get(path, headers, expected));
  }

  put(path: string, headers: Record<string, string>, body: Buffer): Promise<LeanReply> {
    return this.on((conn) => conn.put(path, headers, body));
  }

  private async on(exchange: (conn: LeanGetConnection) => Promise<LeanReply>): Promise<LeanReply> {
    let conn = this.idle.pop();
    while (conn && !conn.usable) conn = this.idle.pop();
    conn ??= new LeanGetConnection(this.host, this.port);
    try {
      const reply = await exchange(conn);
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
