/**
 * Static large objects through the real proxy process and three real storage servers:
 *
 *   test ──HTTP──▶ proxy (SLO middleware → object controller) ──▶ storage 0 / 1 / 2
 *
 * Segments uploaded as ordinary objects, a manifest PUT with ?multipart-manifest=put, then the
 * whole read back (bytes, Content-Length, quoted ETag of ETags), a Range across segment
 * boundaries, the manifest itself, bad manifests refused with nothing stored, and
 * ?multipart-manifest=delete removing segments and manifest.
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
