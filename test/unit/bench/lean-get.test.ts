import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { LeanGetConnection, LeanGetPool, parseResponseHead, PatternMatcher, type ExpectedBody } from '../../../tools/bench/lean-get';

/** The expected body spelled out: `pattern` repeated, cut at `length`. */
function materialize({ pattern, length }: ExpectedBody): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += pattern.length) pattern.copy(out, i, 0, Math.min(pattern.length, length - i));
  return out;
}

function flipped(body: Buffer, at: number): Buffer {
  const copy = Buffer.from(body);
  copy[at] ^= 0x01;
  return copy;
}

/** Feeds `body` in chunks of the given sizes (cycled) and returns the matcher's verdict. */
function feedInChunks(expected: ExpectedBody, body: Buffer, sizes: readonly number[]): number | undefined {
  const m = new PatternMatcher(expected);
  for (let i = 0, k = 0; i < body.length; k++) {
    const n = sizes[k % sizes.length];
    m.feed(body.subarray(i, i + n));
    i += n;
  }
  expect(m.bytes).toBe(body.length);
  return m.mismatchAt;
}

describe('parseResponseHead', () => {
  test('status, lower-cased headers and the length', () => {
    const h = parseResponseHead('HTTP/1.1 200 OK\r\nContent-Length: 12\r\nETag: "abc"\r\nX-Trans-Id: tx1');
    expect(h.status).toBe(200);
    expect(h.length).toBe(12);
    expect(h.headers.get('etag')).toBe('"abc"');
    expect(h.headers.get('x-trans-id')).toBe('tx1');
  });
  test('refuses what the bench cannot frame or read', () => {
    expect(() => parseResponseHead('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked')).toThrow(/Transfer-Encoding/);
    expect(() => parseResponseHead('HTTP/1.1 200 OK\r\nX-A: b')).toThrow(/Content-Length/);
    expect(() => parseResponseHead('HTTP/1.1 200 OK\r\nContent-Length: -1')).toThrow(/Content-Length/);
    expect(() => parseResponseHead('HTTP/2 200\r\nContent-Length: 1')).toThrow(/status line/);
    expect(() => parseResponseHead('HTTP/1.1 200 OK\r\nno colon')).toThrow(/header line/);
  });
});

