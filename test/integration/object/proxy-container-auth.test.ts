/**
 * The authorization contract of the account and container controllers, against real storage
 * servers: the controllers run in this process (over a ProxyContext on the cluster's rings) with
 * an authorize() the test controls, so the test sees exactly when it is called and with what:
 *
 * - account requests: before anything is read or written (a refusal changes nothing);
 * - container requests: after the container's info is read, with its ACL when it exists and
 *   none when it does not, so a refused caller gets the refusal and never the 404 that would
 *   tell a missing container apart from a forbidden one.
 *
 * And the container info those decisions use: cached for the TTL (on an injected clock),
 * invalidated by this proxy's own changes.
 */
import { HASH_PREFIX, HASH_SUFFIX, startCluster, v1Path, type Cluster, type Reply } from './cluster-harness';
import { createProxyContext, type ProxyContext } from '../../../services/object/proxy/app/context';
import type { AuthTarget, ProxyRequest, ProxyResponse } from '../../../services/object/proxy/app/types';
import { Rings } from '../../../services/object/proxy/backend/rings';
import { StorageClient } from '../../../services/object/proxy/backend/storage-client';
import { loadProxyConfig } from '../../../services/object/proxy/config';
import { handleAccount } from '../../../services/object/proxy/controllers/account';
import { handleContainer } from '../../../services/object/proxy/controllers/container';
import { getAccountInfo, getContainerInfo, invalidateContainerInfo } from '../../../services/object/proxy/controllers/container-info';
import { createLogger } from '../../../services/runtime/log';

let cluster: Cluster;
let ctx: ProxyContext;
let rings: Rings;
let client: StorageClient;
const ACCOUNT = 'AUTH_guarded';

const DENIED: ProxyResponse = { status: 403, headers: { 'Content-Type': 'text/plain' }, body: 'denied by test' };

/** A request with an authorize() that records its targets and denies when told to. */
function request(method: string, container: string | undefined, opts: { deny?: boolean; headers?: Record<string, string> } = {}): { req: ProxyRequest; targets: AuthTarget[] } {
  const targets: AuthTarget[] = [];
  const req: ProxyRequest = {
    method,
    account: ACCOUNT,
    container,
    query: new URLSearchParams(),
    headers: opts.headers ?? {},
    transId: 'tx-auth-test',
    source: 'client',
    caller: { projectId: 'p', userId: 'u', roles: [], isResellerAdmin: false, token: 't' },
    authorize: (_r, target) => {
      targets.push(target);
      return opts.deny ? DENIED : undefined;
    },
  };
  return { req, targets };
}

async function containerStatuses(container: string): Promise<number[]> {
  const { partition, nodes } = cluster.nodesFor('container', ACCOUNT, container);
  const replies: Reply[] = await Promise.all(
    nodes.map((n) => cluster.storageAt(n.port).request({ method: 'HEAD', path: `/${n.device}/${partition}/${ACCOUNT}/${encodeURIComponent(container)}`, headers: { 'X-Backend-Storage-Layer': 'container' } })),
  );
  return replies.map((r) => r.status);
}

async function accountStatuses(): Promise<number[]> {
  const { partition, nodes } = cluster.nodesFor('account', ACCOUNT);
  const replies = await Promise.all(nodes.map((n) => cluster.storageAt(n.port).request({ method: 'HEAD', path: `/${n.device}/${partition}/${ACCOUNT}`, headers: { 'X-Backend-Storage-Layer': 'account' } })));
  return replies.map((r) => r.status);
}

beforeAll(async () => {
  cluster = await startCluster();
  const config = { ...loadProxyConfig(undefined, { WEFT_OBJECT_PROXY_HASH_PATH_PREFIX: HASH_PREFIX, WEFT_OBJECT_PROXY_HASH_PATH_SUFFIX: HASH_SUFFIX }), ringDir: cluster.ringDir, containerInfoTtlMs: 60_000 };
  rings = await Rings.open({ dir: cluster.ringDir, hash: { prefix: HASH_PREFIX, suffix: HASH_SUFFIX } });
  client = new StorageClient({ connTimeoutMs: 1000, nodeTimeoutMs: 5000 });
  ctx = createProxyContext({ config, rings, client, logger: createLogger({ level: 'error' }) });
});

afterAll(async () => {
  rings?.close();
  client?.close();
  await cluster?.stop();
});

describe('account requests are authorized before anything else', () => {
  test('a refused account PUT, POST, GET changes and reveals nothing', async () => {
    for (const method of ['PUT', 'POST', 'GET', 'HEAD', 'DELETE']) {
      const { req, targets } = request(method, undefined, { deny: true, headers: { 'x-account-meta-a': '1' } });
      expect(await handleAccount(ctx, req)).toBe(DENIED);
      expect(targets).toEqual([{}]);
    }
    expect(await accountStatuses()).toEqual([404, 404, 404]);
  });
});

