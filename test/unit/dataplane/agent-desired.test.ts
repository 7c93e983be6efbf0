import { Direction, Ethertype, Network, NetworkType, Port, SecurityGroup, SecurityGroupRule } from '../../../proto/gen/weft/network/v1/resources';
import { desiredState, type HostIdentity } from '../../../dataplane/agent/desired';

const H1: HostIdentity = { host: 'h1', tunnelIp: '10.250.0.1', bridgeMappings: { physnet1: 'eth1' } };

function net(id: string, type: NetworkType, segId = 0, physnet = '', mtu = 1450): Network {
  return Network.fromPartial({ id, mtu, adminStateUp: true, segments: [{ networkType: type, segmentationId: segId, physicalNetwork: physnet }] });
}

function port(id: string, networkId: string, host: string, opts: { mac?: string; ips?: string[]; sgs?: string[]; vtep?: string; vifType?: string; portSecurity?: boolean; adminUp?: boolean } = {}): Port {
  return Port.fromPartial({
    id,
    networkId,
    macAddress: opts.mac ?? `fa:16:3e:00:00:${id.slice(-2)}`,
    fixedIps: (opts.ips ?? []).map((ipAddress) => ({ subnetId: 's', ipAddress })),
    securityGroupIds: opts.sgs ?? [],
    portSecurityEnabled: opts.portSecurity ?? true,
    adminStateUp: opts.adminUp ?? true,
    binding: { hostId: host, vifType: opts.vifType ?? (host ? 'bridge' : 'unbound'), vifDetails: host ? { tunnel_ip: opts.vtep ?? '', tap_name: `tap${id.slice(0, 11)}` } : {} },
  });
}

function view(networks: Network[], ports: Port[], groups: SecurityGroup[] = []) {
  return {
    networks: new Map(networks.map((n) => [n.id, n])),
    ports: new Map(ports.map((p) => [p.id, p])),
    securityGroups: new Map(groups.map((g) => [g.id, g])),
  };
}

