/**
 * The linuxbridge mechanism driver's decision table: which (agent, segment, vnic_type)
 * combinations bind, what vif_details they produce, and the reason when they do not.
 */
import { Agent } from '../../../proto/gen/weft/agent/v1/agent_service';
import { Network, NetworkType, Port, VnicType, type Segment } from '../../../proto/gen/weft/network/v1/resources';
import { decideLinuxbridgeBinding, LinuxbridgeDriver } from '../../../controller/drivers/linuxbridge';

const NET_ID = '11111111-2222-4333-8444-555555555555';
const PORT_ID = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';

const agent = (over: Partial<Agent> = {}): Agent => Agent.fromPartial({ id: 'a1', host: 'h1', agentType: 'linuxbridge', adminStateUp: true, alive: true, ...over });
const network = (...segments: Partial<Segment>[]): Network => Network.fromPartial({ id: NET_ID, segments });
const port = (vnicType = VnicType.VNIC_TYPE_NORMAL): Port => Port.fromPartial({ id: PORT_ID, networkId: NET_ID, binding: { hostId: 'h1', vnicType } });

const VXLAN = { networkType: NetworkType.NETWORK_TYPE_VXLAN, segmentationId: 1001 };
const FLAT = { networkType: NetworkType.NETWORK_TYPE_FLAT, physicalNetwork: 'physnet1' };
const VLAN = { networkType: NetworkType.NETWORK_TYPE_VLAN, physicalNetwork: 'physnet2', segmentationId: 42 };
const LOCAL = { networkType: NetworkType.NETWORK_TYPE_LOCAL };

describe('linuxbridge driver decision table', () => {
  test.each([
    ['vxlan with a tunnel_ip', agent({ tunnelIp: '192.0.2.1' }), network(VXLAN), { network_type: 'vxlan', segmentation_id: '1001', physical_network: '', tunnel_ip: '192.0.2.1' }],
    ['flat with the physnet mapped', agent({ bridgeMappings: { physnet1: 'eth1' } }), network(FLAT), { network_type: 'flat', segmentation_id: '0', physical_network: 'physnet1', tunnel_ip: '' }],
    ['vlan with the physnet mapped', agent({ bridgeMappings: { physnet2: 'eth2' } }), network(VLAN), { network_type: 'vlan', segmentation_id: '42', physical_network: 'physnet2', tunnel_ip: '' }],
    ['local with nothing', agent(), network(LOCAL), { network_type: 'local', segmentation_id: '0', physical_network: '', tunnel_ip: '' }],
  ])('binds %s', (_name, a, net, segmentDetails) => {
    const r = decideLinuxbridgeBinding({ port: port(), network: net, agents: [a] });
    expect(r).toEqual({
      bound: true,
      vifType: 'bridge',
      segmentIndex: 0,
      vifDetails: { port_filter: 'true', bridge_name: 'brq11111111-22', tap_name: 'tapaaaaaaaa-bb', ...segmentDetails },
    });
  });

  test.each([
    ['vxlan without a tunnel_ip', [agent()], network(VXLAN), 'agent on h1 has no tunnel_ip for vxlan'],
    ['flat without the mapping', [agent({ bridgeMappings: { other: 'eth1' } })], network(FLAT), 'agent on h1 has no mapping for physical network physnet1'],
    ['vlan without the mapping', [agent({ bridgeMappings: { physnet1: 'eth1' } })], network(VLAN), 'agent on h1 has no mapping for physical network physnet2'],
    ['no linuxbridge agent', [agent({ agentType: 'ovs', tunnelIp: '192.0.2.1' })], network(VXLAN), 'no alive linuxbridge agent on host h1'],
    ['no agent at all', [], network(VXLAN), 'no alive linuxbridge agent on host h1'],
    ['a network without segments', [agent()], network(), `network ${NET_ID} has no segment`],
    ['an unspecified segment type', [agent()], network({ networkType: NetworkType.NETWORK_TYPE_UNSPECIFIED }), 'segment type unspecified is not supported'],
  ])('refuses %s', (_name, agents, net, reason) => {
    expect(decideLinuxbridgeBinding({ port: port(), network: net, agents })).toEqual({ bound: false, reason });
  });

  test('only vnic_type normal (unspecified counts as normal)', () => {
    const a = agent({ tunnelIp: '192.0.2.1' });
    expect(decideLinuxbridgeBinding({ port: port(VnicType.VNIC_TYPE_DIRECT), network: network(VXLAN), agents: [a] })).toEqual({ bound: false, reason: 'vnic_type direct is not supported (only normal)' });
    expect(decideLinuxbridgeBinding({ port: port(VnicType.VNIC_TYPE_UNSPECIFIED), network: network(VXLAN), agents: [a] }).bound).toBe(true);
  });

  test('binds the first segment it can carry and names it by index', () => {
    const r = decideLinuxbridgeBinding({ port: port(), network: network(FLAT, VXLAN), agents: [agent({ tunnelIp: '192.0.2.1' })] });
    expect(r).toMatchObject({ bound: true, segmentIndex: 1, vifDetails: { network_type: 'vxlan' } });
  });

  test('lists every segment it could not carry', () => {
    const r = decideLinuxbridgeBinding({ port: port(), network: network(FLAT, VXLAN), agents: [agent()] });
    expect(r).toEqual({ bound: false, reason: 'agent on h1 has no mapping for physical network physnet1; agent on h1 has no tunnel_ip for vxlan' });
  });

  test('describes itself as handling linuxbridge agents and every segment type', async () => {
    const d = await new LinuxbridgeDriver().describe();
    expect(d.agentTypes).toEqual(['linuxbridge']);
    expect(d.networkTypes).toHaveLength(4);
  });
});
