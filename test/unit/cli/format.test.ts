import { Change } from '../../../proto/gen/weft/network/v1/network_service';
import { Direction, Ethertype, Ipv6Mode, Network, NetworkType, PortStatus, Status, VnicType } from '../../../proto/gen/weft/network/v1/resources';
import { parseArgs } from '../../../tools/cli/args';
import { describeNetwork, segmentText } from '../../../tools/cli/commands/network';
import { parsePortRange, ruleSummary } from '../../../tools/cli/commands/security-group';
import { watchLines } from '../../../tools/cli/commands/watch';
import { GLOBAL_OPTIONS, resolveGlobals } from '../../../tools/cli/context';
import {
  directionName,
  DIRECTIONS,
  enumWord,
  ethertypeName,
  ETHERTYPES,
  ipv6ModeName,
  IPV6_MODES,
  networkTypeName,
  NETWORK_TYPES,
  portStatusName,
  renderKeyValue,
  renderTable,
  statusName,
  time,
  vnicTypeName,
  VNIC_TYPES,
} from '../../../tools/cli/format';

describe('renderTable', () => {
  test('aligns columns two spaces apart under upper-case headers, without trailing blanks', () => {
    const out = renderTable(['id', 'name', 'status'], [
      ['a1', 'web', 'active'],
      ['b22222', '', 'down'],
    ]);
    expect(out.split('\n')).toEqual([
      'ID      NAME  STATUS', //
      'a1      web   active',
      'b22222        down',
    ]);
  });

  test('multi-line cells make a row span several lines, other columns stay aligned', () => {
    const out = renderTable(['ID', 'FIXED IPS', 'STATUS'], [
      ['p1', '10.0.0.5\n2001:db8::5', 'active'],
      ['p2', '', 'down'],
    ]);
    expect(out.split('\n')).toEqual([
      'ID  FIXED IPS    STATUS', //
      'p1  10.0.0.5     active',
      '    2001:db8::5',
      'p2               down',
    ]);
  });

  test('an empty list prints only the headers', () => {
    expect(renderTable(['ID', 'NAME'], [])).toBe('ID  NAME');
  });
});

describe('renderKeyValue', () => {
  test('pads keys to one width and continues multi-line values under the value column', () => {
    expect(
      renderKeyValue([
        ['id', 'n1'],
        ['description', ''],
        ['subnet_ids', 's1\ns2'],
      ]).split('\n'),
    ).toEqual(['id           n1', 'description', 'subnet_ids   s1', '             s2']);
  });
});

describe('enum names', () => {
  test('enumWord strips the prefix, lower-cases and hyphenates; UNSPECIFIED is empty', () => {
    expect(enumWord('NETWORK_TYPE_VXLAN', 'NETWORK_TYPE_')).toBe('vxlan');
    expect(enumWord('IPV6_MODE_DHCPV6_STATEFUL', 'IPV6_MODE_')).toBe('dhcpv6-stateful');
    expect(enumWord('STATUS_UNSPECIFIED', 'STATUS_')).toBe('');
    expect(enumWord('RESOURCE_TYPE_SECURITY_GROUP_RULE', 'RESOURCE_TYPE_')).toBe('security-group-rule');
  });

  test('each enum shows as a word', () => {
    expect(statusName(Status.STATUS_ACTIVE)).toBe('active');
    expect(portStatusName(PortStatus.PORT_STATUS_DOWN)).toBe('down');
    expect(networkTypeName(NetworkType.NETWORK_TYPE_VLAN)).toBe('vlan');
    expect(vnicTypeName(VnicType.VNIC_TYPE_MACVTAP)).toBe('macvtap');
    expect(directionName(Direction.DIRECTION_INGRESS)).toBe('ingress');
    expect(ethertypeName(Ethertype.ETHERTYPE_IPV6)).toBe('IPv6');
    expect(ipv6ModeName(Ipv6Mode.IPV6_MODE_SLAAC)).toBe('slaac');
  });

  test('the words accepted on the command line are the words shown', () => {
    expect(NETWORK_TYPES).toEqual({ vxlan: NetworkType.NETWORK_TYPE_VXLAN, vlan: NetworkType.NETWORK_TYPE_VLAN, flat: NetworkType.NETWORK_TYPE_FLAT, local: NetworkType.NETWORK_TYPE_LOCAL });
    expect(Object.keys(VNIC_TYPES)).toEqual(['normal', 'direct', 'macvtap']);
    expect(Object.keys(DIRECTIONS)).toEqual(['ingress', 'egress']);
    expect(Object.keys(ETHERTYPES)).toEqual(['IPv4', 'IPv6']);
    expect(Object.keys(IPV6_MODES)).toEqual(['slaac', 'dhcpv6-stateful', 'dhcpv6-stateless']);
  });

  test('timestamps are ISO 8601 UTC', () => {
    expect(time(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)))).toBe('2024-01-02T03:04:05.006Z');
    expect(time(undefined)).toBe('');
  });
});

