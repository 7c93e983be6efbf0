/**
 * The network API's attribute rules (`network:<action>:<attribute>`): the shipped table, its
 * defaults, and AttributePolicy, which the domain code asks. The integration test
 * (test/integration/policy-attributes.test.ts) shows each rule is evaluated by the API.
 */
import { status } from '@grpc/grpc-js';
import { NetworkServiceService } from '../../../proto/gen/weft/network/v1/network_service';
import { AttributePolicy } from '../../../controller/domain/attribute-policy';
import { actionName, ADMIN_ONLY_RULE, ATTRIBUTE_RULES, attributeRuleName, NETWORK_POLICY_DEFAULTS, type AttributeAction, type AttributeOf } from '../../../controller/policy';
import type { Caller } from '../../../services/runtime/caller';
import { WeftError } from '../../../services/runtime/errors';
import { BASE_RULES } from '../../../services/runtime/policy/base-rules';
import { PolicyEngine, PolicyLoadError } from '../../../services/runtime/policy/engine';

/** Every (action, attribute) pair of the table, with its rule name. */
const pairs: { action: AttributeAction; attribute: string; rule: string }[] = (Object.keys(ATTRIBUTE_RULES) as AttributeAction[]).flatMap((action) =>
  ATTRIBUTE_RULES[action].map((attribute) => ({ action, attribute, rule: attributeRuleName(action, attribute as AttributeOf<typeof action>) })),
);

const caller = (roles: string[], projectId = 'p1'): Caller => ({ projectId, roles, userId: 'u1', isAdmin: roles.includes('admin'), requestId: 'r1' });
const shipped = new PolicyEngine({ ...BASE_RULES, ...NETWORK_POLICY_DEFAULTS });

function denial(fn: () => void): WeftError {
  try {
    fn();
  } catch (err) {
    if (err instanceof WeftError) return err;
    throw err;
  }
  throw new Error('expected a denial');
}

describe('attribute rule table', () => {
  test('covers the attributes the domain code restricts', () => {
    expect(pairs.map((p) => p.rule).sort()).toEqual(
      [
        'network:create_network:project_id',
        'network:create_network:shared',
        'network:create_network:external',
        'network:create_network:provider:network_type',
        'network:create_network:provider:physical_network',
        'network:create_network:provider:segmentation_id',
        'network:update_network:shared',
        'network:update_network:external',
        'network:create_port:project_id',
        'network:create_port:binding:host_id',
        'network:update_port:binding:host_id',
        'network:update_port:mac_address',
        'network:create_router:project_id',
        'network:create_router:external_gateway:external_fixed_ips',
        'network:update_router:external_gateway:external_fixed_ips',
        'network:create_security_group:project_id',
        'network:create_floating_ip:project_id',
      ].sort(),
    );
  });

  test.each(pairs)('$rule exists and defaults to rule:admin_only', ({ rule }) => {
    expect(NETWORK_POLICY_DEFAULTS[rule]).toBe(`rule:${ADMIN_ONLY_RULE}`);
    expect(shipped.ruleText(rule)).toBe('rule:admin_only');
  });

  test('each attribute action is an RPC of the network API, whose own rule runs first', () => {
    const rpcRules = new Set(Object.values(NetworkServiceService).map((m) => actionName(m.path.slice(m.path.lastIndexOf('/') + 1))));
    for (const action of Object.keys(ATTRIBUTE_RULES)) expect(rpcRules).toContain(`network:${action}`);
  });

  test('admin_only is the admin role (through admin_required), and nothing else', () => {
    expect(NETWORK_POLICY_DEFAULTS.admin_only).toBe('rule:admin_required');
    const creds = (roles: string[]) => ({ roles, project_id: 'p1', user_id: 'u1' });
    for (const { rule } of pairs) {
      expect(shipped.enforce(rule, { project_id: 'p1' }, creds(['admin']))).toBe(true);
      for (const roles of [['member'], ['reader'], ['service'], ['member', 'netadmin'], []]) {
        expect(shipped.enforce(rule, { project_id: 'p1' }, creds(roles))).toBe(false);
      }
    }
  });
});

describe('AttributePolicy', () => {
  const policy = new AttributePolicy(shipped);

  test('admins may set every restricted attribute; members none, with PERMISSION_DENIED naming the rule', () => {
    for (const { action, attribute, rule } of pairs) {
      const attr = attribute as AttributeOf<typeof action>;
      expect(() => policy.authorize(caller(['admin']), action, attr, { project_id: 'p1' })).not.toThrow();
      const err = denial(() => policy.authorize(caller(['member']), action, attr, { project_id: 'p1' }));
      expect(err.code).toBe(status.PERMISSION_DENIED);
      expect(err.details.reason).toBe('PERMISSION_DENIED');
      expect(err.message).toContain(`(rule ${rule})`);
    }
  });

  test('messages say what was refused', () => {
    expect(denial(() => policy.authorize(caller(['member']), 'create_network', 'shared', { project_id: 'p1' })).message).toBe(
      'policy does not allow create_network to set shared (rule network:create_network:shared)',
    );
    expect(denial(() => policy.authorize(caller(['member']), 'create_port', 'project_id', { project_id: 'p2' })).message).toBe(
      'policy does not allow create_port for another project (rule network:create_port:project_id)',
    );
  });

  test('an operator override delegates one attribute to another role, and only that one', () => {
    const engine = new PolicyEngine({ ...BASE_RULES, ...NETWORK_POLICY_DEFAULTS, 'network:create_network:shared': 'rule:admin_only or role:netadmin' });
    const delegated = new AttributePolicy(engine);
    const netadmin = caller(['member', 'netadmin']);
    expect(() => delegated.authorize(netadmin, 'create_network', 'shared', { project_id: 'p1' })).not.toThrow();
    expect(() => delegated.authorize(netadmin, 'create_network', 'external', { project_id: 'p1' })).toThrow(WeftError);
    expect(() => delegated.authorize(caller(['member']), 'create_network', 'shared', { project_id: 'p1' })).toThrow(WeftError);
  });

  test('rules see the target project, so an override can limit a delegation to the caller’s own project', () => {
    const engine = new PolicyEngine({ ...BASE_RULES, ...NETWORK_POLICY_DEFAULTS, 'network:create_port:project_id': 'role:netadmin and project_id:%(project_id)s' });
    const scoped = new AttributePolicy(engine);
    expect(() => scoped.authorize(caller(['netadmin'], 'p1'), 'create_port', 'project_id', { project_id: 'p1' })).not.toThrow();
    expect(() => scoped.authorize(caller(['netadmin'], 'p1'), 'create_port', 'project_id', { project_id: 'p2' })).toThrow(WeftError);
  });

  test('refuses an engine built without the attribute rules, naming each missing one', () => {
    let caught: unknown;
    try {
      new AttributePolicy(new PolicyEngine({ ...BASE_RULES }));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PolicyLoadError);
    expect((caught as PolicyLoadError).problems).toHaveLength(pairs.length);
    expect((caught as PolicyLoadError).problems).toContain('attribute rule "network:update_port:binding:host_id" is not defined');
  });
});
