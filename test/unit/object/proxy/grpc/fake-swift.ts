/**
 * A tiny in-memory Swift behind the pipeline's Handler interface: enough of the proxy's
 * behaviour (statuses, headers, JSON listings, ETag check, ranges) to drive the gRPC face over a
 * real loopback connection without any storage process. Records every request it sees.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Handler, ProxyRequest, ProxyResponse } from '../../../../../services/object/proxy/app/types';

interface StoredObject {
  body: Buffer;
  etag: string;
  contentType: string;
  meta: Record<string, string>;
  timestamp: string;
}

const text = (status: number, body: string): ProxyResponse => ({ status, headers: { 'Content-Type': 'text/html; charset=UTF-8' }, body: `<html><h1>${body}</h1></html>` });

/** Streams a buffer in pieces larger than the face's 64 KiB chunks, as a storage read would. */
function pieces(buf: Buffer, size = 100 * 1024): Readable {
  let i = 0;
  return new Readable({
    read() {
      if (i >= buf.length) return void this.push(null);
      this.push(buf.subarray(i, i + size));
      i += size;
    },
  });
}

export class FakeSwift {
  readonly requests: ProxyRequest[] = [];
  readonly containers = new Map<string, Record<string, string>>();
  readonly objects = new Map<string, StoredObject>();
  /** Bytes the face has pulled from the `endless` object's body (a 1 GiB stream made on demand). */
  endlessPulled = 0;
  /** Set to make the next call throw (a pipeline bug). */
  throwNext = false;
  private clock = 1_700_000_000;

  readonly handler: Handler = async (req) => {
    this.requests.push(req);
    if (this.throwNext) {
      this.throwNext = false;
      throw new Error('secret internal failure');
    }
    const res = await this.route(req);
    res.headers['X-Trans-Id'] = req.transId;
    return res;
  };

