/**
 * The configured mechanism drivers, in order, and the binding decision built on them:
 *
 * 1. the port's host must have at least one alive, enabled agent (else the reason names the host
 *    and what is wrong with the agents it has);
 * 2. each driver, in configured order, is asked if it handles one of those agents' types (per its
 *    Describe) — the first that binds wins;
 * 3. nobody bound it: binding_failed, with every driver's reason joined, so an operator reads
 *    why from the port itself.
 */
import type { Agent } from '../../proto/gen/weft/agent/v1/agent_service';
import type { Network, Port } from '../../proto/gen/weft/network/v1/resources';
import type { Logger } from '../../services/runtime/log';
import type { ControllerConfig } from '../config';
import { VIF_BINDING_FAILED, VIF_UNBOUND, type BindingOutcome } from '../domain/port-binding';
import type { DriverDescription, MechanismDriver, PortChange } from './driver';
import { segmentTypeWord, LinuxbridgeDriver } from './linuxbridge';
import { RemoteMechanismDriver } from './remote';

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Why no agent on the host can take a port: none registered, or each one dead or disabled. */
export function hostReason(host: string, agents: readonly Agent[]): string {
  if (agents.length === 0) return `no alive agent on host ${host}`;
  const why = agents.map((a) => {
    const problems = [a.alive ? '' : `dead${a.heartbeatAt ? ` since its last heartbeat at ${a.heartbeatAt.toISOString()}` : ' (no heartbeat since the controller started)'}`, a.adminStateUp ? '' : 'disabled'].filter((x) => x);
    return `${a.agentType} agent is ${problems.join(' and ')}`;
  });
  return `no alive, enabled agent on host ${host} (${why.join('; ')})`;
}

export class MechanismDrivers {
  private readonly descriptions = new Map<string, DriverDescription>();

  constructor(
    readonly ordered: readonly MechanismDriver[],
    private readonly logger: Logger,
  ) {}

  /** Builds the configured drivers (in-tree by name, the rest from remoteDrivers). */
  static fromConfig(config: Pick<ControllerConfig, 'mechanismDrivers' | 'remoteDrivers'>, logger: Logger): MechanismDrivers {
    const drivers = config.mechanismDrivers.map((name): MechanismDriver => {
      if (name === 'linuxbridge') return new LinuxbridgeDriver();
      const remote = config.remoteDrivers[name];
      if (!remote) throw new Error(`mechanism driver ${name} is not configured`);
      return new RemoteMechanismDriver(name, remote.address, remote.timeoutMs);
    });
    return new MechanismDrivers(drivers, logger);
  }

  /** Asks every driver to describe itself (at start); an unreachable one is asked again when needed. */
  async describeAll(): Promise<void> {
    await Promise.all(this.ordered.map((d) => this.description(d)));
  }

  private async description(d: MechanismDriver): Promise<DriverDescription | undefined> {
    const known = this.descriptions.get(d.name);
    if (known) return known;
    try {
      const desc = await d.describe();
      this.descriptions.set(d.name, desc);
      this.logger.info('mechanism driver', { driver: d.name, agent_types: desc.agentTypes, network_types: desc.networkTypes.map(segmentTypeWord) });
      return desc;
    } catch (err) {
      this.logger.warn('mechanism driver did not describe itself; asking it anyway', { driver: d.name, error: message(err) });
      return undefined;
    }
  }

  /** Whether any driver wants to see port changes (else changes that bind nothing skip the preview). */
  get observesChanges(): boolean {
    return this.ordered.some((d) => d.portPrecommit || d.portPostcommit);
  }

  /** Decides the binding of `port` (whose binding.host_id is set) given every agent on that host. */
  async bind(port: Port, network: Network, hostAgents: readonly Agent[]): Promise<BindingOutcome> {
    const host = port.binding?.hostId ?? '';
    const failed = (reason: string): BindingOutcome => ({ hostId: host, vifType: VIF_BINDING_FAILED, vifDetails: {}, reason });
    const usable = hostAgents.filter((a) => a.alive && a.adminStateUp);
    if (usable.length === 0) return failed(hostReason(host, hostAgents));
    const reasons: string[] = [];
    for (const d of this.ordered) {
      const desc = await this.description(d);
      if (desc && desc.agentTypes.length > 0 && !usable.some((a) => desc.agentTypes.includes(a.agentType))) {
        reasons.push(`${d.name}: no alive ${desc.agentTypes.join('/')} agent on host ${host}`);
        continue;
      }
      if (desc && desc.networkTypes.length > 0 && !network.segments.some((s) => desc.networkTypes.includes(s.networkType))) {
        reasons.push(`${d.name}: cannot bind ${network.segments.map((s) => segmentTypeWord(s.networkType)).join('/')} segments`);
        continue;
      }
      try {
        const r = await d.bindPort({ port, network, agents: usable });
        if (!r.bound) {
          reasons.push(`${d.name}: ${r.reason}`);
          continue;
        }
        if (!r.vifType || r.vifType === VIF_UNBOUND || r.vifType === VIF_BINDING_FAILED || r.segmentIndex >= network.segments.length) {
          reasons.push(`${d.name}: answered bound with an invalid binding (vif_type "${r.vifType}", segment ${r.segmentIndex})`);
          continue;
        }
        return { hostId: host, vifType: r.vifType, vifDetails: { ...r.vifDetails }, reason: '' };
      } catch (err) {
        this.logger.warn('mechanism driver failed to bind', { driver: d.name, port_id: port.id, error: message(err) });
        reasons.push(`${d.name}: failed (${message(err)})`);
      }
    }
    return failed(reasons.join('; '));
  }

  /** Runs every driver's precommit in order; the first error vetoes the change (propagates). */
  async precommit(change: PortChange): Promise<void> {
    for (const d of this.ordered) if (d.portPrecommit) await d.portPrecommit(change);
  }

  /** Tells every driver about a committed change; failures are logged, never surfaced. */
  async postcommit(change: PortChange): Promise<void> {
    for (const d of this.ordered) {
      if (!d.portPostcommit) continue;
      try {
        await d.portPostcommit(change);
      } catch (err) {
        this.logger.warn('mechanism driver postcommit failed', { driver: d.name, port_id: (change.current ?? change.previous)?.id, error: message(err) });
      }
    }
  }

  close(): void {
    for (const d of this.ordered) d.close?.();
  }
}
