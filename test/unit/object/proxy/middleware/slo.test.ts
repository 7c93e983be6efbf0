import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Handler, ProxyRequest, ProxyResponse } from '../../../../../services/object/proxy/app/types';
import { createSloMiddleware } from '../../../../../services/object/proxy/middleware/slo';
import { checkSegments, parseManifestInput, parseRange, planPieces, type StoredSegment } from '../../../../../services/object/proxy/middleware/slo-manifest';

const LIMITS = { maxManifestSegments: 5, maxManifestSize: 4096, minSegmentSize: 2 };
const md5 = (b: Buffer | string): string => createHash('md5').update(b).digest('hex');

describe('manifest input', () => {
  const parse = (v: unknown) => parseManifestInput(Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)), LIMITS);
  test('valid', () => {
    const r = parse([{ path: '/c/a', etag: '"ABC"', size_bytes: 3 }, { path: 'c/b/x/y', etag: null, size_bytes: null }, { path: '/c/z' }]);
    expect(r).toEqual({ ok: true, segments: [{ index: 0, container: 'c', object: 'a', etag: 'abc', sizeBytes: 3 }, { index: 1, container: 'c', object: 'b/x/y' }, { index: 2, container: 'c', object: 'z' }] });
  });
  test.each<[unknown, RegExp]>([
    ['not json', /valid JSON/],
    [{ path: '/c/o' }, /must be a list/],
    [[], /at least one segment/],
    [Array.from({ length: 6 }, () => ({ path: '/c/o' })), /<= 5/],
    [[{ path: '/c' }], /Index 0: path does not refer to an object/],
    [[{ path: 5 }], /"path" must be a string/],
    [[{ path: '/c/o', size_bytes: -1 }], /size_bytes/],
    [[{ path: '/c/o', size_bytes: 1.5 }], /size_bytes/],
    [[{ path: '/c/o', etag: 5 }], /"etag"/],
    [[{ path: '/c/o', ranges: '1-2' }], /extraneous keys "ranges"/],
    [[{ path: '/c/o' }, 'x'], /Index 1: not a JSON object/],
  ])('%j → %s', (input, msg) => {
    const r = parse(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join('\n')).toMatch(msg);
  });
  test('too large → 413', () => {
    const r = parseManifestInput(Buffer.alloc(5000, 32), LIMITS);
    expect(r.ok || r.status).toBe(413);
  });
});

describe('checkSegments', () => {
  const found = (etag: string, size: number) => ({ found: true as const, etag, size, contentType: 'x/y', lastModified: '2026-01-01T00:00:00.000000', subSlo: false });
  const segs = parseManifestInput(Buffer.from(JSON.stringify([{ path: '/c/a', etag: 'e1', size_bytes: 2 }, { path: '/c/b', etag: 'e2' }, { path: '/c/last' }])), LIMITS);
  if (!segs.ok) throw new Error('bad fixture');
  test('ok: stored form, ETag of ETags, size', () => {
    const r = checkSegments(segs.segments, [found('e1', 2), found('e2', 5), found('e3', 1)], LIMITS, '/c/m');
    expect(r).toEqual({ ok: true, etag: md5('e1e2e3'), size: 8, stored: [
      { name: '/c/a', hash: 'e1', bytes: 2, content_type: 'x/y', last_modified: '2026-01-01T00:00:00.000000' },
      { name: '/c/b', hash: 'e2', bytes: 5, content_type: 'x/y', last_modified: '2026-01-01T00:00:00.000000' },
      { name: '/c/last', hash: 'e3', bytes: 1, content_type: 'x/y', last_modified: '2026-01-01T00:00:00.000000' },
    ] });
  });
  test('every problem is listed', () => {
    const r = checkSegments(segs.segments, [found('zz', 3), { found: false, status: 404, statusText: 'Not Found' }, found('e3', 1)], LIMITS, '/c/m');
    expect(r).toEqual({ ok: false, errors: ['/c/a, Etag Mismatch, Size Mismatch', '/c/b, 404 Not Found'] });
    const small = checkSegments(segs.segments, [found('e1', 2), found('e2', 1), found('e3', 1)], LIMITS, '/c/m');
    expect(small.ok || small.errors).toEqual(['/c/b, Too small; each segment must be at least 2 bytes.']);
    const self = checkSegments(segs.segments, [found('e1', 2), found('e2', 2), found('e3', 1)], LIMITS, '/c/last');
    expect(self.ok || self.errors).toEqual(['/c/last, Manifest may not reference itself']);
  });
});

