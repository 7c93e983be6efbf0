/**
 * The proxy's object data path against a real cluster: 4 storage server processes (so a 3-replica
 * ring has a handoff to fall back on) and the proxy process, all on loopback, auth off.
 *
 * "Nothing stored" is checked on disk on every device of every server: no `.data` file in the
 * object's hash directory. Containers are created directly on their storage replicas (the
 * proxy's container controller is another module's job), which also shows the proxy finds them
 * through the rings.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import * as path from 'node:path';
import { hashPath, hashSuffix } from '../../../services/object/common/hash-path';
import { type Cluster, HASH_PREFIX, HASH_SUFFIX, type Reply, startCluster, v1Path } from './cluster-harness';

const ACCOUNT = 'AUTH_test';
const CONTAINER = 'photos';
const MAX_OBJECT = 32 * 1024 * 1024;
let cluster: Cluster;
let tsClock = 1_700_000_000;

const md5 = (b: Buffer | string): string => createHash('md5').update(b).digest('hex');
const obj = (name: string): string => v1Path(ACCOUNT, CONTAINER, name);
const header = (r: Reply, name: string): string | undefined => {
  const v = r.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v;
};

async function createContainerDirect(account: string, container: string): Promise<void> {
  const { partition, nodes } = cluster.nodesFor('container', account, container);
  const ts = `${++tsClock}.00000`;
  for (const n of nodes) {
    const r = await cluster.storageAt(n.port).request({
      method: 'PUT',
      path: `/${n.device}/${partition}/${encodeURIComponent(account)}/${encodeURIComponent(container)}`,
      headers: { 'X-Backend-Storage-Layer': 'container', 'X-Timestamp': ts },
    });
    expect(r.status).toBe(201);
  }
}

/** Every `.data` file of the object on any device of any server. */
function dataFiles(name: string, container = CONTAINER): string[] {
  const hash = hashPath(HASH_PREFIX, HASH_SUFFIX, ACCOUNT, container, name);
  const { partition } = cluster.nodesFor('object', ACCOUNT, container, name);
  const found: string[] = [];
  for (const s of cluster.storages) {
    for (const d of s.devices) {
      const dir = path.join(s.devicesRoot, d, 'objects', String(partition), hashSuffix(hash), hash);
      if (!existsSync(dir)) continue;
      for (const f of readdirSync(dir)) if (f.endsWith('.data')) found.push(path.join(dir, f));
    }
  }
  return found;
}

/**
 * Waits (bounded) until every replica holds a `.data` of the object: the proxy answers once a
 * quorum committed (plus a short grace), so under load the last replica may still be writing.
 */
async function onEveryReplica(name: string): Promise<void> {
  for (let i = 0; i < 100 && dataFiles(name).length < 3; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(dataFiles(name)).toHaveLength(3);
}

async function listingOnContainerServers(container = CONTAINER): Promise<string[][]> {
  const { partition, nodes } = cluster.nodesFor('container', ACCOUNT, container);
  const out: string[][] = [];
  for (const n of nodes) {
    const s = cluster.storageAt(n.port);
    if (!s.running()) continue;
    const r = await s.request({ method: 'GET', path: `/${n.device}/${partition}/${ACCOUNT}/${container}`, headers: { 'X-Backend-Storage-Layer': 'container' } });
    expect(r.status).toBe(200);
    out.push((JSON.parse(r.body.toString('utf8')) as { name: string }[]).map((x) => x.name));
  }
  return out;
}

async function put(name: string, body: Buffer | string, headers: Record<string, string | number> = {}): Promise<Reply> {
  return cluster.proxy.request({ method: 'PUT', path: obj(name), headers: { 'Content-Length': Buffer.byteLength(body), 'Content-Type': 'text/plain', ...headers }, body });
}

/** Sends raw bytes on a fresh connection and returns the status line's code. */
function rawStatus(text: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = connect(cluster.proxy.port, '127.0.0.1');
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('no answer in 10 s'));
    }, 10_000);
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(buf);
      if (m) {
        clearTimeout(timer);
        sock.destroy();
        resolve(Number(m[1]));
      }
    });
    sock.on('error', reject);
    sock.write(text);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  cluster = await startCluster({ storageCount: 4, proxyConfig: { maxObjectSize: MAX_OBJECT } });
  await createContainerDirect(ACCOUNT, CONTAINER);
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

