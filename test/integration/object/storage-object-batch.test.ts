/**
 * `POST /<device>` with `X-Backend-Storage-Layer: object-batch` against a real storage server
 * process: each entry is stored (or refused) exactly as its single PUT would be, the answer
 * lists every entry's status in order, container rows follow, a malformed batch stores nothing,
 * and the server's request counters see each entry as a PUT.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import * as path from 'node:path';
import { hashPath } from '../../../services/object/common/hash-path';
import { decodeReplies, encodeBatch, type BatchPut, type BatchReply } from '../../../services/object/common/object-batch';
import { startStorage, waitFor, type Reply, type StorageHandle } from './storage-harness';

const ACCOUNT = 'AUTH_test';
const CONTAINER = 'batchc';
const PART = '5';
/** The container lives on another device of the same server (its own rows layer). */
const C_DEVICE = 'sdc';
const C_PART = '9';
const C_PATH = `/${C_DEVICE}/${C_PART}/${ACCOUNT}/${CONTAINER}`;
const clayer = { 'X-Backend-Storage-Layer': 'container' };

let s: StorageHandle;
let clock = 1_700_000_000;
const ts = (): string => `${++clock}.00000`;
const md5 = (b: string | Buffer): string => createHash('md5').update(b).digest('hex');
const objPath = (name: string): string => `/sda/${PART}/${ACCOUNT}/${CONTAINER}/${encodeURIComponent(name).replace(/%2F/g, '/')}`;

function hashDir(name: string): string {
  const h = hashPath('it-prefix', 'it-suffix', ACCOUNT, CONTAINER, name);
  return path.join(s.devicesRoot, 'sda', 'objects', PART, h.slice(-3), h);
}
const ls = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).sort() : []);
const tmpFiles = (): string[] => ls(path.join(s.devicesRoot, 'sda', 'tmp'));

/** A batch entry for `name` with the headers a proxy would send (overridable, undefined drops). */
function entry(name: string, body: Buffer | string, headers: Record<string, string | undefined> = {}): BatchPut {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const all: Record<string, string | undefined> = { 'x-timestamp': ts(), 'content-type': 'text/plain', 'content-length': String(b.length), ...headers };
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(all)) if (v !== undefined) h[k] = v;
  return { partition: PART, account: ACCOUNT, container: CONTAINER, object: name, headers: h, body: b };
}

const containerTarget = (): Record<string, string> => ({ 'x-container-host': `127.0.0.1:${s.port}`, 'x-container-device': C_DEVICE, 'x-container-partition': C_PART });

function postBatch(body: Buffer, opts: { path?: string; method?: string } = {}): Promise<Reply> {
  return s.request({ method: opts.method ?? 'POST', path: opts.path ?? '/sda', headers: { 'X-Backend-Storage-Layer': 'object-batch', 'Content-Type': 'application/octet-stream', 'Content-Length': body.length }, body });
}

async function batch(entries: BatchPut[]): Promise<BatchReply[]> {
  const r = await postBatch(Buffer.concat(encodeBatch(entries)));
  expect([r.status, r.body.toString()]).toEqual([200, expect.any(String)]);
  expect(r.headers['content-type']).toBe('application/json');
  const replies = decodeReplies(r.body.toString('utf8'), entries.length);
  if (!replies) throw new Error(`not a batch answer: ${r.body.toString()}`);
  return replies;
}

/** A reply header by name, whatever its case. */
const hdr = (r: BatchReply, name: string): string | undefined => Object.entries(r.headers).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];

