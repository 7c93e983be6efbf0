/**
 * Container/account info from replica HEADs (getContainerInfo / getAccountInfo) against scripted
 * replicas: which answers mean "does not exist" and which leave the proxy unable to say (503).
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { ProxyContext } from '../../../../../services/object/proxy/app/context';
import { TtlCache } from '../../../../../services/object/proxy/app/ttl-cache';
import { BackendError } from '../../../../../services/object/proxy/backend/backend-error';
import type { NodePlan, Rings } from '../../../../../services/object/proxy/backend/rings';
import type { BackendRequest, BackendResponse, StorageClient } from '../../../../../services/object/proxy/backend/storage-client';
import { getAccountInfo, getContainerInfo } from '../../../../../services/object/proxy/controllers/container-info';
import type { RingDevice } from '../../../../../services/object/ring/device';

type Script = ({ status: number; headers?: IncomingHttpHeaders } | 'down')[];

const device = (i: number): RingDevice => ({ id: i, region: 1, zone: i + 1, ip: '127.0.0.1', port: 6000 + i, device: `d${i}`, weight: 1, meta: '' }) as RingDevice;

/** A context whose replicas answer the script in replica order (no handoffs). */
function contextFor(script: Script): { ctx: ProxyContext; asked: number[] } {
  const asked: number[] = [];
  const plan: NodePlan = { partition: 0, primaries: script.map((_s, i) => device(i)), handoffs: () => [][Symbol.iterator](), replicas: script.length };
  const client = {
    send: async (req: BackendRequest): Promise<BackendResponse> => {
      const i = req.node.port - 6000;
      asked.push(i);
      const s = script[i]!;
      if (s === 'down') throw new BackendError('CONNECT_FAILED', 'connection refused');
      return { node: req.node, status: s.status, headers: s.headers ?? {}, body: Readable.from([]) as unknown as IncomingMessage, abort: () => undefined };
    },
  } as unknown as StorageClient;
  const rings = { containerNodes: () => plan, accountNodes: () => plan } as unknown as Rings;
  const ctx = { rings, client, infoCache: new TtlCache<unknown>(60_000, Date.now) } as unknown as ProxyContext;
  return { ctx, asked };
}

describe('getContainerInfo', () => {
  test('the first 2xx wins', async () => {
    const { ctx, asked } = contextFor([{ status: 404 }, { status: 204, headers: { 'x-container-object-count': '3' } }, { status: 204 }]);
    expect(await getContainerInfo(ctx, 'AUTH_a', 'c')).toMatchObject({ exists: true, objectCount: 3 });
    expect(asked).toEqual([0, 1]);
  });

  test.each<[string, Script]>([
    ['404 everywhere', [{ status: 404 }, { status: 404 }, { status: 404 }]],
    ['400 everywhere (a name the replicas refuse)', [{ status: 400 }, { status: 400 }, { status: 400 }]],
    ['a mix of down, 5xx and 4xx', ['down', { status: 503 }, { status: 400 }]],
  ])('%s: does not exist (no 503)', async (_what, script) => {
    const { ctx } = contextFor(script);
    expect((await getContainerInfo(ctx, 'AUTH_a', 'c')).exists).toBe(false);
  });

  test.each<[string, Script]>([
    ['every replica down', ['down', 'down', 'down']],
    ['only 5xx (507 included)', [{ status: 503 }, { status: 507 }, 'down']],
  ])('%s: cannot say, BackendError', async (_what, script) => {
    const { ctx } = contextFor(script);
    await expect(getContainerInfo(ctx, 'AUTH_a', 'c')).rejects.toBeInstanceOf(BackendError);
  });
});

describe('getAccountInfo', () => {
  test('a deleted marker is preferred over other 4xx answers', async () => {
    const { ctx } = contextFor([{ status: 400 }, { status: 404, headers: { 'x-account-status': 'Deleted' } }, { status: 404 }]);
    expect(await getAccountInfo(ctx, 'AUTH_a')).toMatchObject({ exists: false, deleted: true });
  });

  test('a 400 alone: does not exist, not deleted', async () => {
    const { ctx } = contextFor([{ status: 400 }, 'down', { status: 500 }]);
    expect(await getAccountInfo(ctx, 'AUTH_a')).toMatchObject({ exists: false, deleted: false });
  });
});
