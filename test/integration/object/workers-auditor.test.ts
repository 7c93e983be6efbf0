/**
 * The auditor against a real storage server: a byte of a stored object's body is changed on disk
 * (same length, so only the MD5 can tell), and a byte of another one's metadata footer (the
 * server writes a `.data` as body + metadata + trailer: data-footer.ts); one auditor pass
 * quarantines both (hash directory moved to quarantined/objects/<hash>, suffix marked in
 * hashes.invalid) and the server answers 404 for them; an intact object is left alone.
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

test('objects with a corrupted body or footer are quarantined by one auditor pass and then read as 404', async () => {
  const body = Buffer.alloc(200_000, 'a');
  for (const name of ['bad', 'badfooter', 'good']) {
    const put = await server!.request({ method: 'PUT', path: OBJ(name), headers: { 'X-Timestamp': '1700000001.00000', 'Content-Type': 'application/octet-stream', 'Content-Length': body.length }, body });
    expect(put.status).toBe(201);
    // One file per version: the metadata is in the `.data`'s footer, no `.meta.json` beside it.
    expect(readdirSync(hashDir(name))).toEqual(['1700000001.00000.data']);
  }
  const damage = (name: string, at: (size: number) => number): void => {
    const dataFile = path.join(hashDir(name), '1700000001.00000.data');
    const bytes = readFileSync(dataFile);
    expect(bytes.length).toBeGreaterThan(body.length + 16);
    bytes[at(bytes.length)] ^= 0x01;
    writeFileSync(dataFile, bytes);
  };
  const badDir = hashDir('bad');
  const badFooterDir = hashDir('badfooter');
  damage('bad', () => 12_345);
  // Inside the trailer's CRC-32 of the metadata JSON (the last 16 bytes: length, CRC, magic).
  damage('badfooter', (size) => size - 10);

  const run = await runWorkersOnce({ dir, devicesRoot: server!.devicesRoot, ringDir: path.join(dir, 'rings'), storagePort: server!.port, only: ['auditor'], workers: { auditor: { bytesPerSecond: 100 * 1024 * 1024 } } });
  expect(run.code).toBe(0);
  // The body of the damaged footer is never read: its metadata cannot be trusted.
  expect(run.passes.auditor).toEqual(expect.objectContaining({ objects: 3, quarantined: 2, errors: 0, bytes: 2 * body.length }));

  const h = path.basename(badDir);
  const hf = path.basename(badFooterDir);
  expect(existsSync(badDir)).toBe(false);
  expect(existsSync(badFooterDir)).toBe(false);
  expect(readdirSync(path.join(server!.devicesRoot, 'sda', 'quarantined', 'objects')).sort()).toEqual([h, hf].sort());
  const invalid = readdirSync(path.join(server!.devicesRoot, 'sda', 'objects', '3')).filter((n) => n.startsWith('hashes.invalid'));
  const marked = invalid.map((n) => readFileSync(path.join(server!.devicesRoot, 'sda', 'objects', '3', n), 'utf8')).join('');
  expect(marked).toContain(`${h.slice(-3)}\n`);
  expect(marked).toContain(`${hf.slice(-3)}\n`);

  expect((await server!.request({ method: 'GET', path: OBJ('bad') })).status).toBe(404);
  expect((await server!.request({ method: 'GET', path: OBJ('badfooter') })).status).toBe(404);
  const good = await server!.request({ method: 'GET', path: OBJ('good') });
  expect(good.status).toBe(200);
  expect(good.body.equals(body)).toBe(true);

  // A second pass finds nothing more to do.
  const again = await runWorkersOnce({ dir, devicesRoot: server!.devicesRoot, ringDir: path.join(dir, 'rings'), storagePort: server!.port, only: ['auditor'] });
  expect(again.passes.auditor).toEqual(expect.objectContaining({ objects: 1, quarantined: 0 }));
});
