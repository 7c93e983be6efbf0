/**
 * The controller's shipped policy.
 *
 * Network API, per RPC (`network:<snake_case method>`), evaluated before the handler runs: reads
 * for readers and above (and services), writes for members and admins. Operators override rules
 * with a JSON file (`policyFile`) — e.g. to let only admins create routers.
 *
 * Network API, per attribute (`network:<action>:<attribute>`, ATTRIBUTE_RULES below), evaluated by
 * the domain code for each restricted attribute a request sets, as Neutron does with
 * `create_network:shared`: shared/external flags, provider segments, port binding, MAC changes,
 * external fixed IPs and resources for another project. They default to `rule:admin_only`, so an
 * operator can delegate one of them (say, shared networks to a `netadmin` role) without making
 * that role an admin. Ownership and visibility (another project's resource is NOT_FOUND) are
 * tenancy, not policy: the domain code enforces them whatever the rules say, so a policy file can
 * widen who may set an attribute but cannot open another project's resources.
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

/**
 * The attributes only admins may set by default, per action (the RPC's rule name without
 * `network:`). Attribute names are the request's field paths with `.` written `:` (Neutron's
 * spelling: `binding.host_id` → `binding:host_id`); a network's explicit segment fields are named
 * as in Neutron's provider extension (`provider:network_type`, ...). `project_id` means "for
 * another project than the caller's".
 *
 * When each is evaluated (see the domain modules): on create, when the request sets the attribute
 * to something other than its default (a provider segment always checks `provider:network_type`);
 * on update, when the update mask names the field (the `binding` mask is governed by
 * `binding:host_id`, since it rewrites the host binding even when it unbinds).
 */
export const ATTRIBUTE_RULES = {
  create_network: ['project_id', 'shared', 'external', 'provider:network_type', 'provider:physical_network', 'provider:segmentation_id'],
  update_network: ['shared', 'external'],
  create_port: ['project_id', 'binding:host_id'],
  update_port: ['binding:host_id', 'mac_address'],
  create_router: ['project_id', 'external_gateway:external_fixed_ips'],
  update_router: ['external_gateway:external_fixed_ips'],
  create_security_group: ['project_id'],
  create_floating_ip: ['project_id'],
} as const satisfies Record<string, readonly string[]>;

export type AttributeAction = keyof typeof ATTRIBUTE_RULES;
export type AttributeOf<A extends AttributeAction> = (typeof ATTRIBUTE_RULES)[A][number];

/**
 * What every attribute rule defaults to. A rule of its own (not `rule:admin_required` inline) so
 * an operator can re-point all attribute rules at once, apart from the admin-only RPC rules.
 */
export const ADMIN_ONLY_RULE = 'admin_only';

/** `network:create_network:shared` for ("create_network", "shared"). */
export function attributeRuleName<A extends AttributeAction>(action: A, attribute: AttributeOf<A>): string {
  return ruleName(action, attribute);
}

function ruleName(action: string, attribute: string): string {
  return `network:${action}:${attribute}`;
}

/** `network:add_router_interface` for ("AddRouterInterface"); another area with `area`. */
export function actionName(rpcName: string, area = 'network'): string {
  return `${area}:${rpcName.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()}`;
}

function rpcNames(service: Record<string, { path: string }>): string[] {
  return Object.values(service).map((m) => m.path.slice(m.path.lastIndexOf('/') + 1));
}

function networkDefaults(): Record<string, string> {
  const rules: Record<string, string> = { [ADMIN_ONLY_RULE]: 'rule:admin_required' };
  for (const rpc of rpcNames(NetworkServiceService)) rules[actionName(rpc)] = /^(Get|List|Watch)/.test(rpc) ? READ : WRITE;
  for (const [action, attributes] of Object.entries(ATTRIBUTE_RULES)) {
    for (const attribute of attributes) rules[ruleName(action, attribute)] = `rule:${ADMIN_ONLY_RULE}`;
  }
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
