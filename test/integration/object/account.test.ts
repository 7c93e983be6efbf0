/**
 * The account layer of the real storage server process (X-Backend-Storage-Layer: account):
 * account PUT/HEAD/GET/POST/DELETE, container rows reported by container servers, counts, and
 * the container listing with its parameters.
 */
import { startStorage, type Reply, type StorageHandle } from './storage-harness';

let s: StorageHandle;
let clock = 1_700_000_000;
const ts = (): string => `${++clock}.00000`;
const A = '/sda/7/AUTH_acct';
const layer = { 'X-Backend-Storage-Layer': 'account' };

function report(name: string, objects: number, bytes: number, put = ts(), del?: string): Promise<Reply> {
  const headers: Record<string, string | number> = { ...layer, 'X-Put-Timestamp': put, 'X-Object-Count': objects, 'X-Bytes-Used': bytes };
  if (del) headers['X-Delete-Timestamp'] = del;
  return s.request({ method: 'PUT', path: `${A}/${encodeURIComponent(name)}`, headers });
}
async function names(query: string): Promise<string[]> {
  const r = await s.request({ method: 'GET', path: `${A}?${query}`, headers: layer });
  expect(r.status).toBe(200);
  return (JSON.parse(r.body.toString('utf8')) as { name?: string; subdir?: string }[]).map((e) => e.name ?? `dir:${e.subdir}`);
}

beforeAll(async () => {
  s = await startStorage({ devices: ['sda'] });
});

afterAll(async () => {
  await s?.stop();
});