describe('ranges over the concatenation', () => {
  test.each<[string | undefined, number, ReturnType<typeof parseRange>]>([
    [undefined, 10, undefined],
    ['bytes=0-4', 10, { start: 0, end: 4 }],
    ['bytes=5-', 10, { start: 5, end: 9 }],
    ['bytes=-3', 10, { start: 7, end: 9 }],
    ['bytes=-30', 10, { start: 0, end: 9 }],
    ['bytes=8-100', 10, { start: 8, end: 9 }],
    ['bytes=10-', 10, 'unsatisfiable'],
    ['bytes=-0', 10, 'unsatisfiable'],
    ['bytes=5-2', 10, undefined],
    ['bytes=0-1,3-4', 10, undefined],
    ['items=0-1', 10, undefined],
  ])('%s of %d', (h, total, expected) => {
    expect(parseRange(h, total)).toEqual(expected);
  });

  const seg = (name: string, bytes: number): StoredSegment => ({ name, hash: 'h', bytes, content_type: '', last_modified: '' });
  const segs = [seg('a', 3), seg('b', 0), seg('c', 4), seg('d', 3)];
  test('whole', () => {
    expect(planPieces(segs).map((p) => [p.segment.name, p.start, p.end])).toEqual([['a', 0, 2], ['c', 0, 3], ['d', 0, 2]]);
  });
  test('a range across segment boundaries', () => {
    expect(planPieces(segs, { start: 2, end: 7 }).map((p) => [p.segment.name, p.start, p.end])).toEqual([['a', 2, 2], ['c', 0, 3], ['d', 0, 0]]);
    expect(planPieces(segs, { start: 4, end: 5 }).map((p) => [p.segment.name, p.start, p.end])).toEqual([['c', 1, 2]]);
  });
});

/** A tiny object store that behaves like the object controller (Range, sysmeta, 404s). */
function objectStore(): { handler: Handler; objects: Map<string, { body: Buffer; headers: Record<string, string> }>; calls: string[]; reads: string[] } {
  const objects = new Map<string, { body: Buffer; headers: Record<string, string> }>();
  const calls: string[] = [];
  /** GETs with the Range they asked for. */
  const reads: string[] = [];
  const handler: Handler = async (req): Promise<ProxyResponse> => {
    const key = `/${req.container}/${req.object}`;
    calls.push(`${req.method} ${key} ${req.source}`);
    if (req.method === 'GET') reads.push(`${key} ${req.headers['range'] ?? 'whole'}`);
    if (req.method === 'PUT') {
      const chunks: Buffer[] = [];
      for await (const c of req.body ?? []) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks);
      objects.set(key, { body, headers: { ...req.headers } });
      return { status: 201, headers: { Etag: md5(body) } };
    }
    const o = objects.get(key);
    if (req.method === 'DELETE') {
      objects.delete(key);
      return { status: o ? 204 : 404, headers: {} };
    }
    if (!o) return { status: 404, headers: {} };
    const headers: ProxyResponse['headers'] = { Etag: md5(o.body), 'Content-Type': o.headers['content-type'] ?? 'application/octet-stream', 'Last-Modified': 'Thu, 01 Jan 2026 00:00:00 GMT', 'X-Object-Meta-Color': 'blue' };
    for (const [k, v] of Object.entries(o.headers)) if (k.startsWith('x-object-sysmeta-') || k === 'x-static-large-object') headers[k.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase())] = v;
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers['range'] ?? '');
    const body = m ? o.body.subarray(Number(m[1]), Number(m[2]) + 1) : o.body;
    if (m) headers['Content-Range'] = `bytes ${m[1]}-${m[2]}/${o.body.length}`;
    headers['Content-Length'] = body.length;
    return { status: m ? 206 : 200, headers, body: req.method === 'HEAD' ? undefined : Readable.from([body]) };
  };
  return { handler, objects, calls, reads };
}

