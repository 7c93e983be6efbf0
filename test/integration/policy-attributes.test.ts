/**
 * Attribute-level policy (`network:<action>:<attribute>`, controller/policy.ts) against real
 * identity + controller processes: with the shipped defaults every attribute rule refuses members
 * and allows admins; an operator override file delegates single rules to a role (`netadmin`) and
 * nothing more — in particular it never opens another project's resources, which is tenancy and
 * not policy.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { status } from '@grpc/grpc-js';
import { NetworkType } from '../../proto/gen/weft/network/v1/resources';
import { ATTRIBUTE_RULES, attributeRuleName, type AttributeAction, type AttributeOf } from '../../controller/policy';
import { connectAgent, type AgentApi } from '../../services/runtime/client/agent-client';
import type { NetworkApi } from '../../services/runtime/client/network-client';
import { failure, startController, type ControllerHandle } from './harness';

/** The operator's override: two rules delegated to netadmin, one provider attribute to segadmin. */
const OVERRIDES = {
  'network:create_network:shared': 'rule:admin_only or role:netadmin',
  'network:update_port:binding:host_id': 'rule:admin_only or role:netadmin',
  // Lets the test see each provider attribute evaluated on its own.
  'network:create_network:provider:network_type': 'rule:admin_only or role:segadmin',
};
const HOST = 'pa-host';

