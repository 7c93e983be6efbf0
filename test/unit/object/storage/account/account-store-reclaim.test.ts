/**
 * AccountStore against a real LevelDB (temp dir): a deleted account refuses a client PUT until
 * reclaimed; reclaiming removes the record and rows and leaves a marker, which keeps a
 * replication merge of the old deleted record (mergeDb, as a replica that has not reclaimed
 * yet pushes it) from bringing it back, while a fresh PUT creates a new, empty account.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Timestamp } from '../../../../../services/object/common/timestamp';
import { AccountStore } from '../../../../../services/object/storage/account/account-store';
import { ContainerStore } from '../../../../../services/object/storage/container/container-store';
import { dumpDb, listDbs } from '../../../../../services/object/storage/replication/db-dump';
import { mergeDb } from '../../../../../services/object/storage/replication/db-merge';

const SECRET = { prefix: 'p', suffix: 's' };
const REF = { device: 'sda', account: 'AUTH_gone' };
const OTHER = { device: 'sda', account: 'AUTH_kept' };
const t = (s: number): Timestamp => Timestamp.parse(`17000000${String(s).padStart(2, '0')}.00000`);

let dir: string;
let containers: ContainerStore;
let accounts: AccountStore;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'weft-account-reclaim-'));
  mkdirSync(path.join(dir, 'sda'));
  containers = new ContainerStore({ devicesRoot: dir, secret: SECRET, fsync: false });
  accounts = new AccountStore({ secret: SECRET, fsync: false, db: (d) => containers.database(d) });
});
afterEach(async () => {
  await containers.close();
  rmSync(dir, { recursive: true, force: true });
});

const row = (name: string, put: Timestamp, del?: Timestamp) => ({ name, put_timestamp: put.internal, delete_timestamp: del?.internal ?? '', object_count: del ? 0 : 2, bytes_used: del ? 0 : 20 });

/** An account with two containers, deleted at t(10). */
async function deletedAccount(): Promise<void> {
  expect(await accounts.putAccount(REF, t(1), { 'x-account-meta-owner': 'ana' })).toBe('created');
  expect(await accounts.updateContainerRow(REF, row('a', t(2)))).toBe('applied');
  expect(await accounts.updateContainerRow(REF, row('b', t(2)))).toBe('applied');
  expect(await accounts.deleteAccount(REF, t(10))).toBe('deleted');
}

async function keysOf(prefix: string): Promise<string[]> {
  const db = await containers.database('sda');
  const out: string[] = [];
  for await (const k of db.keys({ gte: prefix, lt: `${prefix}\xff` })) out.push(k);
  return out;
}

test('a client PUT of a deleted account is refused, older or newer than the DELETE, and changes nothing', async () => {
  await deletedAccount();
  const before = await accounts.record(REF);
  expect(await accounts.putAccount(REF, t(20), {}, { refuseDeleted: true })).toBe('recently_deleted');
  expect(await accounts.putAccount(REF, t(5), { 'x-account-meta-owner': 'eve' }, { refuseDeleted: true })).toBe('recently_deleted');
  expect(await accounts.record(REF)).toEqual(before);
});

test('a deleted account only takes reports that delete containers', async () => {
  await deletedAccount();
  expect(await accounts.updateContainerRow(REF, row('a', t(2)))).toBe('no_account');
  expect(await accounts.updateContainerRow(REF, row('new', t(12)))).toBe('no_account');
  expect(await accounts.updateContainerRow(REF, row('a', t(2), t(11)))).toBe('applied');
  expect(await accounts.updateContainerRow(REF, row('a', t(2), t(3)))).toBe('stale');
  expect(await accounts.record(REF)).toMatchObject({ containerCount: 1, objectCount: 2 });
});

test('reclaim waits for the reclaim age and for every container to be gone, then removes record and rows', async () => {
  await deletedAccount();
  expect(await accounts.putAccount(OTHER, t(1), {})).toBe('created');
  expect(await accounts.updateContainerRow(OTHER, row('x', t(2)))).toBe('applied');
  const o = { cutoff: t(50), now: t(60) };
  expect(await accounts.reclaimAccount(REF, { cutoff: t(10), now: t(60) })).toBe('too_recent');
  expect(await accounts.reclaimAccount(REF, o)).toBe('not_empty');
  expect(await accounts.reclaimAccount(OTHER, o)).toBe('live');
  await accounts.updateContainerRow(REF, row('a', t(2), t(11)));
  await accounts.updateContainerRow(REF, row('b', t(2), t(11)));
  expect(await accounts.reclaimAccount(REF, { ...o, dryRun: true })).toBe('reclaim');
  expect(await accounts.record(REF)).toBeDefined();
  expect(await accounts.reclaimAccount(REF, o)).toBe('reclaimed');
  expect(await accounts.record(REF)).toBeUndefined();
  expect(await accounts.reclaimAccount(REF, o)).toBe('not_found');
  expect(await accounts.reclaimedMarker(REF)).toEqual({ account: REF.account, putTimestamp: t(1).internal, deleteTimestamp: t(10).internal, reclaimedAt: t(60).internal });
  // Only the marker is left of it; the other account is whole.
  const db = await containers.database('sda');
  expect((await listDbs(db)).map((d) => d.account)).toEqual([OTHER.account]);
  expect(await accounts.record(OTHER)).toMatchObject({ containerCount: 1, objectCount: 2 });
  expect((await keysOf('a/')).filter((k) => !k.includes('/c/'))).toHaveLength(2);
});

test('a replica that has not reclaimed cannot bring the record back; a fresh PUT creates an empty account', async () => {
  await deletedAccount();
  await accounts.updateContainerRow(REF, row('a', t(2), t(11)));
  await accounts.updateContainerRow(REF, row('b', t(2), t(11)));
  // What the replicator pushes from a replica still holding the deleted record.
  const db = await containers.database('sda');
  const hash = (await listDbs(db)).find((d) => d.account === REF.account)!.hash;
  const page = (await dumpDb(db, { kind: 'account', hash }, undefined, 1000))!;
  expect(await accounts.reclaimAccount(REF, { cutoff: t(50), now: t(60) })).toBe('reclaimed');

  await mergeDb({ containers, accounts }, 'sda', 'account', { record: page.record, rows: page.rows, final: true });
  expect(await accounts.record(REF)).toBeUndefined();
  expect(await keysOf(`a/${hash}/c/`)).toEqual([]);
  // An old PUT (as old as the DELETE) is refused too.
  expect(await accounts.putAccount(REF, t(10), {}, { refuseDeleted: true })).toBe('conflict');

  expect(await accounts.putAccount(REF, t(70), {}, { refuseDeleted: true })).toBe('created');
  expect(await accounts.record(REF)).toMatchObject({ created: t(70).internal, deleteTimestamp: '', containerCount: 0, objectCount: 0, metadata: {} });
  expect(await accounts.list(REF, { limit: 100, reverse: false })).toEqual([]);
  expect(await accounts.reclaimedMarker(REF)).toBeUndefined();
});
