/**
 * The small-object PUT batch codec: what a proxy encodes decodes to the same entries (names,
 * lower-cased headers, bodies byte for byte), and any malformed request is refused whole with a
 * reason, so a garbled batch can never store a half-understood entry. The reply decoder accepts
 * only a well-formed answer of exactly the expected length.
 */
import {
  decodeBatch,
  decodeReplies,
  encodeBatch,
  encodeReplies,
  OBJECT_BATCH_MAX_BODY,
  OBJECT_BATCH_MAX_ENTRIES,
  type BatchPut,
  type BatchReply,
} from '../../../../../services/object/common/object-batch';

const entry = (over: Partial<BatchPut> = {}): BatchPut => ({
  partition: '7',
  account: 'AUTH_test',
  container: 'cont',
  object: 'obj',
  headers: { 'x-timestamp': '1700000000.00000', 'content-type': 'text/plain', 'content-length': '3' },
  body: Buffer.from('abc'),
  ...over,
});

const wire = (entries: BatchPut[]): Buffer => Buffer.concat(encodeBatch(entries));

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n, 0);
  return b;
};

/** One entry framed by hand: a head of any bytes and a body. */
const raw = (head: string | Buffer, body: Buffer = Buffer.alloc(0)): Buffer => {
  const h = typeof head === 'string' ? Buffer.from(head, 'utf8') : head;
  return Buffer.concat([u32(h.length), h, u32(body.length), body]);
};

/** One entry with an arbitrary head object (JSON-encoded). */
const rawHead = (head: unknown, body?: Buffer): Buffer => raw(JSON.stringify(head), body);

const validHead = { partition: '7', account: 'AUTH_test', container: 'cont', object: 'obj', headers: { 'x-timestamp': '1700000000.00000' } };

/** Refused, with a message matching `why`. */
function refused(buf: Buffer, why: RegExp): void {
  const r = decodeBatch(buf);
  expect(typeof r).toBe('string');
  expect(r as string).toMatch(why);
}