describe('account layer over HTTP', () => {
  test('create, container rows, listings, counts, metadata, delete', async () => {
    expect((await s.request({ method: 'HEAD', path: A, headers: layer })).status).toBe(404);
    expect((await report('early', 1, 1)).status).toBe(404);
    // Without the layer header an account path is not served.
    expect((await s.request({ method: 'HEAD', path: A })).status).toBe(501);

    const created = ts();
    expect((await s.request({ method: 'PUT', path: A, headers: { ...layer, 'X-Timestamp': created, 'X-Account-Meta-Owner': 'ana' } })).status).toBe(201);
    expect((await s.request({ method: 'PUT', path: A, headers: { ...layer, 'X-Timestamp': ts() } })).status).toBe(202);

    for (const [name, objects, bytes] of [['photos', 2, 200], ['logs-2024', 5, 50], ['logs-2025', 1, 10], ['zé', 0, 0]] as const) {
      expect((await report(name, objects, bytes)).status).toBe(201);
    }
    // A newer report replaces the counts; an older one is accepted and ignored.
    expect((await report('photos', 3, 300)).status).toBe(201);
    expect((await report('photos', 99, 999, '1600000000.00000')).status).toBe(202);
    // A deleted container leaves the listing and the counts.
    expect((await report('logs-2025', 0, 0, '1600000000.00000', ts())).status).toBe(201);

    const head = await s.request({ method: 'HEAD', path: A, headers: layer });
    expect(head.status).toBe(204);
    expect(head.headers['x-account-container-count']).toBe('3');
    expect(head.headers['x-account-object-count']).toBe('8');
    expect(head.headers['x-account-bytes-used']).toBe('350');
    expect(head.headers['x-account-meta-owner']).toBe('ana');
    expect(head.headers['x-timestamp']).toBe(created);

    expect(await names('')).toEqual(['logs-2024', 'photos', 'zé']);
    expect(await names('delimiter=-')).toEqual(['dir:logs-', 'photos', 'zé']);
    expect(await names('prefix=logs')).toEqual(['logs-2024']);
    expect(await names('marker=logs-2024')).toEqual(['photos', 'zé']);
    expect(await names('end_marker=photos')).toEqual(['logs-2024']);
    expect(await names('limit=1&reverse=true')).toEqual(['zé']);
    const full = JSON.parse((await s.request({ method: 'GET', path: `${A}?prefix=photos`, headers: layer })).body.toString()) as unknown[];
    expect(full).toEqual([{ name: 'photos', count: 3, bytes: 300, last_modified: expect.stringMatching(/^2023-11-14T\d\d:\d\d:\d\d\.000000$/) }]);
    expect((await s.request({ method: 'GET', path: `${A}?limit=10001`, headers: layer })).status).toBe(412);

    expect((await s.request({ method: 'POST', path: A, headers: { ...layer, 'X-Timestamp': ts(), 'X-Account-Meta-Owner': '', 'X-Account-Meta-Tag': 't' } })).status).toBe(204);
    const after = await s.request({ method: 'HEAD', path: A, headers: layer });
    expect(after.headers['x-account-meta-owner']).toBeUndefined();
    expect(after.headers['x-account-meta-tag']).toBe('t');

    // Object paths are not the account layer's.
    expect((await s.request({ method: 'PUT', path: `${A}/c/o`, headers: { ...layer, 'X-Timestamp': ts() } })).status).toBe(400);
    expect((await s.request({ method: 'DELETE', path: `${A}/photos`, headers: layer })).status).toBe(405);

    // DELETE marks the account deleted even with containers in it (the reaper empties it later).
    expect((await s.request({ method: 'DELETE', path: A, headers: { ...layer, 'X-Timestamp': ts() } })).status).toBe(204);
    const gone = await s.request({ method: 'HEAD', path: A, headers: layer });
    expect(gone.status).toBe(404);
    expect(gone.headers['x-account-status']).toBe('Deleted');
    expect((await s.request({ method: 'DELETE', path: A, headers: { ...layer, 'X-Timestamp': ts() } })).status).toBe(404);
    expect((await report('photos', 1, 1)).status).toBe(404);
    // No PUT brings it back, older or newer (Swift's "Recently deleted"), until it is reclaimed.
    for (const at of ['1600000000.00000', ts()]) {
      const refused = await s.request({ method: 'PUT', path: A, headers: { ...layer, 'X-Timestamp': at, 'X-Account-Meta-Owner': 'eve' } });
      expect(refused.status).toBe(403);
      expect(refused.body.toString()).toBe('Recently deleted\n');
      expect(refused.headers['x-account-status']).toBe('Deleted');
    }
  });

  test('a deleted account: reports may only delete containers; reclaimed once old and empty, then created afresh', async () => {
    const B = '/sda/9/AUTH_reclaim';
    const row = (name: string, put: string, del?: string): Promise<Reply> =>
      s.request({ method: 'PUT', path: `${B}/${name}`, headers: { ...layer, 'X-Put-Timestamp': put, 'X-Delete-Timestamp': del ?? '0', 'X-Object-Count': del ? 0 : 4, 'X-Bytes-Used': del ? 0 : 40 } });
    const reclaim = (before: string, extra: Record<string, string> = {}): Promise<Reply> =>
      s.request({ method: 'DELETE', path: B, headers: { ...layer, 'X-Timestamp': ts(), 'X-Backend-Reclaim-Before': before, ...extra } });
    const created = ts();
    expect((await s.request({ method: 'PUT', path: B, headers: { ...layer, 'X-Timestamp': created, 'X-Account-Meta-Owner': 'ana' } })).status).toBe(201);
    const containerPut = ts();
    expect((await row('c1', containerPut)).status).toBe(201);
    expect((await row('c2', containerPut)).status).toBe(201);
    // A live account is not reclaimable.
    const live = await reclaim(ts());
    expect(live.status).toBe(409);
    expect(live.headers['x-backend-reclaim-refused']).toBe('live');

    const deletedAt = ts();
    expect((await s.request({ method: 'DELETE', path: B, headers: { ...layer, 'X-Timestamp': deletedAt } })).status).toBe(204);
    // Its DELETE is not older than the cutoff yet.
    expect((await reclaim(deletedAt)).headers['x-backend-reclaim-refused']).toBe('too_recent');
    const later = ts();
    // Still holding containers (the reaper has not deleted them).
    expect((await reclaim(later)).headers['x-backend-reclaim-refused']).toBe('not_empty');
    // Live reports are refused (no container comes back into it); deletions are taken.
    expect((await row('c1', containerPut)).status).toBe(404);
    expect((await row('c3', ts())).status).toBe(404);
    const reaped = ts();
    expect((await row('c1', containerPut, reaped)).status).toBe(201);
    expect((await reclaim(later)).headers['x-backend-reclaim-refused']).toBe('not_empty');
    expect((await row('c2', containerPut, reaped)).status).toBe(201);
    // A dry run only says yes.
    expect((await reclaim(later, { 'X-Backend-Reclaim-Dry-Run': 'true' })).status).toBe(204);
    const stillDeleted = await s.request({ method: 'HEAD', path: B, headers: layer });
    expect(stillDeleted.headers['x-account-status']).toBe('Deleted');
    expect((await s.request({ method: 'PUT', path: B, headers: { ...layer, 'X-Timestamp': ts() } })).status).toBe(403);

    expect((await reclaim(later)).status).toBe(204);
    const gone = await s.request({ method: 'HEAD', path: B, headers: layer });
    expect(gone.status).toBe(404);
    expect(gone.headers['x-account-status']).toBeUndefined();
    expect((await reclaim(later)).status).toBe(404);
    expect((await reclaim('not a timestamp')).status).toBe(400);

    // A PUT as old as the reclaimed DELETE is refused; a new one creates a fresh, empty account.
    expect((await s.request({ method: 'PUT', path: B, headers: { ...layer, 'X-Timestamp': deletedAt } })).status).toBe(409);
    const recreated = ts();
    expect((await s.request({ method: 'PUT', path: B, headers: { ...layer, 'X-Timestamp': recreated } })).status).toBe(201);
    const fresh = await s.request({ method: 'HEAD', path: B, headers: layer });
    expect(fresh.status).toBe(204);
    expect(fresh.headers).toMatchObject({ 'x-account-container-count': '0', 'x-account-object-count': '0', 'x-account-bytes-used': '0', 'x-timestamp': recreated });
    expect(fresh.headers['x-account-meta-owner']).toBeUndefined();
    const listing = await s.request({ method: 'GET', path: B, headers: layer });
    expect(JSON.parse(listing.body.toString())).toEqual([]);
  });
});
