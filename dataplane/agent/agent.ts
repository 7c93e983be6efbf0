/**
 * The node agent: registers with the controller, heartbeats, follows the controller state
 * (feed.ts), and reconciles the host's dataplane to the desired state (desired.ts) through a
 * backend. Reconciles are level-based and single-flight: any trigger (a feed change, a kernel
 * link event, the periodic drift timer) marks the agent dirty; one reconcile runs at a time and a
 * trigger during a run causes exactly one more run. Port status changes are reported in batches,
 * only when they differ from what the controller already shows.
 */
import { status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import { PortStatus, type Port } from '../../proto/gen/weft/network/v1/resources';
import type { AgentStats } from '../../proto/gen/weft/agent/v1/agent_service';
import type { Logger } from '../../services/runtime/log';
import { StateCache } from './cache';
import { desiredState, type HostDesired, type HostIdentity } from './desired';
import { Feed } from './feed';
import type { ControllerLink } from './link';

export type PortState = { state: 'ACTIVE' | 'DOWN' | 'ERROR'; reason?: string };

export interface ReconcileResult {
  /** Actions applied to the kernel in this run. */
  actions: number;
  /** Failures (each also attributed to ports in `ports` where possible). */
  errors: string[];
  ports: Map<string, PortState>;
}

/** A dataplane implementation (linuxbridge today; ovs later) behind the agent. */
export interface Backend {
  readonly agentType: string;
  readonly capabilities: string[];
  /**
   * Observe the host, plan against `desired`, apply, read back. Must not throw. `verify` false
   * lets the backend trust what it applied itself when that part of `desired` did not change
   * (a tap appearing needs no firewall re-read); the periodic resync always verifies.
   */
  reconcile(desired: HostDesired, opts: { verify: boolean }): Promise<ReconcileResult>;
  /** Calls `onEvent` when the host changed under us (e.g. a tap appeared). Returns a stop function. */
  watchHost(onEvent: () => void): () => void;
  /** Releases sockets; leaves the dataplane as it is. */
  close(): void;
}

export interface AgentOptions extends HostIdentity {
  link: ControllerLink;
  backend: Backend;
  logger: Logger;
  version: string;
  /** Full reconcile period: the bound on how long drift survives (default 2000 ms). */
  resyncIntervalMs?: number;
}

const STATUS: Record<PortState['state'], PortStatus> = {
  ACTIVE: PortStatus.PORT_STATUS_ACTIVE,
  DOWN: PortStatus.PORT_STATUS_DOWN,
  ERROR: PortStatus.PORT_STATUS_ERROR,
};

export class NodeAgent {
  readonly cache = new StateCache();
  readonly counters = { reconciles: 0, actions: 0, errors: 0, reports: 0 };
  private feed: Feed;
  private agentId = '';
  private heartbeatMs = 2000;
  private stopped = false;
  private running: Promise<void> | undefined;
  private dirty = false;
  private verifyPending = true;
  private timers: NodeJS.Timeout[] = [];
  private stopHostWatch: (() => void) | undefined;
  private head = 0;
  /** What we last told the controller per port, so a repeat is not sent again. */
  private reported = new Map<string, { key: string; revision: number }>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private firstReconcile: Promise<void>;
  private resolveFirst!: () => void;

  constructor(private readonly opts: AgentOptions) {
    this.feed = new Feed({
      api: () => opts.link.network(),
      cache: this.cache,
      logger: opts.logger,
      onChange: () => this.trigger(),
      onHead: (r) => (this.head = Math.max(this.head, r)),
    });
    this.firstReconcile = new Promise((r) => (this.resolveFirst = r));
  }

  get id(): string {
    return this.agentId;
  }

  /** Registers (retrying until the controller answers), then starts following and reconciling. */
  async start(): Promise<void> {
    await this.register();
    this.feed.start();
    this.stopHostWatch = this.opts.backend.watchHost(() => this.trigger());
    const resync = setInterval(() => {
      this.verifyPending = true;
      this.trigger();
    }, this.opts.resyncIntervalMs ?? 2000);
    this.timers.push(resync);
    this.scheduleHeartbeat();
  }

  /** Resolves once the controller state was listed and applied to the host once. */
  async ready(): Promise<void> {
    await this.feed.synced();
    await this.firstReconcile;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
    this.stopHostWatch?.();
    this.feed.stop();
    await this.running;
    this.opts.backend.close();
    this.opts.link.close();
  }

  stats(): AgentStats {
    const desiredPorts = [...this.cache.ports.values()].filter((p) => p.binding?.hostId === this.opts.host).length;
    return {
      reconciles: this.counters.reconciles,
      actions: this.counters.actions,
      errors: this.counters.errors,
      feedLag: Math.max(0, this.head - this.cache.revision),
      relists: this.feed.relists,
      ports: desiredPorts,
      networks: new Set([...this.cache.ports.values()].filter((p) => p.binding?.hostId === this.opts.host).map((p) => p.networkId)).size,
      rssBytes: process.memoryUsage.rss(),
    };
  }

  private async register(): Promise<void> {
    const { logger } = this.opts;
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        const agent = await this.opts.link.agents().registerAgent(
          {
            host: this.opts.host,
            agentType: this.opts.backend.agentType,
            tunnelIp: this.opts.tunnelIp,
            bridgeMappings: this.opts.bridgeMappings,
            capabilities: this.opts.backend.capabilities,
            version: this.opts.version,
          },
          { deadlineMs: 10_000 },
        );
        this.agentId = agent.id;
        logger.info('registered with the controller', { agent_id: agent.id, host: this.opts.host });
        return;
      } catch (err) {
        const e = err as ServiceError;
        // Bad registration data will not get better by retrying.
        if (e.code === grpcStatus.INVALID_ARGUMENT || e.code === grpcStatus.PERMISSION_DENIED) throw err;
        if (attempt % 10 === 0) logger.warn('controller not reachable for registration; retrying', { error: e.message });
        await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** Math.min(attempt, 5))));
      }
    }
  }

  private scheduleHeartbeat(): void {
    if (this.stopped) return;
    this.heartbeatTimer = setTimeout(() => void this.heartbeat().finally(() => this.scheduleHeartbeat()), this.heartbeatMs);
  }

  private async heartbeat(): Promise<void> {
    try {
      const r = await this.opts.link.agents().heartbeat({ agentId: this.agentId, stats: this.stats() }, { deadlineMs: 5000 });
      if (r.heartbeatIntervalMs) this.heartbeatMs = r.heartbeatIntervalMs;
    } catch (err) {
      const e = err as ServiceError;
      if (e.code === grpcStatus.NOT_FOUND) {
        // The controller forgot us (agent deleted while we were away): register again.
        this.opts.logger.warn('controller does not know this agent; registering again');
        await this.register().catch(() => undefined);
      } else {
        this.opts.logger.warn('heartbeat failed', { error: e.message });
      }
    }
  }

  /** Marks the host dirty and makes sure a reconcile runs soon. */
  trigger(): void {
    if (this.stopped) return;
    this.dirty = true;
    if (!this.running) this.running = this.loop();
  }

  private async loop(): Promise<void> {
    try {
      while (this.dirty && !this.stopped) {
        this.dirty = false;
        await this.reconcileOnce();
      }
    } finally {
      this.running = undefined;
    }
  }

  private async reconcileOnce(): Promise<void> {
    // Before the first listing the desired state is unknown: doing nothing beats tearing down.
    if (this.cache.revision === 0 && this.feed.relists === 0) return;
    const desired = desiredState(this.cache, this.opts);
    const verify = this.verifyPending;
    this.verifyPending = false;
    const result = await this.opts.backend.reconcile(desired, { verify });
    // A run with errors is verified again next time: what failed may have been half applied.
    if (result.errors.length) this.verifyPending = true;
    this.counters.reconciles++;
    this.counters.actions += result.actions;
    this.counters.errors += result.errors.length;
    if (result.errors.length) this.opts.logger.warn('reconcile had errors', { errors: result.errors.slice(0, 10) });
    if (result.actions) this.opts.logger.debug('reconciled', { actions: result.actions });
    for (const [portId, reason] of desired.unwirable) result.ports.set(portId, { state: 'ERROR', reason });
    await this.report(desired.localPorts, result.ports);
    this.resolveFirst();
  }

  private async report(ports: Port[], states: Map<string, PortState>): Promise<void> {
    const reports = [];
    for (const p of ports) {
      const st = states.get(p.id) ?? { state: 'DOWN', reason: 'not wired yet' };
      const key = `${st.state}|${st.reason ?? ''}`;
      const shown = p.status === STATUS[st.state] && p.statusReason === (st.reason ?? '');
      // Sent but not yet echoed by the feed: don't repeat. A newer port revision that still shows
      // something else (e.g. the controller reset it on a host change) is reported again.
      const sent = this.reported.get(p.id);
      if (shown || (sent?.key === key && p.revisionNumber <= sent.revision)) continue;
      reports.push({ portId: p.id, status: STATUS[st.state], reason: st.reason ?? '' });
      this.reported.set(p.id, { key, revision: p.revisionNumber });
    }
    // Forget ports that went away so a re-created id is reported afresh.
    const live = new Set(ports.map((p) => p.id));
    for (const id of this.reported.keys()) if (!live.has(id)) this.reported.delete(id);
    if (!reports.length || !this.agentId) return;
    try {
      await this.opts.link.agents().reportPortStatus({ agentId: this.agentId, reports }, { deadlineMs: 10_000 });
      this.counters.reports += reports.length;
    } catch (err) {
      for (const r of reports) this.reported.delete(r.portId);
      // The periodic resync retries; retrying at once would spin while the controller is away.
      this.opts.logger.warn('port status report failed; will retry', { error: (err as Error).message });
    }
  }
}
