import { status } from '@grpc/grpc-js';
import { Direction, Ethertype } from '../../proto/gen/weft/network/v1/resources';
import { failure, startController, type ControllerHandle } from './harness';

describe('routers, security groups and floating IPs', () => {
  let ctl: ControllerHandle;
  let extNet: string;
  let extSubnet: string;
  beforeAll(async () => {
    ctl = await startController();
    const admin = ctl.admin();
    extNet = (await admin.createNetwork({ network: { name: 'public', external: true } })).id;
    extSubnet = (await admin.createSubnet({ subnet: { networkId: extNet, cidr: '203.0.113.0/24' } })).id;
  });
  afterAll(async () => ctl.stop());

  async function tenantNet(project: string, cidr: string): Promise<{ net: string; subnet: string }> {
    const a = ctl.as(project);
    const net = (await a.createNetwork({ network: { name: `net-${cidr}` } })).id;
    const subnet = (await a.createSubnet({ subnet: { networkId: net, cidr } })).id;
    return { net, subnet };
  }

  it('attaches subnets by subnet and by port, guards deletion, and detaches', async () => {
    const a = ctl.as('rt-a');
    const { net, subnet } = await tenantNet('rt-a', '10.80.0.0/24');
    const second = await tenantNet('rt-a', '10.81.0.0/24');
    const router = await a.createRouter({ router: { name: 'r1', externalGateway: { networkId: extNet } } });
    expect(router.externalGateway!.enableSnat).toBe(true);
    expect(router.externalGateway!.externalFixedIps[0].subnetId).toBe(extSubnet);
    const info = await a.addRouterInterface({ routerId: router.id, subnetId: subnet });
    const ifPort = await a.getPort({ id: info.portId });
    expect(ifPort.fixedIps[0].ipAddress).toBe('10.80.0.1');
    expect(ifPort.deviceOwner).toBe('network:router_interface');
    expect((await failure(a.addRouterInterface({ routerId: router.id, subnetId: subnet }))).code).toBe(status.ALREADY_EXISTS);
    const userPort = await a.createPort({ port: { networkId: second.net } });
    const both = await failure(a.addRouterInterface({ routerId: router.id, subnetId: subnet, portId: userPort.id }));
    expect(both.code).toBe(status.INVALID_ARGUMENT);
    await a.addRouterInterface({ routerId: router.id, portId: userPort.id });
    const r = await a.getRouter({ id: router.id });
    expect(r.interfaces.map((i) => i.subnetId).sort()).toEqual([subnet, second.subnet].sort());
    // Interface ports change only through the router API.
    expect((await failure(a.deletePort({ id: info.portId }))).code).toBe(status.FAILED_PRECONDITION);
    const busy = await failure(a.deleteRouter({ id: router.id }));
    expect(busy.code).toBe(status.FAILED_PRECONDITION);
    expect(busy.subjects).toContain(info.portId);
    expect((await failure(a.deleteSubnet({ id: subnet }))).code).toBe(status.FAILED_PRECONDITION);
    const noGw = await failure(a.updateSubnet({ subnet: { id: subnet, noGateway: true }, updateMask: ['no_gateway'] }));
    expect(noGw.code).toBe(status.FAILED_PRECONDITION);
    expect(noGw.subjects).toEqual([router.id]);
    // Routes need a next hop on an attached subnet.
    const badRoute = await failure(a.updateRouter({ router: { id: router.id, routes: [{ destination: '192.168.0.0/16', nexthop: '172.31.0.1' }] }, updateMask: ['routes'] }));
    expect(badRoute.fields).toEqual(['router.routes[0].nexthop']);
    const routed = await a.updateRouter({ router: { id: router.id, routes: [{ destination: '192.168.0.0/16', nexthop: '10.80.0.50' }] }, updateMask: ['routes'] });
    expect(routed.routes).toHaveLength(1);
    expect((await failure(a.removeRouterInterface({ routerId: router.id, subnetId: subnet }))).code).toBe(status.FAILED_PRECONDITION);
    await a.updateRouter({ router: { id: router.id, routes: [] }, updateMask: ['routes'] });
    await a.removeRouterInterface({ routerId: router.id, subnetId: subnet });
    await a.removeRouterInterface({ routerId: router.id, portId: userPort.id });
    expect((await failure(a.getPort({ id: info.portId }))).code).toBe(status.NOT_FOUND);
    await a.deleteRouter({ id: router.id });
    await a.deleteSubnet({ id: subnet });
    await a.deleteNetwork({ id: net });
    // The gateway port went with the router, so the external network holds nothing of ours.
    expect((await ctl.admin().listPorts({ networkId: extNet, deviceId: router.id })).ports).toEqual([]);
  });

  it('keeps routers private to their project', async () => {
    const a = ctl.as('rt-b');
    const router = await a.createRouter({ router: { name: 'mine' } });
    const other = ctl.as('rt-c');
    expect((await failure(other.getRouter({ id: router.id }))).code).toBe(status.NOT_FOUND);
    const { subnet } = await tenantNet('rt-c', '10.82.0.0/24');
    expect((await failure(other.addRouterInterface({ routerId: router.id, subnetId: subnet }))).code).toBe(status.NOT_FOUND);
    expect((await failure(a.addRouterInterface({ routerId: router.id, subnetId: subnet }))).code).toBe(status.NOT_FOUND);
    expect((await other.listRouters({})).routers).toEqual([]);
  });

  it('associates floating IPs through a router and refuses unreachable ones', async () => {
    const a = ctl.as('fip-a');
    const { net, subnet } = await tenantNet('fip-a', '10.90.0.0/24');
    const port = await a.createPort({ port: { networkId: net } });
    const fip = await a.createFloatingIp({ floatingIp: { floatingNetworkId: extNet } });
    expect(fip.floatingIpAddress).toMatch(/^203\.0\.113\./);
    const unreachable = await failure(a.updateFloatingIp({ floatingIp: { id: fip.id, portId: port.id }, updateMask: ['port_id'] }));
    expect(unreachable.code).toBe(status.FAILED_PRECONDITION);
    const router = await a.createRouter({ router: { name: 'gw', externalGateway: { networkId: extNet } } });
    await a.addRouterInterface({ routerId: router.id, subnetId: subnet });
    const assoc = await a.updateFloatingIp({ floatingIp: { id: fip.id, portId: port.id }, updateMask: ['port_id'] });
    expect(assoc.fixedIpAddress).toBe(port.fixedIps[0].ipAddress);
    expect(assoc.routerId).toBe(router.id);
    expect((await failure(a.removeRouterInterface({ routerId: router.id, subnetId: subnet }))).code).toBe(status.FAILED_PRECONDITION);
    const second = await failure(a.createFloatingIp({ floatingIp: { floatingNetworkId: extNet, portId: port.id } }));
    expect(second.code).toBe(status.ALREADY_EXISTS);
    // Deleting the port disassociates the floating IP.
    await a.deletePort({ id: port.id });
    const after = await a.getFloatingIp({ id: fip.id });
    expect(after.portId).toBe('');
    expect(after.routerId).toBe('');
    const other = ctl.as('fip-b');
    expect((await failure(other.getFloatingIp({ id: fip.id }))).code).toBe(status.NOT_FOUND);
    await a.deleteFloatingIp({ id: fip.id });
    const internal = (await ctl.admin().listPorts({ networkId: extNet, deviceOwner: 'network:floatingip' })).ports;
    expect(internal.map((p) => p.deviceId)).not.toContain(fip.id);
  });

  it('validates security group rules, keeps them in their group, and guards referenced groups', async () => {
    const a = ctl.as('sg-a');
    const web = await a.createSecurityGroup({ securityGroup: { name: 'web' } });
    expect(web.rules.map((r) => r.direction)).toEqual([Direction.DIRECTION_EGRESS, Direction.DIRECTION_EGRESS]);
    const rule = await a.createSecurityGroupRule({
      securityGroupRule: { securityGroupId: web.id, direction: Direction.DIRECTION_INGRESS, protocol: 'tcp', portRangeMin: 80, portRangeMax: 80, remoteIpPrefix: '0.0.0.0/0' },
    });
    expect(rule.ethertype).toBe(Ethertype.ETHERTYPE_IPV4);
    expect((await a.getSecurityGroup({ id: web.id })).rules.map((r) => r.id)).toContain(rule.id);
    const dup = await failure(
      a.createSecurityGroupRule({ securityGroupRule: { securityGroupId: web.id, direction: Direction.DIRECTION_INGRESS, protocol: 'TCP', portRangeMin: 80, portRangeMax: 80, remoteIpPrefix: '0.0.0.0/0' } }),
    );
    expect(dup.code).toBe(status.ALREADY_EXISTS);
    const bad = await failure(
      a.createSecurityGroupRule({ securityGroupRule: { securityGroupId: web.id, direction: Direction.DIRECTION_INGRESS, protocol: 'tcp', portRangeMin: 90, portRangeMax: 80, remoteIpPrefix: '::/0' } }),
    );
    expect(bad.fields).toEqual(expect.arrayContaining(['security_group_rule.port_range_max', 'security_group_rule.remote_ip_prefix']));
    const noDir = await failure(a.createSecurityGroupRule({ securityGroupRule: { securityGroupId: web.id, protocol: 'gre' } }));
    expect(noDir.fields).toEqual(expect.arrayContaining(['security_group_rule.direction', 'security_group_rule.protocol']));
    const db = await a.createSecurityGroup({ securityGroup: { name: 'db' } });
    await a.createSecurityGroupRule({ securityGroupRule: { securityGroupId: db.id, direction: Direction.DIRECTION_INGRESS, protocol: 'tcp', portRangeMin: 5432, portRangeMax: 5432, remoteGroupId: web.id } });
    const referenced = await failure(a.deleteSecurityGroup({ id: web.id }));
    expect(referenced.code).toBe(status.FAILED_PRECONDITION);
    expect(referenced.subjects).toContain(db.id);
    const other = ctl.as('sg-b');
    expect((await failure(other.getSecurityGroup({ id: web.id }))).code).toBe(status.NOT_FOUND);
    expect((await failure(other.createSecurityGroupRule({ securityGroupRule: { securityGroupId: web.id, direction: Direction.DIRECTION_INGRESS } }))).code).toBe(status.NOT_FOUND);
    await a.deleteSecurityGroup({ id: db.id });
    await a.deleteSecurityGroupRule({ id: rule.id });
    expect((await a.getSecurityGroup({ id: web.id })).rules.map((r) => r.id)).not.toContain(rule.id);
    await a.deleteSecurityGroup({ id: web.id });
    expect((await a.listSecurityGroupRules({ securityGroupId: web.id })).securityGroupRules).toEqual([]);
    const def = await failure(a.createSecurityGroup({ securityGroup: { name: 'default' } }));
    expect(def.code).toBe(status.ALREADY_EXISTS);
  });
});
