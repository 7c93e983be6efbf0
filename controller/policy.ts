/**
 * The controller's shipped policy: one rule per RPC, evaluated before the handler runs.
 *
 * Network API (`network:<snake_case method>`): reads for readers and above (and services), writes
 * for members and admins. Operators override rules with a JSON file (`policyFile`) — e.g. to let
 * only admins create routers. Ownership and visibility (another project's resource is NOT_FOUND)
 * and admin-only attributes (shared/external/provider networks, port binding) are enforced by the
 * domain code on top of these rules, so a policy file can tighten access but not open another
 * project's resources.
 *
 * Agent API (`agent:<snake_case method>`): node agents (role service) register, heartbeat and
 * report port status; operators (admin) inspect, disable and delete agents. Like Neutron, agents
 * are not shown to project members or readers.
 */
import { AgentServiceService } from '../proto/gen/weft/agent/v1/agent_service';
import { NetworkServiceService } from '../proto/gen/weft/network/v1/network_service';

const READ = 'rule:reader_or_above or role:service';
const WRITE = 'rule:member_or_admin';
const AGENT_SELF = 'role:service or role:admin';
const AGENT_READ = 'role:admin or role:service';
const AGENT_ADMIN = 'rule:admin_required';

/** `network:add_router_interface` for ("AddRouterInterface"); another area with `area`. */
export function actionName(rpcName: string, area = 'network'): string {
  return `${area}:${rpcName.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()}`;
}

function rpcNames(service: Record<string, { path: string }>): string[] {
  return Object.values(service).map((m) => m.path.slice(m.path.lastIndexOf('/') + 1));
}

function networkDefaults(): Record<string, string> {
  const rules: Record<string, string> = {};
  for (const rpc of rpcNames(NetworkServiceService)) rules[actionName(rpc)] = /^(Get|List|Watch)/.test(rpc) ? READ : WRITE;
  return rules;
}

function agentDefaults(): Record<string, string> {
  const rules: Record<string, string> = {};
  for (const rpc of rpcNames(AgentServiceService)) {
    rules[actionName(rpc, 'agent')] = /^(RegisterAgent|Heartbeat|ReportPortStatus)$/.test(rpc) ? AGENT_SELF : /^(Get|List)/.test(rpc) ? AGENT_READ : AGENT_ADMIN;
  }
  return rules;
}

export const NETWORK_POLICY_DEFAULTS: Readonly<Record<string, string>> = Object.freeze(networkDefaults());
export const AGENT_POLICY_DEFAULTS: Readonly<Record<string, string>> = Object.freeze(agentDefaults());
