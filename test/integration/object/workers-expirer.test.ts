/**
 * X-Delete-At and the expirer on a real storage server holding both the object and its
 * container (one-replica rings): an object PUT with X-Delete-At a second ahead reads as 404 once
 * that time has passed; one expirer pass deletes it (tombstone at the delete-at time) and removes
 * it from the container listing. An object re-posted without X-Delete-At stays, and one that is
 * not due yet is left for a later pass.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Ring, decodeRingFile, ringFilePath } from '../../../services/object/ring';
import { runWorkersOnce, startStorageProcess, writeRings, type StorageProcess } from './workers-harness';

let dir: string;
let server: StorageProcess | undefined;
let ringDir: string;
let cpart = 0;
let opart = (_name: string): number => 0;
let clock = 1_700_000_000;
const ts = (): string => `${++clock}.00000`;
const clayer = { 'X-Backend-Storage-Layer': 'container' };
const C = (): string => `/sda/${cpart}/AUTH_exp/cont`;
const OBJ = (name: string): string => `/sda/${opart(name)}/AUTH_exp/cont/${name}`;
const target = (): Record<string, string> => ({ 'X-Container-Host': `127.0.0.1:${server!.port}`, 'X-Container-Device': 'sda', 'X-Container-Partition': String(cpart) });

async function names(): Promise<string[]> {
  const r = await server!.request({ method: 'GET', path: C(), headers: clayer });
  expect(r.status).toBe(200);
  return (JSON.parse(r.body.toString('utf8')) as { name: string }[]).map((e) => e.name);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'weft-workers-expirer-'));
  server = await startStorageProcess({ dir, name: 'srv', devices: ['sda'] });
  ringDir = path.join(dir, 'rings');
  writeRings(ringDir, [{ port: server.port, device: 'sda' }]);
  const hash = { prefix: 'it-prefix', suffix: 'it-suffix' };
  const objectRing = new Ring(decodeRingFile(readFileSync(ringFilePath(ringDir, 'object'))), hash);
  const containerRing = new Ring(decodeRingFile(readFileSync(ringFilePath(ringDir, 'container'))), hash);
  cpart = containerRing.partitionFor('AUTH_exp', 'cont');
  opart = (name) => objectRing.partitionFor('AUTH_exp', 'cont', name);
  expect((await server.request({ method: 'PUT', path: C(), headers: { ...clayer, 'X-Timestamp': ts() } })).status).toBe(201);
});

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('X-Delete-At in the past is refused on PUT and POST', async () => {
  const past = String(Math.floor(Date.now() / 1000) - 10);
  const put = await server!.request({ method: 'PUT', path: OBJ('past'), headers: { 'X-Timestamp': ts(), 'Content-Type': 'text/plain', 'Content-Length': 1, 'X-Delete-At': past }, body: 'p' });
  expect(put.status).toBe(400);
  const bad = await server!.request({ method: 'PUT', path: OBJ('past'), headers: { 'X-Timestamp': ts(), 'Content-Type': 'text/plain', 'Content-Length': 1, 'X-Delete-At': 'soon' }, body: 'p' });
  expect(bad.status).toBe(400);
  expect((await server!.request({ method: 'PUT', path: OBJ('past'), headers: { 'X-Timestamp': ts(), 'Content-Type': 'text/plain', 'Content-Length': 1 }, body: 'p' })).status).toBe(201);
  expect((await server!.request({ method: 'POST', path: OBJ('past'), headers: { 'X-Timestamp': ts(), 'X-Delete-At': past } })).status).toBe(400);
  expect((await server!.request({ method: 'HEAD', path: OBJ('past') })).status).toBe(200);
  // The expirer's DELETE is refused (412, nothing written) when the object does not expire then.
  const soon = String(Math.floor(Date.now() / 1000) + 100);
  expect((await server!.request({ method: 'DELETE', path: OBJ('past'), headers: { 'X-Timestamp': ts(), 'X-If-Delete-At': soon } })).status).toBe(412);
  expect((await server!.request({ method: 'HEAD', path: OBJ('past') })).status).toBe(200);
});

test('an expired object reads as 404, and one expirer pass deletes it and its listing row', async () => {
  const deleteAt = Math.floor(Date.now() / 1000) + 2;
  for (const name of ['short', 'kept']) {
    const put = await server!.request({ method: 'PUT', path: OBJ(name), headers: { ...target(), 'X-Timestamp': ts(), 'Content-Type': 'text/plain', 'Content-Length': 2, 'X-Delete-At': String(deleteAt) }, body: 'hi' });
    expect(put.status).toBe(201);
  }
  const later = Math.floor(Date.now() / 1000) + 3600;
  expect((await server!.request({ method: 'PUT', path: OBJ('later'), headers: { ...target(), 'X-Timestamp': ts(), 'Content-Type': 'text/plain', 'Content-Length': 1, 'X-Delete-At': String(later) }, body: 'l' })).status).toBe(201);
  // A POST without X-Delete-At ends 'kept''s expiry (and drops its index entry).
  expect((await server!.request({ method: 'POST', path: OBJ('kept'), headers: { 'X-Timestamp': ts(), 'X-Object-Meta-Color': 'blue' } })).status).toBe(202);
  const head = await server!.request({ method: 'HEAD', path: OBJ('short') });
  expect(head.status).toBe(200);
  expect(head.headers['x-delete-at']).toBe(String(deleteAt));
  expect((await names()).sort()).toEqual(['kept', 'later', 'short']);

  await new Promise((r) => setTimeout(r, Math.max(0, deleteAt * 1000 - Date.now() + 50)));
  expect((await server!.request({ method: 'GET', path: OBJ('short') })).status).toBe(404);
  expect((await server!.request({ method: 'POST', path: OBJ('short'), headers: { 'X-Timestamp': ts() } })).status).toBe(404);
  // Not yet deleted: the listing still has it until the expirer runs.
  expect(await names()).toContain('short');

  const run = await runWorkersOnce({ dir, devicesRoot: server!.devicesRoot, ringDir, storagePort: server!.port, only: ['expirer'] });
  expect(run.code).toBe(0);
  expect(run.passes.expirer).toEqual(expect.objectContaining({ due: 1, expired: 1, failures: 0, errors: 0 }));
  expect((await names()).sort()).toEqual(['kept', 'later']);
  const gone = await server!.request({ method: 'GET', path: OBJ('short') });
  expect(gone.status).toBe(404);
  expect(gone.headers['x-backend-timestamp']).toBe(`${deleteAt}.00000`);
  expect((await server!.request({ method: 'GET', path: OBJ('kept') })).status).toBe(200);

  // Only the entry of 'later' is left in the index.
  const root = path.join(server!.devicesRoot, 'sda', 'expiring');
  const left = existsSync(root) ? readdirSync(root).flatMap((d) => readdirSync(path.join(root, d))) : [];
  expect(left).toHaveLength(1);
  expect(left[0].startsWith(`${later}-`)).toBe(true);
}, 20_000);
