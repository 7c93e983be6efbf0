import { Network, Port, PortBinding, Subnet } from '../../../proto/gen/weft/network/v1/resources';
import { isPair, parseAddresses, parseDefaultGateway, parseNetnsList, parseNsids, type LinkJson } from '../../../dataplane/plug/observe';
import { PlugError, specFromPort } from '../../../dataplane/plug/plug';

const PORT_ID = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const NET = Network.fromPartial({ id: 'net-1', mtu: 1450 });
const V4 = Subnet.fromPartial({ id: 'sub-4', ipVersion: 4, cidr: '10.0.0.0/24', gatewayIp: '10.0.0.1' });
const V4B = Subnet.fromPartial({ id: 'sub-4b', ipVersion: 4, cidr: '10.9.0.0/16', gatewayIp: '10.9.0.1' });
const V6 = Subnet.fromPartial({ id: 'sub-6', ipVersion: 6, cidr: '2001:db8::/64', gatewayIp: '2001:db8::1' });

function port(binding: Partial<PortBinding>, extra: Partial<Port> = {}): Port {
  return Port.fromPartial({
    id: PORT_ID,
    networkId: 'net-1',
    macAddress: 'fa:16:3e:00:00:01',
    fixedIps: [
      { subnetId: 'sub-4', ipAddress: '10.0.0.5' },
      { subnetId: 'sub-6', ipAddress: '2001:db8::5' },
    ],
    binding: PortBinding.fromPartial({ hostId: 'host-a', vifType: 'bridge', ...binding }),
    ...extra,
  });
}

function failure(fn: () => unknown): PlugError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PlugError) return e;
    throw e;
  }
  throw new Error('expected a PlugError');
}

describe('specFromPort', () => {
  test('MAC, MTU, addresses with prefix lengths, gateways per family, tap from vif_details', () => {
    const spec = specFromPort(port({ vifDetails: { tap_name: 'tapcustom' } }), [V4, V6], NET, { instance: 'vm1', hostNetns: 'h1' });
    expect(spec).toEqual({
      instance: 'vm1',
      hostNetns: 'h1',
      ifname: undefined,
      tap: 'tapcustom',
      mac: 'fa:16:3e:00:00:01',
      mtu: 1450,
      addresses: [
        { ip: '10.0.0.5', prefixLength: 24 },
        { ip: '2001:db8::5', prefixLength: 64 },
      ],
      gateways: { v4: '10.0.0.1', v6: '2001:db8::1' },
    });
  });

  test('without tap_name: the naming convention (tap + 11 characters of the id)', () => {
    expect(specFromPort(port({}), [V4, V6], NET, { instance: 'vm1' }).tap).toBe('tap0f1e2d3c-4b');
  });

  test('the first subnet of a family with a gateway gives the default route; no-gateway subnets none', () => {
    const p = port({}, { fixedIps: [{ subnetId: 'sub-4b', ipAddress: '10.9.0.7' }, { subnetId: 'sub-4', ipAddress: '10.0.0.5' }] });
    expect(specFromPort(p, [V4, V4B], NET, { instance: 'vm1' }).gateways).toEqual({ v4: '10.9.0.1' });
    const none = Subnet.fromPartial({ ...V4, gatewayIp: '', noGateway: true });
    expect(specFromPort(port({}, { fixedIps: [{ subnetId: 'sub-4', ipAddress: '10.0.0.5' }] }), [none], NET, { instance: 'vm1' }).gateways).toEqual({});
  });

  test('binding_failed is refused, quoting the reason', () => {
    const e = failure(() => specFromPort(port({ vifType: 'binding_failed' }, { statusReason: 'no alive agent can bind the port on host host-a' }), [V4, V6], NET, { instance: 'vm1' }));
    expect(e.code).toBe('BINDING_FAILED');
    expect(e.message).toContain('no alive agent can bind the port on host host-a');
  });

  test('unbound and foreign vif types are refused with their own codes', () => {
    expect(failure(() => specFromPort(port({ vifType: 'unbound', hostId: '' }), [V4, V6], NET, { instance: 'vm1' })).code).toBe('NOT_BOUND');
    const ovs = failure(() => specFromPort(port({ vifType: 'ovs' }), [V4, V6], NET, { instance: 'vm1' }));
    expect(ovs.code).toBe('UNSUPPORTED_VIF');
    expect(ovs.message).toContain('"ovs"');
  });

  test('a missing subnet or a different network is INVALID_PORT', () => {
    expect(failure(() => specFromPort(port({}), [V4], NET, { instance: 'vm1' })).code).toBe('INVALID_PORT');
    expect(failure(() => specFromPort(port({}), [V4, V6], { ...NET, id: 'net-2' }, { instance: 'vm1' })).code).toBe('INVALID_PORT');
  });
});

describe('ip -j parsers', () => {
  test('namespace list (empty output means none)', () => {
    expect(parseNetnsList('')).toEqual([]);
    expect(parseNetnsList('[{"name":"a","id":0},{"name":"b"}]')).toEqual(['a', 'b']);
  });

  test('nsids', () => {
    expect(parseNsids('[{"nsid":0,"name":"vm1"},{"nsid":1}]')).toEqual(new Map([[0, 'vm1']]));
  });

  test('global addresses only, canonical', () => {
    const json = JSON.stringify([
      {
        ifname: 'eth0',
        addr_info: [
          { family: 'inet', local: '10.0.0.5', prefixlen: 24, scope: 'global' },
          { family: 'inet6', local: '2001:db8::5', prefixlen: 64, scope: 'global' },
          { family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' },
        ],
      },
    ]);
    expect(parseAddresses(json)).toEqual([
      { ip: '10.0.0.5', prefixLength: 24 },
      { ip: '2001:db8::5', prefixLength: 64 },
    ]);
  });

  test('default gateway', () => {
    expect(parseDefaultGateway('[{"dst":"default","gateway":"10.0.0.1","dev":"eth0","flags":[]}]')).toBe('10.0.0.1');
    expect(parseDefaultGateway('[]')).toBeUndefined();
  });

  test('isPair: veths naming each other, peer in the instance', () => {
    const tap: LinkJson = { ifindex: 7, ifname: 'tapx', link_index: 2, link_netnsid: 0, linkinfo: { info_kind: 'veth' } };
    const peer: LinkJson = { ifindex: 2, ifname: 'eth0', link_index: 7, link_netnsid: 0, linkinfo: { info_kind: 'veth' } };
    const ids = new Map([[0, 'vm1']]);
    expect(isPair(tap, peer, 'vm1', ids)).toBe(true);
    expect(isPair(tap, peer, 'vm2', ids)).toBe(false);
    expect(isPair({ ...tap, link_index: 3 }, peer, 'vm1', ids)).toBe(false);
    expect(isPair({ ...tap, link_netnsid: undefined }, peer, 'vm1', ids)).toBe(false);
    expect(isPair(tap, { ...peer, linkinfo: { info_kind: 'macvlan' } }, 'vm1', ids)).toBe(false);
  });
});
