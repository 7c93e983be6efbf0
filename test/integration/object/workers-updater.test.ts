/**
 * The updater between two real storage servers: the container server is down while an object
 * PUT commits, so the row update goes to async_pending; the container server comes back (same
 * port, same devices) and one updater pass (`workers/main.js --once --only updater`) applies the
 * update and removes the file. Older updates of the same object are removed unsent.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { hashPath } from '../../../services/object/common/hash-path';
import { runWorkersOnce, startStorageProcess, writeRings, type StorageProcess } from './workers-harness';

let dir: string;
let objectServer: StorageProcess | undefined;
let containerServer: StorageProcess | undefined;
let containerPort = 0;
let accountServer: StorageProcess | undefined;
let clock = 1_700_000_000;
const ts = (): string => `${++clock}.00000`;
const C = '/sdc/9/AUTH_upd/cont';
const clayer = { 'X-Backend-Storage-Layer': 'container' };
const OBJ = (name: string): string => `/sda/5/AUTH_upd/cont/${encodeURIComponent(name)}`;
const target = (): Record<string, string> => ({ 'X-Container-Host': `127.0.0.1:${containerPort}`, 'X-Container-Device': 'sdc', 'X-Container-Partition': '9' });

function pending(): string[] {
  const root = path.join(objectServer!.devicesRoot, 'sda', 'async_pending');
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((s) => readdirSync(path.join(root, s))).sort();
}

async function listing(): Promise<{ name: string; bytes: number }[]> {
  const r = await containerServer!.request({ method: 'GET', path: C, headers: clayer });
  expect(r.status).toBe(200);
  return JSON.parse(r.body.toString('utf8')) as { name: string; bytes: number }[];
}

const updater = (): ReturnType<typeof runWorkersOnce> =>
  runWorkersOnce({ dir, devicesRoot: objectServer!.devicesRoot, ringDir: path.join(dir, 'rings'), storagePort: objectServer!.port, only: ['updater'] });

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'weft-workers-updater-'));
  objectServer = await startStorageProcess({ dir, name: 'obj', devices: ['sda'], config: { containerUpdateTimeoutMs: 500 } });
  containerServer = await startStorageProcess({ dir, name: 'cont', devices: ['sdc'] });
  containerPort = containerServer.port;
  writeRings(path.join(dir, 'rings'), [{ port: objectServer.port, device: 'sda' }]);
  expect((await containerServer.request({ method: 'PUT', path: C, headers: { ...clayer, 'X-Timestamp': ts() } })).status).toBe(201);
});

afterAll(async () => {
  await objectServer?.stop();
  await containerServer?.stop();
  await accountServer?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('updater', () => {
  test('container server down during a PUT: the queued update is applied once it is back', async () => {
    await containerServer!.stop();
    containerServer = undefined;
    const put = await objectServer!.request({ method: 'PUT', path: OBJ('late.txt'), headers: { ...target(), 'X-Timestamp': ts(), 'Content-Type': 'text/plain', 'Content-Length': 4 }, body: 'late' });
    expect(put.status).toBe(201);
    expect(pending()).toHaveLength(1);

    // Still down: the pass keeps the file.
    const down = await updater();
    expect(down.code).toBe(0);
    expect(down.passes.updater).toEqual(expect.objectContaining({ found: 1, failures: 1, successes: 0 }));
    expect(pending()).toHaveLength(1);

    containerServer = await startStorageProcess({ dir, name: 'cont', devices: ['sdc'], port: containerPort });
    expect(await listing()).toEqual([]);
    const up = await updater();
    expect(up.code).toBe(0);
    expect(up.passes.updater).toEqual(expect.objectContaining({ found: 1, successes: 1, failures: 0 }));
    expect(await listing()).toEqual([expect.objectContaining({ name: 'late.txt', bytes: 4 })]);
    expect(pending()).toEqual([]);
  });

  test('a newer queued update for the same object supersedes the older one', async () => {
    await containerServer!.stop();
    containerServer = undefined;
    const putTs = ts();
    expect((await objectServer!.request({ method: 'PUT', path: OBJ('gone.txt'), headers: { ...target(), 'X-Timestamp': putTs, 'Content-Type': 'text/plain', 'Content-Length': 1 }, body: 'g' })).status).toBe(201);
    const delTs = ts();
    expect((await objectServer!.request({ method: 'DELETE', path: OBJ('gone.txt'), headers: { ...target(), 'X-Timestamp': delTs } })).status).toBe(204);
    const h = hashPath('it-prefix', 'it-suffix', 'AUTH_upd', 'cont', 'gone.txt');
    expect(pending()).toEqual([`${h}-${putTs}`, `${h}-${delTs}`]);

    containerServer = await startStorageProcess({ dir, name: 'cont', devices: ['sdc'], port: containerPort });
    const run = await updater();
    expect(run.passes.updater).toEqual(expect.objectContaining({ found: 1, successes: 1, superseded: 1 }));
    expect(pending()).toEqual([]);
    // Only the DELETE was sent: no row for the object was ever live.
    expect((await listing()).map((r) => r.name)).toEqual(['late.txt']);
    const head = await containerServer.request({ method: 'HEAD', path: C, headers: clayer });
    expect(head.headers['x-container-object-count']).toBe('1');
  });

  test('many queued updates for one container are replayed in one row batch, each file settled by its own status', async () => {
    await containerServer!.stop();
    containerServer = undefined;
    const names = Array.from({ length: 30 }, (_, i) => `batch/${String(i).padStart(2, '0')}`);
    for (const [i, n] of names.entries()) {
      const body = 'x'.repeat(i + 1);
      expect((await objectServer!.request({ method: 'PUT', path: OBJ(n), headers: { ...target(), 'X-Timestamp': ts(), 'Content-Type': 'text/plain', 'Content-Length': body.length }, body })).status).toBe(201);
    }
    // One update for a container that does not exist on the container server: 404 in the batch, kept.
    const orphan = await objectServer!.request({ method: 'PUT', path: '/sda/5/AUTH_upd/nocont/o', headers: { ...target(), 'X-Timestamp': ts(), 'Content-Type': 'text/plain', 'Content-Length': 1 }, body: 'o' });
    expect(orphan.status).toBe(201);
    expect(pending()).toHaveLength(31);

    containerServer = await startStorageProcess({ dir, name: 'cont', devices: ['sdc'], port: containerPort });
    const statsBefore = JSON.parse((await containerServer.request({ method: 'GET', path: '/recon/stats' })).body.toString('utf8')) as { requests: Record<string, number> };
    const run = await updater();
    expect(run.code).toBe(0);
    // The orphan answers 404 and, queued at a timestamp older than reclaimAgeMs (this file's
    // clock starts in 2023), is dropped.
    expect(run.passes.updater).toEqual(expect.objectContaining({ found: 31, successes: 30, reclaimed: 1, failures: 0 }));
    const rows = (await listing()).filter((r) => r.name.startsWith('batch/'));
    expect(rows.map((r) => [r.name, r.bytes])).toEqual(names.map((n, i) => [n, i + 1]));
    // The orphan's container is another one: sent alone (404); the 30 went in one exchange, not 30.
    expect(pending()).toEqual([]);
    const statsAfter = JSON.parse((await containerServer.request({ method: 'GET', path: '/recon/stats' })).body.toString('utf8')) as { requests: Record<string, number> };
    const delta = (k: string): number => (statsAfter.requests[k] ?? 0) - (statsBefore.requests[k] ?? 0);
    expect(delta('POST 200')).toBe(1);
    expect(delta('PUT 201')).toBe(0);
    expect(delta('PUT 404')).toBe(1);
  });

  test('a queued container → account report is replayed once the account server is back', async () => {
    const A = '/sdx/2/AUTH_upd';
    const alayer = { 'X-Backend-Storage-Layer': 'account' };
    accountServer = await startStorageProcess({ dir, name: 'acct', devices: ['sdx'] });
    const accountPort = accountServer.port;
    expect((await accountServer.request({ method: 'PUT', path: A, headers: { ...alayer, 'X-Timestamp': ts() } })).status).toBe(201);
    await accountServer.stop();
    accountServer = undefined;

    const put = await containerServer!.request({
      method: 'PUT',
      path: '/sdc/9/AUTH_upd/cont2',
      headers: { ...clayer, 'X-Timestamp': ts(), 'X-Account-Host': `127.0.0.1:${accountPort}`, 'X-Account-Device': 'sdx', 'X-Account-Partition': '2' },
    });
    expect(put.status).toBe(201);
    const root = path.join(containerServer!.devicesRoot, 'sdc', 'async_pending');
    expect(readdirSync(root).flatMap((d) => readdirSync(path.join(root, d)))).toHaveLength(1);

    accountServer = await startStorageProcess({ dir, name: 'acct', devices: ['sdx'], port: accountPort });
    const run = await runWorkersOnce({ dir, devicesRoot: containerServer!.devicesRoot, ringDir: path.join(dir, 'rings'), storagePort: containerServer!.port, only: ['updater'] });
    expect(run.passes.updater).toEqual(expect.objectContaining({ found: 1, successes: 1 }));
    expect(readdirSync(root).flatMap((d) => readdirSync(path.join(root, d)))).toEqual([]);
    const listing = await accountServer.request({ method: 'GET', path: A, headers: alayer });
    expect(JSON.parse(listing.body.toString('utf8'))).toEqual([expect.objectContaining({ name: 'cont2', count: 0, bytes: 0 })]);
  });
});
