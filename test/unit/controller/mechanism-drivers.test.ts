/**
 * The binding decision around the drivers (controller/drivers/registry.ts): host-level reasons,
 * driver order, Describe-based skipping, invalid answers and failing drivers; and the status
 * rules applied with the outcome (controller/domain/port-binding.ts).
 */
import { Agent } from '../../../proto/gen/weft/agent/v1/agent_service';
import { Network, NetworkType, Port, PortStatus } from '../../../proto/gen/weft/network/v1/resources';
import type { BindRequest, BindResult, MechanismDriver } from '../../../controller/drivers/driver';
import { LinuxbridgeDriver } from '../../../controller/drivers/linuxbridge';
import { hostReason, MechanismDrivers } from '../../../controller/drivers/registry';
import { applyBinding, type BindingOutcome } from '../../../controller/domain/port-binding';
import { createLogger } from '../../../services/runtime/log';

const logger = createLogger({ sink: () => undefined });
const net = Network.fromPartial({ id: '11111111-2222-4333-8444-555555555555', segments: [{ networkType: NetworkType.NETWORK_TYPE_VXLAN, segmentationId: 7 }] });
const port = Port.fromPartial({ id: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', networkId: net.id, binding: { hostId: 'h1' } });
const agent = (over: Partial<Agent> = {}): Agent => Agent.fromPartial({ id: 'a1', host: 'h1', agentType: 'linuxbridge', tunnelIp: '192.0.2.1', adminStateUp: true, alive: true, ...over });

/** A vendor-like driver whose answers a test scripts. */
class FakeDriver implements MechanismDriver {
  readonly asked: BindRequest[] = [];
  constructor(
    readonly name: string,
    private readonly agentTypes: string[],
    private readonly answer: (req: BindRequest) => BindResult,
  ) {}
  async describe() {
    return { name: this.name, agentTypes: this.agentTypes, networkTypes: [] };
  }
  async bindPort(req: BindRequest): Promise<BindResult> {
    this.asked.push(req);
    return this.answer(req);
  }
}

describe('MechanismDrivers.bind', () => {
  test('no agent, dead agents and disabled agents are named in the reason, and no driver is asked', async () => {
    const fake = new FakeDriver('fake', [], () => ({ bound: true, vifType: 'x', vifDetails: {}, segmentIndex: 0 }));
    const drivers = new MechanismDrivers([fake], logger);
    expect((await drivers.bind(port, net, [])).reason).toBe('no alive agent on host h1');
    const dead = agent({ alive: false, heartbeatAt: new Date('2024-01-01T00:00:00Z') });
    const off = agent({ agentType: 'ovs', adminStateUp: false });
    const out = await drivers.bind(port, net, [dead, off]);
    expect(out).toEqual({
      hostId: 'h1',
      vifType: 'binding_failed',
      vifDetails: {},
      reason: 'no alive, enabled agent on host h1 (linuxbridge agent is dead since its last heartbeat at 2024-01-01T00:00:00.000Z; ovs agent is disabled)',
    });
    expect(fake.asked).toHaveLength(0);
    expect(hostReason('h2', [agent({ alive: false })])).toBe('no alive, enabled agent on host h2 (linuxbridge agent is dead (no heartbeat since the controller started))');
  });

  test('drivers are asked in order; the first that binds wins; a driver for other agent types is skipped', async () => {
    const other = new FakeDriver('other', ['acme'], () => ({ bound: true, vifType: 'acme', vifDetails: {}, segmentIndex: 0 }));
    const declines = new FakeDriver('declines', ['linuxbridge'], () => ({ bound: false, reason: 'not today' }));
    const drivers = new MechanismDrivers([other, declines, new LinuxbridgeDriver()], logger);
    const out = await drivers.bind(port, net, [agent()]);
    expect(out.vifType).toBe('bridge');
    expect(out.vifDetails.segmentation_id).toBe('7');
    expect(other.asked).toHaveLength(0);
    expect(declines.asked).toHaveLength(1);
    expect(declines.asked[0].agents.map((a) => a.id)).toEqual(['a1']);
  });

  test('nobody binds: every reason, prefixed with its driver', async () => {
    const other = new FakeDriver('other', ['acme'], () => ({ bound: false, reason: 'unused' }));
    const drivers = new MechanismDrivers([other, new LinuxbridgeDriver()], logger);
    const out = await drivers.bind(port, net, [agent({ tunnelIp: '' })]);
    expect(out.reason).toBe('other: no alive acme agent on host h1; linuxbridge: agent on h1 has no tunnel_ip for vxlan');
  });

  test('an invalid "bound" answer and a throwing driver count as not bound', async () => {
    const bogus = new FakeDriver('bogus', [], () => ({ bound: true, vifType: '', vifDetails: {}, segmentIndex: 0 }));
    const outOfRange = new FakeDriver('range', [], () => ({ bound: true, vifType: 'x', vifDetails: {}, segmentIndex: 3 }));
    const throws = new FakeDriver('throws', [], () => {
      throw new Error('boom');
    });
    const drivers = new MechanismDrivers([bogus, outOfRange, throws], logger);
    const out = await drivers.bind(port, net, [agent()]);
    expect(out.vifType).toBe('binding_failed');
    expect(out.reason).toContain('bogus: answered bound with an invalid binding');
    expect(out.reason).toContain('range: answered bound with an invalid binding (vif_type "x", segment 3)');
    expect(out.reason).toContain('throws: failed (boom)');
  });

  test('in-tree drivers do not observe port changes (changes that bind nothing skip the preview)', () => {
    expect(new MechanismDrivers([new LinuxbridgeDriver()], logger).observesChanges).toBe(false);
  });
});

describe('applyBinding status rules', () => {
  const bound: BindingOutcome = { hostId: 'h1', vifType: 'bridge', vifDetails: { tap_name: 'tapx' }, reason: '' };
  const fresh = (): Port => Port.fromPartial({ id: port.id, binding: { hostId: 'h1' }, status: PortStatus.PORT_STATUS_ACTIVE, statusReason: 'old' });

  test('no host: unbound and DOWN', () => {
    const p = Port.fromPartial({ binding: { hostId: '' }, status: PortStatus.PORT_STATUS_ACTIVE });
    applyBinding(p, undefined, undefined);
    expect(p.binding).toMatchObject({ vifType: 'unbound', vifDetails: {} });
    expect(p.status).toBe(PortStatus.PORT_STATUS_DOWN);
  });

  test('bound anew: DOWN until the agent reports; the same binding again keeps the reported status', () => {
    const p = fresh();
    applyBinding(p, undefined, bound);
    expect(p.binding).toMatchObject({ vifType: 'bridge', vifDetails: { tap_name: 'tapx' } });
    expect([p.status, p.statusReason]).toEqual([PortStatus.PORT_STATUS_DOWN, '']);
    const active = { ...p, status: PortStatus.PORT_STATUS_ACTIVE };
    const again = Port.fromPartial(active);
    applyBinding(again, active, bound);
    expect(again.status).toBe(PortStatus.PORT_STATUS_ACTIVE);
    const moved = Port.fromPartial({ ...active, binding: { ...active.binding!, hostId: 'h2' } });
    applyBinding(moved, active, { ...bound, hostId: 'h2' });
    expect(moved.status).toBe(PortStatus.PORT_STATUS_DOWN);
  });

  test('failed: binding_failed, DOWN, the reason in status_reason; a missing outcome is a failure too', () => {
    const p = fresh();
    applyBinding(p, undefined, { hostId: 'h1', vifType: 'binding_failed', vifDetails: {}, reason: 'no alive agent on host h1' });
    expect([p.binding?.vifType, p.status, p.statusReason]).toEqual(['binding_failed', PortStatus.PORT_STATUS_DOWN, 'no alive agent on host h1']);
    const q = fresh();
    applyBinding(q, undefined, undefined);
    expect(q.statusReason).toBe('binding on host h1 was not attempted');
  });

  test('a preview (pending) shows unbound and leaves the status alone', () => {
    const p = fresh();
    applyBinding(p, undefined, 'pending');
    expect([p.binding?.vifType, p.status, p.statusReason]).toEqual(['unbound', PortStatus.PORT_STATUS_ACTIVE, 'old']);
  });
});
