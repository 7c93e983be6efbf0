import { NetworkServiceService } from '../../../proto/gen/weft/network/v1/network_service';
import { actionName, NETWORK_POLICY_DEFAULTS } from '../../../controller/policy';
import { BASE_RULES } from '../../../services/runtime/policy/base-rules';
import { PolicyEngine } from '../../../services/runtime/policy/engine';

const engine = new PolicyEngine({ ...BASE_RULES, ...NETWORK_POLICY_DEFAULTS });
const creds = (roles: string[]) => ({ roles, project_id: 'p', user_id: 'u' });

describe('network API policy defaults', () => {
  test('every RPC of the service has a rule', () => {
    const rpcs = Object.values(NetworkServiceService).map((m) => m.path.slice(m.path.lastIndexOf('/') + 1));
    expect(rpcs.length).toBeGreaterThan(30);
    for (const rpc of rpcs) expect(engine.has(actionName(rpc))).toBe(true);
    expect(actionName('AddRouterInterface')).toBe('network:add_router_interface');
    expect(actionName('GetFloatingIp')).toBe('network:get_floating_ip');
  });

  test.each([
    ['network:list_networks', ['reader'], true],
    ['network:get_port', ['service'], true],
    ['network:watch', ['reader'], true],
    ['network:create_network', ['reader'], false],
    ['network:create_network', ['member'], true],
    ['network:delete_port', ['admin'], true],
    ['network:add_router_interface', ['service'], false],
    ['network:list_networks', [], false],
  ])('%s with roles %j → %s', (action, roles, allowed) => {
    expect(engine.enforce(action, {}, creds(roles))).toBe(allowed);
  });
});
