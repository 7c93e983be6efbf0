/** The agent API's shipped rules: agents (service) talk, admins manage, tenants see nothing. */
import { AgentServiceService } from '../../../proto/gen/weft/agent/v1/agent_service';
import { actionName, AGENT_POLICY_DEFAULTS } from '../../../controller/policy';
import { BASE_RULES } from '../../../services/runtime/policy/base-rules';
import { PolicyEngine } from '../../../services/runtime/policy/engine';

const engine = new PolicyEngine({ ...BASE_RULES, ...AGENT_POLICY_DEFAULTS });
const creds = (roles: string[]) => ({ roles, project_id: 'p', user_id: 'u' });

describe('agent API policy defaults', () => {
  test('every RPC of the service has an agent:<snake> rule', () => {
    const rpcs = Object.values(AgentServiceService).map((m) => m.path.slice(m.path.lastIndexOf('/') + 1));
    expect(rpcs).toHaveLength(7);
    for (const rpc of rpcs) expect(engine.has(actionName(rpc, 'agent'))).toBe(true);
    expect(actionName('ReportPortStatus', 'agent')).toBe('agent:report_port_status');
  });

  test.each([
    ['agent:register_agent', ['service'], true],
    ['agent:heartbeat', ['service'], true],
    ['agent:report_port_status', ['admin'], true],
    ['agent:register_agent', ['member'], false],
    ['agent:heartbeat', ['reader'], false],
    ['agent:list_agents', ['admin'], true],
    ['agent:get_agent', ['service'], true],
    ['agent:list_agents', ['member'], false],
    ['agent:get_agent', ['reader'], false],
    ['agent:update_agent', ['admin'], true],
    ['agent:update_agent', ['service'], false],
    ['agent:delete_agent', ['member'], false],
    ['agent:delete_agent', ['admin'], true],
  ])('%s with roles %j → %s', (action, roles, allowed) => {
    expect(engine.enforce(action, {}, creds(roles))).toBe(allowed);
  });
});
