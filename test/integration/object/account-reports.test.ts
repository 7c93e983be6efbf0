/**
 * Container → account reports between two real storage server processes: one holds the account,
 * the other the container. A container PUT/DELETE naming its account replica (X-Account-*)
 * reports before answering; object row changes are reported soon after, coalesced; a report the
 * account server cannot take is queued in the container server's async_pending.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { hashPath } from '../../../services/object/common/hash-path';
import { startStorage, waitFor, type StorageHandle } from './storage-harness';

let accountServer: StorageHandle | undefined;
let containerServer: StorageHandle;
let clock = 1_700_000_000;
const ts = (): string => `${++clock}.00000`;
const A = '/sda/3/AUTH_rep';
const C = (c: string): string => `/sdc/7/AUTH_rep/${c}`;
const alayer = { 'X-Backend-Storage-Layer': 'account' };
const clayer = { 'X-Backend-Storage-Layer': 'container' };
let accountPort = 0;
const accountTarget = (): Record<string, string> => ({ 'X-Account-Host': `127.0.0.1:${accountPort}`, 'X-Account-Device': 'sda', 'X-Account-Partition': '3' });

interface Row {
  name: string;
  count: number;
  bytes: number;
}
async function accountRows(): Promise<Row[]> {
  const r = await accountServer!.request({ method: 'GET', path: A, headers: alayer });
  expect(r.status).toBe(200);
  return JSON.parse(r.body.toString('utf8')) as Row[];
}
async function reportsSent(): Promise<number> {
  const r = await containerServer.request({ method: 'GET', path: '/recon/stats' });
  return (JSON.parse(r.body.toString('utf8')) as { accountReports: { sent: number } }).accountReports.sent;
}
const putRow = (c: string, name: string, size: number): Promise<{ status: number }> =>
  containerServer.request({ method: 'PUT', path: `${C(c)}/${name}`, headers: { ...clayer, 'X-Timestamp': ts(), 'X-Size': size, 'X-Etag': 'd41d8cd98f00b204e9800998ecf8427e', 'X-Content-Type': 'text/plain' } });

beforeAll(async () => {
  accountServer = await startStorage({ devices: ['sda'] });
  accountPort = accountServer.port;
  containerServer = await startStorage({ devices: ['sdc'], config: { containerUpdateTimeoutMs: 500 } });
  expect((await accountServer.request({ method: 'PUT', path: A, headers: { ...alayer, 'X-Timestamp': ts() } })).status).toBe(201);
});

afterAll(async () => {
  await accountServer?.stop();
  await containerServer?.stop();
});

describe('container → account reports', () => {
  test('a container PUT is in the account listing when it is answered', async () => {
    const put = await containerServer.request({ method: 'PUT', path: C('photos'), headers: { ...clayer, ...accountTarget(), 'X-Timestamp': ts() } });
    expect(put.status).toBe(201);
    expect(await accountRows()).toEqual([expect.objectContaining({ name: 'photos', count: 0, bytes: 0 })]);
    const head = await accountServer!.request({ method: 'HEAD', path: A, headers: alayer });
    expect(head.headers['x-account-container-count']).toBe('1');
  });

  test('a burst of object rows reaches the account soon after, in few reports', async () => {
    const before = await reportsSent();
    const puts = await Promise.all(Array.from({ length: 40 }, (_, i) => putRow('photos', `img-${i}`, i + 1)));
    expect(puts.every((p) => p.status === 201)).toBe(true);
    const bytes = (40 * 41) / 2;
    await waitFor(async () => {
      const rows = await accountRows();
      return rows.length === 1 && rows[0].name === 'photos' && rows[0].count === 40 && rows[0].bytes === bytes;
    }, 'the account counts', 2000);
    const head = await accountServer!.request({ method: 'HEAD', path: A, headers: alayer });
    expect(head.headers['x-account-object-count']).toBe('40');
    expect(head.headers['x-account-bytes-used']).toBe(String(bytes));
    const sent = (await reportsSent()) - before;
    expect(sent).toBeGreaterThanOrEqual(1);
    expect(sent).toBeLessThan(40);
  });

  test('a row DELETE is reported; an emptied container DELETE leaves the account listing', async () => {
    const dels = await Promise.all(
      Array.from({ length: 40 }, (_, i) => containerServer.request({ method: 'DELETE', path: `${C('photos')}/img-${i}`, headers: { ...clayer, 'X-Timestamp': ts() } })),
    );
    expect(dels.every((d) => d.status === 204)).toBe(true);
    await waitFor(async () => (await accountRows())[0]?.count === 0, 'the account to see the deletes', 2000);
    const del = await containerServer.request({ method: 'DELETE', path: C('photos'), headers: { ...clayer, ...accountTarget(), 'X-Timestamp': ts() } });
    expect(del.status).toBe(204);
    expect(await accountRows()).toEqual([]);
    const head = await accountServer!.request({ method: 'HEAD', path: A, headers: alayer });
    expect(head.headers['x-account-container-count']).toBe('0');
  });

  test('partial or malformed X-Account-* headers are refused before anything is written', async () => {
    const partial = await containerServer.request({ method: 'PUT', path: C('bad'), headers: { ...clayer, 'X-Account-Host': `127.0.0.1:${accountPort}`, 'X-Timestamp': ts() } });
    expect(partial.status).toBe(400);
    const malformed = await containerServer.request({ method: 'PUT', path: C('bad'), headers: { ...clayer, ...accountTarget(), 'X-Account-Partition': 'x', 'X-Timestamp': ts() } });
    expect(malformed.status).toBe(400);
    expect((await containerServer.request({ method: 'HEAD', path: C('bad'), headers: clayer })).status).toBe(404);
  });

  test('account server down: the container PUT still succeeds and its report is queued', async () => {
    await accountServer!.stop();
    accountServer = undefined;
    const put = await containerServer.request({ method: 'PUT', path: C('later'), headers: { ...clayer, ...accountTarget(), 'X-Timestamp': ts() } });
    expect(put.status).toBe(201);
    const h = hashPath('it-prefix', 'it-suffix', 'AUTH_rep', 'later');
    const dir = path.join(containerServer.devicesRoot, 'sdc', 'async_pending', h.slice(-3));
    const files = existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith(`${h}-`)) : [];
    expect(files).toHaveLength(1);
    const queued = JSON.parse(readFileSync(path.join(dir, files[0]), 'utf8')) as Record<string, unknown>;
    expect(queued).toEqual({
      layer: 'account',
      method: 'PUT',
      path: '/AUTH_rep/later',
      headers: { 'X-Put-Timestamp': `${clock}.00000`, 'X-Delete-Timestamp': '0', 'X-Object-Count': '0', 'X-Bytes-Used': '0' },
      target: { host: '127.0.0.1', port: accountPort, device: 'sda', partition: '3' },
    });
  });
});