describe('PatternMatcher', () => {
  const pattern = Buffer.from('0123456789');
  const expected: ExpectedBody = { pattern, length: 25 };
  const body = Buffer.from('0123456789012345678901234');
  const chunkings: number[][] = [[25], [1], [3], [7], [10], [9, 2], [13, 1, 4], [26]];

  test('the pattern repeated and cut at the length matches, however it is split', () => {
    expect(materialize(expected)).toEqual(body);
    for (const sizes of chunkings) expect(feedInChunks(expected, body, sizes)).toBeUndefined();
  });

  test('one flipped byte anywhere is found at its offset, however the body is split', () => {
    for (let at = 0; at < body.length; at++) for (const sizes of chunkings) expect(feedInChunks(expected, flipped(body, at), sizes)).toBe(at);
  });

  test('keeps what arrived at the first difference, up to 32 bytes of its chunk', () => {
    const m = new PatternMatcher(expected);
    m.feed(body.subarray(0, 3));
    expect(m.received).toBeUndefined();
    m.feed(Buffer.from('3x5678901234'));
    m.feed(Buffer.from('y'));
    expect([m.mismatchAt, m.received?.toString()]).toEqual([4, 'x5678901234']);
    const big = new PatternMatcher({ pattern: Buffer.from('a'), length: 100 });
    big.feed(Buffer.alloc(100, 'b'));
    expect([big.mismatchAt, big.received?.length]).toEqual([0, 32]);
    const long = new PatternMatcher({ pattern, length: 3 });
    long.feed(Buffer.from('01234'));
    expect([long.mismatchAt, long.received?.toString()]).toEqual([3, '34']);
    const short = new PatternMatcher({ pattern, length: 3 });
    short.feed(Buffer.from('01'));
    expect([short.mismatchAt, short.received]).toEqual([2, undefined]);
  });

  test('only the first of several differences is reported', () => {
    expect(feedInChunks(expected, flipped(flipped(body, 20), 12), [4])).toBe(12);
  });

  test('a short body differs where it ends, a long one where it overruns', () => {
    for (const sizes of chunkings) {
      expect(feedInChunks(expected, body.subarray(0, 24), sizes)).toBe(24);
      expect(feedInChunks(expected, body.subarray(0, 0), sizes)).toBe(0);
      expect(feedInChunks(expected, Buffer.concat([body, Buffer.from('5')]), sizes)).toBe(25);
    }
    // A long body whose extra bytes even continue the pattern is still wrong.
    expect(feedInChunks({ pattern, length: 20 }, body, [25])).toBe(20);
  });

  test('an empty expected body, and a pattern longer than the body', () => {
    expect(new PatternMatcher({ pattern, length: 0 }).mismatchAt).toBeUndefined();
    expect(new PatternMatcher({ pattern: Buffer.alloc(0), length: 0 }).mismatchAt).toBeUndefined();
    expect(feedInChunks({ pattern, length: 4 }, Buffer.from('0123'), [1])).toBeUndefined();
    expect(feedInChunks({ pattern, length: 4 }, Buffer.from('0124'), [1])).toBe(3);
  });

  test('refuses expectations no body can meet', () => {
    expect(() => new PatternMatcher({ pattern: Buffer.alloc(0), length: 1 })).toThrow(/empty pattern/);
    expect(() => new PatternMatcher({ pattern, length: -1 })).toThrow(/length/);
    expect(() => new PatternMatcher({ pattern, length: 1.5 })).toThrow(/length/);
  });

  test('random patterns, lengths, splits and flips agree with a byte-by-byte comparison', () => {
    for (let round = 0; round < 200; round++) {
      const p = randomBytes(1 + Math.floor(Math.random() * 40));
      const e: ExpectedBody = { pattern: p, length: Math.floor(Math.random() * 200) };
      const good = materialize(e);
      const sizes = Array.from({ length: 1 + Math.floor(Math.random() * 5) }, () => 1 + Math.floor(Math.random() * 60));
      expect(feedInChunks(e, good, sizes)).toBeUndefined();
      if (good.length > 0) {
        const at = Math.floor(Math.random() * good.length);
        expect(feedInChunks(e, flipped(good, at), sizes)).toBe(at);
      }
    }
  });
});

