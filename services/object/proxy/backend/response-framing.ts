/**
 * HTTP/1.1 responses, pure: the head (status line and headers) and the body's framing
 * (RFC 9112 §6: no body, Content-Length, chunked, or until the connection closes), fed
 * incrementally with whatever bytes a socket read returned. Body pieces are views of the input
 * (no copies). Used by the proxy's lean reader (lean-reader.ts).
 */
import type { IncomingHttpHeaders } from 'node:http';

export interface ResponseHead {
  status: number;
  headers: IncomingHttpHeaders;
}

export class FramingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FramingError';
  }
}

const HEAD_END = Buffer.from('\r\n\r\n');
/** A head larger than this is refused (Node's default limit for the whole header block). */
export const MAX_HEAD_BYTES = 16 * 1024;

/** An HTTP field name (RFC 9110 token). */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Parses the head's text (without the blank line). Repeated headers join with ", " (set-cookie: a list). */
export function parseResponseHead(text: string): ResponseHead {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.([01]) (\d{3})(?: [^\r\n]*)?$/.exec(lines[0]);
  if (!m) throw new FramingError(`bad status line ${JSON.stringify(lines[0].slice(0, 60))}`);
  const headers: IncomingHttpHeaders = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).toLowerCase() : '';
    if (!TOKEN.test(name)) throw new FramingError(`bad header line ${JSON.stringify(line.slice(0, 60))}`);
    const value = line.slice(colon + 1).trim();
    if (name === 'set-cookie') (headers['set-cookie'] ??= []).push(value);
    else {
      const prev = headers[name];
      headers[name] = prev === undefined ? value : `${String(prev)}, ${value}`;
    }
  }
  return { status: Number(m[2]), headers };
}

/** Finds the end of a head in `buf` (searching from `from`); the index after the blank line, or -1. */
export function headEnd(buf: Buffer, from = 0): number {
  const i = buf.indexOf(HEAD_END, Math.max(0, from));
  return i < 0 ? -1 : i + HEAD_END.length;
}

export type Framing = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'close' };

/** How the body of a response to `method` with this head is delimited. */
export function framingOf(method: string, head: ResponseHead): Framing {
  const { status, headers } = head;
  if (status >= 100 && status < 200) throw new FramingError(`unexpected interim response ${status}`);
  if (method === 'HEAD' || status === 204 || status === 304) return { kind: 'none' };
  const te = headers['transfer-encoding'];
  if (te !== undefined) {
    if (/(^|,)\s*chunked\s*$/i.test(String(te))) return { kind: 'chunked' };
    return { kind: 'close' };
  }
  const cl = headers['content-length'];
  if (cl === undefined) return { kind: 'close' };
  // Repeated equal values ("5, 5") are allowed by RFC 9110 §8.6; anything else is an error.
  const values = String(cl).split(',').map((v) => v.trim());
  if (!values.every((v) => /^\d{1,15}$/.test(v) && v === values[0])) throw new FramingError(`bad Content-Length ${JSON.stringify(cl)}`);
  const length = Number(values[0]);
  return length === 0 ? { kind: 'none' } : { kind: 'length', length };
}

export interface Fed {
  /** Body bytes found in the input (views of it). */
  pieces: Buffer[];
  /** The body is complete. */
  done: boolean;
  /** Bytes after the body's end (a server that sent more than it framed). */
  extra: number;
}

/** Cuts a body out of the bytes that follow the head, read by read. */
export class BodyFramer {
  private remaining: number;
  private chunkState: 'size' | 'data' | 'data-end' | 'trailers' = 'size';
  private line = '';
  private finished: boolean;

  constructor(private readonly framing: Framing) {
    this.remaining = framing.kind === 'length' ? framing.length : 0;
    this.finished = framing.kind === 'none';
  }

  get done(): boolean {
    return this.finished;
  }

  /** Ends a close-delimited body when the connection closes; false for any other framing (cut short). */
  endOfInput(): boolean {
    if (this.framing.kind === 'close') this.finished = true;
    return this.finished;
  }

  feed(input: Buffer): Fed {
    if (this.finished) return { pieces: [], done: true, extra: input.length };
    switch (this.framing.kind) {
      case 'close':
        return { pieces: input.length ? [input] : [], done: false, extra: 0 };
      case 'length': {
        const n = Math.min(this.remaining, input.length);
        this.remaining -= n;
        this.finished = this.remaining === 0;
        return { pieces: n ? [input.subarray(0, n)] : [], done: this.finished, extra: input.length - n };
      }
      case 'chunked':
        return this.feedChunked(input);
      default:
        return { pieces: [], done: true, extra: input.length };
    }
  }

  private feedChunked(input: Buffer): Fed {
    const pieces: Buffer[] = [];
    let i = 0;
    while (i < input.length && !this.finished) {
      if (this.chunkState === 'data') {
        const n = Math.min(this.remaining, input.length - i);
        pieces.push(input.subarray(i, i + n));
        i += n;
        this.remaining -= n;
        if (this.remaining === 0) this.chunkState = 'data-end';
        continue;
      }
      // Line-oriented states: size lines, the CRLF after data, trailer lines.
      const nl = input.indexOf(0x0a, i);
      const end = nl < 0 ? input.length : nl + 1;
      this.line += input.subarray(i, end).toString('latin1');
      i = end;
      if (this.line.length > 4096) throw new FramingError('chunk line too long');
      if (nl < 0) break;
      const line = this.line.replace(/\r?\n$/, '');
      this.line = '';
      if (this.chunkState === 'data-end') {
        if (line !== '') throw new FramingError('chunk data not followed by CRLF');
        this.chunkState = 'size';
      } else if (this.chunkState === 'size') {
        const m = /^([0-9a-fA-F]{1,12})[ \t]*(;.*)?$/.exec(line);
        if (!m) throw new FramingError(`bad chunk size line ${JSON.stringify(line.slice(0, 40))}`);
        this.remaining = parseInt(m[1], 16);
        this.chunkState = this.remaining === 0 ? 'trailers' : 'data';
      } else if (line === '') {
        this.finished = true;
      }
    }
    return { pieces, done: this.finished, extra: input.length - i };
  }
}
