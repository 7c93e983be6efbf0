/**
 * The container layer of the real storage server process: container PUT/HEAD/GET/POST/DELETE,
 * object row updates (X-Backend-Storage-Layer: container), listings with their parameters,
 * counts and bytes, and the DELETE rules (409 while not empty, then 204, then 404).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { startStorage, type Reply, type StorageHandle } from './storage-harness';

let s: StorageHandle;
let clock = 1_700_000_000;
const ts = (): string => `${++clock}.00000`;
const C = '/sda/3/AUTH_test/photos';
const enc = (name: string): string => encodeURIComponent(name).replace(/%2F/g, '/');
const layer = { 'X-Backend-Storage-Layer': 'container' };

function addRow(name: string, size: number, timestamp = ts()): Promise<Reply> {
  return s.request({ method: 'PUT', path: `${C}/${enc(name)}`, headers: { ...layer, 'X-Timestamp': timestamp, 'X-Size': size, 'X-Etag': `etag-${name.length}`, 'X-Content-Type': 'image/jpeg' } });
}
function deleteRow(name: string, timestamp = ts()): Promise<Reply> {
  return s.request({ method: 'DELETE', path: `${C}/${enc(name)}`, headers: { ...layer, 'X-Timestamp': timestamp } });
}
async function names(query: string): Promise<string[]> {
  const r = await s.request({ method: 'GET', path: `${C}?${query}`, headers: layer });
  expect(r.status).toBe(200);
  expect(r.headers['content-type']).toMatch(/^application\/json/);
  return (JSON.parse(r.body.toString('utf8')) as { name?: string; subdir?: string }[]).map((e) => e.name ?? `dir:${e.subdir}`);
}

beforeAll(async () => {
  s = await startStorage({ devices: ['sda'] });
});

afterAll(async () => {
  await s?.stop();
});

describe('container layer over HTTP', () => {
  test('create, rows, listings, counts, and the delete rules', async () => {
    expect((await s.request({ method: 'HEAD', path: C, headers: layer })).status).toBe(404);
    // Row updates need the container.
    expect((await addRow('early.jpg', 1)).status).toBe(404);

    const created = ts();
    expect((await s.request({ method: 'PUT', path: C, headers: { ...layer, 'X-Timestamp': created, 'X-Container-Meta-Owner': 'ana' } })).status).toBe(201);
    expect(existsSync(path.join(s.devicesRoot, 'sda', 'db'))).toBe(true);
    expect((await s.request({ method: 'PUT', path: C, headers: { ...layer, 'X-Timestamp': ts() } })).status).toBe(202);

    for (const [name, size] of [['2024/jan/a.jpg', 100], ['2024/jan/b.jpg', 200], ['2024/feb/c.jpg', 300], ['cover.jpg', 50], ['zé.jpg', 7]] as const) {
      expect((await addRow(name, size)).status).toBe(201);
    }
    // An older update for a row already held is accepted and ignored.
    expect((await addRow('cover.jpg', 999, '1600000000.00000')).status).toBe(202);
    expect((await deleteRow('2024/jan/b.jpg')).status).toBe(204);

    const head = await s.request({ method: 'HEAD', path: C, headers: layer });
    expect(head.status).toBe(204);
    expect(head.headers['x-container-object-count']).toBe('4');
    expect(head.headers['x-container-bytes-used']).toBe(String(100 + 300 + 50 + 7));
    expect(head.headers['x-container-meta-owner']).toBe('ana');
    expect(head.headers['x-timestamp']).toBe(created);

    expect(await names('')).toEqual(['2024/feb/c.jpg', '2024/jan/a.jpg', 'cover.jpg', 'zé.jpg']);
    expect(await names('delimiter=/')).toEqual(['dir:2024/', 'cover.jpg', 'zé.jpg']);
    expect(await names('prefix=2024/&delimiter=/')).toEqual(['dir:2024/feb/', 'dir:2024/jan/']);
    // path= (Swift): direct children only, no subdirs; prefix and delimiter are overridden.
    expect(await names('path=2024/jan')).toEqual(['2024/jan/a.jpg']);
    expect(await names('path=2024&prefix=zz')).toEqual([]);
    expect(await names('path=')).toEqual(['cover.jpg', 'zé.jpg']);
    expect(await names('prefix=2024/jan/')).toEqual(['2024/jan/a.jpg']);
    expect(await names('marker=2024/jan/a.jpg')).toEqual(['cover.jpg', 'zé.jpg']);
    expect(await names('end_marker=cover.jpg')).toEqual(['2024/feb/c.jpg', '2024/jan/a.jpg']);
    expect(await names('limit=2')).toEqual(['2024/feb/c.jpg', '2024/jan/a.jpg']);
    expect(await names('reverse=true&limit=3')).toEqual(['zé.jpg', 'cover.jpg', '2024/jan/a.jpg']);
    expect(await names(`reverse=on&marker=${encodeURIComponent('zé.jpg')}&end_marker=2024/feb/c.jpg`)).toEqual(['cover.jpg', '2024/jan/a.jpg']);

    const full = JSON.parse((await s.request({ method: 'GET', path: `${C}?prefix=cover`, headers: layer })).body.toString()) as unknown[];
    expect(full).toEqual([{ name: 'cover.jpg', hash: 'etag-9', bytes: 50, content_type: 'image/jpeg', last_modified: expect.stringMatching(/^2023-11-14T\d\d:\d\d:\d\d\.000000$/) }]);

    expect((await s.request({ method: 'GET', path: `${C}?limit=10001`, headers: layer })).status).toBe(412);
    expect((await s.request({ method: 'GET', path: `${C}?limit=x`, headers: layer })).status).toBe(400);

    // POST replaces metadata items by timestamp; an empty value removes one.
    expect((await s.request({ method: 'POST', path: C, headers: { ...layer, 'X-Timestamp': ts(), 'X-Container-Meta-Owner': '', 'X-Container-Meta-Tag': 'trip' } })).status).toBe(204);
    const after = await s.request({ method: 'HEAD', path: C, headers: layer });
    expect(after.headers['x-container-meta-owner']).toBeUndefined();
    expect(after.headers['x-container-meta-tag']).toBe('trip');

    // Not empty: 409, nothing changes.
    expect((await s.request({ method: 'DELETE', path: C, headers: { ...layer, 'X-Timestamp': ts() } })).status).toBe(409);
    for (const name of ['2024/jan/a.jpg', '2024/feb/c.jpg', 'cover.jpg', 'zé.jpg']) expect((await deleteRow(name)).status).toBe(204);
    const empty = await s.request({ method: 'HEAD', path: C, headers: layer });
    expect(empty.headers['x-container-object-count']).toBe('0');
    expect(empty.headers['x-container-bytes-used']).toBe('0');
    expect(await names('')).toEqual([]);

    expect((await s.request({ method: 'DELETE', path: C, headers: { ...layer, 'X-Timestamp': ts() } })).status).toBe(204);
    expect((await s.request({ method: 'GET', path: C, headers: layer })).status).toBe(404);
    expect((await s.request({ method: 'HEAD', path: C, headers: layer })).status).toBe(404);
    expect((await s.request({ method: 'DELETE', path: C, headers: { ...layer, 'X-Timestamp': ts() } })).status).toBe(404);
    expect((await addRow('late.jpg', 1)).status).toBe(404);
  });

  test('the object layer is untouched: an object path without the layer header is an object', async () => {
    const body = Buffer.from('hi');
    const r = await s.request({ method: 'PUT', path: '/sda/3/AUTH_test/other/o', headers: { 'X-Timestamp': ts(), 'Content-Type': 'text/plain', 'Content-Length': 2 }, body });
    expect(r.status).toBe(201);
    expect((await s.request({ method: 'GET', path: '/sda/3/AUTH_test/other/o' })).body.toString()).toBe('hi');
    // ... and the container layer knows nothing about it (no container update wiring yet).
    expect((await s.request({ method: 'HEAD', path: '/sda/3/AUTH_test/other', headers: layer })).status).toBe(404);
  });

  test('refusals: missing headers, unknown layer, wrong methods, missing device, account paths', async () => {
    const c2 = '/sda/3/AUTH_test/c2';
    // Without the layer header a container path is not served (the object layer's 501).
    expect((await s.request({ method: 'PUT', path: c2, headers: { 'X-Timestamp': ts() } })).status).toBe(501);
    expect((await s.request({ method: 'PUT', path: c2, headers: layer })).status).toBe(400);
    expect((await s.request({ method: 'PUT', path: c2, headers: { ...layer, 'X-Timestamp': ts() } })).status).toBe(201);
    expect((await s.request({ method: 'PUT', path: `${c2}/o`, headers: { ...layer, 'X-Timestamp': ts(), 'X-Size': 1 } })).status).toBe(400);
    expect((await s.request({ method: 'PUT', path: `${c2}/o`, headers: { ...layer, 'X-Timestamp': ts(), 'X-Size': -1, 'X-Etag': 'e', 'X-Content-Type': 't' } })).status).toBe(400);
    expect((await s.request({ method: 'GET', path: `${c2}/o`, headers: layer })).status).toBe(405);
    expect((await s.request({ method: 'GET', path: `${c2}/o`, headers: { 'X-Backend-Storage-Layer': 'bogus' } })).status).toBe(400);
    expect((await s.request({ method: 'HEAD', path: '/sdz/3/AUTH_test/c2', headers: layer })).status).toBe(507);
    expect((await s.request({ method: 'HEAD', path: '/sda/3/AUTH_test', headers: layer })).status).toBe(501);
    expect((await s.request({ method: 'PUT', path: c2, headers: { ...layer, 'X-Timestamp': ts(), 'X-Container-Meta-Big': 'x'.repeat(257) } })).status).toBe(400);
  });
});
