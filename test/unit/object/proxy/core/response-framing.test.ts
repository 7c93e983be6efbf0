import { BodyFramer, framingOf, FramingError, headEnd, parseResponseHead, type Framing } from '../../../../../services/object/proxy/backend/response-framing';

const head = (status: number, headers: Record<string, string> = {}) => ({ status, headers });

/** Feeds `input` split at every position in `cuts`, collecting body bytes and the final state. */
function feedSplit(framing: Framing, input: string, cuts: number[]): { body: string; done: boolean; extra: number } {
  const f = new BodyFramer(framing);
  const buf = Buffer.from(input, 'latin1');
  const bounds = [0, ...cuts, buf.length];
  let body = '';
  let extra = 0;
  let done = f.done;
  for (let i = 0; i + 1 < bounds.length; i++) {
    const fed = f.feed(buf.subarray(bounds[i], bounds[i + 1]));
    body += Buffer.concat(fed.pieces).toString('latin1');
    extra += fed.extra;
    done = fed.done;
  }
  return { body, done, extra };
}

describe('parseResponseHead', () => {
  test('status, lower-cased names, repeated headers joined, set-cookie as a list', () => {
    const h = parseResponseHead('HTTP/1.1 206 Partial Content\r\nContent-Length: 3\r\nX-A: 1\r\nx-a: 2\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nEtag:  "e" ');
    expect(h.status).toBe(206);
    expect(h.headers).toEqual({ 'content-length': '3', 'x-a': '1, 2', 'set-cookie': ['a=1', 'b=2'], etag: '"e"' });
  });
  test('a status line without a reason, and HTTP/1.0', () => {
    expect(parseResponseHead('HTTP/1.1 204').status).toBe(204);
    expect(parseResponseHead('HTTP/1.0 200 OK').status).toBe(200);
  });
  test.each(['HTTP/2 200', 'HTTP/1.1 20 OK', 'junk', 'HTTP/1.1 200 OK\r\nno-colon', 'HTTP/1.1 200 OK\r\nbad name: x', 'HTTP/1.1 200 OK\r\n: x'])('refuses %j', (text) => {
    expect(() => parseResponseHead(text)).toThrow(FramingError);
  });
});

describe('headEnd', () => {
  test('the index after the blank line, searching from a point', () => {
    const b = Buffer.from('HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody');
    expect(headEnd(b)).toBe(b.length - 4);
    expect(headEnd(b, -10)).toBe(b.length - 4);
    expect(headEnd(Buffer.from('HTTP/1.1 200 OK\r\nA: b\r\n'))).toBe(-1);
  });
});

describe('framingOf', () => {
  test('no body for HEAD, 204, 304 and Content-Length 0', () => {
    expect(framingOf('HEAD', head(200, { 'content-length': '10' }))).toEqual({ kind: 'none' });
    expect(framingOf('GET', head(204))).toEqual({ kind: 'none' });
    expect(framingOf('GET', head(304, { 'content-length': '10' }))).toEqual({ kind: 'none' });
    expect(framingOf('GET', head(200, { 'content-length': '0' }))).toEqual({ kind: 'none' });
  });
  test('Content-Length (equal repeats allowed), chunked, else until close', () => {
    expect(framingOf('GET', head(200, { 'content-length': '12' }))).toEqual({ kind: 'length', length: 12 });
    expect(framingOf('GET', head(200, { 'content-length': '12, 12' }))).toEqual({ kind: 'length', length: 12 });
    expect(framingOf('GET', head(200, { 'transfer-encoding': 'chunked', 'content-length': '5' }))).toEqual({ kind: 'chunked' });
    expect(framingOf('GET', head(200, { 'transfer-encoding': 'gzip' }))).toEqual({ kind: 'close' });
    expect(framingOf('GET', head(200))).toEqual({ kind: 'close' });
  });
  test.each([{ 'content-length': '-1' }, { 'content-length': '1, 2' }, { 'content-length': 'x' }, { 'content-length': '1e3' }])('refuses %j', (h) => {
    expect(() => framingOf('GET', head(200, h))).toThrow(FramingError);
  });
  test('an interim response is an error (no request of the reader asks for one)', () => {
    expect(() => framingOf('GET', head(100))).toThrow(/interim/);
  });
});

describe('BodyFramer', () => {
  const chunked = '5\r\nhello\r\n1;ext=1\r\n \r\n6\r\nworld!\r\n0\r\nX-Trailer: t\r\n\r\n';
  test('Content-Length: exactly the framed bytes, extra bytes counted, at every split', () => {
    for (let cut = 0; cut <= 14; cut++) {
      expect(feedSplit({ kind: 'length', length: 10 }, '0123456789XYZ', [cut])).toEqual({ body: '0123456789', done: true, extra: 3 });
    }
    expect(feedSplit({ kind: 'length', length: 10 }, '01234', [])).toEqual({ body: '01234', done: false, extra: 0 });
  });
  test('chunked: extensions ignored, trailers skipped, split anywhere (every pair of cut points)', () => {
    const input = `${chunked}NEXT`;
    for (let a = 0; a <= input.length; a++) {
      for (let b = a; b <= input.length; b += 3) {
        expect(feedSplit({ kind: 'chunked' }, input, [a, b])).toEqual({ body: 'hello world!', done: true, extra: 4 });
      }
    }
  });
  test('chunked: not finished until the blank line after the last chunk', () => {
    expect(feedSplit({ kind: 'chunked' }, '5\r\nhello\r\n0\r\n', [])).toEqual({ body: 'hello', done: false, extra: 0 });
  });
  test.each(['zz\r\n', '5\r\nhelloXX\r\n', `${'1'.repeat(5000)}`])('chunked: malformed input %# is a FramingError', (bad) => {
    expect(() => feedSplit({ kind: 'chunked' }, bad, [])).toThrow(FramingError);
  });
  test('until close: everything is body, and only the end of input ends it', () => {
    const f = new BodyFramer({ kind: 'close' });
    expect(Buffer.concat(f.feed(Buffer.from('abc')).pieces).toString()).toBe('abc');
    expect(f.done).toBe(false);
    expect(f.endOfInput()).toBe(true);
    expect(new BodyFramer({ kind: 'length', length: 3 }).endOfInput()).toBe(false);
  });
  test('no body: done at once; anything fed is extra', () => {
    const f = new BodyFramer({ kind: 'none' });
    expect(f.done).toBe(true);
    expect(f.feed(Buffer.from('x'))).toEqual({ pieces: [], done: true, extra: 1 });
  });
  test('pieces are views of the input, not copies', () => {
    const input = Buffer.from('0123456789');
    const [piece] = new BodyFramer({ kind: 'length', length: 4 }).feed(input).pieces;
    expect(piece.buffer).toBe(input.buffer);
  });
});
