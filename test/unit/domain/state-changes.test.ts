import { ResourceType } from '../../../proto/gen/weft/network/v1/network_service';
import { FloatingIp, Network, Port, Router, SecurityGroup, SecurityGroupRule, Subnet } from '../../../proto/gen/weft/network/v1/resources';
import { Changes } from '../../../controller/domain/state';

const ID = '11111111-1111-4111-8111-111111111111';

describe('Changes', () => {
  test('records a saved resource with its type, id, project and wire value', () => {
    const c = new Changes();
    const net = Network.fromPartial({ id: ID, projectId: 'p1', name: 'n' });
    c.saved({ $case: 'network', network: net });
    expect(c.list).toEqual([
      { resourceType: ResourceType.RESOURCE_TYPE_NETWORK, id: ID, projectId: 'p1', deleted: false, value: { $case: 'network', value: net } },
    ]);
  });

  test('maps every resource case to its ResourceType', () => {
    const c = new Changes();
    c.saved({ $case: 'network', network: Network.fromPartial({ id: 'a' }) });
    c.saved({ $case: 'subnet', subnet: Subnet.fromPartial({ id: 'b' }) });
    c.saved({ $case: 'port', port: Port.fromPartial({ id: 'c' }) });
    c.saved({ $case: 'router', router: Router.fromPartial({ id: 'd' }) });
    c.saved({ $case: 'securityGroup', securityGroup: SecurityGroup.fromPartial({ id: 'e' }) });
    c.saved({ $case: 'securityGroupRule', securityGroupRule: SecurityGroupRule.fromPartial({ id: 'f' }) });
    c.saved({ $case: 'floatingIp', floatingIp: FloatingIp.fromPartial({ id: 'g' }) });
    expect(c.list.map((x) => [x.value?.$case, x.resourceType])).toEqual([
      ['network', ResourceType.RESOURCE_TYPE_NETWORK],
      ['subnet', ResourceType.RESOURCE_TYPE_SUBNET],
      ['port', ResourceType.RESOURCE_TYPE_PORT],
      ['router', ResourceType.RESOURCE_TYPE_ROUTER],
      ['securityGroup', ResourceType.RESOURCE_TYPE_SECURITY_GROUP],
      ['securityGroupRule', ResourceType.RESOURCE_TYPE_SECURITY_GROUP_RULE],
      ['floatingIp', ResourceType.RESOURCE_TYPE_FLOATING_IP],
    ]);
  });

  test('a resource saved twice in one mutation is reported once, with its final state, in its first position', () => {
    const c = new Changes();
    const v1 = Network.fromPartial({ id: ID, projectId: 'p1', name: 'first', revisionNumber: 1 });
    const other = Port.fromPartial({ id: 'port-1', projectId: 'p1' });
    const v2 = Network.fromPartial({ id: ID, projectId: 'p1', name: 'second', revisionNumber: 2 });
    c.saved({ $case: 'network', network: v1 });
    c.saved({ $case: 'port', port: other });
    c.saved({ $case: 'network', network: v2 });
    expect(c.list).toHaveLength(2);
    expect(c.list[0].value).toEqual({ $case: 'network', value: v2 });
    expect(c.list[1].id).toBe('port-1');
  });

  test('saved then deleted is reported once as deleted with the last state', () => {
    const c = new Changes();
    const port = Port.fromPartial({ id: ID, projectId: 'p1', name: 'p' });
    c.saved({ $case: 'port', port });
    c.deleted({ $case: 'port', port });
    expect(c.list).toEqual([
      { resourceType: ResourceType.RESOURCE_TYPE_PORT, id: ID, projectId: 'p1', deleted: true, value: { $case: 'port', value: port } },
    ]);
  });

  test('deleted then saved again (recreated) ends up not deleted', () => {
    const c = new Changes();
    const port = Port.fromPartial({ id: ID, projectId: 'p1' });
    c.deleted({ $case: 'port', port });
    c.saved({ $case: 'port', port: { ...port, name: 'again' } });
    expect(c.list).toHaveLength(1);
    expect(c.list[0].deleted).toBe(false);
    expect(c.list[0].value).toEqual({ $case: 'port', value: { ...port, name: 'again' } });
  });

  test('the same id in different resource types is two changes', () => {
    const c = new Changes();
    c.saved({ $case: 'network', network: Network.fromPartial({ id: ID }) });
    c.saved({ $case: 'subnet', subnet: Subnet.fromPartial({ id: ID }) });
    expect(c.list.map((x) => x.value?.$case)).toEqual(['network', 'subnet']);
  });

  test('different resources of the same type keep insertion order', () => {
    const c = new Changes();
    for (const id of ['c', 'a', 'b']) c.saved({ $case: 'port', port: Port.fromPartial({ id }) });
    c.deleted({ $case: 'port', port: Port.fromPartial({ id: 'a' }) });
    expect(c.list.map((x) => [x.id, x.deleted])).toEqual([
      ['c', false],
      ['a', true],
      ['b', false],
    ]);
  });
});