async function text(res: ProxyResponse): Promise<Buffer> {
  if (!res.body) return Buffer.alloc(0);
  if (typeof res.body === 'string' || Buffer.isBuffer(res.body)) return Buffer.from(res.body);
  const chunks: Buffer[] = [];
  for await (const c of res.body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('SLO middleware over a simulated object store', () => {
  const segA = Buffer.from('hello ');
  const segB = Buffer.from('large ');
  const segC = Buffer.from('world');
  let store: ReturnType<typeof objectStore>;
  let slo: Handler;
  const req = (method: string, obj: string, opts: { query?: string; headers?: Record<string, string>; body?: Buffer } = {}): ProxyRequest => {
    const [container, ...rest] = obj.split('/');
    const r: ProxyRequest = { method, account: 'AUTH_a', container, object: rest.join('/'), query: new URLSearchParams(opts.query ?? ''), headers: opts.headers ?? {}, transId: 'tx', source: 'client' };
    if (opts.body) r.body = Readable.from([opts.body]);
    return r;
  };
  const manifestBody = (extra: object[] = []) => Buffer.from(JSON.stringify([{ path: '/segs/1', etag: md5(segA), size_bytes: 6 }, { path: '/segs/2', etag: md5(segB), size_bytes: 6 }, { path: '/segs/3', etag: null, size_bytes: null }, ...extra]));

  beforeEach(async () => {
    store = objectStore();
    slo = createSloMiddleware({ config: { slo: LIMITS } })(store.handler);
    for (const [n, b] of [['1', segA], ['2', segB], ['3', segC]] as const) await store.handler(req('PUT', `segs/${n}`, { body: b }));
    store.calls.length = 0;
  });

  test('PUT manifest → stored with sysmeta; GET streams the whole with quoted ETag', async () => {
    const put = await slo(req('PUT', 'c/big', { query: 'multipart-manifest=put', body: manifestBody(), headers: { 'content-type': 'text/plain' } }));
    expect(put.status).toBe(201);
    const sloEtag = md5(md5(segA) + md5(segB) + md5(segC));
    expect(put.headers.Etag).toBe(`"${sloEtag}"`);
    const stored = store.objects.get('/c/big')!;
    expect(stored.headers['x-object-sysmeta-slo-size']).toBe('17');
    expect(stored.headers['x-static-large-object']).toBe('True');
    // The container row: the manifest's own MD5, and the SLO ETag listings show as slo_etag.
    expect(stored.headers['x-object-sysmeta-container-update-override-etag']).toBe(`${md5(stored.body)}; slo_etag=${sloEtag}`);
    expect(stored.headers['content-type']).toBe('text/plain');
    expect(JSON.parse(stored.body.toString()).map((s: { name: string }) => s.name)).toEqual(['/segs/1', '/segs/2', '/segs/3']);
    expect(store.calls.filter((c) => c.startsWith('HEAD'))).toHaveLength(3);

    const get = await slo(req('GET', 'c/big'));
    expect(get.status).toBe(200);
    expect(get.headers['Content-Length']).toBe(17);
    expect(get.headers.Etag).toBe(`"${sloEtag}"`);
    expect(get.headers['X-Static-Large-Object']).toBe('True');
    expect(get.headers['X-Object-Meta-Color']).toBe('blue');
    expect((await text(get)).toString()).toBe('hello large world');

    const head = await slo(req('HEAD', 'c/big'));
    expect(head.status).toBe(200);
    expect(head.headers['Content-Length']).toBe(17);
    expect(head.body).toBeUndefined();
  });

  test('Range over the concatenation; unsatisfiable → 416', async () => {
    await slo(req('PUT', 'c/big', { query: 'multipart-manifest=put', body: manifestBody() }));
    const r = await slo(req('GET', 'c/big', { headers: { range: 'bytes=4-13' } }));
    expect(r.status).toBe(206);
    expect(r.headers['Content-Range']).toBe('bytes 4-13/17');
    expect(r.headers['Content-Length']).toBe(10);
    expect((await text(r)).toString()).toBe('o large wo');
    const tail = await slo(req('GET', 'c/big', { headers: { range: 'bytes=-5' } }));
    expect((await text(tail)).toString()).toBe('world');
    const bad = await slo(req('GET', 'c/big', { headers: { range: 'bytes=17-' } }));
    expect(bad.status).toBe(416);
    expect(bad.headers['Content-Range']).toBe('bytes */17');
  });

  test('multipart-manifest=get returns the stored manifest as JSON', async () => {
    await slo(req('PUT', 'c/big', { query: 'multipart-manifest=put', body: manifestBody() }));
    const r = await slo(req('GET', 'c/big', { query: 'multipart-manifest=get' }));
    expect(r.headers['Content-Type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse((await text(r)).toString())[2]).toMatchObject({ name: '/segs/3', hash: md5(segC), bytes: 5 });
  });

  test('bad segments → 400 listing each problem, nothing stored', async () => {
    const body = Buffer.from(JSON.stringify([{ path: '/segs/1', etag: 'nope' }, { path: '/segs/missing' }, { path: '/segs/3', size_bytes: 9 }]));
    const r = await slo(req('PUT', 'c/big', { query: 'multipart-manifest=put', body }));
    expect(r.status).toBe(400);
    expect((await text(r)).toString()).toBe('Errors:\n/segs/1, Etag Mismatch\n/segs/missing, 404 Not Found\n/segs/3, Size Mismatch\n');
    expect(store.objects.has('/c/big')).toBe(false);
  });

  test('a client ETag that is not the SLO ETag → 422', async () => {
    const r = await slo(req('PUT', 'c/big', { query: 'multipart-manifest=put', body: manifestBody(), headers: { etag: 'abc' } }));
    expect(r.status).toBe(422);
    expect(store.objects.has('/c/big')).toBe(false);
  });

  test('a changed segment ends the stream with an error', async () => {
    await slo(req('PUT', 'c/big', { query: 'multipart-manifest=put', body: manifestBody() }));
    await store.handler(req('PUT', 'segs/2', { body: Buffer.from('LARGE ') }));
    const r = await slo(req('GET', 'c/big'));
    await expect(text(r)).rejects.toThrow(/changed since the manifest was written/);
  });

  test('nested SLOs are served whole', async () => {
    await slo(req('PUT', 'c/inner', { query: 'multipart-manifest=put', body: Buffer.from(JSON.stringify([{ path: '/segs/1' }, { path: '/segs/2' }])) }));
    const put = await slo(req('PUT', 'c/outer', { query: 'multipart-manifest=put', body: Buffer.from(JSON.stringify([{ path: '/c/inner' }, { path: '/segs/3' }])) }));
    expect(put.status).toBe(201);
    const r = await slo(req('GET', 'c/outer'));
    expect(r.headers['Content-Length']).toBe(17);
    expect((await text(r)).toString()).toBe('hello large world');
  });

  test('DELETE ?multipart-manifest=delete removes segments then the manifest', async () => {
    await slo(req('PUT', 'c/big', { query: 'multipart-manifest=put', body: manifestBody() }));
    store.calls.length = 0;
    const r = await slo(req('DELETE', 'c/big', { query: 'multipart-manifest=delete' }));
    expect(r.status).toBe(200);
    expect((await text(r)).toString()).toContain('Number Deleted: 4\nNumber Not Found: 0\n');
    expect(store.calls.filter((c) => c.startsWith('DELETE'))).toEqual(['DELETE /segs/1 slo', 'DELETE /segs/2 slo', 'DELETE /segs/3 slo', 'DELETE /c/big slo']);
    expect(store.objects.size).toBe(0);
    const notSlo = await store.handler(req('PUT', 'c/plain', { body: Buffer.from('x') }));
    expect(notSlo.status).toBe(201);
    expect((await slo(req('DELETE', 'c/plain', { query: 'multipart-manifest=delete' }))).status).toBe(400);
  });

  test('ranged entries: stored form, Swift ETag, size; GET/HEAD/Range serve only the selected bytes', async () => {
    // "hello large world": segs/1 "hello ", segs/2 "large ", segs/3 "world".
    const body = Buffer.from(JSON.stringify([{ path: '/segs/1', range: '1-4' }, { path: '/segs/2', range: '-2' }, { path: '/segs/3', range: '0-' }, { path: '/segs/3', range: '2-2' }]));
    const put = await slo(req('PUT', 'c/r', { query: 'multipart-manifest=put', body, headers: { 'content-type': 'text/x-r' } }));
    expect(put.status).toBe(201);
    const sloEtag = md5(`${md5(segA)}:1-4;${md5(segB)}:4-5;${md5(segC)}${md5(segC)}:2-2;`);
    expect(put.headers.Etag).toBe(`"${sloEtag}"`);
    const stored = store.objects.get('/c/r')!;
    expect(JSON.parse(stored.body.toString()).map((s: { name: string; bytes: number; range?: string }) => [s.name, s.bytes, s.range])).toEqual([
      ['/segs/1', 6, '1-4'],
      ['/segs/2', 6, '4-5'],
      ['/segs/3', 5, undefined],
      ['/segs/3', 5, '2-2'],
    ]);
    const whole = 'ello' + 'e ' + 'world' + 'r';
    expect(stored.headers['x-object-sysmeta-slo-size']).toBe(String(whole.length));
    // The container row will list the SLO's size, with the type the object has.
    expect(stored.headers['x-object-sysmeta-container-update-override-content-type']).toBe(`text/x-r;swift_bytes=${whole.length}`);

    const get = await slo(req('GET', 'c/r'));
    expect(get.headers['Content-Length']).toBe(whole.length);
    expect(get.headers.Etag).toBe(`"${sloEtag}"`);
    expect((await text(get)).toString()).toBe(whole);
    const head = await slo(req('HEAD', 'c/r'));
    expect(head.headers['Content-Length']).toBe(whole.length);
    for (const [range, want] of [['bytes=2-7', whole.slice(2, 8)], ['bytes=-3', whole.slice(-3)], ['bytes=5-', whole.slice(5)], ['bytes=11-11', 'r']] as const) {
      const r = await slo(req('GET', 'c/r', { headers: { range } }));
      expect(r.status).toBe(206);
      expect(r.headers['Content-Range']).toBe(`bytes ${range === 'bytes=-3' ? 9 : Number(/=(\d+)/.exec(range)![1])}-${range === 'bytes=2-7' ? 7 : 11}/${whole.length}`);
      expect((await text(r)).toString()).toBe(want);
    }
    // Only the selected bytes are fetched from the segments.
    store.reads.length = 0;
    await text(await slo(req('GET', 'c/r', { headers: { range: 'bytes=2-7' } })));
    expect(store.reads).toEqual(['/c/r bytes=2-7', '/c/r whole', '/segs/1 bytes=3-4', '/segs/2 bytes=4-5', '/segs/3 bytes=0-1']);
    const bad = await slo(req('GET', 'c/r', { headers: { range: `bytes=${whole.length}-` } }));
    expect(bad.status).toBe(416);
    expect(bad.headers['Content-Range']).toBe(`bytes */${whole.length}`);
  });

  test('ranged entries: bad and unsatisfiable ranges → 400 naming each entry, nothing stored', async () => {
    const byIndex = await slo(req('PUT', 'c/r', { query: 'multipart-manifest=put', body: Buffer.from(JSON.stringify([{ path: '/segs/1', range: '4-1' }, { path: '/segs/2', range: '9-', size_bytes: 6 }])) }));
    expect(byIndex.status).toBe(400);
    expect((await text(byIndex)).toString()).toBe('Index 0: invalid range\nIndex 1: unsatisfiable range\n');
    const byHead = await slo(req('PUT', 'c/r', { query: 'multipart-manifest=put', body: Buffer.from(JSON.stringify([{ path: '/segs/1', range: '6-' }, { path: '/segs/3' }])) }));
    expect(byHead.status).toBe(400);
    expect((await text(byHead)).toString()).toBe('Errors:\n/segs/1, Unsatisfiable Range\n');
    expect(store.objects.has('/c/r')).toBe(false);
  });

  test('a ranged entry over a nested SLO selects bytes of the nested whole', async () => {
    await slo(req('PUT', 'c/inner', { query: 'multipart-manifest=put', body: Buffer.from(JSON.stringify([{ path: '/segs/1' }, { path: '/segs/2' }])) }));
    const put = await slo(req('PUT', 'c/outer', { query: 'multipart-manifest=put', body: Buffer.from(JSON.stringify([{ path: '/c/inner', range: '4-8' }, { path: '/segs/3', range: '-1' }])) }));
    expect(put.status).toBe(201);
    const r = await slo(req('GET', 'c/outer'));
    expect(r.headers['Content-Length']).toBe(6);
    expect((await text(r)).toString()).toBe('o lard');
    const part = await slo(req('GET', 'c/outer', { headers: { range: 'bytes=1-4' } }));
    expect((await text(part)).toString()).toBe(' lar');
  });

  test('the container update override uses the type the object gets when none is given', async () => {
    await slo(req('PUT', 'c/movie.mp4', { query: 'multipart-manifest=put', body: manifestBody() }));
    expect(store.objects.get('/c/movie.mp4')!.headers['x-object-sysmeta-container-update-override-content-type']).toBe('video/mp4;swift_bytes=17');
  });

  test('an etag override arriving with the manifest PUT is replaced, never kept or merged', async () => {
    const forged = { 'content-type': 'a/b', 'x-object-sysmeta-container-update-override-etag': 'feed; slo_etag=forged' };
    expect((await slo(req('PUT', 'c/big', { query: 'multipart-manifest=put', body: manifestBody(), headers: forged }))).status).toBe(201);
    const stored = store.objects.get('/c/big')!;
    expect(stored.headers['x-object-sysmeta-container-update-override-etag']).toBe(`${md5(stored.body)}; slo_etag=${md5(md5(segA) + md5(segB) + md5(segC))}`);
  });

  test('X-Static-Large-Object cannot be forged', async () => {
    expect((await slo(req('PUT', 'c/x', { body: Buffer.from('[]'), headers: { 'x-static-large-object': 'True' } }))).status).toBe(400);
    store.calls.length = 0;
    const seen: ProxyRequest[] = [];
    const h = createSloMiddleware({ config: { slo: LIMITS } })(async (r) => (seen.push(r), { status: 202, headers: {} }));
    await h(req('POST', 'c/x', { headers: { 'x-static-large-object': 'True', 'x-object-meta-a': 'b' } }));
    expect(seen[0].headers).toEqual({ 'x-object-meta-a': 'b' });
    // A plain object with the header stored anyway is still served as itself.
    store.objects.set('/c/fake', { body: Buffer.from('not json'), headers: { 'x-static-large-object': 'True' } });
    expect((await text(await slo(req('GET', 'c/fake')))).toString()).toBe('not json');
  });
});