describe('container requests are authorized once the container is known', () => {
  test('a missing container: the refused caller gets the refusal (no 404), with no ACL in the target', async () => {
    for (const method of ['GET', 'HEAD', 'POST', 'DELETE', 'PUT']) {
      const { req, targets } = request(method, 'missing', { deny: true });
      expect(await handleContainer(ctx, req)).toBe(DENIED);
      expect(targets).toEqual([{ containerAcl: undefined }]);
    }
    expect(await containerStatuses('missing')).toEqual([404, 404, 404]);
    // An allowed caller learns it is missing.
    const { req } = request('GET', 'missing');
    expect((await handleContainer(ctx, req)).status).toBe(404);
  });

  test('an existing container: the target carries its ACL', async () => {
    expect((await cluster.proxy.request({ method: 'PUT', path: v1Path(ACCOUNT, 'shared'), headers: { 'X-Container-Read': '.r:*,.rlistings', 'X-Container-Write': 'p2:*' } })).status).toBe(201);
    const { req, targets } = request('GET', 'shared', { deny: true });
    expect(await handleContainer(ctx, req)).toBe(DENIED);
    expect(targets).toEqual([{ containerAcl: { read: '.r:*,.rlistings', write: 'p2:*' } }]);

    const allowed = request('HEAD', 'shared');
    expect((await handleContainer(ctx, allowed.req)).status).toBe(204);
    expect(allowed.targets).toHaveLength(1);
  });

  test('a refused container change is not written', async () => {
    const { req } = request('POST', 'shared', { deny: true, headers: { 'x-container-meta-evil': '1' } });
    expect(await handleContainer(ctx, req)).toBe(DENIED);
    const head = await cluster.proxy.request({ method: 'HEAD', path: v1Path(ACCOUNT, 'shared') });
    expect(head.headers['x-container-meta-evil']).toBeUndefined();
    const del = request('DELETE', 'shared', { deny: true });
    expect(await handleContainer(ctx, del.req)).toBe(DENIED);
    expect(await containerStatuses('shared')).toEqual([204, 204, 204]);
  });

  test('ACLs are shown to owners only', async () => {
    // The caller here holds no role on the project: not an owner.
    const notOwner = request('HEAD', 'shared');
    const res = await handleContainer(ctx, notOwner.req);
    expect(res.headers['X-Container-Read']).toBeUndefined();
    const owner = request('HEAD', 'shared');
    owner.req.caller = { projectId: 'guarded', userId: 'u', roles: ['member'], isResellerAdmin: false, token: 't' };
    expect((await handleContainer(ctx, owner.req)).headers['X-Container-Read']).toBe('.r:*,.rlistings');
  });
});

describe('container info cache', () => {
  test('cached for the TTL, then read again; invalidation forgets at once', async () => {
    let now = 1_800_000_000_000;
    const timed = createProxyContext({ config: { ...ctx.config, containerInfoTtlMs: 5000 }, rings, client, logger: createLogger({ level: 'error' }), clock: () => now });
    expect((await cluster.proxy.request({ method: 'PUT', path: v1Path(ACCOUNT, 'cached'), headers: { 'X-Container-Meta-Quota-Bytes': '100' } })).status).toBe(201);
    const first = await getContainerInfo(timed, ACCOUNT, 'cached');
    expect(first).toMatchObject({ exists: true, objectCount: 0, quota: { bytes: 100 } });

    // Deleted behind this context's back (as by another proxy): still cached...
    expect((await cluster.proxy.request({ method: 'DELETE', path: v1Path(ACCOUNT, 'cached') })).status).toBe(204);
    expect((await getContainerInfo(timed, ACCOUNT, 'cached')).exists).toBe(true);
    // ...until the TTL passes.
    now += 5001;
    expect((await getContainerInfo(timed, ACCOUNT, 'cached')).exists).toBe(false);

    // A "not found" is cached too, and invalidation drops it.
    expect((await cluster.proxy.request({ method: 'PUT', path: v1Path(ACCOUNT, 'cached') })).status).toBe(201);
    expect((await getContainerInfo(timed, ACCOUNT, 'cached')).exists).toBe(false);
    invalidateContainerInfo(timed, ACCOUNT, 'cached');
    expect((await getContainerInfo(timed, ACCOUNT, 'cached')).exists).toBe(true);
  });

  test('account info: counts from the replicas, deleted accounts marked', async () => {
    const info = await getAccountInfo(ctx, ACCOUNT);
    expect(info.exists).toBe(true);
    expect(info.containerCount).toBeGreaterThan(0);
    expect((await cluster.proxy.request({ method: 'DELETE', path: v1Path('AUTH_gone') })).status).toBe(404);
    expect((await cluster.proxy.request({ method: 'PUT', path: v1Path('AUTH_gone') })).status).toBe(201);
    expect((await cluster.proxy.request({ method: 'DELETE', path: v1Path('AUTH_gone') })).status).toBe(204);
    expect(await getAccountInfo(ctx, 'AUTH_gone')).toMatchObject({ exists: false, deleted: true });
  });
});