describe('encodeBatch → decodeBatch', () => {
  test('several entries round-trip: names, headers and binary bodies (including an empty one)', () => {
    const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const entries = [
      entry({ object: 'a', body: binary }),
      entry({ object: 'empty', body: Buffer.alloc(0), headers: { 'content-length': '0', 'x-timestamp': '1700000001.00000' } }),
      entry({ partition: '0', account: 'AUTH_ünï', container: 'cöntainer ☃', object: 'dir/sub/名前 with spaces/😀', body: Buffer.from('\u0000\xff\r\n', 'latin1') }),
      entry({ partition: '4294967295', object: 'max-body', body: Buffer.alloc(OBJECT_BATCH_MAX_BODY, 0xa5) }),
    ];
    const decoded = decodeBatch(wire(entries));
    if (typeof decoded === 'string') throw new Error(decoded);
    expect(decoded).toHaveLength(entries.length);
    decoded.forEach((d, i) => {
      const e = entries[i]!;
      expect({ partition: d.partition, account: d.account, container: d.container, object: d.object, headers: d.headers }).toEqual({
        partition: e.partition,
        account: e.account,
        container: e.container,
        object: e.object,
        headers: e.headers,
      });
      expect(d.body.equals(e.body)).toBe(true);
    });
    expect(decoded[1]!.body.length).toBe(0);
  });

  test('header names arrive lower-cased, values untouched', () => {
    const decoded = decodeBatch(wire([entry({ headers: { 'Content-Type': 'Text/Plain', 'X-Object-Meta-Color': 'Blue Sky', ETAG: 'ABC' } })]));
    if (typeof decoded === 'string') throw new Error(decoded);
    expect(decoded[0]!.headers).toEqual({ 'content-type': 'Text/Plain', 'x-object-meta-color': 'Blue Sky', etag: 'ABC' });
  });

  test('a head with unknown extra fields is still an entry (only the named fields are read)', () => {
    const decoded = decodeBatch(rawHead({ ...validHead, extra: 1 }, Buffer.from('xy')));
    if (typeof decoded === 'string') throw new Error(decoded);
    expect(decoded.map((d) => [d.object, d.body.toString()])).toEqual([['obj', 'xy']]);
  });

  test('bodies are not copied: encode hands out the body itself, decode gives views into the request', () => {
    const body = Buffer.from('shared bytes');
    const pieces = encodeBatch([entry({ body })]);
    expect(pieces).toContain(body);
    const buf = Buffer.concat(pieces);
    const decoded = decodeBatch(buf);
    if (typeof decoded === 'string') throw new Error(decoded);
    expect(decoded[0]!.body.buffer).toBe(buf.buffer);
    buf[buf.length - 1] = 0x21; // '!'
    expect(decoded[0]!.body.toString()).toBe('shared byte!');
  });

  test(`${OBJECT_BATCH_MAX_ENTRIES} entries are a batch, one more is refused whole`, () => {
    const many = (n: number): BatchPut[] => Array.from({ length: n }, (_, i) => entry({ object: `o${i}` }));
    const ok = decodeBatch(wire(many(OBJECT_BATCH_MAX_ENTRIES)));
    expect(Array.isArray(ok) && ok.length).toBe(OBJECT_BATCH_MAX_ENTRIES);
    refused(wire(many(OBJECT_BATCH_MAX_ENTRIES + 1)), new RegExp(`1 to ${OBJECT_BATCH_MAX_ENTRIES} entries`));
  });

  test(`a body of exactly ${OBJECT_BATCH_MAX_BODY} bytes is taken, one byte more is refused`, () => {
    expect(Array.isArray(decodeBatch(rawHead(validHead, Buffer.alloc(OBJECT_BATCH_MAX_BODY))))).toBe(true);
    refused(rawHead(validHead, Buffer.alloc(OBJECT_BATCH_MAX_BODY + 1)), new RegExp(`entry 0: body larger than ${OBJECT_BATCH_MAX_BODY}`));
    // The announced length alone decides: the bytes need not even be there.
    refused(Buffer.concat([raw(JSON.stringify(validHead)).subarray(0, -4), u32(OBJECT_BATCH_MAX_BODY + 1)]), /entry 0: body larger than/);
  });

  test('a head of several KiB is taken; one of 16 KiB (or announced as such) is refused', () => {
    const big = { ...validHead, headers: { ...validHead.headers, 'x-object-meta-big': 'v'.repeat(12 * 1024) } };
    expect(Array.isArray(decodeBatch(rawHead(big)))).toBe(true);
    const huge = { ...validHead, headers: { ...validHead.headers, 'x-object-meta-big': 'v'.repeat(16 * 1024) } };
    refused(rawHead(huge), /entry 0: head larger than \d+ bytes/);
    refused(u32(16 * 1024), /entry 0: head larger than/);
    refused(u32(0xffffffff), /entry 0: head larger than/);
  });
});