describe('LeanGetConnection against a real HTTP server', () => {
  let server: Server;
  let port: number;
  const block = randomBytes(64 * 1024 + 7); // odd, so chunk edges and pattern edges rarely meet
  const largeBody: ExpectedBody = { pattern: block, length: 3 * 1024 * 1024 + 11 };
  const large = materialize(largeBody);
  const bodies = new Map<string, Buffer>([
    ['/small', Buffer.from('hello world')],
    ['/large', large],
    ['/empty', Buffer.alloc(0)],
  ]);
  const expectedOf: Record<string, ExpectedBody> = {
    '/small': { pattern: Buffer.from('hello world'), length: 11 },
    '/large': largeBody,
    '/empty': { pattern: Buffer.alloc(0), length: 0 },
    '/missing': { pattern: Buffer.from('not found'), length: 9 },
  };
  // Bodies that differ from /large in one byte: the first, the first byte of the second block
  // (a pattern boundary), the last byte of the first block, and the last byte of the body.
  const flips = [0, block.length, block.length - 1, large.length - 1];
  for (const at of flips) bodies.set(`/flip-${at}`, flipped(large, at));
  bodies.set('/longer', Buffer.concat([large, block.subarray(0, 5)]));
  bodies.set('/shorter', large.subarray(0, large.length - 1));

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.method === 'PUT') {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const got = Buffer.concat(chunks);
          if (req.url === '/refuse') return void res.writeHead(422, { 'Content-Length': 7 }).end('refused');
          bodies.set(req.url ?? '', got);
          res.writeHead(201, { 'Content-Length': 0, ETag: `"${createHash('md5').update(got).digest('hex')}"`, 'X-Length-Header': String(req.headers['content-length']) }).end();
        });
        return;
      }
      const body = bodies.get(req.url ?? '');
      if (!body) {
        res.writeHead(404, { 'Content-Length': 9 }).end('not found');
        return;
      }
      res.writeHead(200, { 'Content-Length': body.length, ETag: `"${req.headers['x-tag'] ?? 'none'}"` });
      // Many small writes of odd sizes, so reads end at odd offsets across pattern boundaries.
      const sizes = [4093, 17, 65_537, 1, 30_011];
      for (let i = 0, k = 0; i < body.length; k++) {
        const n = sizes[k % sizes.length];
        res.write(body.subarray(i, i + n));
        i += n;
      }
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  test('reads bodies on one keep-alive connection, compared with the expected ones, with their headers', async () => {
    const conn = new LeanGetConnection('127.0.0.1', port);
    try {
      for (const path of ['/small', '/large', '/empty', '/small', '/missing', '/large']) {
        const r = await conn.get(path, { 'X-Tag': 't1' }, expectedOf[path]);
        expect(r.status).toBe(path === '/missing' ? 404 : 200);
        expect(r.bytes).toBe(expectedOf[path].length);
        expect(r.matches).toBe(true);
        expect(r.mismatchAt).toBeUndefined();
        expect(r.received).toBeUndefined();
        if (path !== '/missing') expect(r.headers.get('etag')).toBe('"t1"');
      }
    } finally {
      conn.close();
    }
  });

  test('a body of the right length with one flipped byte does not match, and the offset is reported', async () => {
    const conn = new LeanGetConnection('127.0.0.1', port);
    try {
      for (const at of flips) {
        const r = await conn.get(`/flip-${at}`, {}, largeBody);
        expect(r.status).toBe(200);
        expect(r.bytes).toBe(large.length);
        expect([r.matches, r.mismatchAt]).toEqual([false, at]);
        expect(r.received?.[0]).toBe(large[at] ^ 0x01);
        expect(r.received?.subarray(1)).toEqual(large.subarray(at + 1, at + (r.received?.length ?? 0)));
      }
      // The connection is still in step after mismatches: a good body still matches.
      expect((await conn.get('/large', {}, largeBody)).matches).toBe(true);
      // The same bytes against a different expectation do not match.
      expect((await conn.get('/small', {}, { pattern: Buffer.from('hello'), length: 11 })).mismatchAt).toBe(5);
    } finally {
      conn.close();
    }
  });

  test('a body longer or shorter than expected (by its Content-Length) does not match', async () => {
    const conn = new LeanGetConnection('127.0.0.1', port);
    try {
      const longer = await conn.get('/longer', {}, largeBody);
      expect([longer.matches, longer.mismatchAt, longer.bytes]).toEqual([false, large.length, large.length + 5]);
      // The overrun starts the pattern again; what arrived there is kept.
      expect(longer.received?.length).toBeGreaterThan(0);
      expect(longer.received).toEqual(block.subarray(0, longer.received?.length));
      const shorter = await conn.get('/shorter', {}, largeBody);
      expect([shorter.matches, shorter.mismatchAt, shorter.bytes]).toEqual([false, large.length - 1, large.length - 1]);
    } finally {
      conn.close();
    }
  });

  test('a pool replaces a connection the server closed while it was idle', async () => {
    const pool = new LeanGetPool('127.0.0.1', port);
    try {
      expect((await pool.get('/small', {}, expectedOf['/small'])).status).toBe(200);
      server.closeIdleConnections();
      await new Promise((r) => setTimeout(r, 50));
      expect((await pool.get('/small', {}, expectedOf['/small'])).matches).toBe(true);
      expect((await pool.get('/large', {}, largeBody)).matches).toBe(true);
      expect((await pool.get('/flip-0', {}, largeBody)).matches).toBe(false);
    } finally {
      pool.close();
    }
  });

  test('PUTs whole bodies on the same keep-alive connection as GETs; a refusal shows as a status and a mismatch', async () => {
    const conn = new LeanGetConnection('127.0.0.1', port);
    try {
      const body = randomBytes(4096);
      const put = await conn.put('/put-1', { 'X-Tag': 'p' }, body);
      expect([put.status, put.matches, put.bytes]).toEqual([201, true, 0]);
      expect(put.headers.get('etag')).toBe(`"${createHash('md5').update(body).digest('hex')}"`);
      expect(put.headers.get('x-length-header')).toBe('4096');
      expect(bodies.get('/put-1')).toEqual(body);
      // Still in step: the stored bytes come back on the same connection.
      expect((await conn.get('/put-1', {}, { pattern: body, length: body.length })).matches).toBe(true);
      const refused = await conn.put('/refuse', {}, Buffer.from('x'));
      expect([refused.status, refused.matches, refused.bytes]).toEqual([422, false, 7]);
      const empty = await conn.put('/put-empty', {}, Buffer.alloc(0));
      expect([empty.status, empty.matches]).toEqual([201, true]);
      expect(bodies.get('/put-empty')).toEqual(Buffer.alloc(0));
    } finally {
      conn.close();
    }
  });

  test('refuses an impossible expectation before sending anything', async () => {
    const conn = new LeanGetConnection('127.0.0.1', port);
    try {
      await expect(conn.get('/small', {}, { pattern: Buffer.alloc(0), length: 11 })).rejects.toThrow(/empty pattern/);
      expect((await conn.get('/small', {}, expectedOf['/small'])).matches).toBe(true);
    } finally {
      conn.close();
    }
  });
});

