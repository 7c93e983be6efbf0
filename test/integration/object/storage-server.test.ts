/**
 * The storage server as a real process over HTTP: PUT/GET/HEAD/DELETE/POST, a 64 MiB streamed
 * object (with the server's RSS watched), ranges, conditionals, and the refusals that must leave
 * nothing on disk (ETag mismatch, truncated uploads, older timestamps).
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { hashPath } from '../../../services/object/common/hash-path';
import { parseFooterTail } from '../../../services/object/storage/diskfile/data-footer';
import { startStorage, waitFor, type StorageHandle } from './storage-harness';

const MiB = 1024 * 1024;
const md5 = (b: string | Buffer): string => createHash('md5').update(b).digest('hex');

let s: StorageHandle;
let clock = 1_700_000_000;
/** A fresh, strictly increasing X-Timestamp for each write. */
const ts = (): string => `${++clock}.00000`;
const obj = (name: string, device = 'sda'): string => `/${device}/5/AUTH_test/cont/${encodeURIComponent(name).replace(/%2F/g, '/')}`;

function hashDir(name: string, device = 'sda'): string {
  const h = hashPath('it-prefix', 'it-suffix', 'AUTH_test', 'cont', name);
  return path.join(s.devicesRoot, device, 'objects', '5', h.slice(-3), h);
}
const ls = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).sort() : []);
const tmpFiles = (device = 'sda'): string[] => ls(path.join(s.devicesRoot, device, 'tmp'));

async function put(name: string, body: string | Buffer, headers: Record<string, string | number> = {}): Promise<number> {
  const r = await s.request({ method: 'PUT', path: obj(name), headers: { 'X-Timestamp': ts(), 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body), ...headers }, body: Buffer.from(body) });
  return r.status;
}

beforeAll(async () => {
  s = await startStorage({ devices: ['sda', 'sdb'] });
});

afterAll(async () => {
  await s?.stop();
});