describe('decodeBatch refuses a malformed request whole', () => {
  const good = (): Buffer => wire([entry({ object: 'first' })]);

  test('an empty request', () => {
    refused(Buffer.alloc(0), new RegExp(`1 to ${OBJECT_BATCH_MAX_ENTRIES} entries`));
  });

  test('truncated at each field, also after a good entry (the index names the entry)', () => {
    const full = raw(JSON.stringify(validHead), Buffer.from('body!'));
    const headLen = Buffer.byteLength(JSON.stringify(validHead));
    const cases: [number, RegExp][] = [
      [2, /truncated head length/],
      [4 + 10, /truncated head/],
      [4 + headLen, /truncated body length/],
      [4 + headLen + 3, /truncated body length/],
      [4 + headLen + 4 + 2, /truncated body/],
    ];
    for (const [cut, why] of cases) {
      refused(full.subarray(0, cut), new RegExp(`entry 0: ${why.source}`));
      refused(Buffer.concat([good(), full.subarray(0, cut)]), new RegExp(`entry 1: ${why.source}`));
    }
    // Whole but with a byte of trailing garbage.
    refused(Buffer.concat([good(), Buffer.from([0])]), /entry 1: truncated head length/);
  });

  test('a head that is not JSON, or not a JSON object', () => {
    refused(raw('{"partition": '), /entry 0: head is not JSON/);
    refused(raw(Buffer.from([0xff, 0xfe, 0x7b])), /entry 0: head is not JSON/);
    refused(raw(''), /entry 0: head is not JSON/);
    for (const v of [null, 42, 'a string', [validHead], true]) refused(rawHead(v), /entry 0: needs partition, account, container and object names/);
  });

  test('missing or non-string names', () => {
    for (const field of ['partition', 'account', 'container', 'object'] as const) {
      const { [field]: _dropped, ...missing } = validHead;
      refused(rawHead(missing), /entry 0: needs partition, account, container and object names/);
      for (const wrong of [7, null, ['x'], { x: 'y' }]) refused(rawHead({ ...validHead, [field]: wrong }), /needs partition, account, container and object names/);
    }
  });

  test('missing or non-string headers', () => {
    const { headers: _dropped, ...noHeaders } = validHead;
    refused(rawHead(noHeaders), /entry 0: needs string headers/);
    for (const headers of [null, 'x-timestamp: 1', ['a'], { 'content-length': 3 }, { 'x-a': 'b', 'x-c': null }, { 'x-a': ['b'] }]) {
      refused(rawHead({ ...validHead, headers }), /entry 0: needs string headers/);
    }
  });

  test('invalid partition and account/container/object names (the rules of common/names.ts)', () => {
    const cases: [Partial<typeof validHead>, RegExp][] = [
      [{ partition: '' }, /invalid partition/],
      [{ partition: '-1' }, /invalid partition/],
      [{ partition: '1.5' }, /invalid partition/],
      [{ partition: ' 7' }, /invalid partition/],
      [{ partition: '12345678901' }, /invalid partition/],
      [{ account: '' }, /account name is empty/],
      [{ account: 'a/b' }, /account name contains '\/'/],
      [{ account: 'a'.repeat(257) }, /account name length/],
      [{ container: '' }, /container name is empty/],
      [{ container: 'c/d' }, /container name contains '\/'/],
      [{ container: 'c\u0000' }, /container name contains NUL/],
      [{ container: 'é'.repeat(129) }, /container name length of 258 bytes/],
      [{ object: '' }, /object name is empty/],
      [{ object: 'o\u0000' }, /object name contains NUL/],
      [{ object: 'x'.repeat(1025) }, /object name length of 1025 bytes/],
      [{ object: 'lone \ud800 surrogate' }, /object name is not valid UTF-8/],
    ];
    for (const [over, why] of cases) refused(Buffer.concat([good(), rawHead({ ...validHead, ...over })]), new RegExp(`entry 1: ${why.source}`));
    // The limits themselves are names, not problems.
    expect(Array.isArray(decodeBatch(rawHead({ ...validHead, object: 'x'.repeat(1024), account: 'a'.repeat(256), container: 'c'.repeat(256) })))).toBe(true);
    expect(Array.isArray(decodeBatch(rawHead({ ...validHead, object: 'dir/with/slashes' })))).toBe(true);
  });

  test('one bad entry among good ones refuses all of them', () => {
    const buf = Buffer.concat([wire([entry({ object: 'a' }), entry({ object: 'b' })]), rawHead({ ...validHead, partition: 'x' }), wire([entry({ object: 'c' })])]);
    refused(buf, /^entry 2: invalid partition/);
  });
});

describe('replies', () => {
  const replies: BatchReply[] = [
    { status: 201, headers: { ETag: '"abc"', 'X-Backend-Timestamp': '1700000000.00000' } },
    { status: 409, headers: { 'X-Backend-Timestamp': '1700000001.00000' }, message: 'newer exists' },
    { status: 499, headers: {}, message: '' },
  ];

  test('encodeReplies → decodeReplies round-trips; an absent message stays absent', () => {
    const text = encodeReplies(replies);
    expect(JSON.parse(text)).toEqual({ replies });
    const back = decodeReplies(text, 3);
    expect(back).toStrictEqual(replies);
    expect('message' in back![0]!).toBe(false);
  });

  test('a reply list of the wrong length is not an answer', () => {
    const text = encodeReplies(replies);
    expect(decodeReplies(text, 2)).toBeUndefined();
    expect(decodeReplies(text, 4)).toBeUndefined();
    expect(decodeReplies(encodeReplies([]), 0)).toEqual([]);
  });

  test('malformed answers are undefined', () => {
    const one = (r: unknown): string => JSON.stringify({ replies: [r] });
    const bad = [
      'not json',
      '',
      'null',
      '[]',
      '{}',
      '{"replies":{}}',
      '{"replies":"x"}',
      one(null),
      one('201'),
      one({ headers: {} }),
      one({ status: '201', headers: {} }),
      one({ status: 201.5, headers: {} }),
      one({ status: 99, headers: {} }),
      one({ status: 1000, headers: {} }),
      one({ status: -201, headers: {} }),
      one({ status: 201 }),
      one({ status: 201, headers: null }),
      one({ status: 201, headers: ['x'] }),
      one({ status: 201, headers: { etag: 5 } }),
      one({ status: 201, headers: { etag: null } }),
      one({ status: 201, headers: {}, message: 5 }),
      one({ status: 201, headers: {}, message: null }),
    ];
    for (const text of bad) expect([text, decodeReplies(text, 1)]).toEqual([text, undefined]);
    // The bounds themselves are statuses.
    expect(decodeReplies(JSON.stringify({ replies: [{ status: 100, headers: {} }, { status: 999, headers: {} }] }), 2)).toEqual([
      { status: 100, headers: {} },
      { status: 999, headers: {} },
    ]);
  });
});

