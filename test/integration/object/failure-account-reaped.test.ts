/**
 * Issue 5, failure scenario: an account is deleted; the reaper removes its data.
 *
 *   identity ◀── tokens ── test ──▶ proxy (auth: token) ──▶ storage 0..2 (3 replicas)
 *   alice (member of proj-doomed) fills two containers; bob (member of proj-kept) fills one;
 *   the reseller admin (admin role) DELETEs /v1/AUTH_<proj-doomed>.
 *
 * Proves: the DELETE alone leaves the data on disk (so the reaper has work); after one reaper
 * pass beside every server no `.data` of the deleted account is left on any disk and its
 * containers are gone on every replica, while bob's account is untouched.
 */
import { type Cluster, type Reply, startCluster, v1Path } from './cluster-harness';
import { objectsOnDisk, runWorkersEverywhere, total } from './cluster-workers';
import { IdentityFixture, type TestUser } from './proxy-auth-fixture';

jest.setTimeout(180_000);

let cluster: Cluster | undefined;

afterAll(async () => {
  await cluster?.stop();
});

const CONTAINERS = { doomed: ['photos', 'backups'], kept: ['keep'] };
const PER_CONTAINER = 5;

function dataFilesOf(c: Cluster, account: string): string[] {
  return objectsOnDisk(c)
    .filter((o) => o.name.startsWith(`/${account}/`))
    .flatMap((o) => o.files.filter((f) => f.endsWith('.data')).map((f) => `${o.dir}/${f}`));
}

async function containerReplicas(c: Cluster, account: string, container: string): Promise<Reply[]> {
  const { partition, nodes } = c.nodesFor('container', account, container);
  return Promise.all(
    nodes.map((n) =>
      c.storageAt(n.port).request({ method: 'HEAD', path: `/${n.device}/${partition}/${encodeURIComponent(account)}/${encodeURIComponent(container)}`, headers: { 'X-Backend-Storage-Layer': 'container' } }),
    ),
  );
}

test('DELETE of an account by the reseller admin, then a reaper pass: its data is gone everywhere, another account is untouched', async () => {
  const c = (cluster = await startCluster({ storageCount: 3, replicas: 3, auth: 'token' }));
  const ids = await IdentityFixture.open(c);
  const admin = await ids.user('ops', 'root', ['admin']);
  const alice = await ids.user('proj-doomed', 'alice', ['member']);
  const bob = await ids.user('proj-kept', 'bob', ['member']);
  const req = (method: string, p: string, who: TestUser, body?: string): Promise<Reply> => c.proxy.request({ method, path: p, headers: { 'X-Auth-Token': who.token, 'Content-Type': 'text/plain' }, body });

  const fill = async (who: TestUser, containers: string[]): Promise<void> => {
    for (const name of containers) {
      expect((await req('PUT', v1Path(who.account, name), who)).status).toBe(201);
      for (let i = 0; i < PER_CONTAINER; i++) expect((await req('PUT', v1Path(who.account, name, `dir/o${i}`), who, `${who.userName} ${name} ${i}`)).status).toBe(201);
    }
  };
  await fill(alice, CONTAINERS.doomed);
  await fill(bob, CONTAINERS.kept);
  const bobFiles = dataFilesOf(c, bob.account).sort();
  expect(bobFiles).toHaveLength(CONTAINERS.kept.length * PER_CONTAINER * 3);

  // Only the reseller admin may delete an account.
  expect((await req('DELETE', v1Path(alice.account), alice)).status).toBe(403);
  expect((await req('DELETE', v1Path(alice.account), admin)).status).toBe(204);
  // Gone (410, the replicas' X-Account-Status: Deleted) or plain 404: either way, not there.
  expect([404, 410]).toContain((await req('HEAD', v1Path(alice.account), admin)).status);
  // Marked deleted, not yet reaped: every copy is still on disk.
  expect(dataFilesOf(c, alice.account)).toHaveLength(CONTAINERS.doomed.length * PER_CONTAINER * 3);

  const runs = await runWorkersEverywhere(c, ['reaper']);
  expect(total(runs, 'reaper', 'accountsReaped')).toBe(1);
  expect(total(runs, 'reaper', 'failures')).toBe(0);

  expect(dataFilesOf(c, alice.account)).toEqual([]);
  for (const name of CONTAINERS.doomed) expect((await containerReplicas(c, alice.account, name)).map((r) => r.status)).toEqual([404, 404, 404]);

  // Bob's account: the same files, listing and bytes.
  expect(dataFilesOf(c, bob.account).sort()).toEqual(bobFiles);
  for (const name of CONTAINERS.kept) {
    expect((await containerReplicas(c, bob.account, name)).map((r) => r.status)).toEqual([204, 204, 204]);
    const list = await req('GET', `${v1Path(bob.account, name)}?format=json`, bob);
    expect(list.status).toBe(200);
    expect((JSON.parse(list.body.toString()) as { name: string }[]).map((o) => o.name)).toEqual(Array.from({ length: PER_CONTAINER }, (_v, i) => `dir/o${i}`));
    const got = await req('GET', v1Path(bob.account, name, 'dir/o0'), bob);
    expect(got.status).toBe(200);
    expect(got.body.toString()).toBe(`bob ${name} 0`);
  }
});
