import { status } from '@grpc/grpc-js';
import { NetworkType } from '../../proto/gen/weft/network/v1/resources';
import { failure, startController, type ControllerHandle } from './harness';

describe('networks', () => {
  let ctl: ControllerHandle;
  beforeAll(async () => {
    ctl = await startController({ config: { segments: { vlanRanges: { physnet2: [[10, 11]] }, flatNetworks: ['physnet1'] } } });
  });
  afterAll(async () => ctl.stop());

  it('creates, reads, updates with a mask and deletes a network', async () => {
    const a = ctl.as('proj-a');
    const net = await a.createNetwork({ network: { name: 'web', description: 'front', tags: ['blue'] } });
    expect(net.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(net.projectId).toBe(await ctl.projectId('proj-a'));
    expect(net.adminStateUp).toBe(true);
    expect(net.portSecurityEnabled).toBe(true);
    expect(net.revisionNumber).toBe(1);
    expect(net.segments[0].networkType).toBe(NetworkType.NETWORK_TYPE_VXLAN);
    expect(net.mtu).toBe(1450);
    const got = await a.getNetwork({ id: net.id });
    expect(got).toEqual(net);
    const upd = await a.updateNetwork({ network: { id: net.id, name: 'web2', description: 'ignored' }, updateMask: ['name'] });
    expect(upd.name).toBe('web2');
    expect(upd.description).toBe('front');
    expect(upd.revisionNumber).toBe(2);
    await a.deleteNetwork({ id: net.id, revisionNumber: 0 });
    expect((await failure(a.getNetwork({ id: net.id }))).code).toBe(status.NOT_FOUND);
  });

  it('rejects stale revisions with ABORTED and changes nothing', async () => {
    const a = ctl.as('proj-a');
    const net = await a.createNetwork({ network: { name: 'rev' } });
    await a.updateNetwork({ network: { id: net.id, name: 'rev2' }, updateMask: ['name'] });
    const stale = await failure(a.updateNetwork({ network: { id: net.id, name: 'rev3', revisionNumber: 1 }, updateMask: ['name'] }));
    expect(stale.code).toBe(status.ABORTED);
    expect((await failure(a.deleteNetwork({ id: net.id, revisionNumber: 1 }))).code).toBe(status.ABORTED);
    const cur = await a.getNetwork({ id: net.id });
    expect(cur.name).toBe('rev2');
    expect(cur.revisionNumber).toBe(2);
    await a.deleteNetwork({ id: net.id, revisionNumber: 2 });
  });

  it('reports every invalid field at once and writes nothing', async () => {
    const a = ctl.as('proj-a');
    const before = await a.getRevision({});
    const bad = await failure(a.createNetwork({ network: { name: 'x'.repeat(300), tags: ['a,b', 'ok', 'ok'], mtu: 9000 } }));
    expect(bad.code).toBe(status.INVALID_ARGUMENT);
    expect(bad.fields).toEqual(expect.arrayContaining(['network.name', 'network.tags[0]', 'network.tags']));
    const mtu = await failure(a.createNetwork({ network: { name: 'm', mtu: 9000 } }));
    expect(mtu.fields).toEqual(['network.mtu']);
    const mask = await failure(a.updateNetwork({ network: { id: '00000000-0000-4000-8000-000000000000' }, updateMask: [] }));
    expect(mask.code).toBe(status.NOT_FOUND);
    expect((await a.getRevision({})).revision).toBe(before.revision);
  });

  it('isolates projects: another project sees NOT_FOUND, lists nothing, cannot change it', async () => {
    const a = ctl.as('proj-a');
    const b = ctl.as('proj-b');
    const net = await a.createNetwork({ network: { name: 'private' } });
    expect((await failure(b.getNetwork({ id: net.id }))).code).toBe(status.NOT_FOUND);
    expect((await failure(b.updateNetwork({ network: { id: net.id, name: 'hijack' }, updateMask: ['name'] }))).code).toBe(status.NOT_FOUND);
    expect((await failure(b.deleteNetwork({ id: net.id, revisionNumber: 0 }))).code).toBe(status.NOT_FOUND);
    const listB = await b.listNetworks({ pageSize: 1000 });
    expect(listB.networks.map((n) => n.id)).not.toContain(net.id);
    const listAdmin = await ctl.admin().listNetworks({ pageSize: 1000 });
    expect(listAdmin.networks.map((n) => n.id)).toContain(net.id);
    expect((await a.getNetwork({ id: net.id })).name).toBe('private');
    await a.deleteNetwork({ id: net.id, revisionNumber: 0 });
  });

  it('shows shared networks to every project but only the owner or admin changes them', async () => {
    const admin = ctl.admin();
    const b = ctl.as('proj-b');
    expect((await failure(ctl.as('proj-a').createNetwork({ network: { name: 's', shared: true } }))).code).toBe(status.PERMISSION_DENIED);
    const shared = await admin.createNetwork({ network: { name: 'public', shared: true } });
    expect((await b.getNetwork({ id: shared.id })).name).toBe('public');
    expect((await b.listNetworks({ pageSize: 1000 })).networks.map((n) => n.id)).toContain(shared.id);
    expect((await failure(b.updateNetwork({ network: { id: shared.id, name: 'mine' }, updateMask: ['name'] }))).code).toBe(status.PERMISSION_DENIED);
    await admin.deleteNetwork({ id: shared.id, revisionNumber: 0 });
  });

  it('gives readers read access only', async () => {
    const r = ctl.as('proj-a', ['reader']);
    expect((await failure(r.createNetwork({ network: { name: 'no' } }))).code).toBe(status.PERMISSION_DENIED);
    await expect(r.listNetworks({})).resolves.toBeDefined();
  });

  it('lets only admins create provider networks, with exclusive segment ids', async () => {
    const admin = ctl.admin();
    const seg = { networkType: NetworkType.NETWORK_TYPE_VLAN, physicalNetwork: 'physnet2', segmentationId: 200 };
    expect((await failure(ctl.as('proj-a').createNetwork({ network: { name: 'p', segments: [seg] } }))).code).toBe(status.PERMISSION_DENIED);
    const p1 = await admin.createNetwork({ network: { name: 'p1', segments: [seg] } });
    expect(p1.segments).toEqual([seg]);
    expect(p1.mtu).toBe(1500);
    expect((await failure(admin.createNetwork({ network: { name: 'p2', segments: [seg] } }))).code).toBe(status.ALREADY_EXISTS);
    const flat = { networkType: NetworkType.NETWORK_TYPE_FLAT, physicalNetwork: 'physnet1', segmentationId: 0 };
    const f1 = await admin.createNetwork({ network: { name: 'f1', segments: [flat] } });
    expect((await failure(admin.createNetwork({ network: { name: 'f2', segments: [flat] } }))).code).toBe(status.ALREADY_EXISTS);
    const badFlat = await failure(admin.createNetwork({ network: { name: 'f3', segments: [{ ...flat, physicalNetwork: 'nope' }] } }));
    expect(badFlat.fields).toEqual(['segments[0].physical_network']);
    const badVlan = await failure(admin.createNetwork({ network: { name: 'v', segments: [{ ...seg, segmentationId: 5000 }] } }));
    expect(badVlan.code).toBe(status.INVALID_ARGUMENT);
    await admin.deleteNetwork({ id: p1.id, revisionNumber: 0 });
    await admin.deleteNetwork({ id: f1.id, revisionNumber: 0 });
    // Freed: the same ids can be claimed again.
    const p3 = await admin.createNetwork({ network: { name: 'p3', segments: [seg] } });
    const f4 = await admin.createNetwork({ network: { name: 'f4', segments: [flat] } });
    await admin.deleteNetwork({ id: p3.id, revisionNumber: 0 });
    await admin.deleteNetwork({ id: f4.id, revisionNumber: 0 });
  });

  it('refuses to delete a network with ports, naming them', async () => {
    const a = ctl.as('proj-int');
    const net = await a.createNetwork({ network: { name: 'busy' } });
    await a.createSubnet({ subnet: { networkId: net.id, cidr: '10.1.0.0/24' } });
    const port = await a.createPort({ port: { networkId: net.id } });
    const f = await failure(a.deleteNetwork({ id: net.id, revisionNumber: 0 }));
    expect(f.code).toBe(status.FAILED_PRECONDITION);
    expect(f.message).toContain(port.id);
    expect(f.subjects).toContain(port.id);
    await a.deletePort({ id: port.id, revisionNumber: 0 });
    await a.deleteNetwork({ id: net.id, revisionNumber: 0 });
  });

  it('pages and filters lists', async () => {
    const a = ctl.as('proj-page');
    const ids = new Set<string>();
    for (let i = 0; i < 7; i++) ids.add((await a.createNetwork({ network: { name: i % 2 ? 'odd' : 'even', tags: i < 3 ? ['t'] : [] } })).id);
    const seen: string[] = [];
    let token = '';
    let pages = 0;
    do {
      const page = await a.listNetworks({ pageSize: 3, pageToken: token });
      seen.push(...page.networks.map((n) => n.id));
      token = page.nextPageToken;
      pages++;
    } while (token && pages < 10);
    expect(new Set(seen)).toEqual(ids);
    expect(seen.length).toBe(7);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect((await a.listNetworks({ name: 'odd' })).networks).toHaveLength(3);
    expect((await a.listNetworks({ tags: ['t'] })).networks).toHaveLength(3);
    const badToken = await failure(a.listNetworks({ pageSize: 3, pageToken: 'garbage' }));
    expect(badToken.code).toBe(status.INVALID_ARGUMENT);
    const first = await a.listNetworks({ pageSize: 3 });
    expect((await failure(a.listNetworks({ pageSize: 3, pageToken: first.nextPageToken, name: 'odd' }))).code).toBe(status.INVALID_ARGUMENT);
  });
});

describe('tenant segment pool', () => {
  let ctl: ControllerHandle;
  beforeAll(async () => {
    ctl = await startController({ config: { segments: { vxlanVniRanges: [[100, 102]] } } });
  });
  afterAll(async () => ctl.stop());

  it('allocates tenant VNIs exclusively, exhausts the pool, and frees ids on delete', async () => {
    const a = ctl.as('proj-vni');
    const nets = [];
    for (let i = 0; i < 3; i++) nets.push(await a.createNetwork({ network: { name: `v${i}` } }));
    const vnis = nets.map((n) => n.segments[0].segmentationId).sort();
    expect(vnis).toEqual([100, 101, 102]);
    const full = await failure(a.createNetwork({ network: { name: 'v3' } }));
    expect(full.code).toBe(status.RESOURCE_EXHAUSTED);
    await a.deleteNetwork({ id: nets[1].id, revisionNumber: 0 });
    const again = await a.createNetwork({ network: { name: 'v4' } });
    expect(again.segments[0].segmentationId).toBe(nets[1].segments[0].segmentationId);
    for (const n of [nets[0], nets[2], again]) await a.deleteNetwork({ id: n.id, revisionNumber: 0 });
  });

});

describe('tenant VLAN segments', () => {
  let ctl: ControllerHandle;
  beforeAll(async () => {
    ctl = await startController({ config: { segments: { tenantNetworkType: 'vlan', vlanRanges: { physnet2: [[10, 11]] } } } });
  });
  afterAll(async () => ctl.stop());

  it('allocates VLAN ids per physical network, keeps provider ids out of the pool, and exhausts cleanly', async () => {
    const a = ctl.as('vlan-a');
    const admin = ctl.admin();
    // An admin's provider network takes VLAN 10 explicitly; tenants must then get 11, then nothing.
    const provider = await admin.createNetwork({ network: { name: 'prov', segments: [{ networkType: NetworkType.NETWORK_TYPE_VLAN, physicalNetwork: 'physnet2', segmentationId: 10 }] } });
    const t1 = await a.createNetwork({ network: { name: 't1' } });
    expect(t1.segments).toEqual([{ networkType: NetworkType.NETWORK_TYPE_VLAN, physicalNetwork: 'physnet2', segmentationId: 11 }]);
    expect(t1.mtu).toBe(1500);
    expect((await failure(a.createNetwork({ network: { name: 't2' } }))).code).toBe(status.RESOURCE_EXHAUSTED);
    await admin.deleteNetwork({ id: provider.id });
    const t3 = await a.createNetwork({ network: { name: 't3' } });
    expect(t3.segments[0].segmentationId).toBe(10);
  });
});