async function requests(): Promise<Record<string, number>> {
  const r = await s.request({ method: 'GET', path: '/recon/stats' });
  return (JSON.parse(r.body.toString()) as { requests: Record<string, number> }).requests;
}
const delta = (before: Record<string, number>, after: Record<string, number>): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const d = (after[k] ?? 0) - (before[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
};

/** The recon and verification reads in between are not what a test counts. */
const withoutReads = (d: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(d).filter(([k]) => !k.startsWith('GET ') && !k.startsWith('HEAD ')));

async function listing(): Promise<{ name: string; bytes: number; hash: string; content_type: string }[]> {
  const r = await s.request({ method: 'GET', path: C_PATH, headers: clayer });
  expect(r.status).toBe(200);
  return JSON.parse(r.body.toString('utf8')) as { name: string; bytes: number; hash: string; content_type: string }[];
}

async function head(name: string): Promise<number> {
  return (await s.request({ method: 'HEAD', path: objPath(name) })).status;
}

beforeAll(async () => {
  s = await startStorage({ devices: ['sda', C_DEVICE] });
  expect((await s.request({ method: 'PUT', path: C_PATH, headers: { ...clayer, 'X-Timestamp': ts() } })).status).toBe(201);
});

afterAll(async () => {
  await s?.stop();
});

describe('object batch on a storage server', () => {
  test('mixed outcomes: every entry answered in order, as its single PUT would be', async () => {
    // Already on disk, newer than what the batch will send for it.
    const existingTs = ts();
    const pre = await s.request({ method: 'PUT', path: objPath('existing'), headers: { 'X-Timestamp': existingTs, 'Content-Type': 'text/plain', 'Content-Length': 3 }, body: Buffer.from('old') });
    expect(pre.status).toBe(201);
    const olderTs = `${clock - 5}.00000`;

    const binary = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256));
    const before = await requests();
    const entries = [
      /* 0 */ entry('ok/binary.bin', binary, { 'content-type': 'application/x-test', 'x-object-meta-color': 'blue', 'x-object-meta-shape': 'round', etag: md5(binary) }),
      /* 1 */ entry('existing', 'too old', { 'x-timestamp': olderTs }),
      /* 2 */ entry('existing', 'same ts', { 'x-timestamp': existingTs }),
      /* 3 */ entry('no-type', 'x', { 'content-type': undefined }),
      /* 4 */ entry('no-ts', 'x', { 'x-timestamp': undefined }),
      /* 5 */ entry('bad-ts', 'x', { 'x-timestamp': 'yesterday' }),
      /* 6 */ entry('bad-etag', 'payload', { etag: md5('something else') }),
      /* 7 */ entry('short-body', 'abc', { 'content-length': '10' }),
      /* 8 */ entry('long-body', 'abcdef', { 'content-length': '2' }),
      /* 9 */ entry('past-delete', 'x', { 'x-delete-at': String(Math.floor(Date.now() / 1000) - 60) }),
      /* 10 */ entry('ok-empty', ''),
      /* 11 */ entry('no-length', 'abc', { 'content-length': undefined }),
      /* 12 */ entry('promised-trailer', 'abc', { 'x-backend-digest-trailer': 'crc32' }),
    ];
    const replies = await batch(entries);
    const after = await requests();
    expect(replies.map((r) => r.status)).toEqual([201, 409, 409, 400, 400, 400, 422, 499, 499, 400, 201, 411, 422]);
    // One exchange, and each entry counted as the PUT it is.
    expect(withoutReads(delta(before, after))).toEqual({ 'POST 200': 1, 'PUT 201': 2, 'PUT 409': 2, 'PUT 400': 4, 'PUT 422': 2, 'PUT 499': 2, 'PUT 411': 1 });

    // 201s carry what a single PUT answers with.
    expect(hdr(replies[0]!, 'etag')).toBe(`"${md5(binary)}"`);
    expect(hdr(replies[0]!, 'x-backend-timestamp')).toBe(entries[0]!.headers['x-timestamp']);
    expect(hdr(replies[10]!, 'etag')).toBe(`"${md5('')}"`);
    // A conflict names the timestamp on disk; refusals say why.
    expect(hdr(replies[1]!, 'x-backend-timestamp')).toBe(existingTs);
    expect(hdr(replies[2]!, 'x-backend-timestamp')).toBe(existingTs);
    expect(replies[3]!.message).toMatch(/content type/i);
    expect(replies[4]!.message).toMatch(/timestamp/i);
    expect(replies[9]!.message).toMatch(/X-Delete-At/);
    for (const i of [3, 4, 5, 6, 7, 8, 9, 11, 12]) expect(hdr(replies[i]!, 'etag')).toBeUndefined();

    // Stored: exact bytes, ETag, type and metadata, at the entry's partition.
    const g = await s.request({ method: 'GET', path: objPath('ok/binary.bin') });
    expect(g.status).toBe(200);
    expect(g.body.equals(binary)).toBe(true);
    expect(g.headers.etag).toBe(`"${md5(binary)}"`);
    expect(g.headers['content-type']).toBe('application/x-test');
    expect(g.headers['x-object-meta-color']).toBe('blue');
    expect(g.headers['x-object-meta-shape']).toBe('round');
    expect(g.headers['x-timestamp']).toBe(entries[0]!.headers['x-timestamp']);
    expect(ls(hashDir('ok/binary.bin'))).toEqual([`${entries[0]!.headers['x-timestamp']}.data`]);
    const empty = await s.request({ method: 'GET', path: objPath('ok-empty') });
    expect([empty.status, empty.body.length, empty.headers['content-length']]).toEqual([200, 0, '0']);

    // The conflicting entries changed nothing.
    const ex = await s.request({ method: 'GET', path: objPath('existing') });
    expect([ex.status, ex.body.toString(), ex.headers['x-timestamp']]).toEqual([200, 'old', existingTs]);
    expect(ls(hashDir('existing'))).toEqual([`${existingTs}.data`]);
    // The refused ones left nothing: no file in their hash directory, no temp file.
    for (const name of ['no-type', 'no-ts', 'bad-ts', 'bad-etag', 'short-body', 'long-body', 'past-delete', 'no-length', 'promised-trailer']) {
      expect([name, await head(name), ls(hashDir(name))]).toEqual([name, 404, []]);
    }
    expect(tmpFiles()).toEqual([]);
  });

  test('entries with X-Container-* update the container rows (sizes and etags)', async () => {
    const bodies = ['', 'a', 'hello world', 'x'.repeat(5000)];
    const names = ['rows/0', 'rows/1', 'rows/ünïcode 2', 'rows/3'];
    const replies = await batch(names.map((n, i) => entry(n, bodies[i]!, { ...containerTarget(), 'content-type': `type/${i}` })));
    expect(replies.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    const rows = (await listing()).filter((r) => r.name.startsWith('rows/'));
    expect(rows.map((r) => ({ name: r.name, bytes: r.bytes, hash: r.hash, content_type: r.content_type }))).toEqual(
      names.map((n, i) => ({ name: n, bytes: bodies[i]!.length, hash: md5(bodies[i]!), content_type: `type/${i}` })).sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name))),
    );
    // A refused entry in a batch adds no row; its neighbour does.
    const mixed = await batch([entry('rows/refused', 'x', { ...containerTarget(), etag: md5('y') }), entry('rows/4', 'four', containerTarget())]);
    expect(mixed.map((r) => r.status)).toEqual([422, 201]);
    const names2 = (await listing()).map((r) => r.name);
    expect(names2).toContain('rows/4');
    expect(names2).not.toContain('rows/refused');
    // No update was queued for later: the container answered.
    expect(ls(path.join(s.devicesRoot, 'sda', 'async_pending'))).toEqual([]);
  });

  test('a malformed batch is 400 and stores nothing, not even its well-formed entries', async () => {
    const good = encodeBatch([entry('malformed/good-1', 'one', containerTarget()), entry('malformed/good-2', 'two')]);
    const bad = encodeBatch([{ ...entry('malformed/bad', 'x'), partition: 'not-a-partition' }]);
    const before = await requests();
    const cases: Buffer[] = [
      Buffer.concat([...good, ...bad]),
      Buffer.concat([...good, Buffer.from([0, 0])]),
      Buffer.concat([...good.slice(0, 3), Buffer.from('on')]), // body cut short
      Buffer.alloc(0),
    ];
    for (const body of cases) {
      const r = await postBatch(body);
      expect(r.status).toBe(400);
      expect(r.body.toString()).toMatch(/entry \d+: |1 to \d+ entries/);
    }
    for (const name of ['malformed/good-1', 'malformed/good-2', 'malformed/bad']) expect([name, await head(name), ls(hashDir(name))]).toEqual([name, 404, []]);
    expect((await listing()).map((r) => r.name).filter((n) => n.startsWith('malformed/'))).toEqual([]);
    const d = withoutReads(delta(before, await requests()));
    expect(d).toEqual({ 'POST 400': cases.length });
  });

  test('two entries for the same object in one batch: the newer timestamp wins, whatever the order', async () => {
    for (const order of ['newer-first', 'older-first'] as const) {
      const name = `twice/${order}`;
      const older = entry(name, 'older body');
      const newer = entry(name, 'newer body!');
      const entries = order === 'newer-first' ? [newer, older] : [older, newer];
      const replies = await batch(entries);
      const newerReply = replies[entries.indexOf(newer)]!;
      const olderReply = replies[entries.indexOf(older)]!;
      expect([order, newerReply.status]).toEqual([order, 201]);
      // The older one either lost at once (409) or was committed first and then replaced.
      expect([order, [201, 409]]).toEqual([order, expect.arrayContaining([olderReply.status])]);
      const g = await s.request({ method: 'GET', path: objPath(name) });
      expect([order, g.status, g.body.toString(), g.headers['x-timestamp']]).toEqual([order, 200, 'newer body!', newer.headers['x-timestamp']]);
      expect(ls(hashDir(name))).toEqual([`${newer.headers['x-timestamp']}.data`]);
    }
  });

  test('a client that goes away mid-batch stores nothing', async () => {
    const before = await requests();
    const body = Buffer.concat(encodeBatch([entry('gone/1', 'complete entry'), entry('gone/2', 'x'.repeat(5000))]));
    const sock = connect(s.port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    sock.write(`POST /sda HTTP/1.1\r\nHost: x\r\nX-Backend-Storage-Layer: object-batch\r\nContent-Length: ${body.length}\r\n\r\n`);
    sock.write(body.subarray(0, body.length - 1000));
    await new Promise((r) => setTimeout(r, 100));
    sock.destroy();
    await waitFor(async () => Object.keys(withoutReads(delta(before, await requests()))).length > 0, 'the server to see the abort');
    const d = withoutReads(delta(before, await requests()));
    // Counted as the exchange that failed, no entry as a PUT.
    expect(Object.keys(d).filter((k) => k.startsWith('PUT '))).toEqual([]);
    expect(Object.keys(d)).toHaveLength(1);
    for (const name of ['gone/1', 'gone/2']) expect([name, await head(name), ls(hashDir(name))]).toEqual([name, 404, []]);
    expect(tmpFiles()).toEqual([]);
    // As for a single PUT, a client that went away is 499 (not a server error).
    expect(d).toEqual({ 'POST 499': 1 });
  });

  test('wrong method → 405, unknown device → 507, a path that is not /<device> → 400', async () => {
    const body = Buffer.concat(encodeBatch([entry('refused/method', 'x')]));
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const r = await postBatch(method === 'GET' ? Buffer.alloc(0) : body, { method });
      expect([method, r.status]).toEqual([method, 405]);
      expect(r.headers.allow).toBe('POST');
    }
    expect((await postBatch(body, { path: '/sdz' })).status).toBe(507);
    for (const p of ['/sda/5', `/sda/5/${ACCOUNT}/${CONTAINER}`, '/', '/..', '/sd%ZZ', '/bad%2Fdevice']) {
      expect([p, (await postBatch(body, { path: p })).status]).toEqual([p, 400]);
    }
    // A query string does not change the device.
    const q = await postBatch(Buffer.concat(encodeBatch([entry('query/ok', 'q')])), { path: '/sda?x=1' });
    expect(q.status).toBe(200);
    expect(await head('query/ok')).toBe(200);
    expect([await head('refused/method'), ls(hashDir('refused/method'))]).toEqual([404, []]);
  });
});
