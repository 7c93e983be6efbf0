import type { Port } from '../../proto/gen/weft/network/v1/resources';
import type { NetworkApi } from '../../services/runtime/client/network-client';
import { startController, type ControllerHandle } from './harness';

async function listAll(api: NetworkApi, networkId: string): Promise<Port[]> {
  const out: Port[] = [];
  let token = '';
  for (let i = 0; i < 1000; i++) {
    const page = await api.listPorts({ networkId, pageSize: 500, pageToken: token });
    out.push(...page.ports);
    token = page.nextPageToken;
    if (!token) break;
  }
  return out;
}

describe('durability', () => {
  let ctl: ControllerHandle;
  afterAll(async () => ctl?.stop());

  it('keeps every acknowledged write and consistent IPAM/segment/revision state across SIGKILL', async () => {
    ctl = await startController();
    const a = ctl.as('dur');
    const net = await a.createNetwork({ network: { name: 'dur' } });
    await a.createSubnet({ subnet: { networkId: net.id, cidr: '10.60.0.0/20' } });
    const acked: Port[] = [];
    const ackedNets: string[] = [];
    let stop = false;
    const writer = async (): Promise<void> => {
      // Bounded: at most 2,000 writes per worker, and the kill stops them sooner.
      for (let i = 0; i < 2000 && !stop; i++) {
        try {
          if (i % 25 === 0) ackedNets.push((await a.createNetwork({ network: { name: `n${i}` } })).id);
          else acked.push(await a.createPort({ port: { networkId: net.id, name: `p${i}` } }));
        } catch {
          return; // the server died under us: later calls are unacknowledged by definition
        }
      }
    };
    const workers = Array.from({ length: 16 }, () => writer());
    await new Promise((r) => setTimeout(r, 700));
    await ctl.kill('SIGKILL');
    stop = true;
    await Promise.all(workers);
    expect(acked.length).toBeGreaterThan(50);

    await ctl.restart();
    const b = ctl.as('dur');
    const ports = await listAll(b, net.id);
    const byId = new Map(ports.map((p) => [p.id, p]));
    for (const p of acked) expect(byId.get(p.id)).toEqual(p);
    for (const id of ackedNets) await expect(b.getNetwork({ id })).resolves.toBeDefined();
    // No half-written resources: every listed port is fully readable, and index and record agree.
    for (const p of ports.slice(0, 200)) expect(await b.getPort({ id: p.id })).toEqual(p);
    const ips = ports.map((p) => p.fixedIps[0].ipAddress);
    expect(new Set(ips).size).toBe(ips.length);
    // IPAM was rebuilt: new allocations never collide with surviving ones.
    const fresh = await Promise.all(Array.from({ length: 50 }, () => b.createPort({ port: { networkId: net.id } })));
    for (const p of fresh) expect(ips).not.toContain(p.fixedIps[0].ipAddress);
    // Segment state was rebuilt: a new network gets a VNI no surviving network has.
    const nets = await b.listNetworks({ pageSize: 1000 });
    const vnis = nets.networks.map((n) => n.segments[0].segmentationId);
    const newNet = await b.createNetwork({ network: { name: 'after' } });
    expect(vnis).not.toContain(newNet.segments[0].segmentationId);
    // Revision state: the counter continued, and the log replays the surviving resources.
    const rev = await b.getRevision({});
    expect(rev.revision).toBeGreaterThanOrEqual(acked.length + ackedNets.length + 2 + 51);
  });
});