describe('proxy object data path', () => {
  test('PUT, GET, HEAD round trip with metadata and Swift headers', async () => {
    const body = 'hello, object world';
    const p = await put('greeting.txt', body, { 'X-Object-Meta-Color': 'blue', 'Content-Disposition': 'inline' });
    expect(p.status).toBe(201);
    expect(header(p, 'etag')).toBe(md5(body));
    expect(header(p, 'x-trans-id')).toMatch(/^tx[0-9a-f]{21}-[0-9a-f]{10}$/);
    expect(header(p, 'x-openstack-request-id')).toBe(header(p, 'x-trans-id'));
    expect(header(p, 'last-modified')).toBeDefined();

    const g = await cluster.proxy.request({ method: 'GET', path: obj('greeting.txt') });
    expect(g.status).toBe(200);
    expect(g.body.toString()).toBe(body);
    expect(header(g, 'etag')).toBe(md5(body));
    expect(header(g, 'content-type')).toBe('text/plain');
    expect(header(g, 'x-object-meta-color')).toBe('blue');
    expect(header(g, 'content-disposition')).toBe('inline');
    expect(header(g, 'x-timestamp')).toMatch(/^\d{10}\.\d{5}$/);
    expect(header(g, 'accept-ranges')).toBe('bytes');
    expect(Object.keys(g.headers).filter((h) => h.startsWith('x-backend-'))).toEqual([]);

    const h = await cluster.proxy.request({ method: 'HEAD', path: obj('greeting.txt') });
    expect(h.status).toBe(200);
    expect(h.body.length).toBe(0);
    expect(header(h, 'content-length')).toBe(String(body.length));
    expect(header(h, 'x-object-meta-color')).toBe('blue');
    // All three primaries hold it.
    expect(dataFiles('greeting.txt')).toHaveLength(3);
  });

  test('an acknowledged PUT is in the container listing on every container replica', async () => {
    expect((await put('listed/now.txt', 'x')).status).toBe(201);
    const listings = await listingOnContainerServers();
    expect(listings).toHaveLength(3);
    for (const l of listings) expect(l).toContain('listed/now.txt');
  });

  test('unicode and slashes in object names', async () => {
    const name = 'dir/sub/ünïcödé ✓.txt';
    expect((await put(name, 'u')).status).toBe(201);
    const g = await cluster.proxy.request({ method: 'GET', path: obj(name) });
    expect(g.status).toBe(200);
    expect(g.body.toString()).toBe('u');
  });

  test('chunked upload and a multi-chunk body', async () => {
    const big = Buffer.alloc(900_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
    const req = cluster.proxy.open({ method: 'PUT', path: obj('chunked.bin'), headers: { 'Transfer-Encoding': 'chunked', 'Content-Type': 'application/octet-stream' } });
    const answer = new Promise<number>((resolve, reject) => {
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
    });
    for (let off = 0; off < big.length; off += 100_000) req.write(big.subarray(off, off + 100_000));
    req.end();
    expect(await answer).toBe(201);
    const g = await cluster.proxy.request({ method: 'GET', path: obj('chunked.bin') });
    expect(g.status).toBe(200);
    expect(md5(g.body)).toBe(md5(big));
  });

  test('Expect: 100-continue: Continue only once the upload is wanted; a refusal costs no body', async () => {
    const upload = (path: string): Promise<{ status: number; continued: boolean }> =>
      new Promise((resolve, reject) => {
        const req = cluster.proxy.open({ method: 'PUT', path, headers: { Expect: '100-continue', 'Content-Length': 5, 'Content-Type': 'text/plain' } });
        let continued = false;
        req.on('continue', () => {
          continued = true;
          req.end('hello');
        });
        req.on('response', (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, continued });
        });
        req.on('error', reject);
        req.flushHeaders();
      });
    expect(await upload(obj('expect.txt'))).toEqual({ status: 201, continued: true });
    expect((await cluster.proxy.request({ method: 'GET', path: obj('expect.txt') })).body.toString()).toBe('hello');
    expect(await upload(v1Path(ACCOUNT, 'no-such-container', 'expect.txt'))).toEqual({ status: 404, continued: false });
  });

  test('PUT with If-None-Match: * creates but never overwrites', async () => {
    expect((await put('once.txt', 'first', { 'If-None-Match': '*' })).status).toBe(201);
    expect((await put('once.txt', 'second', { 'If-None-Match': '*' })).status).toBe(412);
    expect((await put('once.txt', 'second', { 'If-None-Match': '"abc"' })).status).toBe(400);
    expect((await cluster.proxy.request({ method: 'GET', path: obj('once.txt') })).body.toString()).toBe('first');
  });

  test('Range requests: 206 and 416', async () => {
    expect((await put('range.txt', '0123456789')).status).toBe(201);
    const r = await cluster.proxy.request({ method: 'GET', path: obj('range.txt'), headers: { Range: 'bytes=2-5' } });
    expect(r.status).toBe(206);
    expect(r.body.toString()).toBe('2345');
    expect(header(r, 'content-range')).toBe('bytes 2-5/10');
    const tail = await cluster.proxy.request({ method: 'GET', path: obj('range.txt'), headers: { Range: 'bytes=-3' } });
    expect(tail.status).toBe(206);
    expect(tail.body.toString()).toBe('789');
    const bad = await cluster.proxy.request({ method: 'GET', path: obj('range.txt'), headers: { Range: 'bytes=100-' } });
    expect(bad.status).toBe(416);
  });

  test('several ranges: one 206 multipart/byteranges body with a part per range', async () => {
    expect((await put('ranges.txt', '0123456789', { 'Content-Type': 'text/plain' })).status).toBe(201);
    const r = await cluster.proxy.request({ method: 'GET', path: obj('ranges.txt'), headers: { Range: 'bytes=0-1,5-6,-2' } });
    expect(r.status).toBe(206);
    const type = header(r, 'content-type') ?? '';
    const boundary = /^multipart\/byteranges;\s*boundary=(\S+)$/.exec(type)?.[1];
    expect(boundary).toBeDefined();
    expect(Number(header(r, 'content-length'))).toBe(r.body.length);
    const parts = r.body.toString().split(`--${boundary}`);
    // '' before the first delimiter, three parts, '--\r\n' after the closing one.
    expect(parts).toHaveLength(5);
    expect(parts[4]).toBe('--\r\n');
    const got = parts.slice(1, 4).map((p) => {
      const [head, data] = p.split('\r\n\r\n');
      return { range: /Content-Range: (.*)/.exec(head)?.[1], type: /Content-Type: (.*)/.exec(head)?.[1], data: data.replace(/\r\n$/, '') };
    });
    expect(got).toEqual([
      { range: 'bytes 0-1/10', type: 'text/plain', data: '01' },
      { range: 'bytes 5-6/10', type: 'text/plain', data: '56' },
      { range: 'bytes 8-9/10', type: 'text/plain', data: '89' },
    ]);
    // One satisfiable range among several is a plain 206.
    const one = await cluster.proxy.request({ method: 'GET', path: obj('ranges.txt'), headers: { Range: 'bytes=3-4,50-60' } });
    expect(one.status).toBe(206);
    expect(one.body.toString()).toBe('34');
    expect(header(one, 'content-range')).toBe('bytes 3-4/10');
  });

  test('conditional requests: If-None-Match, If-Match, If-Modified-Since', async () => {
    const p = await put('cond.txt', 'conditional');
    const etag = header(p, 'etag')!;
    expect((await cluster.proxy.request({ method: 'GET', path: obj('cond.txt'), headers: { 'If-None-Match': etag } })).status).toBe(304);
    expect((await cluster.proxy.request({ method: 'GET', path: obj('cond.txt'), headers: { 'If-Match': '"0000"' } })).status).toBe(412);
    const ok = await cluster.proxy.request({ method: 'GET', path: obj('cond.txt'), headers: { 'If-Match': etag } });
    expect(ok.status).toBe(200);
    expect(ok.body.toString()).toBe('conditional');
    const lm = header(ok, 'last-modified')!;
    expect((await cluster.proxy.request({ method: 'GET', path: obj('cond.txt'), headers: { 'If-Modified-Since': lm } })).status).toBe(304);
    expect((await cluster.proxy.request({ method: 'HEAD', path: obj('cond.txt'), headers: { 'If-None-Match': '*' } })).status).toBe(304);
  });

  test('POST replaces the user metadata (202), DELETE writes tombstones (204, then 404)', async () => {
    expect((await put('meta.txt', 'm', { 'X-Object-Meta-Old': '1' })).status).toBe(201);
    const post = await cluster.proxy.request({ method: 'POST', path: obj('meta.txt'), headers: { 'X-Object-Meta-New': '2', 'Content-Type': 'text/x-new' } });
    expect(post.status).toBe(202);
    const h = await cluster.proxy.request({ method: 'HEAD', path: obj('meta.txt') });
    expect(header(h, 'x-object-meta-new')).toBe('2');
    expect(header(h, 'x-object-meta-old')).toBeUndefined();
    expect(header(h, 'content-type')).toBe('text/x-new');

    const del = await cluster.proxy.request({ method: 'DELETE', path: obj('meta.txt') });
    expect(del.status).toBe(204);
    expect((await cluster.proxy.request({ method: 'GET', path: obj('meta.txt') })).status).toBe(404);
    expect((await cluster.proxy.request({ method: 'DELETE', path: obj('meta.txt') })).status).toBe(404);
    expect((await cluster.proxy.request({ method: 'POST', path: obj('meta.txt'), headers: { 'X-Object-Meta-A': 'b' } })).status).toBe(404);
    expect(dataFiles('meta.txt')).toEqual([]);
    for (const l of await listingOnContainerServers()) expect(l).not.toContain('meta.txt');
  });

  test('ETag mismatch → 422 and nothing stored; a matching ETag is accepted', async () => {
    const r = await put('etag-bad.txt', 'payload', { ETag: md5('something else') });
    expect(r.status).toBe(422);
    expect(dataFiles('etag-bad.txt')).toEqual([]);
    const ok = await put('etag-good.txt', 'payload', { ETag: `"${md5('payload')}"` });
    expect(ok.status).toBe(201);
  });

  test('411 without Content-Length or chunked, 413 when too large (announced or streamed)', async () => {
    expect(await rawStatus(`PUT ${obj('nolen.txt')} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n`)).toBe(411);
    expect(await rawStatus(`PUT ${obj('huge.txt')} HTTP/1.1\r\nHost: x\r\nContent-Length: ${MAX_OBJECT + 1}\r\nConnection: close\r\n\r\n`)).toBe(413);
    const req = cluster.proxy.open({ method: 'PUT', path: obj('huge-chunked.bin'), headers: { 'Transfer-Encoding': 'chunked' } });
    const answer = new Promise<number>((resolve) => {
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', () => resolve(-1));
    });
    const chunk = Buffer.alloc(64 * 1024, 1);
    for (let sent = 0; sent <= MAX_OBJECT + chunk.length; sent += chunk.length) req.write(chunk);
    req.end();
    expect(await answer).toBe(413);
    expect(dataFiles('nolen.txt')).toEqual([]);
    expect(dataFiles('huge.txt')).toEqual([]);
    expect(dataFiles('huge-chunked.bin')).toEqual([]);
  });

  test('a client that disconnects mid-upload leaves nothing stored', async () => {
    const req = cluster.proxy.open({ method: 'PUT', path: obj('truncated.bin'), headers: { 'Content-Length': 200_000, 'Content-Type': 'application/octet-stream' } });
    req.on('error', () => undefined);
    req.write(Buffer.alloc(100_000, 7));
    await sleep(300);
    req.destroy();
    // Give the proxy and the storage servers time to see the abort (bounded), then look on disk.
    await sleep(1000);
    expect(dataFiles('truncated.bin')).toEqual([]);
    expect((await cluster.proxy.request({ method: 'HEAD', path: obj('truncated.bin') })).status).toBe(404);
  });

  test('a chunked upload cut short leaves nothing stored (the backends are aborted, not ended)', async () => {
    const req = cluster.proxy.open({ method: 'PUT', path: obj('truncated-chunked.bin'), headers: { 'Transfer-Encoding': 'chunked', 'Content-Type': 'application/octet-stream' } });
    req.on('error', () => undefined);
    req.write(Buffer.alloc(50_000, 9));
    await sleep(300);
    req.destroy();
    await sleep(1000);
    expect(dataFiles('truncated-chunked.bin')).toEqual([]);
    expect((await cluster.proxy.request({ method: 'HEAD', path: obj('truncated-chunked.bin') })).status).toBe(404);
  });

  test('invalid names and metadata → 4xx and nothing stored', async () => {
    const long = 'x'.repeat(1025);
    const r1 = await put(long, 'x');
    expect(r1.status).toBe(400);
    expect(r1.body.toString()).toContain('Object name length of 1025 longer than 1024');
    expect(dataFiles(long)).toEqual([]);

    expect(await rawStatus(`PUT /v1/${ACCOUNT}/${CONTAINER}/bad%FFname HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx`)).toBe(412);
    expect(await rawStatus(`PUT /v1/${ACCOUNT}/${CONTAINER}/nul%00name HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx`)).toBe(412);
    const utf = await cluster.proxy.request({ method: 'GET', path: `/v1/${ACCOUNT}/${CONTAINER}/bad%C3` });
    expect(utf.status).toBe(412);
    expect(utf.body.toString()).toContain('Invalid UTF8 or contains NULL');

    const big = await put('meta-big.txt', 'x', { ['X-Object-Meta-' + 'n'.repeat(129)]: 'v' });
    expect(big.status).toBe(400);
    const bigValue = await put('meta-big.txt', 'x', { 'X-Object-Meta-V': 'v'.repeat(257) });
    expect(bigValue.status).toBe(400);
    expect(dataFiles('meta-big.txt')).toEqual([]);

    const longContainer = await cluster.proxy.request({ method: 'PUT', path: v1Path(ACCOUNT, 'c'.repeat(257), 'o'), headers: { 'Content-Length': 1 }, body: 'x' });
    expect(longContainer.status).toBe(400);
  });

  test('X-Delete-After becomes X-Delete-At; bad expiry values are 400', async () => {
    const before = Math.floor(Date.now() / 1000);
    expect((await put('expiring.txt', 'e', { 'X-Delete-After': 3600 })).status).toBe(201);
    const h = await cluster.proxy.request({ method: 'HEAD', path: obj('expiring.txt') });
    const at = Number(header(h, 'x-delete-at'));
    expect(at).toBeGreaterThanOrEqual(before + 3600);
    expect(at).toBeLessThanOrEqual(before + 3700);
    expect((await put('expiring2.txt', 'e', { 'X-Delete-After': 'soon' })).status).toBe(400);
    expect((await put('expiring2.txt', 'e', { 'X-Delete-After': -5 })).status).toBe(400);
    expect((await put('expiring2.txt', 'e', { 'X-Delete-At': before - 10 })).status).toBe(400);
    expect(dataFiles('expiring2.txt')).toEqual([]);
  });

  test('a missing container is 404 and nothing is stored', async () => {
    const r = await cluster.proxy.request({ method: 'PUT', path: v1Path(ACCOUNT, 'no-such-container', 'o'), headers: { 'Content-Length': 1 }, body: 'x' });
    expect(r.status).toBe(404);
    expect(dataFiles('o', 'no-such-container')).toEqual([]);
    expect((await cluster.proxy.request({ method: 'GET', path: obj('never-stored') })).status).toBe(404);
  });

  test('server-side copy: PUT with X-Copy-From and COPY with Destination', async () => {
    const body = 'copy me, please';
    expect((await put('copy-src.txt', body, { 'X-Object-Meta-Origin': 'src', 'Content-Type': 'text/x-src' })).status).toBe(201);
    const c1 = await cluster.proxy.request({ method: 'PUT', path: obj('copy-dst1.txt'), headers: { 'X-Copy-From': `/${CONTAINER}/copy-src.txt`, 'Content-Length': 0, 'X-Object-Meta-Extra': 'yes' } });
    expect(c1.status).toBe(201);
    expect(header(c1, 'x-copied-from')).toBe(`${CONTAINER}/copy-src.txt`);
    expect(header(c1, 'etag')).toBe(md5(body));
    const g1 = await cluster.proxy.request({ method: 'GET', path: obj('copy-dst1.txt') });
    expect(g1.body.toString()).toBe(body);
    expect(header(g1, 'x-object-meta-origin')).toBe('src');
    expect(header(g1, 'x-object-meta-extra')).toBe('yes');
    expect(header(g1, 'content-type')).toBe('text/x-src');

    const c2 = await cluster.proxy.request({ method: 'COPY', path: obj('copy-src.txt'), headers: { Destination: `${CONTAINER}/copy-dst2.txt`, 'X-Fresh-Metadata': 'true' } });
    expect(c2.status).toBe(201);
    const g2 = await cluster.proxy.request({ method: 'GET', path: obj('copy-dst2.txt') });
    expect(g2.body.toString()).toBe(body);
    expect(header(g2, 'x-object-meta-origin')).toBeUndefined();
    for (const l of await listingOnContainerServers()) expect(l).toEqual(expect.arrayContaining(['copy-dst1.txt', 'copy-dst2.txt']));

    expect((await cluster.proxy.request({ method: 'PUT', path: obj('copy-dst3.txt'), headers: { 'X-Copy-From': `${CONTAINER}/no-such-source`, 'Content-Length': 0 } })).status).toBe(404);
    expect((await cluster.proxy.request({ method: 'PUT', path: obj('copy-dst3.txt'), headers: { 'X-Copy-From': 'no-slash', 'Content-Length': 0 } })).status).toBe(412);
    expect(dataFiles('copy-dst3.txt')).toEqual([]);
  });

  test('healthcheck, /info, unknown paths', async () => {
    const hc = await cluster.proxy.request({ method: 'GET', path: '/healthcheck' });
    expect(hc.status).toBe(200);
    expect(hc.body.toString()).toBe('OK');
    const info = await cluster.proxy.request({ method: 'GET', path: '/info' });
    expect(info.status).toBe(200);
    const doc = JSON.parse(info.body.toString()) as { swift: Record<string, unknown>; slo: Record<string, unknown>; tempauth: Record<string, unknown>; container_quotas?: unknown; account_quotas?: unknown };
    expect(doc.swift.max_file_size).toBe(MAX_OBJECT);
    expect(doc.swift.max_object_name_length).toBe(1024);
    expect(doc.tempauth.account_acls).toBeUndefined();
    expect(doc.container_quotas).toEqual({});
    expect(doc.account_quotas).toEqual({});
    expect(doc.slo.max_manifest_segments).toBeGreaterThan(0);
    expect((await cluster.proxy.request({ method: 'GET', path: '/nope' })).status).toBe(404);
  });

  test('a replica with a corrupt file never yields bad bytes: the next replica serves the body', async () => {
    const body = 'precious bytes that must not rot';
    expect((await put('corrupt.txt', body)).status).toBe(201);
    await onEveryReplica('corrupt.txt');
    const { partition, nodes } = cluster.nodesFor('object', ACCOUNT, CONTAINER, 'corrupt.txt');
    const hash = hashPath(HASH_PREFIX, HASH_SUFFIX, ACCOUNT, CONTAINER, 'corrupt.txt');
    const flipByte = (node: (typeof nodes)[number]): void => {
      const dir = path.join(cluster.storageAt(node.port).devicesRoot, node.device, 'objects', String(partition), hashSuffix(hash), hash);
      const file = path.join(dir, readdirSync(dir).find((f) => f.endsWith('.data'))!);
      const bytes = readFileSync(file);
      bytes[3] ^= 0xff;
      writeFileSync(file, bytes);
    };
    flipByte(nodes[0]);
    const g = await cluster.proxy.request({ method: 'GET', path: obj('corrupt.txt') });
    expect(g.status).toBe(200);
    expect(g.body.toString()).toBe(body);
    // Every replica bad: each is quarantined as it is read, so the object is gone (404, as in
    // Swift), never a 200 with bad or missing bytes.
    nodes.slice(1).forEach(flipByte);
    const all = await cluster.proxy.request({ method: 'GET', path: obj('corrupt.txt') });
    expect(all.status).toBe(404);
    expect(all.body.toString()).not.toContain('precious');
  });

  test('a replica dying mid-GET: the body continues from the next replica, byte-exact', async () => {
    const name = 'big-failover.bin';
    const big = Buffer.alloc(24 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4) big.writeUInt32LE((i * 2654435761) >>> 0, i);
    expect((await put(name, big, { 'Content-Type': 'application/octet-stream' })).status).toBe(201);
    const { nodes } = cluster.nodesFor('object', ACCOUNT, CONTAINER, name);
    const serving = cluster.storageAt(nodes[0].port);
    const req = cluster.proxy.open({ method: 'GET', path: obj(name) });
    const received = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('GET did not finish in 30 s')), 30_000);
      req.on('error', reject);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let killed = false;
        res.on('data', (c: Buffer) => {
          chunks.push(c);
          if (!killed) {
            killed = true;
            // Stop reading so the replica cannot have sent everything, then kill it.
            res.pause();
            serving.kill().then(() => setTimeout(() => res.resume(), 100), reject);
          }
        });
        res.on('end', () => {
          clearTimeout(timer);
          resolve(Buffer.concat(chunks));
        });
        res.on('aborted', () => reject(new Error('response aborted')));
      });
      req.end();
    });
    try {
      expect(received.length).toBe(big.length);
      expect(md5(received)).toBe(md5(big));
      expect(cluster.proxy.logs.some((l) => l.includes('resuming on the next'))).toBe(true);
    } finally {
      await serving.restart();
    }
  });

  test('concurrent large GETs with slow readers: every body byte-exact while read slabs are reused', async () => {
    // The proxy hands each storage read's slab back once the client socket took its bytes
    // (read-slabs.ts); a slab reused too early would show here as another object's bytes.
    const bodies = [0, 1, 2, 3, 4, 5].map((id) => {
      const b = Buffer.alloc(6 * 1024 * 1024);
      for (let i = 0; i < b.length; i += 4) b.writeUInt32LE(((id << 28) | (i >> 2)) >>> 0, i);
      return b;
    });
    for (const [id, b] of bodies.entries()) expect((await put(`slabs-${id}.bin`, b, { 'Content-Type': 'application/octet-stream' })).status).toBe(201);
    const read = (id: number, stallMs: number): Promise<Buffer> =>
      new Promise((resolve, reject) => {
        const req = cluster.proxy.open({ method: 'GET', path: obj(`slabs-${id}.bin`) });
        const timer = setTimeout(() => reject(new Error('GET did not finish in 30 s')), 30_000);
        req.on('error', reject);
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          let n = 0;
          res.on('data', (c: Buffer) => {
            chunks.push(c);
            // Now and then stop reading for a while: the proxy's writes back up, its pieces stay out.
            if (stallMs > 0 && ++n % 8 === 0) {
              res.pause();
              setTimeout(() => res.resume(), stallMs);
            }
          });
          res.on('end', () => {
            clearTimeout(timer);
            resolve(Buffer.concat(chunks));
          });
          res.on('aborted', () => reject(new Error('response aborted')));
        });
        req.end();
      });
    for (let round = 0; round < 3; round++) {
      const got = await Promise.all(bodies.map((_, id) => read(id, (id + round) % 2 === 0 ? 0 : 30)));
      got.forEach((b, id) => expect(b.equals(bodies[id])).toBe(true));
    }
  });

  test('X-Newest reads the newest version when a replica is stale', async () => {
    const name = 'versions.txt';
    expect((await put(name, 'version one')).status).toBe(201);
    await onEveryReplica(name);
    const { nodes } = cluster.nodesFor('object', ACCOUNT, CONTAINER, name);
    const stale = cluster.storageAt(nodes[0].port);
    await stale.kill();
    try {
      expect((await put(name, 'version two')).status).toBe(201);
    } finally {
      await stale.restart();
    }
    // The first primary is back with the old version (until the replicator runs).
    const plain = await cluster.proxy.request({ method: 'GET', path: obj(name) });
    expect(plain.body.toString()).toBe('version one');
    const newest = await cluster.proxy.request({ method: 'GET', path: obj(name), headers: { 'X-Newest': 'true' } });
    expect(newest.status).toBe(200);
    expect(newest.body.toString()).toBe('version two');
    const head = await cluster.proxy.request({ method: 'HEAD', path: obj(name), headers: { 'X-Newest': 'true' } });
    expect(header(head, 'etag')).toBe(md5('version two'));
  });

  test('too few storage servers for a quorum: PUT 503 and nothing stored', async () => {
    const name = 'no-quorum.txt';
    // Warm the container info cache, so the PUT reaches the object replicas.
    expect((await put('warm.txt', 'w')).status).toBe(201);
    const { nodes } = cluster.nodesFor('object', ACCOUNT, CONTAINER, name);
    const victims = cluster.storages.filter((s) => s.port !== nodes[0].port);
    await Promise.all(victims.map((v) => v.kill()));
    try {
      const p = await put(name, 'not enough replicas');
      expect(p.status).toBe(503);
      expect(dataFiles(name)).toEqual([]);
    } finally {
      await Promise.all(victims.map((v) => v.restart()));
    }
  });

  test('a storage server killed during a stream of PUTs: every acknowledged object stays readable', async () => {
    const victim = cluster.storages[1];
    const acked: { name: string; body: string }[] = [];
    let next = 0;
    let killed = false;
    const worker = async (): Promise<void> => {
      while (next < 60) {
        const i = next++;
        const name = `stream/${i}`;
        const body = `object ${i} `.repeat(2000 + i);
        if (i === 20 && !killed) {
          killed = true;
          void victim.kill();
        }
        const r = await put(name, body).catch(() => undefined);
        if (r?.status === 201) acked.push({ name, body });
        else expect([503, undefined]).toContain(r?.status);
      }
    };
    try {
      await Promise.all([worker(), worker(), worker(), worker()]);
      expect(acked.length).toBeGreaterThanOrEqual(55);
      for (const { name, body } of acked) {
        const g = await cluster.proxy.request({ method: 'GET', path: obj(name) });
        expect(g.status).toBe(200);
        expect(md5(g.body)).toBe(md5(body));
      }
    } finally {
      await victim.restart();
    }
  });

  test('one storage server down: PUT still 201 (handoff), GET returns the data', async () => {
    const name = 'while-down.txt';
    const { nodes } = cluster.nodesFor('object', ACCOUNT, CONTAINER, name);
    const victim = cluster.storageAt(nodes[0].port);
    await victim.kill();
    try {
      const p = await put(name, 'still here');
      expect(p.status).toBe(201);
      // Three copies: two primaries and the handoff standing in for the dead one.
      expect(dataFiles(name)).toHaveLength(3);
      const g = await cluster.proxy.request({ method: 'GET', path: obj(name) });
      expect(g.status).toBe(200);
      expect(g.body.toString()).toBe('still here');
      // An object stored before the failure is read from the remaining replicas.
      const old = await cluster.proxy.request({ method: 'GET', path: obj('greeting.txt') });
      expect(old.status).toBe(200);
    } finally {
      await victim.restart();
    }
  });

  test('no request ended in an unexpected error (500) in the proxy', () => {
    const errors = cluster.proxy.logs.filter((l) => l.includes('"level":"error"'));
    expect(errors).toEqual([]);
  });
});