describe('LeanGetConnection against a raw server', () => {
  /** A raw TCP server answering the n-th request on a connection with script[n]. */
  async function withRawServer(script: ((s: Socket) => void)[], run: (port: number) => Promise<void>): Promise<void> {
    const sockets: Socket[] = [];
    const raw = createNetServer((s) => {
      sockets.push(s);
      let n = 0;
      s.on('data', () => script[n++]?.(s));
    });
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    try {
      await run((raw.address() as AddressInfo).port);
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise((r) => raw.close(r));
    }
  }
  const abcde: ExpectedBody = { pattern: Buffer.from('abcde'), length: 5 };

  test('a head split across reads, and a response cut short, are handled', async () => {
    await withRawServer(
      [
        (s) => {
          s.write('HTTP/1.1 200 OK\r\nContent-Le');
          setTimeout(() => s.write('ngth: 5\r\n\r'), 20);
          setTimeout(() => s.write('\nabcde'), 40);
        },
        (s) => {
          s.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
          setTimeout(() => s.destroy(), 20);
        },
      ],
      async (port) => {
        const conn = new LeanGetConnection('127.0.0.1', port);
        try {
          const r = await conn.get('/x', {}, abcde);
          expect([r.matches, r.bytes]).toEqual([true, 5]);
          await expect(conn.get('/y', {}, { pattern: Buffer.from('abc'), length: 10 })).rejects.toThrow(/closed/);
          expect(conn.usable).toBe(false);
        } finally {
          conn.close();
        }
      },
    );
  });

  test('bytes past the Content-Length fail the request', async () => {
    await withRawServer([(s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcdefg')], async (port) => {
      const conn = new LeanGetConnection('127.0.0.1', port);
      try {
        await expect(conn.get('/x', {}, abcde)).rejects.toThrow(/past the body's end/);
        expect(conn.usable).toBe(false);
      } finally {
        conn.close();
      }
    });
  });
});