describe('attribute policy rules', () => {
  let ctl: ControllerHandle;
  let dir: string;
  let agent: AgentApi;
  let admin: NetworkApi;
  let otherProject: string;
  let extNet: string;
  let extSubnet: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'weft-attr-policy-'));
    const policyFile = path.join(dir, 'policy.json');
    writeFileSync(policyFile, JSON.stringify(OVERRIDES));
    ctl = await startController({ config: { policyFile, segments: { flatNetworks: ['physnet1'] } } });
    admin = ctl.admin();
    agent = connectAgent(ctl.address, { token: await ctl.token('pa-agents', ['service']) });
    otherProject = await ctl.projectId('pa-other');
    extNet = (await admin.createNetwork({ network: { name: 'pa-public', external: true } })).id;
    extSubnet = (await admin.createSubnet({ subnet: { networkId: extNet, cidr: '203.0.113.0/24' } })).id;
  });
  afterAll(async () => {
    agent?.close();
    await ctl?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A live linuxbridge agent on HOST, so a binding there actually binds. */
  const registerAgent = () => agent.registerAgent({ host: HOST, agentType: 'linuxbridge', tunnelIp: '192.0.2.20', bridgeMappings: {}, capabilities: ['vxlan'], version: '0.1.0' });

  describe('each attribute rule, for callers without a delegated role', () => {
    /** A project member's own network, port and router to aim the requests at. */
    let net: string;
    let port: string;
    let router: string;

    beforeAll(async () => {
      const m = ctl.as('pa-member');
      net = (await m.createNetwork({ network: { name: 'pa-net' } })).id;
      await m.createSubnet({ subnet: { networkId: net, cidr: '10.90.0.0/24' } });
      port = (await m.createPort({ port: { networkId: net } })).id;
      router = (await m.createRouter({ router: { name: 'pa-router' } })).id;
      await registerAgent();
    });

    type Case = { action: AttributeAction; attribute: string; as?: string[]; call: (api: NetworkApi) => Promise<unknown> };
    const rule = (c: Case): string => attributeRuleName(c.action, c.attribute as AttributeOf<typeof c.action>);
    // Ordered so the admin's successful calls do not get in each other's way (MAC before binding).
    const cases = (): Case[] => [
      { action: 'create_network', attribute: 'project_id', call: (a) => a.createNetwork({ network: { name: 'for-other', projectId: otherProject } }) },
      { action: 'create_network', attribute: 'shared', call: (a) => a.createNetwork({ network: { name: 'shared', shared: true } }) },
      { action: 'create_network', attribute: 'external', call: (a) => a.createNetwork({ network: { name: 'external', external: true } }) },
      { action: 'create_network', attribute: 'provider:network_type', call: (a) => a.createNetwork({ network: { name: 'local', segments: [{ networkType: NetworkType.NETWORK_TYPE_LOCAL }] } }) },
      // segadmin passes network_type, so these fail on the next attribute of the same segment.
      { action: 'create_network', attribute: 'provider:physical_network', as: ['member', 'segadmin'], call: (a) => a.createNetwork({ network: { name: 'flat', segments: [{ networkType: NetworkType.NETWORK_TYPE_FLAT, physicalNetwork: 'physnet1' }] } }) },
      { action: 'create_network', attribute: 'provider:segmentation_id', as: ['member', 'segadmin'], call: (a) => a.createNetwork({ network: { name: 'vni', segments: [{ networkType: NetworkType.NETWORK_TYPE_VXLAN, segmentationId: 70000 }] } }) },
      { action: 'update_network', attribute: 'shared', call: (a) => a.updateNetwork({ network: { id: net, shared: true }, updateMask: ['shared'] }) },
      { action: 'update_network', attribute: 'external', call: (a) => a.updateNetwork({ network: { id: net, external: true }, updateMask: ['external'] }) },
      { action: 'create_port', attribute: 'project_id', call: (a) => a.createPort({ port: { networkId: net, projectId: otherProject } }) },
      { action: 'create_port', attribute: 'binding:host_id', call: (a) => a.createPort({ port: { networkId: net, binding: { hostId: HOST } } }) },
      { action: 'update_port', attribute: 'mac_address', call: (a) => a.updatePort({ port: { id: port, macAddress: 'fa:16:3e:12:34:56' }, updateMask: ['mac_address'] }) },
      { action: 'update_port', attribute: 'binding:host_id', call: (a) => a.updatePort({ port: { id: port, binding: { hostId: HOST } }, updateMask: ['binding'] }) },
      { action: 'create_router', attribute: 'project_id', call: (a) => a.createRouter({ router: { name: 'for-other', projectId: otherProject } }) },
      {
        action: 'create_router',
        attribute: 'external_gateway:external_fixed_ips',
        call: (a) => a.createRouter({ router: { name: 'gw', externalGateway: { networkId: extNet, externalFixedIps: [{ subnetId: extSubnet, ipAddress: '203.0.113.50' }] } } }),
      },
      {
        action: 'update_router',
        attribute: 'external_gateway:external_fixed_ips',
        call: (a) => a.updateRouter({ router: { id: router, externalGateway: { networkId: extNet, externalFixedIps: [{ subnetId: extSubnet, ipAddress: '203.0.113.51' }] } }, updateMask: ['external_gateway'] }),
      },
      { action: 'create_security_group', attribute: 'project_id', call: (a) => a.createSecurityGroup({ securityGroup: { name: 'for-other', projectId: otherProject } }) },
      { action: 'create_floating_ip', attribute: 'project_id', call: (a) => a.createFloatingIp({ floatingIp: { floatingNetworkId: extNet, projectId: otherProject } }) },
    ];

    it('cover every attribute rule of the table', () => {
      const tested = cases().map(rule).sort();
      const table = (Object.keys(ATTRIBUTE_RULES) as AttributeAction[]).flatMap((action) => ATTRIBUTE_RULES[action].map((attr) => attributeRuleName(action, attr as AttributeOf<typeof action>)));
      expect(tested).toEqual(table.sort());
    });

    it('refuse a project member each attribute with PERMISSION_DENIED naming the rule, and change nothing', async () => {
      const before = (await admin.getRevision({})).revision;
      for (const c of cases()) {
        const res = await failure(c.call(ctl.as('pa-member', c.as ?? ['member'])));
        expect([rule(c), res.code, res.reason]).toEqual([rule(c), status.PERMISSION_DENIED, 'PERMISSION_DENIED']);
        expect(res.message).toContain(`(rule ${rule(c)})`);
      }
      expect((await admin.getRevision({})).revision).toBe(before);
    });

    it('allow an admin every one of them', async () => {
      for (const c of cases()) await expect(c.call(admin)).resolves.toBeDefined();
      const bound = await admin.getPort({ id: port });
      expect([bound.macAddress, bound.binding?.hostId, bound.binding?.vifType]).toEqual(['fa:16:3e:12:34:56', HOST, 'bridge']);
    });
  });

  describe('delegated by the override file to netadmin', () => {
    it('a netadmin creates a shared network and binds a port; a plain member of the same project may do neither', async () => {
      const netadmin = ctl.as('pa-na', ['member', 'netadmin']);
      const member = ctl.as('pa-na');
      const shared = await netadmin.createNetwork({ network: { name: 'na-shared', shared: true } });
      expect([shared.shared, shared.projectId]).toEqual([true, await ctl.projectId('pa-na')]);
      const refused = await failure(member.createNetwork({ network: { name: 'm-shared', shared: true } }));
      expect(refused.code).toBe(status.PERMISSION_DENIED);
      expect(refused.message).toContain('network:create_network:shared');

      await netadmin.createSubnet({ subnet: { networkId: shared.id, cidr: '10.91.0.0/24' } });
      const port = await member.createPort({ port: { networkId: shared.id } });
      const memberBind = await failure(member.updatePort({ port: { id: port.id, binding: { hostId: HOST } }, updateMask: ['binding'] }));
      expect(memberBind.code).toBe(status.PERMISSION_DENIED);
      expect(memberBind.message).toContain('network:update_port:binding:host_id');
      await registerAgent();
      const bound = await netadmin.updatePort({ port: { id: port.id, binding: { hostId: HOST } }, updateMask: ['binding'] });
      expect([bound.binding?.hostId, bound.binding?.vifType]).toEqual([HOST, 'bridge']);
      const unbound = await netadmin.updatePort({ port: { id: port.id, binding: { hostId: '' } }, updateMask: ['binding'] });
      expect(unbound.binding?.hostId).toBe('');
    });

    it('delegates exactly the named rules: the same action’s other attributes and the sibling actions stay admin-only', async () => {
      const netadmin = ctl.as('pa-na', ['member', 'netadmin']);
      const own = await netadmin.createNetwork({ network: { name: 'na-own' } });
      await netadmin.createSubnet({ subnet: { networkId: own.id, cidr: '10.92.0.0/24' } });
      const port = await netadmin.createPort({ port: { networkId: own.id } });
      const denied: [Promise<unknown>, string][] = [
        [netadmin.createNetwork({ network: { name: 'x', external: true } }), 'network:create_network:external'],
        [netadmin.createNetwork({ network: { name: 'x', shared: true, segments: [{ networkType: NetworkType.NETWORK_TYPE_LOCAL }] } }), 'network:create_network:provider:network_type'],
        [netadmin.updateNetwork({ network: { id: own.id, shared: true }, updateMask: ['shared'] }), 'network:update_network:shared'],
        [netadmin.createPort({ port: { networkId: own.id, binding: { hostId: HOST } } }), 'network:create_port:binding:host_id'],
        [netadmin.updatePort({ port: { id: port.id, macAddress: 'fa:16:3e:65:43:21' }, updateMask: ['mac_address'] }), 'network:update_port:mac_address'],
      ];
      for (const [call, ruleName] of denied) {
        const res = await failure(call);
        expect([ruleName, res.code]).toEqual([ruleName, status.PERMISSION_DENIED]);
        expect(res.message).toContain(ruleName);
      }
    });

    it('opens no other project’s resources: they stay NOT_FOUND, or owned by their project', async () => {
      const netadmin = ctl.as('pa-na', ['member', 'netadmin']);
      const other = ctl.as('pa-other');
      const otherNet = await other.createNetwork({ network: { name: 'other-net' } });
      await other.createSubnet({ subnet: { networkId: otherNet.id, cidr: '10.93.0.0/24' } });
      const otherPort = await other.createPort({ port: { networkId: otherNet.id } });

      expect((await failure(netadmin.updatePort({ port: { id: otherPort.id, binding: { hostId: HOST } }, updateMask: ['binding'] }))).code).toBe(status.NOT_FOUND);
      expect((await failure(netadmin.getPort({ id: otherPort.id }))).code).toBe(status.NOT_FOUND);
      expect((await failure(netadmin.getNetwork({ id: otherNet.id }))).code).toBe(status.NOT_FOUND);
      expect((await failure(netadmin.updateNetwork({ network: { id: otherNet.id, shared: true }, updateMask: ['shared'] }))).code).toBe(status.NOT_FOUND);
      expect((await netadmin.listPorts({ pageSize: 1000 })).ports.map((p) => p.id)).not.toContain(otherPort.id);
      const forOther = await failure(netadmin.createNetwork({ network: { name: 'x', shared: true, projectId: otherProject } }));
      expect(forOther.code).toBe(status.PERMISSION_DENIED);
      expect(forOther.message).toContain('network:create_network:project_id');
      expect((await other.getPort({ id: otherPort.id })).binding?.hostId).toBe('');

      // A netadmin of another project sees the shared network (that is what shared means) but
      // neither changes it nor reaches its ports.
      const shared = await netadmin.createNetwork({ network: { name: 'na-shared-2', shared: true } });
      await netadmin.createSubnet({ subnet: { networkId: shared.id, cidr: '10.94.0.0/24' } });
      const naPort = await netadmin.createPort({ port: { networkId: shared.id } });
      const otherNetadmin = ctl.as('pa-other', ['member', 'netadmin']);
      expect((await otherNetadmin.getNetwork({ id: shared.id })).shared).toBe(true);
      expect((await failure(otherNetadmin.updateNetwork({ network: { id: shared.id, name: 'mine' }, updateMask: ['name'] }))).code).toBe(status.PERMISSION_DENIED);
      expect((await failure(otherNetadmin.updatePort({ port: { id: naPort.id, binding: { hostId: HOST } }, updateMask: ['binding'] }))).code).toBe(status.NOT_FOUND);
    });
  });
});
