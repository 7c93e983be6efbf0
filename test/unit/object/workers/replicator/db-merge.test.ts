/**
 * mergeDb against real stores (LevelDB in a temp dir): a container record pushed by a peer keeps
 * the account target the container reports its counts to.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Timestamp } from '../../../../../services/object/common/timestamp';
import { AccountStore } from '../../../../../services/object/storage/account/account-store';
import { ContainerStore } from '../../../../../services/object/storage/container/container-store';
import { mergeDb, type DbMergeStores } from '../../../../../services/object/storage/replication/db-merge';

const SECRET = { prefix: 'p', suffix: 's' };
const REF = { device: 'sda', account: 'AUTH_t', container: 'c' };
const PEER_TARGET = { host: '127.0.0.1', port: 6201, device: 'sdb', partition: '3' };
const OWN_TARGET = { host: '127.0.0.1', port: 6202, device: 'sdc', partition: '3' };

let dir: string;
let stores: DbMergeStores;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'weft-db-merge-'));
  mkdirSync(path.join(dir, 'sda'));
  const containers = new ContainerStore({ devicesRoot: dir, secret: SECRET, fsync: false });
  stores = { containers, accounts: new AccountStore({ secret: SECRET, fsync: false, db: (d) => containers.database(d) }) };
});
afterEach(async () => {
  await stores.containers.close();
  rmSync(dir, { recursive: true, force: true });
});

function peerRecord(extra: Record<string, unknown>): Record<string, unknown> {
  return { account: REF.account, container: REF.container, created: '0000000001.00000', putTimestamp: '0000000001.00000', deleteTimestamp: '', metadata: {}, objectCount: 1, bytesUsed: 3, ...extra };
}
const row = { name: 'o', timestamp: '0000000002.00000', size: 3, etag: 'e', content_type: 'text/plain', deleted: false };

test('a record created by replication takes the peer account target', async () => {
  await mergeDb(stores, 'sda', 'container', { record: peerRecord({ accountTarget: PEER_TARGET }), rows: [row], final: true });
  expect(await stores.containers.record(REF)).toMatchObject({ accountTarget: PEER_TARGET, objectCount: 1 });
});

test('an existing target is kept over the peer one', async () => {
  await stores.containers.putContainer(REF, Timestamp.parse('0000000001.00000'), {}, OWN_TARGET);
  await mergeDb(stores, 'sda', 'container', { record: peerRecord({ accountTarget: PEER_TARGET, putTimestamp: '0000000005.00000' }), rows: [row], final: true });
  const rec = await stores.containers.record(REF);
  expect(rec?.accountTarget).toEqual(OWN_TARGET);
  expect(rec?.putTimestamp).toBe('0000000005.00000');
});

test('a target we had survives a peer record without one; a malformed one is ignored', async () => {
  await stores.containers.putContainer(REF, Timestamp.parse('0000000001.00000'), {}, OWN_TARGET);
  await mergeDb(stores, 'sda', 'container', { record: peerRecord({}), rows: [], final: true });
  expect((await stores.containers.record(REF))?.accountTarget).toEqual(OWN_TARGET);
  const other = { ...REF, container: 'd' };
  await mergeDb(stores, 'sda', 'container', { record: peerRecord({ container: 'd', accountTarget: { host: 'x', port: 'nope' } }), rows: [], final: true });
  const rec = await stores.containers.record(other);
  expect(rec).toBeDefined();
  expect(rec?.accountTarget).toBeUndefined();
});
