/**
 * The auditor against a real storage server: a byte of a stored object is changed on disk (same
 * length, so only the MD5 can tell); one auditor pass quarantines it (hash directory moved to
 * quarantined/objects/<hash>, suffix marked in hashes.invalid) and the server answers 404 for
 * it; an intact object is left alone.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { hashPath } from '../../../services/object/common/hash-path';
import { runWorkersOnce, startStorageProcess, writeRings, type StorageProcess } from './workers-harness';

let dir: string;
let server: StorageProcess | undefined;
const OBJ = (name: string): string => `/sda/3/AUTH_aud/cont/${name}`;
const hashDir = (name: string): string => {
  const h = hashPath('it-prefix', 'it-suffix', 'AUTH_aud', 'cont', name);
  return path.join(server!.devicesRoot, 'sda', 'objects', '3', h.slice(-3), h);
};

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'weft-workers-auditor-'));
  server = await startStorageProcess({ dir, name: 'srv', devices: ['sda'] });
  writeRings(path.join(dir, 'rings'), [{ port: server.port, device: 'sda' }]);
});

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a corrupted object is quarantined by one auditor pass and then reads as 404', async () => {
  const body = Buffer.alloc(200_000, 'a');
  for (const name of ['bad', 'good']) {
    const put = await server!.request({ method: 'PUT', path: OBJ(name), headers: { 'X-Timestamp': '1700000001.00000', 'Content-Type': 'application/octet-stream', 'Content-Length': body.length }, body });
    expect(put.status).toBe(201);
  }
  const badDir = hashDir('bad');
  const dataFile = path.join(badDir, readdirSync(badDir).find((f) => f.endsWith('.data'))!);
  const bytes = readFileSync(dataFile);
  bytes[12_345] ^= 0x01;
  writeFileSync(dataFile, bytes);

  const run = await runWorkersOnce({ dir, devicesRoot: server!.devicesRoot, ringDir: path.join(dir, 'rings'), storagePort: server!.port, only: ['auditor'], workers: { auditor: { bytesPerSecond: 100 * 1024 * 1024 } } });
  expect(run.code).toBe(0);
  expect(run.passes.auditor).toEqual(expect.objectContaining({ objects: 2, quarantined: 1, errors: 0, bytes: 2 * body.length }));

  const h = path.basename(badDir);
  expect(existsSync(badDir)).toBe(false);
  expect(readdirSync(path.join(server!.devicesRoot, 'sda', 'quarantined', 'objects'))).toEqual([h]);
  const invalid = readdirSync(path.join(server!.devicesRoot, 'sda', 'objects', '3')).filter((n) => n.startsWith('hashes.invalid'));
  expect(invalid.map((n) => readFileSync(path.join(server!.devicesRoot, 'sda', 'objects', '3', n), 'utf8')).join('')).toContain(`${h.slice(-3)}\n`);

  expect((await server!.request({ method: 'GET', path: OBJ('bad') })).status).toBe(404);
  const good = await server!.request({ method: 'GET', path: OBJ('good') });
  expect(good.status).toBe(200);
  expect(good.body.equals(body)).toBe(true);

  // A second pass finds nothing more to do.
  const again = await runWorkersOnce({ dir, devicesRoot: server!.devicesRoot, ringDir: path.join(dir, 'rings'), storagePort: server!.port, only: ['auditor'] });
  expect(again.passes.auditor).toEqual(expect.objectContaining({ objects: 1, quarantined: 0 }));
});
