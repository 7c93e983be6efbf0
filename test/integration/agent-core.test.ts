/**
 * The node agent's core (registration, feed, desired state, status reports, heartbeats with
 * counters) against a real controller, with a scripted backend standing in for the kernel: the
 * real backends are exercised in test/dataplane (root). This runs anywhere.
 */
import { NetworkType, PortStatus } from '../../proto/gen/weft/network/v1/resources';
import { NodeAgent, type Backend, type PortState, type ReconcileResult } from '../../dataplane/agent/agent';
import type { HostDesired } from '../../dataplane/agent/desired';
import { ControllerLink } from '../../dataplane/agent/link';
import { StaticToken } from '../../dataplane/agent/tokens';
import { connectAgent } from '../../services/runtime/client/agent-client';
import type { Logger } from '../../services/runtime/log';
import { startController, type ControllerHandle } from './harness';

const quiet: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => quiet };

/** Reports every desired port ACTIVE, or ERROR for the ports named in `failing`. */
class ScriptedBackend implements Backend {
  readonly agentType = 'linuxbridge';
  readonly capabilities = ['vxlan', 'flat'];
  seen: HostDesired[] = [];
  failing = new Map<string, string>();
  async reconcile(desired: HostDesired): Promise<ReconcileResult> {
    this.seen.push(desired);
    const ports = new Map<string, PortState>();
    for (const n of desired.l2.networks) for (const p of n.ports) ports.set(p.portId, this.failing.has(p.portId) ? { state: 'ERROR', reason: this.failing.get(p.portId) } : { state: 'ACTIVE' });
    return { actions: desired.l2.networks.length, errors: [...this.failing.values()], ports };
  }
  watchHost(): () => void {
    return () => undefined;
  }
  close(): void {}
}

async function waitFor<T>(probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out');
}

describe('node agent core against a real controller', () => {
  let h: ControllerHandle;
  let agent: NodeAgent;
  const backend = new ScriptedBackend();
  beforeAll(async () => {
    h = await startController({ config: { agents: { downTimeMs: 3000, heartbeatIntervalMs: 300 } } });
    const token = await h.token('agents', ['service']);
    agent = new NodeAgent({ host: 'core-host', tunnelIp: '10.0.9.1', bridgeMappings: { physnet1: 'eth9' }, link: new ControllerLink(h.address, new StaticToken(token)), backend, logger: quiet, version: 'test', resyncIntervalMs: 500 });
    await agent.start();
    await agent.ready();
  }, 60_000);
  afterAll(async () => {
    await agent?.stop();
    await h?.stop();
  });

  test('registers; a port bound to its host becomes ACTIVE through the status report', async () => {
    const api = h.as('p-core');
    const net = await api.createNetwork({ network: { name: 'core' } });
    await api.createSubnet({ subnet: { networkId: net.id, cidr: '10.1.0.0/24', ipVersion: 4 } });
    const port = await api.createPort({ port: { networkId: net.id } });
    const bound = await h.admin().updatePort({ port: { id: port.id, binding: { hostId: 'core-host' } }, updateMask: ['binding'] });
    expect(bound.binding!.vifType).toBe('bridge');
    const active = await waitFor(async () => {
      const p = await h.admin().getPort({ id: port.id });
      return p.status === PortStatus.PORT_STATUS_ACTIVE ? p : undefined;
    });
    expect(active.statusReason).toBe('');
    const d = backend.seen[backend.seen.length - 1];
    expect(d.l2.networks.map((n) => n.networkId)).toContain(net.id);
  });

  test('a backend failure is ERROR with the reason; repairing it brings ACTIVE back', async () => {
    const api = h.as('p-core');
    const net = await api.createNetwork({ network: { name: 'core-err' } });
    await api.createSubnet({ subnet: { networkId: net.id, cidr: '10.2.0.0/24', ipVersion: 4 } });
    const port = await api.createPort({ port: { networkId: net.id } });
    backend.failing.set(port.id, 'createBridge brqx failed: EPERM');
    await h.admin().updatePort({ port: { id: port.id, binding: { hostId: 'core-host' } }, updateMask: ['binding'] });
    const failed = await waitFor(async () => {
      const p = await h.admin().getPort({ id: port.id });
      return p.status === PortStatus.PORT_STATUS_ERROR ? p : undefined;
    });
    expect(failed.statusReason).toBe('createBridge brqx failed: EPERM');
    backend.failing.delete(port.id);
    await waitFor(async () => ((await h.admin().getPort({ id: port.id })).status === PortStatus.PORT_STATUS_ACTIVE ? true : undefined));
  });

  test('a flat provider network is wired through the agent\'s bridge mapping', async () => {
    const net = await h.admin().createNetwork({ network: { name: 'flat9', segments: [{ networkType: NetworkType.NETWORK_TYPE_FLAT, physicalNetwork: 'physnet1' }] } });
    await h.admin().createSubnet({ subnet: { networkId: net.id, cidr: '10.3.0.0/24', ipVersion: 4 } });
    const port = await h.admin().createPort({ port: { networkId: net.id, binding: { hostId: 'core-host' } } });
    expect(port.binding!.vifType).toBe('bridge');
    await waitFor(async () => ((await h.admin().getPort({ id: port.id })).status === PortStatus.PORT_STATUS_ACTIVE ? true : undefined));
    const d = backend.seen[backend.seen.length - 1];
    expect(d.l2.networks.find((n) => n.networkId === net.id)!.segment).toEqual({ kind: 'flat', physicalInterface: 'eth9' });
  });

  test('heartbeats carry the counters (reconciles, actions, errors, feed lag) to the Agents API', async () => {
    const admin = connectAgent(h.address, { token: await h.token('admin', ['admin']) });
    try {
      const found = await waitFor(async () => {
        const list = await admin.listAgents({ host: 'core-host' });
        const a = list.agents[0];
        return a && a.stats && a.stats.reconciles > 0 && a.stats.errors > 0 ? a : undefined;
      });
      expect(found.alive).toBe(true);
      expect(found.agentType).toBe('linuxbridge');
      expect(found.stats!.actions).toBeGreaterThan(0);
      expect(found.stats!.feedLag).toBe(0);
      expect(found.stats!.rssBytes).toBeGreaterThan(0);
    } finally {
      admin.close();
    }
  });
});