describe('wire format (docs/object-storage.md, "Small-object PUT batches")', () => {
  // Deliberately fragile: a change here is a protocol change between proxies and storage servers.
  test('one entry, byte for byte', () => {
    const bytes = wire([{ partition: '1', account: 'a', container: 'c', object: 'o', headers: { 'x-timestamp': '1.00000' }, body: Buffer.from('hi') }]);
    const head = '{"partition":"1","account":"a","container":"c","object":"o","headers":{"x-timestamp":"1.00000"}}';
    expect(bytes.toString('hex')).toBe(Buffer.concat([Buffer.from([0, 0, 0, head.length]), Buffer.from(head), Buffer.from([0, 0, 0, 2]), Buffer.from('hi')]).toString('hex'));
    expect(head.length).toBe(96);
  });

  test('replies, as JSON', () => {
    expect(encodeReplies([{ status: 201, headers: { ETag: '"x"' } }])).toBe('{"replies":[{"status":201,"headers":{"ETag":"\\"x\\""}}]}');
  });
});

describe('decoders never throw (seeded fuzz)', () => {
  /** A small deterministic PRNG (mulberry32), so a failure reproduces. */
  const rng = (seed: number): (() => number) => () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };

  test('mutated batches decode to entries that obey the rules, or to a reason', () => {
    const rand = rng(20261126);
    const base = wire([entry({ object: 'a/b', body: Buffer.from('body one') }), entry({ object: 'é', body: Buffer.alloc(0) }), entry({ object: 'c', body: Buffer.alloc(300, 7) })]);
    let accepted = 0;
    for (let i = 0; i < 3000; i++) {
      const buf = Buffer.from(base);
      const kind = i % 4;
      if (kind === 0) for (let k = 0; k < 1 + Math.floor(rand() * 4); k++) buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256);
      const input =
        kind === 1
          ? buf.subarray(0, Math.floor(rand() * buf.length))
          : kind === 2
            ? Buffer.from(Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)))
            : kind === 3
              ? Buffer.concat([buf, buf.subarray(0, Math.floor(rand() * buf.length))])
              : buf;
      // A throw fails the test here.
      const r = decodeBatch(input);
      if (typeof r === 'string') {
        expect(r.length).toBeGreaterThan(0);
        continue;
      }
      accepted++;
      for (const e of r) {
        expect(e.partition).toMatch(/^\d{1,10}$/);
        for (const n of [e.account, e.container, e.object]) expect(n.length).toBeGreaterThan(0);
        expect(e.body.length).toBeLessThanOrEqual(OBJECT_BATCH_MAX_BODY);
        for (const [k, v] of Object.entries(e.headers)) expect([typeof v, k]).toEqual(['string', k.toLowerCase()]);
      }
    }
    // Some byte flips land in bodies and leave valid batches: both sides of the decoder were hit.
    expect(accepted).toBeGreaterThan(0);
  });

  test('arbitrary reply texts give replies or undefined', () => {
    const rand = rng(7);
    const base = encodeReplies([{ status: 201, headers: { ETag: '"abc"' } }, { status: 409, headers: {}, message: 'x' }]);
    for (let i = 0; i < 2000; i++) {
      const chars = base.split('');
      for (let k = 0; k < 1 + Math.floor(rand() * 3); k++) chars[Math.floor(rand() * chars.length)] = String.fromCharCode(32 + Math.floor(rand() * 95));
      const text = chars.join('');
      const r = decodeReplies(text, 2);
      if (r) for (const x of r) expect(Number.isInteger(x.status) && x.status >= 100 && x.status <= 999).toBe(true);
    }
  });
});
