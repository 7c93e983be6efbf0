/**
 * Static large objects through the real proxy process and three real storage servers:
 *
 *   test ──HTTP──▶ proxy (SLO middleware → object controller) ──▶ storage 0 / 1 / 2
 *
 * Segments uploaded as ordinary objects, a manifest PUT with ?multipart-manifest=put, then the
 * whole read back (bytes, Content-Length, quoted ETag of ETags), a Range across segment
 * boundaries, the manifest itself, bad manifests refused with nothing stored, and
 * ?multipart-manifest=delete removing segments and manifest. Ranged entries ("range" in the
 * manifest: only part of a segment), and container listings that show the SLO's size
 * (swift_bytes) while the container's bytes used counts the manifest, and its ETag: the row's
 * hash on the container replicas is `<manifest MD5>; slo_etag=<SLO ETag>`, JSON listings show
 * `hash` = the manifest's MD5 plus `slo_etag` = the quoted SLO ETag (the HEAD's ETag), XML the
 * plain hash only (as Swift's), and no client header can make a plain object claim one.
 */
import { createHash, randomBytes } from 'node:crypto';
import { startCluster, v1Path, type Cluster, type Reply } from './cluster-harness';

let cluster: Cluster;
const ACCOUNT = 'AUTH_slo';
const md5 = (b: Buffer | string): string => createHash('md5').update(b).digest('hex');

function req(method: string, path: string, headers: Record<string, string | number> = {}, body?: string | Buffer): Promise<Reply> {
  return cluster.proxy.request({ method, path, headers, body });
}

const segments = [randomBytes(100_000), randomBytes(100_000), randomBytes(12_345)];
const whole = Buffer.concat(segments);
const sloEtag = md5(segments.map((s) => md5(s)).join(''));

beforeAll(async () => {
  cluster = await startCluster({ proxyConfig: { slo: { maxManifestSegments: 10, maxManifestSize: 65536, minSegmentSize: 1000 } } });
  expect((await req('PUT', v1Path(ACCOUNT, 'segs'))).status).toBe(201);
  expect((await req('PUT', v1Path(ACCOUNT, 'c'))).status).toBe(201);
  expect((await req('PUT', v1Path(ACCOUNT, 'ranged'))).status).toBe(201);
  expect((await req('PUT', v1Path(ACCOUNT, 'lst'))).status).toBe(201);
  expect((await req('PUT', v1Path(ACCOUNT, 'etags'))).status).toBe(201);
  for (const [i, s] of segments.entries()) expect((await req('PUT', v1Path(ACCOUNT, 'segs', `big/${i}`), {}, s)).status).toBe(201);
}, 90_000);

afterAll(async () => {
  await cluster?.stop();
});

const manifest = (): string => JSON.stringify(segments.map((s, i) => ({ path: `/segs/big/${i}`, etag: md5(s), size_bytes: s.length })));

