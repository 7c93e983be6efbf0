import { status, type ClientReadableStream } from '@grpc/grpc-js';
import type { WatchResponse } from '../../proto/gen/weft/network/v1/network_service';
import { ResourceType } from '../../proto/gen/weft/network/v1/network_service';
import { failure, startController, type ControllerHandle } from './harness';

/** Collects events from a watch stream until `count` arrived (bounded by a timeout). */
function collect(stream: ClientReadableStream<WatchResponse>, count: number, timeoutMs = 10_000): Promise<WatchResponse[]> {
  return new Promise((resolve, reject) => {
    const got: WatchResponse[] = [];
    const timer = setTimeout(() => {
      stream.cancel();
      reject(new Error(`only ${got.length}/${count} events in ${timeoutMs} ms`));
    }, timeoutMs);
    stream.on('data', (ev: WatchResponse) => {
      got.push(ev);
      if (got.length === count) {
        clearTimeout(timer);
        stream.cancel();
        resolve(got);
      }
    });
    stream.on('error', (err: { code: number }) => {
      if (err.code === status.CANCELLED) return;
      clearTimeout(timer);
      reject(err);
    });
  });
}

function firstError(stream: ClientReadableStream<WatchResponse>): Promise<{ code: number; details: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no error within 10 s')), 10_000);
    stream.on('data', () => undefined);
    stream.on('error', (err: { code: number; details: string }) => {
      clearTimeout(timer);
      resolve(err);
    });
  });
}

describe('Watch', () => {
  let ctl: ControllerHandle;
  beforeAll(async () => {
    ctl = await startController({ config: { store: { changeLogRetain: 20 } } });
  });
  afterAll(async () => ctl.stop());

  it('replays committed changes in order from a revision, then follows live ones, with tombstones', async () => {
    const admin = ctl.admin();
    const a = ctl.as('watch-a');
    const start = (await admin.getRevision({})).revision;
    const net = await a.createNetwork({ network: { name: 'w1' } });
    const upd = await a.updateNetwork({ network: { id: net.id, name: 'w2' }, updateMask: ['name'] });
    const stream = admin.watch({ fromRevision: start + 1 });
    const events = collect(stream, 4);
    await new Promise((r) => setTimeout(r, 100));
    const subnet = await a.createSubnet({ subnet: { networkId: net.id, cidr: '10.50.0.0/24' } });
    await a.deleteSubnet({ id: subnet.id });
    const got = await events;
    expect(got.map((e) => e.revision)).toEqual([start + 1, start + 2, start + 3, start + 4]);
    expect(got[0].changes[0].value).toEqual({ $case: 'network', value: net });
    expect(got[1].changes[0].value).toEqual({ $case: 'network', value: upd });
    // Creating a subnet changes the subnet and its network, in one event.
    expect(got[2].changes.map((c) => c.resourceType).sort()).toEqual([ResourceType.RESOURCE_TYPE_NETWORK, ResourceType.RESOURCE_TYPE_SUBNET].sort());
    const tomb = got[3].changes.find((c) => c.resourceType === ResourceType.RESOURCE_TYPE_SUBNET)!;
    expect(tomb.deleted).toBe(true);
    expect(tomb.id).toBe(subnet.id);
  });

  it('shows a project only its own changes', async () => {
    const b = ctl.as('watch-b');
    const c = ctl.as('watch-c');
    const start = (await b.getRevision({})).revision;
    const stream = b.watch({ fromRevision: start + 1 });
    const events = collect(stream, 1);
    await c.createNetwork({ network: { name: 'secret' } });
    const mine = await b.createNetwork({ network: { name: 'mine' } });
    const got = await events;
    expect(got[0].changes.map((ch) => ch.id)).toEqual([mine.id]);
    expect(got[0].revision).toBe(start + 2);
  });

  it('answers OUT_OF_RANGE once the requested revision was compacted, and lists give a revision to resume from', async () => {
    const a = ctl.as('watch-d');
    for (let i = 0; i < 60; i++) await a.createNetwork({ network: { name: `c${i}` } });
    await new Promise((r) => setTimeout(r, 200));
    const rev = await a.getRevision({});
    expect(rev.oldestRevision).toBeGreaterThan(1);
    const err = await firstError(ctl.admin().watch({ fromRevision: 1 }));
    expect(err.code).toBe(status.OUT_OF_RANGE);
    const list = await a.listNetworks({ pageSize: 1 });
    expect(list.revision).toBe(rev.revision);
    const stream = ctl.admin().watch({ fromRevision: list.revision + 1 });
    const events = collect(stream, 1);
    const n = await a.createNetwork({ network: { name: 'after' } });
    expect((await events)[0].changes[0].id).toBe(n.id);
  });

  it('keeps the change log across restarts', async () => {
    const a = ctl.as('watch-e');
    const net = await a.createNetwork({ network: { name: 'persist' } });
    const rev = (await a.getRevision({})).revision;
    await ctl.restart();
    const after = await ctl.as('watch-e').getRevision({});
    expect(after.revision).toBe(rev);
    const got = await collect(ctl.admin().watch({ fromRevision: rev }), 1);
    expect(got[0].changes[0].id).toBe(net.id);
    expect(got[0].revision).toBe(rev);
    expect((await failure(ctl.as('watch-e').getNetwork({ id: '00000000-0000-4000-8000-000000000000' }))).code).toBe(status.NOT_FOUND);
  });
});