describe('resource views', () => {
  const net = Network.fromPartial({
    id: 'n1',
    name: 'net',
    status: Status.STATUS_ACTIVE,
    adminStateUp: true,
    mtu: 1450,
    segments: [{ networkType: NetworkType.NETWORK_TYPE_VXLAN, segmentationId: 1001 }],
    subnetIds: ['s1', 's2'],
    revisionNumber: 3,
    createdAt: new Date(Date.UTC(2024, 0, 1)),
  });

  test('network key/value view uses enum words, booleans and ISO times', () => {
    const view = new Map(describeNetwork(net));
    expect(view.get('status')).toBe('active');
    expect(view.get('segments')).toBe('vxlan 1001');
    expect(view.get('admin_state_up')).toBe('true');
    expect(view.get('subnet_ids')).toBe('s1\ns2');
    expect(view.get('created_at')).toBe('2024-01-01T00:00:00.000Z');
    expect(segmentText({ networkType: NetworkType.NETWORK_TYPE_VLAN, physicalNetwork: 'physnet1', segmentationId: 100 })).toBe('vlan physnet1 100');
  });

  test('security group rules read as one line', () => {
    const rule = { id: 'r1', direction: Direction.DIRECTION_INGRESS, ethertype: Ethertype.ETHERTYPE_IPV4, protocol: 'tcp', portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: '10.0.0.0/8' };
    expect(ruleSummary({ ...emptyRule(), ...rule })).toBe('ingress IPv4 tcp 22 from 10.0.0.0/8 (r1)');
    expect(parsePortRange('8000:8080', '')).toEqual({ min: 8000, max: 8080 });
    expect(parsePortRange('53', '')).toEqual({ min: 53, max: 53 });
    expect(() => parsePortRange('a-b', '')).toThrow(/MIN\[:MAX\]/);
  });

  test('watch prints one line per change: revision, type, id, action, name', () => {
    const created = Change.fromPartial({ resourceType: 1, id: 'n1', projectId: 'p', value: { $case: 'network', value: { ...net, revisionNumber: 1 } } });
    const updated = Change.fromPartial({ resourceType: 1, id: 'n1', projectId: 'p', value: { $case: 'network', value: net } });
    const deleted = Change.fromPartial({ resourceType: 1, id: 'n1', projectId: 'p', deleted: true, value: { $case: 'network', value: net } });
    expect(watchLines({ revision: 7, changes: [created, updated, deleted] }, false)).toEqual(['7 network n1 created net', '7 network n1 updated net', '7 network n1 deleted net']);
    const [json] = watchLines({ revision: 7, changes: [deleted] }, true);
    expect(JSON.parse(json)).toMatchObject({ revision: 7, action: 'deleted', resourceType: 'RESOURCE_TYPE_NETWORK', id: 'n1', deleted: true, network: { name: 'net' } });
  });
});

describe('global settings', () => {
  const parse = (argv: string[]) => parseArgs(argv, GLOBAL_OPTIONS).parsed;

  test('defaults, then environment, then flags (the last stage wins)', () => {
    expect(resolveGlobals([parse([])], {})).toEqual({ url: '127.0.0.1:9696', json: false, urlExplicit: false });
    const env = { WEFT_NETWORK_URL: 'h:1', WEFT_IDENTITY_URL: 'id:5' };
    expect(resolveGlobals([parse([])], env)).toEqual({ url: 'h:1', identityUrl: 'id:5', json: false, urlExplicit: true });
    const s = resolveGlobals([parse(['--url', 'a:1', '--json']), parse(['--url', 'b:2', '--identity-url', 'id:6'])], env);
    expect(s).toEqual({ url: 'b:2', identityUrl: 'id:6', json: true, urlExplicit: true });
  });

  test('the development options --project / --roles are gone (and their environment is ignored)', () => {
    expect(GLOBAL_OPTIONS.map((o) => o.name)).not.toEqual(expect.arrayContaining(['project']));
    expect(GLOBAL_OPTIONS.map((o) => o.name)).not.toEqual(expect.arrayContaining(['roles']));
    expect(() => parse(['--project', 'p1'])).toThrow(/project/);
    expect(resolveGlobals([parse([])], { WEFT_PROJECT: 'p1', WEFT_ROLES: 'admin' })).toEqual({ url: '127.0.0.1:9696', json: false, urlExplicit: false });
  });
});

function emptyRule() {
  return { id: '', projectId: '', securityGroupId: '', description: '', direction: 0, ethertype: 0, protocol: '', portRangeMin: 0, portRangeMax: 0, remoteIpPrefix: '', remoteGroupId: '', revisionNumber: 0, tags: [] };
}