describe('storage server over HTTP', () => {
  test('PUT, GET, HEAD with metadata (UTF-8 values byte for byte)', async () => {
    const value = Buffer.from('bleu ciel ☁', 'utf8').toString('latin1');
    const t = ts();
    const r = await s.request({
      method: 'PUT',
      path: obj('dir/hello.txt'),
      headers: { 'X-Timestamp': t, 'Content-Type': 'text/plain', 'Content-Length': 11, 'X-Object-Meta-Color': value, ETag: md5('hello world'), 'Content-Disposition': 'inline' },
      // A Buffer, not a string: Node's client encodes the headers as UTF-8 when it sends them
      // together with a string body, which would double-encode the latin1 header value.
      body: Buffer.from('hello world'),
    });
    expect(r.status).toBe(201);
    expect(r.headers.etag).toBe(`"${md5('hello world')}"`);
    const g = await s.request({ method: 'GET', path: obj('dir/hello.txt') });
    expect(g.status).toBe(200);
    expect(g.body.toString()).toBe('hello world');
    expect(g.headers).toMatchObject({
      'content-type': 'text/plain',
      'content-length': '11',
      etag: `"${md5('hello world')}"`,
      'x-timestamp': t,
      'x-object-meta-color': value,
      'content-disposition': 'inline',
      'last-modified': new Date(Number(t.split('.')[0]) * 1000).toUTCString(),
    });
    const h = await s.request({ method: 'HEAD', path: obj('dir/hello.txt') });
    expect(h.status).toBe(200);
    expect(h.headers['content-length']).toBe('11');
    expect(h.body.length).toBe(0);
    // One file per version: the body, then the metadata footer.
    expect(ls(hashDir('dir/hello.txt'))).toEqual([`${t}.data`]);
    const stored = readFileSync(path.join(hashDir('dir/hello.txt'), `${t}.data`));
    expect(stored.subarray(0, 11).toString()).toBe('hello world');
    const footer = parseFooterTail(stored, stored.length);
    expect(footer.ok === true && footer.meta).toMatchObject({ name: '/AUTH_test/cont/dir/hello.txt', timestamp: t, contentLength: 11, etag: md5('hello world'), contentType: 'text/plain' });
  });

  test('a 64 MiB object streams through without the server holding it in memory', async () => {
    const size = 64 * MiB;
    const base = randomBytes(MiB);
    const sent = createHash('md5');
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < size / MiB; i++) {
          const chunk = Buffer.from(base);
          chunk.writeUInt32BE(i, 0);
          sent.update(chunk);
          yield chunk;
        }
      })(),
    );
    const baseline = s.rss();
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, s.rss())), 5);
    try {
      const t0 = process.hrtime.bigint();
      const r = await s.request({ method: 'PUT', path: obj('big'), headers: { 'X-Timestamp': ts(), 'Content-Type': 'application/octet-stream', 'Content-Length': size }, body: source });
      const putMs = Number(process.hrtime.bigint() - t0) / 1e6;
      expect(r.status).toBe(201);
      const etag = sent.digest('hex');
      expect(r.headers.etag).toBe(`"${etag}"`);

      const t1 = process.hrtime.bigint();
      const { got, bytes } = await new Promise<{ got: string; bytes: number }>((resolve, reject) => {
        httpRequest({ host: '127.0.0.1', port: s.port, path: obj('big') }, (res) => {
          const h = createHash('md5');
          let n = 0;
          res.on('data', (c: Buffer) => {
            h.update(c);
            n += c.length;
          });
          res.on('end', () => resolve({ got: h.digest('hex'), bytes: n }));
          res.on('error', reject);
        })
          .on('error', reject)
          .end();
      });
      const getMs = Number(process.hrtime.bigint() - t1) / 1e6;
      expect(bytes).toBe(size);
      expect(got).toBe(etag);
      // Streaming: nothing holds the object. What growth there is comes from dead socket-read
      // buffers of the PUT waiting for V8's external-memory GC (~30 MiB here, the same for a
      // 256 MiB object); holding the object would cost at least its 64 MiB.
      expect(peak - baseline).toBeLessThan(48 * MiB);
      process.stdout.write(
        `storage-server 64 MiB over loopback (fsync on): PUT ${(size / MiB / (putMs / 1000)).toFixed(0)} MiB/s, ` +
          `GET ${(size / MiB / (getMs / 1000)).toFixed(0)} MiB/s, server RSS ${(baseline / MiB).toFixed(0)} → peak ${(peak / MiB).toFixed(0)} MiB\n`,
      );
    } finally {
      clearInterval(sampler);
    }
  });

  test('Range: one range → 206, several → multipart 206, past the end → 416', async () => {
    expect(await put('range', '0123456789')).toBe(201);
    const a = await s.request({ method: 'GET', path: obj('range'), headers: { Range: 'bytes=2-4' } });
    expect(a.status).toBe(206);
    expect(a.body.toString()).toBe('234');
    expect(a.headers['content-range']).toBe('bytes 2-4/10');
    const b = await s.request({ method: 'GET', path: obj('range'), headers: { Range: 'bytes=-3' } });
    expect(b.body.toString()).toBe('789');
    const c = await s.request({ method: 'GET', path: obj('range'), headers: { Range: 'bytes=10-' } });
    expect(c.status).toBe(416);
    expect(c.headers['content-range']).toBe('bytes */10');
    const d = await s.request({ method: 'GET', path: obj('range'), headers: { Range: 'bytes=0-1,4-5' } });
    expect(d.status).toBe(206);
    expect(String(d.headers['content-type'])).toMatch(/^multipart\/byteranges;boundary=/);
    expect(d.body.toString()).toMatch(/Content-Range: bytes 0-1\/10\r\n\r\n01\r\n--.*Content-Range: bytes 4-5\/10\r\n\r\n45\r\n--.*--\r\n$/s);
    const e = await s.request({ method: 'GET', path: obj('range'), headers: { Range: 'bytes=0-1', 'If-Range': '"not-it"' } });
    expect(e.status).toBe(200);
  });

  test('conditional requests: 304 and 412', async () => {
    expect(await put('cond', 'abc')).toBe(201);
    const etag = md5('abc');
    const head = await s.request({ method: 'HEAD', path: obj('cond') });
    const lastModified = String(head.headers['last-modified']);
    const status = async (headers: Record<string, string>, name = 'cond'): Promise<number> => (await s.request({ method: 'GET', path: obj(name), headers })).status;
    const nm = await s.request({ method: 'GET', path: obj('cond'), headers: { 'If-None-Match': `"${etag}"` } });
    expect(nm.status).toBe(304);
    expect(nm.headers.etag).toBe(`"${etag}"`);
    expect(nm.body.length).toBe(0);
    expect(await status({ 'If-None-Match': '"other"' })).toBe(200);
    expect(await status({ 'If-Match': etag })).toBe(200);
    expect(await status({ 'If-Match': '"other"' })).toBe(412);
    expect(await status({ 'If-Modified-Since': lastModified })).toBe(304);
    expect(await status({ 'If-Modified-Since': 'Thu, 01 Jan 2015 00:00:00 GMT' })).toBe(200);
    expect(await status({ 'If-Unmodified-Since': 'Thu, 01 Jan 2015 00:00:00 GMT' })).toBe(412);
    expect(await status({ 'If-Match': '*' }, 'never-stored')).toBe(412);
    expect(await status({}, 'never-stored')).toBe(404);
  });

  test('ETag mismatch → 422 and nothing stored', async () => {
    const r = await s.request({ method: 'PUT', path: obj('bad-etag'), headers: { 'X-Timestamp': ts(), 'Content-Type': 'x', 'Content-Length': 3, ETag: md5('abd') }, body: 'abc' });
    expect(r.status).toBe(422);
    expect((await s.request({ method: 'HEAD', path: obj('bad-etag') })).status).toBe(404);
    expect(ls(hashDir('bad-etag'))).toEqual([]);
    expect(tmpFiles()).toEqual([]);
  });

  test.each([
    ['Content-Length', 'Content-Length: 1048576\r\n', (b: Buffer) => b],
    ['chunked', 'Transfer-Encoding: chunked\r\n', (b: Buffer) => Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')])],
  ])('a client that aborts mid-body (%s) leaves nothing behind', async (_kind, framing, frame) => {
    const name = `truncated-${_kind}`;
    const before = (await s.request({ method: 'GET', path: '/recon/stats' })).body.toString();
    const sock = connect(s.port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    sock.write(`PUT ${obj(name)} HTTP/1.1\r\nHost: x\r\nX-Timestamp: ${ts()}\r\nContent-Type: x\r\n${framing}\r\n`);
    sock.write(frame(Buffer.alloc(300_000, 1)));
    // The upload is really under way once its temp file exists.
    await waitFor(() => tmpFiles().length > 0, 'the temp file');
    sock.destroy();
    await waitFor(() => tmpFiles().length === 0, 'the temp file to go');
    expect((await s.request({ method: 'HEAD', path: obj(name) })).status).toBe(404);
    expect(ls(hashDir(name))).toEqual([]);
    await waitFor(async () => {
      const now = JSON.parse((await s.request({ method: 'GET', path: '/recon/stats' })).body.toString()) as { uploadsAborted: number };
      return now.uploadsAborted === (JSON.parse(before) as { uploadsAborted: number }).uploadsAborted + 1;
    }, 'the aborted upload to be counted');
  });

  test('an older PUT or DELETE arriving late → 409 and changes nothing', async () => {
    const t = ts();
    expect(await put('lww', 'newer', { 'X-Timestamp': t })).toBe(201);
    const older = `${clock - 1}.00000`;
    const p = await s.request({ method: 'PUT', path: obj('lww'), headers: { 'X-Timestamp': older, 'Content-Type': 'x', 'Content-Length': 5 }, body: 'older' });
    expect(p.status).toBe(409);
    expect(p.headers['x-backend-timestamp']).toBe(t);
    const d = await s.request({ method: 'DELETE', path: obj('lww'), headers: { 'X-Timestamp': older } });
    expect(d.status).toBe(409);
    const g = await s.request({ method: 'GET', path: obj('lww') });
    expect(g.body.toString()).toBe('newer');
    expect(ls(hashDir('lww'))).toEqual([`${t}.data`]);
    expect(tmpFiles()).toEqual([]);
  });

  test('Expect: 100-continue — a refused PUT is answered before any body byte is sent', async () => {
    const t = ts();
    expect(await put('expect', 'v1', { 'X-Timestamp': t })).toBe(201);
    const outcome = await new Promise<{ status: number; continued: boolean }>((resolve, reject) => {
      let continued = false;
      const req = httpRequest(
        { host: '127.0.0.1', port: s.port, method: 'PUT', path: obj('expect'), headers: { 'X-Timestamp': `${clock - 5}.00000`, 'Content-Type': 'x', 'Content-Length': 2, Expect: '100-continue' } },
        (res) => {
          res.resume();
          res.on('end', () => {
            req.destroy();
            resolve({ status: res.statusCode ?? 0, continued });
          });
        },
      );
      req.on('continue', () => {
        continued = true;
        req.end('v0');
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(outcome).toEqual({ status: 409, continued: false });
  });

  test('DELETE writes a tombstone (also for nothing, as Swift does); GET then says 404 with its timestamp', async () => {
    expect(await put('del', 'x')).toBe(201);
    const t = ts();
    const d = await s.request({ method: 'DELETE', path: obj('del'), headers: { 'X-Timestamp': t } });
    expect(d.status).toBe(204);
    const g = await s.request({ method: 'GET', path: obj('del') });
    expect(g.status).toBe(404);
    expect(g.headers['x-backend-timestamp']).toBe(t);
    expect(ls(hashDir('del'))).toEqual([`${t}.ts`]);
    const t2 = ts();
    expect((await s.request({ method: 'DELETE', path: obj('never-there'), headers: { 'X-Timestamp': t2 } })).status).toBe(404);
    expect(ls(hashDir('never-there'))).toEqual([`${t2}.ts`]);
  });

  test('POST replaces user metadata as of its timestamp; older → 409, missing → 404', async () => {
    expect(await put('post', 'x', { 'X-Object-Meta-Old': '1' })).toBe(201);
    const t = ts();
    const p = await s.request({ method: 'POST', path: obj('post'), headers: { 'X-Timestamp': t, 'X-Object-Meta-New': '2', 'Content-Type': 'image/png' } });
    expect(p.status).toBe(202);
    const h = await s.request({ method: 'HEAD', path: obj('post') });
    expect(h.headers['x-object-meta-new']).toBe('2');
    expect(h.headers['x-object-meta-old']).toBeUndefined();
    expect(h.headers['content-type']).toBe('image/png');
    expect(h.headers['x-timestamp']).toBe(t);
    expect((await s.request({ method: 'POST', path: obj('post'), headers: { 'X-Timestamp': `${clock - 1}.00000` } })).status).toBe(409);
    expect((await s.request({ method: 'POST', path: obj('no-such'), headers: { 'X-Timestamp': ts() } })).status).toBe(404);
    expect(ls(hashDir('no-such'))).toEqual([]);
  });

  test('bad requests: 400, 411, 405, 501, and an unknown device → 507', async () => {
    const tooMany = Object.fromEntries(Array.from({ length: 91 }, (_, i) => [`X-Object-Meta-K${i}`, 'v']));
    expect(await put('meta', 'x', tooMany)).toBe(400);
    expect(await put('meta', 'x', { 'X-Object-Meta-Big': 'v'.repeat(257) })).toBe(400);
    expect(ls(hashDir('meta'))).toEqual([]);
    expect((await s.request({ method: 'PUT', path: obj('x'), headers: { 'Content-Type': 'x', 'Content-Length': 1 }, body: 'x' })).status).toBe(400);
    expect((await s.request({ method: 'PUT', path: obj('x'), headers: { 'X-Timestamp': 'soon', 'Content-Type': 'x', 'Content-Length': 1 }, body: 'x' })).status).toBe(400);
    expect((await s.request({ method: 'GET', path: `/sda/5/AUTH_test/cont/${'o'.repeat(1025)}` })).status).toBe(400);
    expect((await s.request({ method: 'GET', path: '/sda/5/AUTH_test/cont/%FF' })).status).toBe(400);
    expect((await s.request({ method: 'GET', path: '/sda/5/AUTH_test/cont' })).status).toBe(501);
    expect((await s.request({ method: 'PATCH', path: obj('x') })).status).toBe(405);
    expect((await s.request({ method: 'GET', path: obj('x', 'sdz') })).status).toBe(507);
    expect(await s.request({ method: 'PUT', path: obj('x', 'sdz'), headers: { 'X-Timestamp': ts(), 'Content-Type': 'x', 'Content-Length': 1 }, body: 'x' })).toMatchObject({ status: 507 });

    // Neither Content-Length nor chunked: 411 (written by hand, Node's client always frames bodies).
    const reply = await new Promise<string>((resolve) => {
      const sock = connect(s.port, '127.0.0.1', () => sock.write(`PUT ${obj('x')} HTTP/1.1\r\nHost: x\r\nX-Timestamp: ${ts()}\r\nContent-Type: x\r\nConnection: close\r\n\r\n`));
      let buf = '';
      sock.on('data', (d: Buffer) => (buf += d.toString()));
      sock.on('close', () => resolve(buf));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 411 /);
  });

  test('devices are independent', async () => {
    const r = await s.request({ method: 'PUT', path: obj('per-device', 'sdb'), headers: { 'X-Timestamp': ts(), 'Content-Type': 'x', 'Content-Length': 1 }, body: 'b' });
    expect(r.status).toBe(201);
    expect((await s.request({ method: 'GET', path: obj('per-device', 'sdb') })).body.toString()).toBe('b');
    expect((await s.request({ method: 'GET', path: obj('per-device', 'sda') })).status).toBe(404);
  });

  describe('the proxy\'s digest in trailers (X-Backend-Digest-Trailer: crc32)', () => {
    /** A chunked PUT whose MD5 and CRC-32 follow the body as trailers (as the proxy sends large bodies). */
    function putWithTrailers(name: string, body: Buffer, trailers: Record<string, string> | undefined, length = body.length): Promise<number> {
      return new Promise((resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port: s.port,
            method: 'PUT',
            path: obj(name),
            headers: { 'X-Timestamp': ts(), 'Content-Type': 'application/octet-stream', 'Transfer-Encoding': 'chunked', 'X-Backend-Digest-Trailer': 'crc32', 'X-Backend-Obj-Content-Length': length },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.write(body.subarray(0, 1000));
        req.write(body.subarray(1000));
        if (trailers) req.addTrailers(trailers);
        req.end();
      });
    }
    const body = randomBytes(300_000);
    const crc = crc32(body).toString(16);

    test('a body whose CRC-32 matches is stored under the sender\'s MD5, which is the real one', async () => {
      expect(await putWithTrailers('trailer-ok', body, { 'X-Backend-Obj-Etag': md5(body), 'X-Backend-Obj-Crc32': crc })).toBe(201);
      const g = await s.request({ method: 'GET', path: obj('trailer-ok') });
      expect(g.status).toBe(200);
      expect(g.headers.etag).toBe(`"${md5(body)}"`);
      expect(md5(g.body)).toBe(md5(body));
    });

    test.each([
      ['a CRC-32 that does not match the bytes', () => ({ 'X-Backend-Obj-Etag': md5(body), 'X-Backend-Obj-Crc32': (crc32(body) ^ 1).toString(16) })],
      ['no trailers at all', () => undefined],
      ['a malformed MD5', () => ({ 'X-Backend-Obj-Etag': 'nope', 'X-Backend-Obj-Crc32': crc })],
    ])('%s: refused (422) and nothing stored', async (_what, trailers) => {
      const name = `trailer-bad-${Math.random().toString(16).slice(2)}`;
      expect(await putWithTrailers(name, body, trailers())).toBe(422);
      expect(ls(hashDir(name))).toEqual([]);
      expect((await s.request({ method: 'GET', path: obj(name) })).status).toBe(404);
    });

    test('a body shorter than X-Backend-Obj-Content-Length is refused and nothing stored', async () => {
      expect(await putWithTrailers('trailer-short', body, { 'X-Backend-Obj-Etag': md5(body), 'X-Backend-Obj-Crc32': crc }, body.length + 1)).toBeGreaterThanOrEqual(400);
      expect(ls(hashDir('trailer-short'))).toEqual([]);
    });
  });
});