describe('static large objects', () => {
  test('PUT manifest, then GET and HEAD answer for the whole', async () => {
    const put = await req('PUT', `${v1Path(ACCOUNT, 'c', 'big.bin')}?multipart-manifest=put`, { 'Content-Type': 'application/x-big', 'X-Object-Meta-Kind': 'slo' }, manifest());
    expect(put.status).toBe(201);
    expect(put.headers.etag).toBe(`"${sloEtag}"`);

    const get = await req('GET', v1Path(ACCOUNT, 'c', 'big.bin'));
    expect(get.status).toBe(200);
    expect(Number(get.headers['content-length'])).toBe(whole.length);
    expect(get.headers.etag).toBe(`"${sloEtag}"`);
    expect(get.headers['x-static-large-object']).toBe('True');
    expect(get.headers['content-type']).toBe('application/x-big');
    expect(get.headers['x-object-meta-kind']).toBe('slo');
    // System metadata never reaches clients.
    expect(Object.keys(get.headers).filter((h) => h.includes('sysmeta'))).toEqual([]);
    expect(md5(get.body)).toBe(md5(whole));

    const head = await req('HEAD', v1Path(ACCOUNT, 'c', 'big.bin'));
    expect(head.status).toBe(200);
    expect(Number(head.headers['content-length'])).toBe(whole.length);
    expect(head.headers.etag).toBe(`"${sloEtag}"`);

    // The listing holds the manifest object (its own size, as in Swift).
    const list = await req('GET', `${v1Path(ACCOUNT, 'c')}?format=json`);
    expect((JSON.parse(list.body.toString()) as { name: string }[]).map((o) => o.name)).toEqual(['big.bin']);
  });

  test('a Range across segment boundaries', async () => {
    const r = await req('GET', v1Path(ACCOUNT, 'c', 'big.bin'), { Range: 'bytes=99990-200009' });
    expect(r.status).toBe(206);
    expect(r.headers['content-range']).toBe(`bytes 99990-200009/${whole.length}`);
    expect(r.body.equals(whole.subarray(99_990, 200_010))).toBe(true);
    const tail = await req('GET', v1Path(ACCOUNT, 'c', 'big.bin'), { Range: 'bytes=-10' });
    expect(tail.body.equals(whole.subarray(whole.length - 10))).toBe(true);
    const bad = await req('GET', v1Path(ACCOUNT, 'c', 'big.bin'), { Range: `bytes=${whole.length}-` });
    expect(bad.status).toBe(416);
  });

  test('?multipart-manifest=get returns the stored manifest', async () => {
    const r = await req('GET', `${v1Path(ACCOUNT, 'c', 'big.bin')}?multipart-manifest=get`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    const m = JSON.parse(r.body.toString()) as { name: string; hash: string; bytes: number }[];
    expect(m.map((s) => [s.name, s.hash, s.bytes])).toEqual(segments.map((s, i) => [`/segs/big/${i}`, md5(s), s.length]));
  });

  test('bad manifests: 400 with every problem, nothing stored', async () => {
    const body = JSON.stringify([
      { path: '/segs/big/0', etag: 'wrong', size_bytes: 100_000 },
      { path: '/segs/missing', etag: null, size_bytes: null },
      { path: '/segs/big/2', etag: null, size_bytes: 1 },
    ]);
    const r = await req('PUT', `${v1Path(ACCOUNT, 'c', 'bad.bin')}?multipart-manifest=put`, {}, body);
    expect(r.status).toBe(400);
    expect(r.body.toString()).toBe('Errors:\n/segs/big/0, Etag Mismatch\n/segs/missing, 404 Not Found\n/segs/big/2, Size Mismatch\n');
    expect((await req('HEAD', v1Path(ACCOUNT, 'c', 'bad.bin'))).status).toBe(404);
    // Segments below the minimum size (all but the last).
    expect((await req('PUT', v1Path(ACCOUNT, 'segs', 'tiny'), {}, 'x')).status).toBe(201);
    const small = await req('PUT', `${v1Path(ACCOUNT, 'c', 'bad.bin')}?multipart-manifest=put`, {}, JSON.stringify([{ path: '/segs/tiny' }, { path: '/segs/big/0' }]));
    expect(small.status).toBe(400);
    expect(small.body.toString()).toContain('/segs/tiny, Too small; each segment must be at least 1000 bytes.');
    expect((await req('PUT', `${v1Path(ACCOUNT, 'c', 'bad.bin')}?multipart-manifest=put`, {}, 'not json')).status).toBe(400);
    expect((await req('PUT', `${v1Path(ACCOUNT, 'c', 'bad.bin')}?multipart-manifest=put`, {}, Buffer.alloc(70_000, 32))).status).toBe(413);
    expect((await req('PUT', v1Path(ACCOUNT, 'c', 'bad.bin'), { 'X-Static-Large-Object': 'True' }, '[]')).status).toBe(400);
    expect((await req('HEAD', v1Path(ACCOUNT, 'c', 'bad.bin'))).status).toBe(404);
  });

  test('ranged entries: only the selected bytes, Swift\'s ETag, the stored ranges', async () => {
    const [s0, s1, s2] = segments;
    const body = JSON.stringify([
      { path: '/segs/big/0', range: '99000-' },
      { path: '/segs/big/1', range: '-1500', etag: md5(s1), size_bytes: s1.length },
      { path: '/segs/big/2', range: '10-1009' },
      // The last entry may be smaller than the minimum (1000 here).
      { path: '/segs/big/0', range: '0-0' },
    ]);
    const expected = Buffer.concat([s0.subarray(99_000), s1.subarray(s1.length - 1500), s2.subarray(10, 1010), s0.subarray(0, 1)]);
    const etag = md5(`${md5(s0)}:99000-99999;${md5(s1)}:98500-99999;${md5(s2)}:10-1009;${md5(s0)}:0-0;`);
    const put = await req('PUT', `${v1Path(ACCOUNT, 'ranged', 'r.bin')}?multipart-manifest=put`, { 'Content-Type': 'application/x-r' }, body);
    expect(put.status).toBe(201);
    expect(put.headers.etag).toBe(`"${etag}"`);

    const get = await req('GET', v1Path(ACCOUNT, 'ranged', 'r.bin'));
    expect(get.status).toBe(200);
    expect(Number(get.headers['content-length'])).toBe(expected.length);
    expect(get.headers.etag).toBe(`"${etag}"`);
    expect(get.body.equals(expected)).toBe(true);
    const head = await req('HEAD', v1Path(ACCOUNT, 'ranged', 'r.bin'));
    expect(Number(head.headers['content-length'])).toBe(expected.length);
    expect(head.headers.etag).toBe(`"${etag}"`);

    // A client Range over the whole maps into the selected sub-ranges.
    for (const [start, end] of [[990, 2510], [0, 0], [999, 1000], [expected.length - 2, expected.length - 1], [2500, 3499]]) {
      const r = await req('GET', v1Path(ACCOUNT, 'ranged', 'r.bin'), { Range: `bytes=${start}-${end}` });
      expect(r.status).toBe(206);
      expect(r.headers['content-range']).toBe(`bytes ${start}-${end}/${expected.length}`);
      expect(r.body.equals(expected.subarray(start, end + 1))).toBe(true);
    }
    const tail = await req('GET', v1Path(ACCOUNT, 'ranged', 'r.bin'), { Range: 'bytes=-2' });
    expect(tail.body.equals(expected.subarray(expected.length - 2))).toBe(true);
    const bad = await req('GET', v1Path(ACCOUNT, 'ranged', 'r.bin'), { Range: `bytes=${expected.length}-` });
    expect(bad.status).toBe(416);

    // Stored form: bytes is still the segment's size, range absolute.
    const m = await req('GET', `${v1Path(ACCOUNT, 'ranged', 'r.bin')}?multipart-manifest=get`);
    const stored = JSON.parse(m.body.toString()) as { name: string; bytes: number; range?: string }[];
    expect(stored.map((e) => [e.name, e.bytes, e.range])).toEqual([
      ['/segs/big/0', 100_000, '99000-99999'],
      ['/segs/big/1', 100_000, '98500-99999'],
      ['/segs/big/2', 12_345, '10-1009'],
      ['/segs/big/0', 100_000, '0-0'],
    ]);
  });

  test('ranged entries: malformed, unsatisfiable and too small ranges → 400, nothing stored', async () => {
    const put = (body: unknown) => req('PUT', `${v1Path(ACCOUNT, 'ranged', 'bad.bin')}?multipart-manifest=put`, {}, JSON.stringify(body));
    const malformed = await put([{ path: '/segs/big/0', range: 'x' }, { path: '/segs/big/1', range: '5-1' }, { path: '/segs/big/2', range: '0-1,5-6' }, { path: '/segs/big/2', range: '20000-', size_bytes: 12_345 }]);
    expect(malformed.status).toBe(400);
    expect(malformed.body.toString()).toBe('Index 0: invalid range\nIndex 1: invalid range\nIndex 2: multiple ranges (only one allowed)\nIndex 3: unsatisfiable range\n');
    // Against the segments' real sizes (learned from their HEADs).
    const real = await put([{ path: '/segs/big/2', range: '12345-' }, { path: '/segs/big/0', range: '0-9' }, { path: '/segs/big/1' }]);
    expect(real.status).toBe(400);
    expect(real.body.toString()).toBe('Errors:\n/segs/big/2, Unsatisfiable Range\n/segs/big/0, Too small; each segment must be at least 1000 bytes.\n');
    expect((await req('HEAD', v1Path(ACCOUNT, 'ranged', 'bad.bin'))).status).toBe(404);
  });

  test('listings show the SLO\'s size and plain content type; bytes used counts the manifest', async () => {
    const put = await req('PUT', `${v1Path(ACCOUNT, 'lst', 'm.bin')}?multipart-manifest=put`, { 'Content-Type': 'application/x-big' }, manifest());
    expect(put.status).toBe(201);
    expect((await req('PUT', v1Path(ACCOUNT, 'lst', 'plain.txt'), { 'Content-Type': 'text/plain' }, 'abc')).status).toBe(201);
    const manifestSize = (await req('GET', `${v1Path(ACCOUNT, 'lst', 'm.bin')}?multipart-manifest=get`)).body.length;

    const xml = (await req('GET', `${v1Path(ACCOUNT, 'lst')}?format=xml`)).body.toString();
    expect(xml).toContain(`<name>m.bin</name><hash>`);
    expect(xml).toMatch(new RegExp(`<name>m\\.bin</name><hash>[0-9a-f]{32}</hash><bytes>${whole.length}</bytes><content_type>application/x-big</content_type>`));
    expect(xml).toMatch(/<name>plain\.txt<\/name><hash>[0-9a-f]{32}<\/hash><bytes>3<\/bytes><content_type>text\/plain<\/content_type>/);
    expect(xml).not.toContain('swift_bytes');

    // path= listings are filtered by the proxy, then rendered (JSON included).
    const byPath = JSON.parse((await req('GET', `${v1Path(ACCOUNT, 'lst')}?format=json&path=`)).body.toString()) as { name: string; bytes: number; content_type: string }[];
    expect(byPath.map((o) => [o.name, o.bytes, o.content_type])).toEqual([['m.bin', whole.length, 'application/x-big'], ['plain.txt', 3, 'text/plain']]);

    // The container counts what is stored: the manifest, not the segments again.
    const headC = await req('HEAD', v1Path(ACCOUNT, 'lst'));
    expect(Number(headC.headers['x-container-bytes-used'])).toBe(manifestSize + 3);
    expect(Number(headC.headers['x-container-object-count'])).toBe(2);

    // The object itself keeps its plain type.
    expect((await req('HEAD', v1Path(ACCOUNT, 'lst', 'm.bin'))).headers['content-type']).toBe('application/x-big');
  });

  test('a plain JSON listing shows the SLO\'s size and plain content type', async () => {
    const list = JSON.parse((await req('GET', `${v1Path(ACCOUNT, 'lst')}?format=json`)).body.toString()) as { name: string; bytes: number; content_type: string }[];
    expect(list.map((o) => [o.name, o.bytes, o.content_type])).toEqual([['m.bin', whole.length, 'application/x-big'], ['plain.txt', 3, 'text/plain']]);
  });

  test('a client cannot choose its listed size with a swift_bytes of its own', async () => {
    expect((await req('PUT', v1Path(ACCOUNT, 'lst', 'liar.txt'), { 'Content-Type': 'text/plain;swift_bytes=999999' }, 'abcd')).status).toBe(201);
    const xml = (await req('GET', `${v1Path(ACCOUNT, 'lst')}?format=xml&prefix=liar`)).body.toString();
    expect(xml).toMatch(/<name>liar\.txt<\/name><hash>[0-9a-f]{32}<\/hash><bytes>4<\/bytes><content_type>text\/plain<\/content_type>/);
    expect((await req('DELETE', v1Path(ACCOUNT, 'lst', 'liar.txt'))).status).toBe(204);
  });

  test('a plain object written over a manifest lists as itself again', async () => {
    expect((await req('PUT', v1Path(ACCOUNT, 'lst', 'm.bin'), { 'Content-Type': 'text/x-now-plain' }, 'hello')).status).toBe(201);
    const xml = (await req('GET', `${v1Path(ACCOUNT, 'lst')}?format=xml&prefix=m.`)).body.toString();
    expect(xml).toMatch(/<name>m\.bin<\/name><hash>[0-9a-f]{32}<\/hash><bytes>5<\/bytes><content_type>text\/x-now-plain<\/content_type>/);
  });

  describe('slo_etag in listings', () => {
    interface Row {
      name: string;
      hash: string;
      bytes: number;
      content_type: string;
      slo_etag?: string;
    }
    const jsonRows = async (query = ''): Promise<Row[]> => {
      const r = await req('GET', `${v1Path(ACCOUNT, 'etags')}?format=json${query}`);
      expect(r.status).toBe(200);
      return JSON.parse(r.body.toString()) as Row[];
    };
    let manifestMd5 = '';

    beforeAll(async () => {
      // A forged override on the manifest PUT too: the gatekeeper drops it, the middleware sets its own.
      const put = await req('PUT', `${v1Path(ACCOUNT, 'etags', 'slo.bin')}?multipart-manifest=put`, { 'Content-Type': 'application/x-big', 'X-Object-Sysmeta-Container-Update-Override-Etag': 'feed; slo_etag=forged' }, manifest());
      expect(put.status).toBe(201);
      expect((await req('PUT', v1Path(ACCOUNT, 'etags', 'plain.txt'), { 'Content-Type': 'text/plain' }, 'abc')).status).toBe(201);
      manifestMd5 = md5((await req('GET', `${v1Path(ACCOUNT, 'etags', 'slo.bin')}?multipart-manifest=get`)).body);
    });

    test('the container replicas hold `<manifest MD5>; slo_etag=<SLO ETag>`', async () => {
      const { partition, nodes } = cluster.nodesFor('container', ACCOUNT, 'etags');
      for (const n of nodes) {
        const r = await cluster.storageAt(n.port).request({ method: 'GET', path: `/${n.device}/${partition}/${ACCOUNT}/etags`, headers: { 'X-Backend-Storage-Layer': 'container' } });
        expect(r.status).toBe(200);
        const rows = JSON.parse(r.body.toString()) as Row[];
        expect(rows.map((o) => [o.name, o.hash])).toEqual([['plain.txt', md5('abc')], ['slo.bin', `${manifestMd5}; slo_etag=${sloEtag}`]]);
      }
    });

    test('JSON: hash is the manifest\'s MD5, slo_etag the quoted ETag a HEAD answers with', async () => {
      const head = await req('HEAD', v1Path(ACCOUNT, 'etags', 'slo.bin'));
      expect(head.headers.etag).toBe(`"${sloEtag}"`);
      // Passed through from the replicas, and rendered by the proxy (path=): the same answer.
      for (const query of ['', '&path=']) {
        const rows = await jsonRows(query);
        expect(rows).toEqual([
          { name: 'plain.txt', hash: md5('abc'), bytes: 3, content_type: 'text/plain', last_modified: expect.any(String) },
          { name: 'slo.bin', hash: manifestMd5, bytes: whole.length, content_type: 'application/x-big', last_modified: expect.any(String), slo_etag: head.headers.etag },
        ]);
        expect('slo_etag' in rows[0]).toBe(false);
      }
    });

    test('XML: the plain hash, no slo_etag (Swift\'s container_to_xml); plain: names only', async () => {
      const xml = (await req('GET', `${v1Path(ACCOUNT, 'etags')}?format=xml`)).body.toString();
      expect(xml).toContain(`<object><name>slo.bin</name><hash>${manifestMd5}</hash><bytes>${whole.length}</bytes><content_type>application/x-big</content_type><last_modified>`);
      expect(xml).toContain(`<object><name>plain.txt</name><hash>${md5('abc')}</hash><bytes>3</bytes>`);
      expect(xml).not.toContain('slo_etag');
      const plain = await req('GET', `${v1Path(ACCOUNT, 'etags')}?format=plain`);
      expect(plain.body.toString()).toBe('plain.txt\nslo.bin\n');
    });

    test('a client\'s override headers cannot make a plain object list a slo_etag', async () => {
      const forged = {
        'Content-Type': 'text/plain',
        'X-Object-Sysmeta-Container-Update-Override-Etag': `${md5('liar')}; slo_etag=${sloEtag}`,
        'X-Backend-Container-Update-Override-Etag': `${md5('liar')}; slo_etag=${sloEtag}`,
        'X-Object-Sysmeta-Slo-Etag': sloEtag,
      };
      expect((await req('PUT', v1Path(ACCOUNT, 'etags', 'liar.txt'), forged, 'liar')).status).toBe(201);
      expect((await jsonRows('&prefix=liar'))).toEqual([{ name: 'liar.txt', hash: md5('liar'), bytes: 4, content_type: 'text/plain', last_modified: expect.any(String) }]);
      // A client ETag carrying the parameter is not the body's MD5: refused, nothing listed.
      const etagged = await req('PUT', v1Path(ACCOUNT, 'etags', 'liar2.txt'), { Etag: `${md5('liar')}; slo_etag=${sloEtag}` }, 'liar');
      expect(etagged.status).toBe(422);
      expect((await jsonRows('&prefix=liar2'))).toEqual([]);
      expect((await req('DELETE', v1Path(ACCOUNT, 'etags', 'liar.txt'))).status).toBe(204);
    });

    test('a plain object written over the manifest lists without slo_etag again', async () => {
      expect((await req('PUT', v1Path(ACCOUNT, 'etags', 'slo.bin'), { 'Content-Type': 'text/plain' }, 'now plain')).status).toBe(201);
      const rows = await jsonRows('&prefix=slo');
      expect(rows).toEqual([{ name: 'slo.bin', hash: md5('now plain'), bytes: 9, content_type: 'text/plain', last_modified: expect.any(String) }]);
    });
  });

  test('?multipart-manifest=delete removes the segments and the manifest', async () => {
    const put = await req('PUT', `${v1Path(ACCOUNT, 'c', 'gone.bin')}?multipart-manifest=put`, {}, manifest());
    expect(put.status).toBe(201);
    const del = await req('DELETE', `${v1Path(ACCOUNT, 'c', 'gone.bin')}?multipart-manifest=delete`);
    expect(del.status).toBe(200);
    expect(del.body.toString()).toMatch(/^Number Deleted: 4\nNumber Not Found: 0\n/);
    expect((await req('HEAD', v1Path(ACCOUNT, 'c', 'gone.bin'))).status).toBe(404);
    for (let i = 0; i < segments.length; i++) expect((await req('HEAD', v1Path(ACCOUNT, 'segs', `big/${i}`))).status).toBe(404);
    // big.bin now points at missing segments: a clean 409, never wrong bytes.
    const broken = await req('GET', v1Path(ACCOUNT, 'c', 'big.bin'));
    expect(broken.status).toBe(409);
    expect(broken.body.toString()).toContain('/segs/big/0: 404');
  });
});