  private async route(req: ProxyRequest): Promise<ProxyResponse> {
    if (req.container === undefined) {
      if (req.method === 'HEAD') return { status: 204, headers: { 'X-Account-Container-Count': String(this.containers.size), 'X-Account-Meta-Owner': 'x' } };
      return text(405, 'Method Not Allowed');
    }
    const cKey = `${req.account}/${req.container}`;
    if (req.object === undefined) return this.container(req, cKey);
    if (!this.containers.has(cKey)) {
      req.body?.resume();
      return text(404, 'Not Found');
    }
    const key = `${cKey}/${req.object}`;
    if (req.object === 'endless' && req.method === 'GET') return this.endless();
    if (req.object.length > 1024) return text(400, `Object name length of ${req.object.length} longer than 1024`);
    switch (req.method) {
      case 'PUT':
        return this.putObject(req, key);
      case 'GET':
      case 'HEAD':
        return this.getObject(req, key);
      case 'POST': {
        const o = this.objects.get(key);
        if (!o) return text(404, 'Not Found');
        o.meta = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.startsWith('x-object-meta-')));
        return { status: 202, headers: {} };
      }
      case 'DELETE':
        return this.objects.delete(key) ? { status: 204, headers: {} } : text(404, 'Not Found');
      default:
        return text(405, 'Method Not Allowed');
    }
  }

  private endless(): ProxyResponse {
    const size = 1024 * 1024 * 1024;
    const piece = Buffer.alloc(256 * 1024, 7);
    this.endlessPulled = 0;
    const body = new Readable({
      read: () => {
        if (this.endlessPulled >= size) return void body.push(null);
        this.endlessPulled += piece.length;
        body.push(piece);
      },
    });
    return { status: 200, headers: { 'Content-Length': size, Etag: 'x' }, body };
  }

  private async putObject(req: ProxyRequest, key: string): Promise<ProxyResponse> {
    const parts: Buffer[] = [];
    try {
      for await (const p of req.body as AsyncIterable<Buffer>) parts.push(p);
    } catch {
      return text(499, 'Client Disconnect');
    }
    const body = Buffer.concat(parts);
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) !== body.length) return text(499, 'Client Disconnect');
    const etag = createHash('md5').update(body).digest('hex');
    if (req.headers.etag && req.headers.etag !== etag) return text(422, 'Unprocessable Entity');
    const meta = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.startsWith('x-object-meta-')));
    const timestamp = `${++this.clock}.00000`;
    this.objects.set(key, { body, etag, contentType: req.headers['content-type'] ?? 'application/octet-stream', meta, timestamp });
    return { status: 201, headers: { Etag: etag, 'Last-Modified': new Date(this.clock * 1000).toUTCString(), 'X-Timestamp': timestamp }, body: '201 Created' };
  }

  private getObject(req: ProxyRequest, key: string): ProxyResponse {
    const o = this.objects.get(key);
    if (!o) return text(404, 'Not Found');
    const headers: ProxyResponse['headers'] = {
      Etag: o.etag,
      'Content-Type': o.contentType,
      'Last-Modified': new Date(Number(o.timestamp.split('.')[0]) * 1000).toUTCString(),
      'X-Timestamp': o.timestamp,
    };
    for (const [k, v] of Object.entries(o.meta)) headers[k.replace('x-object-meta-', 'X-Object-Meta-')] = v;
    const inm = req.headers['if-none-match'];
    if (inm && (inm === '*' || inm.replace(/"/g, '') === o.etag)) return { status: 304, headers };
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      const size = o.body.length;
      let first: number;
      let last: number;
      if (range[1] === '') {
        first = Math.max(0, size - Number(range[2]));
        last = size - 1;
      } else {
        first = Number(range[1]);
        last = range[2] === '' ? size - 1 : Math.min(Number(range[2]), size - 1);
      }
      if (first >= size) return { status: 416, headers: { 'Content-Range': `bytes */${size}` }, body: 'Requested Range Not Satisfiable' };
      headers['Content-Range'] = `bytes ${first}-${last}/${size}`;
      headers['Content-Length'] = last - first + 1;
      return { status: 206, headers, body: req.method === 'HEAD' ? undefined : pieces(o.body.subarray(first, last + 1)) };
    }
    headers['Content-Length'] = o.body.length;
    return { status: 200, headers, body: req.method === 'HEAD' ? undefined : pieces(o.body) };
  }

  private container(req: ProxyRequest, cKey: string): ProxyResponse {
    const meta = this.containers.get(cKey);
    const prefix = `${cKey}/`;
    const names = [...this.objects.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)).sort();
    const stats = { 'X-Container-Object-Count': String(names.length), 'X-Container-Bytes-Used': String(names.reduce((n, k) => n + this.objects.get(prefix + k)!.body.length, 0)) };
    switch (req.method) {
      case 'PUT': {
        const fresh: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (k.startsWith('x-container-')) fresh[k] = v;
        this.containers.set(cKey, { ...(meta ?? {}), ...fresh });
        return { status: meta ? 202 : 201, headers: {} };
      }
      case 'HEAD':
        return meta ? { status: 204, headers: { ...stats, ...meta, 'X-Timestamp': '1700000000.00000' } } : text(404, 'Not Found');
      case 'DELETE':
        if (!meta) return text(404, 'Not Found');
        if (names.length) return text(409, 'Conflict');
        this.containers.delete(cKey);
        return { status: 204, headers: {} };
      case 'GET': {
        if (!meta) return text(404, 'Not Found');
        const limit = Number(req.query.get('limit') ?? 10000);
        if (limit > 10000) return text(412, 'Maximum limit is 10000');
        const marker = req.query.get('marker') ?? '';
        const listed = names.filter((n) => n > marker).slice(0, limit);
        const body = JSON.stringify(listed.map((name) => ({ name, hash: this.objects.get(prefix + name)!.etag, bytes: this.objects.get(prefix + name)!.body.length, content_type: 'x/y', last_modified: '2020-01-01T00:00:00.000000' })));
        return { status: 200, headers: { ...stats, 'Content-Type': 'application/json; charset=utf-8' }, body: Buffer.from(body) };
      }
      default:
        return text(405, 'Method Not Allowed');
    }
  }
}
