/**
 * A small cloud for dataplane scenarios: a real identity service and network controller (root
 * namespace, loopback + a unix socket), N hosts on an underlay (namespaces, see
 * ../harness/topology.ts), one node agent process per host running inside its namespace, and
 * "instances" (namespaces) plugged into the hosts by the compute-side plug library.
 *
 *   controller (root ns) ── unix socket ──┬─────────────────┐
 *                                         │                 │
 *                                   <p>-h1 agent       <p>-h2 agent
 *                                   brq… vxlan-N ══VXLAN══ vxlan-N brq…
 *                                    │                          │
 *                                  <p>-i1 (eth0)            <p>-i2 (eth0)
 *
 * The backend is a parameter so the same scenario file can run against the OVS backend later.
 */
import * as path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { PortStatus, type Network, type Port, type Subnet } from '../../../proto/gen/weft/network/v1/resources';
import { plugInstance, specFromPort, unplugInstance } from '../../../dataplane/plug/plug';
import { startController, ROOT, type ControllerHandle } from '../../integration/harness';
import type { NetworkApi } from '../../../services/runtime/client/network-client';
import { RunScope, type SpawnHandle } from '../harness/netns';
import { createUnderlay, type Underlay, type UnderlayHost } from '../harness/topology';

export const AGENT_MAIN = path.join(ROOT, 'dist', 'dataplane', 'agent', 'main.js');

export interface HostHandle extends UnderlayHost {
  name: string;
  agent: SpawnHandle;
}

export interface Instance {
  ns: string;
  port: Port;
  host: HostHandle;
  ip: string;
}

export interface CloudOptions {
  hosts: number;
  backend: 'linuxbridge';
  /** Agent full-resync period (drift repair bound). */
  resyncMs?: number;
}

export class Cloud {
  private instances = 0;
  private constructor(
    readonly scope: RunScope,
    readonly ctl: ControllerHandle,
    readonly underlay: Underlay,
    readonly hosts: HostHandle[],
    readonly socket: string,
    private readonly dir: string,
    private readonly opts: CloudOptions,
  ) {}

  static async start(opts: CloudOptions): Promise<Cloud> {
    const scope = RunScope.open();
    const dir = mkdtempSync(path.join(tmpdir(), 'weft-dp-'));
    const socket = path.join(dir, 'controller.sock');
    let ctl: ControllerHandle | undefined;
    try {
      ctl = await startController({ config: { extraListen: [`unix:${socket}`], agents: { downTimeMs: 6000, heartbeatIntervalMs: 1000 } } });
      const underlay = await createUnderlay(scope, opts.hosts);
      const cloud = new Cloud(scope, ctl, underlay, [], socket, dir, opts);
      for (const h of underlay.hosts) cloud.hosts.push({ ...h, name: `host${h.index}`, agent: cloud.spawnAgent(h) });
      await Promise.all(cloud.hosts.map((h) => h.agent.waitFor(/"ready":true/, 30_000)));
      return cloud;
    } catch (err) {
      await scope.cleanup().catch(() => undefined);
      await ctl?.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  private spawnAgent(h: UnderlayHost): SpawnHandle {
    return this.scope.spawnIn(h.ns, [process.execPath, AGENT_MAIN], {
      env: {
        WEFT_AGENT_HOST: `host${h.index}`,
        WEFT_AGENT_CONTROLLER: `unix:${this.socket}`,
        WEFT_AGENT_TUNNEL_IP: h.underlayIp,
        WEFT_AGENT_KEYS_DIR: path.join(this.ctl.identity.dir, 'data', 'keys'),
        WEFT_AGENT_RESYNC_MS: String(this.opts.resyncMs ?? 1000),
        WEFT_LOG_LEVEL: 'info',
      },
    });
  }

  /** Kills a host's agent (SIGKILL by default) and starts a new one; resolves when it is ready. */
  async restartAgent(h: HostHandle, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    h.agent.kill(signal);
    await h.agent.exited;
    await this.startAgent(h);
  }

  /** Starts a host's agent (after it was stopped); resolves when it is ready. */
  async startAgent(h: HostHandle, readyTimeoutMs = 60_000): Promise<void> {
    h.agent = this.spawnAgent(h);
    await h.agent.waitFor(/"ready":true/, readyTimeoutMs);
  }

  admin(): NetworkApi {
    return this.ctl.admin();
  }

  /** A tenant network with one IPv4 subnet. */
  async network(project: string, name: string, cidr: string): Promise<{ net: Network; subnet: Subnet }> {
    const api = this.ctl.as(project);
    const net = await api.createNetwork({ network: { name } });
    const subnet = await api.createSubnet({ subnet: { networkId: net.id, name: `${name}-v4`, cidr, ipVersion: 4 } });
    return { net: await api.getNetwork({ id: net.id }), subnet };
  }

  /**
   * Boots an "instance": the tenant creates a port, the compute side (admin) binds it to the host,
   * the plug library creates the instance namespace and its veth, then we wait for ACTIVE.
   */
  async boot(project: string, host: HostHandle, net: Network, opts: { securityGroupIds?: string[]; portSecurity?: boolean; ip?: string; waitActive?: boolean } = {}): Promise<Instance> {
    const api = this.ctl.as(project);
    const created = await api.createPort({
      port: {
        networkId: net.id,
        name: `vm${++this.instances}`,
        ...(opts.securityGroupIds ? { securityGroupIds: opts.securityGroupIds } : {}),
        ...(opts.portSecurity === false ? { portSecurityEnabled: false, securityGroupIds: [] } : {}),
        ...(opts.ip ? { fixedIps: [{ ipAddress: opts.ip }] } : {}),
      },
    });
    const bound = await this.admin().updatePort({ port: { id: created.id, binding: { hostId: host.name } }, updateMask: ['binding'] });
    const subnets = (await this.admin().listSubnets({ networkId: net.id })).subnets;
    const ns = this.scope.adopt(this.scope.name(`i${this.instances}`));
    await plugInstance(specFromPort(bound, subnets, net, { instance: ns, hostNetns: host.ns }));
    const port = opts.waitActive === false ? bound : await this.waitStatus(bound.id, PortStatus.PORT_STATUS_ACTIVE);
    return { ns, port, host, ip: bound.fixedIps[0].ipAddress };
  }

  async unplug(i: Instance): Promise<void> {
    await unplugInstance({ instance: i.ns, hostNetns: i.host.ns, tap: i.port.binding!.vifDetails.tap_name, deleteInstance: false });
  }

  /** Polls the port until it has `status` (bounded). */
  async waitStatus(portId: string, status: PortStatus, timeoutMs = 20_000): Promise<Port> {
    const deadline = Date.now() + timeoutMs;
    let last: Port | undefined;
    while (Date.now() < deadline) {
      last = await this.admin().getPort({ id: portId });
      if (last.status === status) return last;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`port ${portId} did not reach ${PortStatus[status]} in ${timeoutMs} ms (status ${last ? PortStatus[last.status] : '?'}: ${last?.statusReason ?? ''})`);
  }

  async stop(): Promise<void> {
    try {
      await this.scope.cleanup();
    } finally {
      await this.ctl.stop().catch(() => undefined);
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/** Polls `probe` until it returns true (bounded); returns whether it did. */
export async function eventually(probe: () => Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return false;
}
