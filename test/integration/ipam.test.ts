import { status } from '@grpc/grpc-js';
import { failure, startController, type ControllerHandle } from './harness';

describe('subnets and IPAM', () => {
  let ctl: ControllerHandle;
  beforeAll(async () => {
    ctl = await startController();
  });
  afterAll(async () => ctl.stop());

  async function network(project: string, name: string): Promise<string> {
    return (await ctl.as(project).createNetwork({ network: { name } })).id;
  }

  it('derives gateway and pools, and rejects bad addressing with field violations', async () => {
    const a = ctl.as('ipam-a');
    const net = await network('ipam-a', 'n1');
    const s = await a.createSubnet({ subnet: { networkId: net, cidr: '192.168.10.0/24', name: 's' } });
    expect(s.gatewayIp).toBe('192.168.10.1');
    expect(s.ipVersion).toBe(4);
    expect(s.enableDhcp).toBe(true);
    expect(s.allocationPools).toEqual([{ start: '192.168.10.2', end: '192.168.10.254' }]);
    const bad = await failure(a.createSubnet({ subnet: { networkId: net, cidr: '10.0.0.1/24' } }));
    expect(bad.code).toBe(status.INVALID_ARGUMENT);
    expect(bad.fields).toEqual(['subnet.cidr']);
    const pools = await failure(
      a.createSubnet({ subnet: { networkId: net, cidr: '10.9.0.0/24', gatewayIp: '10.9.0.5', allocationPools: [{ start: '10.9.0.2', end: '10.9.0.10' }, { start: '10.9.1.1', end: '10.9.1.5' }] } }),
    );
    expect(pools.code).toBe(status.INVALID_ARGUMENT);
    expect(pools.fields.length).toBeGreaterThanOrEqual(2);
    const dns = await failure(a.createSubnet({ subnet: { networkId: net, cidr: '10.8.0.0/24', dnsNameservers: ['nope'], hostRoutes: [{ destination: 'x', nexthop: '10.8.0.1' }] } }));
    expect(dns.fields).toEqual(expect.arrayContaining(['subnet.dns_nameservers[0]', 'subnet.host_routes[0].destination']));
  });

  it('rejects overlapping subnets on one network but allows them on different networks', async () => {
    const a = ctl.as('ipam-b');
    const n1 = await network('ipam-b', 'n1');
    const n2 = await network('ipam-b', 'n2');
    await a.createSubnet({ subnet: { networkId: n1, cidr: '10.20.0.0/16' } });
    const overlap = await failure(a.createSubnet({ subnet: { networkId: n1, cidr: '10.20.5.0/24' } }));
    expect(overlap.code).toBe(status.INVALID_ARGUMENT);
    expect(overlap.message).toContain('overlaps');
    await expect(a.createSubnet({ subnet: { networkId: n2, cidr: '10.20.5.0/24' } })).resolves.toBeDefined();
    await expect(ctl.as('other').createSubnet({ subnet: { networkId: await network('other', 'x'), cidr: '10.20.0.0/16' } })).resolves.toBeDefined();
  });

  it('never hands out one address twice under 200 concurrent CreatePort calls, then reports exhaustion', async () => {
    const a = ctl.as('ipam-c');
    const net = await network('ipam-c', 'big');
    // 10.30.0.0/24 has 253 allocatable addresses (gateway .1 excluded).
    await a.createSubnet({ subnet: { networkId: net, cidr: '10.30.0.0/24' } });
    const ports = await Promise.all(Array.from({ length: 200 }, () => a.createPort({ port: { networkId: net } })));
    const ips = ports.map((p) => p.fixedIps[0].ipAddress);
    expect(new Set(ips).size).toBe(200);
    expect(ips).not.toContain('10.30.0.1');
    const macs = ports.map((p) => p.macAddress);
    expect(new Set(macs).size).toBe(200);
    const rest = await Promise.allSettled(Array.from({ length: 60 }, () => a.createPort({ port: { networkId: net } })));
    const ok = rest.filter((r) => r.status === 'fulfilled');
    expect(ok).toHaveLength(53);
    const errs = rest.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(errs.every((e) => (e.reason as { code: number }).code === status.RESOURCE_EXHAUSTED)).toBe(true);
    // Deleting a port frees its address for the next allocation.
    const victim = ports[17];
    await a.deletePort({ id: victim.id });
    const reused = await a.createPort({ port: { networkId: net } });
    expect(reused.fixedIps[0].ipAddress).toBe(victim.fixedIps[0].ipAddress);
    const listed = await a.listPorts({ networkId: net, pageSize: 1000 });
    const all = listed.ports.map((p) => p.fixedIps[0].ipAddress);
    expect(new Set(all).size).toBe(all.length);
    expect(all).toHaveLength(253);
  });

  it('honours requested fixed IPs and rejects taken, gateway and outside addresses with reasons', async () => {
    const a = ctl.as('ipam-d');
    const net = await network('ipam-d', 'n');
    const s = await a.createSubnet({ subnet: { networkId: net, cidr: '172.16.5.0/24' } });
    const p = await a.createPort({ port: { networkId: net, fixedIps: [{ subnetId: s.id, ipAddress: '172.16.5.77' }] } });
    expect(p.fixedIps).toEqual([{ subnetId: s.id, ipAddress: '172.16.5.77' }]);
    const byIpOnly = await a.createPort({ port: { networkId: net, fixedIps: [{ ipAddress: '172.16.5.78' }] } });
    expect(byIpOnly.fixedIps[0].subnetId).toBe(s.id);
    const taken = await failure(a.createPort({ port: { networkId: net, fixedIps: [{ subnetId: s.id, ipAddress: '172.16.5.77' }] } }));
    expect(taken.code).toBe(status.ALREADY_EXISTS);
    const gw = await failure(a.createPort({ port: { networkId: net, fixedIps: [{ subnetId: s.id, ipAddress: '172.16.5.1' }] } }));
    expect(gw.code).toBe(status.INVALID_ARGUMENT);
    expect(gw.message).toContain('gateway');
    const outside = await failure(a.createPort({ port: { networkId: net, fixedIps: [{ subnetId: s.id, ipAddress: '172.16.6.1' }] } }));
    expect(outside.code).toBe(status.INVALID_ARGUMENT);
    expect(outside.fields).toEqual(['port.fixed_ips[0].ip_address']);
    const bcast = await failure(a.createPort({ port: { networkId: net, fixedIps: [{ subnetId: s.id, ipAddress: '172.16.5.255' }] } }));
    expect(bcast.code).toBe(status.INVALID_ARGUMENT);
    // The failed creates reserved nothing: an address they did not touch is still free.
    const again = await a.createPort({ port: { networkId: net, fixedIps: [{ subnetId: s.id, ipAddress: '172.16.5.200' }] } });
    expect(again.fixedIps[0].ipAddress).toBe('172.16.5.200');
    // A subnet with allocated addresses cannot be deleted; it names a holder.
    const del = await failure(a.deleteSubnet({ id: s.id }));
    expect(del.code).toBe(status.FAILED_PRECONDITION);
    expect(del.subjects.length).toBeGreaterThan(0);
    // Updating a port's fixed IPs releases the old address and claims the new one.
    const moved = await a.updatePort({ port: { id: p.id, fixedIps: [{ subnetId: s.id, ipAddress: '172.16.5.99' }] }, updateMask: ['fixed_ips'] });
    expect(moved.fixedIps[0].ipAddress).toBe('172.16.5.99');
    const reuse = await a.createPort({ port: { networkId: net, fixedIps: [{ subnetId: s.id, ipAddress: '172.16.5.77' }] } });
    expect(reuse.fixedIps[0].ipAddress).toBe('172.16.5.77');
  });

  it('allocates IPv6 addresses and dual-stack ports', async () => {
    const a = ctl.as('ipam-e');
    const net = await network('ipam-e', 'v6');
    const v6 = await a.createSubnet({ subnet: { networkId: net, cidr: '2001:db8:1::/64', ipVersion: 6 } });
    expect(v6.gatewayIp).toBe('2001:db8:1::1');
    const v4 = await a.createSubnet({ subnet: { networkId: net, cidr: '10.40.0.0/24' } });
    const p = await a.createPort({ port: { networkId: net } });
    expect(p.fixedIps.map((f) => f.subnetId).sort()).toEqual([v4.id, v6.id].sort());
    const explicit = await a.createPort({ port: { networkId: net, fixedIps: [{ subnetId: v6.id, ipAddress: '2001:DB8:1:0::abcd' }] } });
    expect(explicit.fixedIps[0].ipAddress).toBe('2001:db8:1::abcd');
    const dup = await failure(a.createPort({ port: { networkId: net, fixedIps: [{ subnetId: v6.id, ipAddress: '2001:db8:1::abcd' }] } }));
    expect(dup.code).toBe(status.ALREADY_EXISTS);
    const wrongMode = await failure(a.createSubnet({ subnet: { networkId: net, cidr: '10.41.0.0/24', ipv6AddressMode: 1 } }));
    expect(wrongMode.fields).toEqual(['subnet.ipv6_address_mode']);
  });

  it('keeps MAC addresses unique', async () => {
    const a = ctl.as('ipam-f');
    const net = await network('ipam-f', 'm');
    const p = await a.createPort({ port: { networkId: net, macAddress: 'FA-16-3E-00-00-01' } });
    expect(p.macAddress).toBe('fa:16:3e:00:00:01');
    const dup = await failure(a.createPort({ port: { networkId: net, macAddress: 'fa:16:3e:00:00:01' } }));
    expect(dup.code).toBe(status.ALREADY_EXISTS);
    const bad = await failure(a.createPort({ port: { networkId: net, macAddress: '01:00:5e:00:00:01' } }));
    expect(bad.fields).toEqual(['port.mac_address']);
    await a.deletePort({ id: p.id });
    await expect(a.createPort({ port: { networkId: net, macAddress: 'fa:16:3e:00:00:01' } })).resolves.toBeDefined();
  });

  it('assigns the default security group and validates port security settings', async () => {
    const a = ctl.as('ipam-g');
    const net = await network('ipam-g', 'sec');
    const p = await a.createPort({ port: { networkId: net } });
    expect(p.securityGroupIds).toHaveLength(1);
    const sg = await a.getSecurityGroup({ id: p.securityGroupIds[0] });
    expect(sg.name).toBe('default');
    expect(sg.rules).toHaveLength(4);
    const groups = await a.listSecurityGroups({ name: 'default' });
    expect(groups.securityGroups).toHaveLength(1);
    const none = await a.createPort({ port: { networkId: net }, noSecurityGroups: true });
    expect(none.securityGroupIds).toEqual([]);
    expect(none.portSecurityEnabled).toBe(true);
    const off = await a.createPort({ port: { networkId: net, portSecurityEnabled: false } });
    expect(off.securityGroupIds).toEqual([]);
    const bad = await failure(a.createPort({ port: { networkId: net, portSecurityEnabled: false, securityGroupIds: [sg.id] } }));
    expect(bad.fields).toEqual(['port.security_group_ids']);
    const foreign = await failure(ctl.as('ipam-h').createPort({ port: { networkId: net } }));
    expect(foreign.code).toBe(status.NOT_FOUND);
    const inUse = await failure(a.deleteSecurityGroup({ id: sg.id }));
    expect(inUse.code).toBe(status.FAILED_PRECONDITION);
  });
});