describe('desiredState', () => {
  test('no local ports: nothing to build', () => {
    const d = desiredState(view([net('n1', NetworkType.NETWORK_TYPE_VXLAN, 100)], [port('p01', 'n1', 'h2', { vtep: '10.250.0.2' })]), H1);
    expect(d.l2.networks).toEqual([]);
    expect(d.firewall.ports).toEqual([]);
    expect(d.localPorts).toEqual([]);
  });

  test('vxlan network: bridge, vni, mtu and remote VTEPs with their MACs (l2 population)', () => {
    const ports = [
      port('p01', 'n1', 'h1', { mac: 'fa:16:3e:00:00:01' }),
      port('p02', 'n1', 'h2', { mac: 'fa:16:3e:00:00:02', vtep: '10.250.0.2' }),
      port('p03', 'n1', 'h2', { mac: 'fa:16:3e:00:00:03', vtep: '10.250.0.2' }),
      port('p04', 'n1', 'h3', { mac: 'fa:16:3e:00:00:04', vtep: '10.250.0.3' }),
      // Another network's remote port is not our business; nor is an unbound port.
      port('p05', 'n2', 'h4', { vtep: '10.250.0.4' }),
      port('p06', 'n1', ''),
    ];
    const d = desiredState(view([net('n1', NetworkType.NETWORK_TYPE_VXLAN, 100), net('n2', NetworkType.NETWORK_TYPE_VXLAN, 101)], ports), H1);
    expect(d.l2.localIp).toBe('10.250.0.1');
    expect(d.l2.networks).toEqual([
      {
        networkId: 'n1',
        bridge: 'brqn1',
        mtu: 1450,
        segment: { kind: 'vxlan', vni: 100 },
        ports: [{ portId: 'p01', tap: 'tapp01', mac: 'fa:16:3e:00:00:01', adminUp: true }],
        remotes: [
          { ip: '10.250.0.2', macs: ['fa:16:3e:00:00:02', 'fa:16:3e:00:00:03'] },
          { ip: '10.250.0.3', macs: ['fa:16:3e:00:00:04'] },
        ],
      },
    ]);
  });

  test('flat and vlan networks use the bridge mapping; a missing mapping makes the port unwirable', () => {
    const nets = [net('nf', NetworkType.NETWORK_TYPE_FLAT, 0, 'physnet1', 1500), net('nv', NetworkType.NETWORK_TYPE_VLAN, 42, 'physnet1', 1500), net('nx', NetworkType.NETWORK_TYPE_FLAT, 0, 'physnet9', 1500)];
    const d = desiredState(view(nets, [port('p01', 'nf', 'h1'), port('p02', 'nv', 'h1'), port('p03', 'nx', 'h1')]), H1);
    expect(d.l2.networks.map((n) => n.segment)).toEqual([
      { kind: 'flat', physicalInterface: 'eth1' },
      { kind: 'vlan', physicalInterface: 'eth1', vlanId: 42 },
    ]);
    expect(d.unwirable.get('p03')).toMatch(/no bridge mapping for physical network physnet9/);
  });

  test('local network: a bridge with no segment device, needing neither tunnel_ip nor a bridge mapping; no remotes', () => {
    const ports = [port('p01', 'nl', 'h1', { mac: 'fa:16:3e:00:00:01' }), port('p02', 'nl', 'h2', { mac: 'fa:16:3e:00:00:02', vtep: '10.250.0.2' })];
    const d = desiredState(view([net('nl', NetworkType.NETWORK_TYPE_LOCAL, 0, '', 0)], ports), { host: 'h1', tunnelIp: '', bridgeMappings: {} });
    expect(d.unwirable.size).toBe(0);
    expect(d.l2.networks).toEqual([
      {
        networkId: 'nl',
        bridge: 'brqnl',
        mtu: 1500,
        segment: { kind: 'local' },
        ports: [{ portId: 'p01', tap: 'tapp01', mac: 'fa:16:3e:00:00:01', adminUp: true }],
        remotes: [],
      },
    ]);
    // The type may also come from the binding's vif_details.
    const bound = Port.fromPartial({ ...port('p03', 'nx', 'h1'), binding: { hostId: 'h1', vifType: 'bridge', vifDetails: { network_type: 'local', tap_name: 'tapp03' } } });
    const d2 = desiredState(view([Network.fromPartial({ id: 'nx', mtu: 1400, segments: [] })], [bound]), H1);
    expect(d2.unwirable.size).toBe(0);
    expect(d2.l2.networks.map((n) => [n.segment, n.mtu])).toEqual([[{ kind: 'local' }, 1400]]);
  });

  test('a vxlan port on an agent without tunnel_ip is unwirable', () => {
    const d = desiredState(view([net('n1', NetworkType.NETWORK_TYPE_VXLAN, 7)], [port('p01', 'n1', 'h1')]), { ...H1, tunnelIp: '' });
    expect(d.unwirable.get('p01')).toMatch(/tunnel_ip/);
    expect(d.l2.networks).toEqual([]);
  });

  test('ports bound to this host by another driver (vif_type ovs) are left alone', () => {
    const d = desiredState(view([net('n1', NetworkType.NETWORK_TYPE_VXLAN, 7)], [port('p01', 'n1', 'h1', { vifType: 'ovs' })]), H1);
    expect(d.localPorts).toEqual([]);
  });

  test('admin-down port or network: tap wanted down', () => {
    const n = net('n1', NetworkType.NETWORK_TYPE_VXLAN, 7);
    const d1 = desiredState(view([n], [port('p01', 'n1', 'h1', { adminUp: false })]), H1);
    expect(d1.l2.networks[0].ports[0].adminUp).toBe(false);
    const d2 = desiredState(view([{ ...n, adminStateUp: false }], [port('p01', 'n1', 'h1')]), H1);
    expect(d2.l2.networks[0].ports[0].adminUp).toBe(false);
  });

  test('firewall: ports carry addresses and groups; remote groups are expanded to member addresses of every host', () => {
    const rule = (r: Partial<SecurityGroupRule>) => SecurityGroupRule.fromPartial({ direction: Direction.DIRECTION_INGRESS, ethertype: Ethertype.ETHERTYPE_IPV4, ...r });
    const web = SecurityGroup.fromPartial({ id: 'sg-web', stateful: true, rules: [rule({ protocol: 'tcp', portRangeMin: 80, portRangeMax: 80, remoteGroupId: 'sg-lb' }), rule({ direction: Direction.DIRECTION_EGRESS })] });
    const lb = SecurityGroup.fromPartial({ id: 'sg-lb', stateful: true, rules: [] });
    const ports = [
      port('p01', 'n1', 'h1', { ips: ['10.0.0.5', 'fd00::5'], sgs: ['sg-web'] }),
      port('p02', 'n1', 'h2', { ips: ['10.0.0.6'], sgs: ['sg-lb'], vtep: '10.250.0.2' }),
      port('p03', 'n1', 'h3', { ips: ['10.0.0.7', 'fd00::7'], sgs: ['sg-lb', 'sg-other'], vtep: '10.250.0.3' }),
    ];
    const d = desiredState(view([net('n1', NetworkType.NETWORK_TYPE_VXLAN, 7)], ports, [web, lb]), H1);
    expect(d.firewall.ports).toEqual([
      { portId: 'p01', tap: 'tapp01', bridge: 'brqn1', mac: 'fa:16:3e:00:00:01', fixedIps: ['10.0.0.5', 'fd00::5'], allowedAddressPairs: [], portSecurityEnabled: true, securityGroupIds: ['sg-web'] },
    ]);
    const byId = new Map(d.firewall.groups.map((g) => [g.id, g]));
    expect([...byId.keys()]).toEqual(['sg-lb', 'sg-web']);
    expect(byId.get('sg-lb')!.members).toEqual({ v4: ['10.0.0.6', '10.0.0.7'], v6: ['fd00::7'] });
    expect(byId.get('sg-web')!.rules).toEqual([
      { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', portRangeMin: 80, portRangeMax: 80, remoteIpPrefix: '', remoteGroupId: 'sg-lb' },
      { direction: 'egress', ethertype: 'IPv4', protocol: '', portRangeMin: 0, portRangeMax: 0, remoteIpPrefix: '', remoteGroupId: '' },
    ]);
  });

  test('an unknown group is present with no rules (everything denied), not dropped', () => {
    const d = desiredState(view([net('n1', NetworkType.NETWORK_TYPE_VXLAN, 7)], [port('p01', 'n1', 'h1', { sgs: ['sg-gone'] })]), H1);
    expect(d.firewall.groups).toEqual([{ id: 'sg-gone', stateful: true, rules: [], members: { v4: [], v6: [] } }]);
  });
});
