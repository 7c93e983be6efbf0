/**
 * The node agents the controller knows: records in the controller's store (`r/agent/<id>`, a disk
 * index by host for listing, an in-memory unique index on (host, agent_type)), plus in-memory
 * liveness from heartbeats (liveness.ts).
 *
 * Agent records are not network API resources, so their writes carry no change-feed entry.
 * Registration is create-or-update on (host, agent_type): a restarted agent gets its id back.
 */
import { Agent, type AgentStats, type RegisterAgentRequest } from '../../../proto/gen/weft/agent/v1/agent_service';
import { failedPrecondition, notFound } from '../../../services/runtime/errors';
import type { Reader } from '../../../services/runtime/store/table';
import { Table } from '../../../services/runtime/store/table';
import { checkRevision, type NetworkState } from '../state';
import { checkUpdateMask, Violations } from '../validate';
import { Liveness } from './liveness';
import { validateRegistration } from './validate';

export interface AgentOptions {
  /** An agent is alive while its last heartbeat is at most this old. */
  downTimeMs: number;
}

const AGENT_UPDATABLE = ['admin_state_up', 'description'] as const;
const MAX_DESCRIPTION = 255;

function hostTypeKey(host: string, agentType: string): string {
  // NUL cannot occur in either (validated), so the pair maps to one key unambiguously.
  return `${host}\u0000${agentType}`;
}

function sameMappings(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** Liveness and stats are runtime facts, never stored. */
function persisted(a: Agent): Agent {
  return { ...a, alive: false, heartbeatAt: undefined, stats: undefined };
}

export class AgentRegistry {
  readonly table = new Table<Agent>('agent', Agent, { host: (a) => [a.host] }, { host: (a) => [a.host], hostType: (a) => [hostTypeKey(a.host, a.agentType)] });
  readonly liveness: Liveness;

  constructor(
    private readonly state: NetworkState,
    opts: AgentOptions,
  ) {
    this.liveness = new Liveness(opts.downTimeMs, state.clock);
  }

  /** Rebuilds the in-memory indexes from the store (startup); returns the number of agents. */
  load(): number {
    return this.table.rebuild(this.state.kv);
  }

  /** The agent as the API shows it: the stored record plus liveness and the last reported stats. */
  view(a: Agent): Agent {
    return { ...a, alive: this.liveness.alive(a.id), heartbeatAt: this.liveness.lastBeat(a.id), stats: this.liveness.stats(a.id) };
  }

  /** The stored agent, or NOT_FOUND. */
  get(id: string, reader: Reader = this.state.kv): Agent {
    const a = this.table.get(reader, id);
    if (!a) throw notFound('agent', id);
    return a;
  }

  /** Every agent registered on a host (views, so callers see liveness). */
  onHost(host: string): Agent[] {
    const out: Agent[] = [];
    for (const id of this.table.referencing('host', host)) {
      const a = this.table.get(this.state.kv, id);
      if (a) out.push(this.view(a));
    }
    return out.sort((x, y) => x.agentType.localeCompare(y.agentType) || x.id.localeCompare(y.id));
  }

  private find(reader: Reader, host: string, agentType: string): Agent | undefined {
    for (const id of this.table.referencing('hostType', hostTypeKey(host, agentType))) return this.table.get(reader, id);
    return undefined;
  }

  /**
   * Create-or-update by (host, agent_type). A registration counts as a heartbeat: the agent is
   * alive from this moment. `revived` when it was not alive just before; `wiringChanged` when a
   * known agent now reports another tunnel_ip or other bridge_mappings.
   */
  async register(input: RegisterAgentRequest): Promise<{ agent: Agent; revived: boolean; wiringChanged: boolean }> {
    const req = validateRegistration(input);
    let wiringChanged = false;
    const saved = await this.state.mutate((txn) => {
      const now = this.state.now();
      const prev = this.find(txn, req.host, req.agentType);
      // What bound ports' vif_details were derived from (the VTEP, the physnet interfaces).
      wiringChanged = !!prev && (prev.tunnelIp !== req.tunnelIp || !sameMappings(prev.bridgeMappings, req.bridgeMappings));
      const facts = { tunnelIp: req.tunnelIp, bridgeMappings: req.bridgeMappings, capabilities: req.capabilities, version: req.version, startedAt: now, updatedAt: now };
      const next: Agent = prev
        ? { ...prev, ...facts, revisionNumber: prev.revisionNumber + 1 }
        : {
            ...Agent.fromPartial({}),
            ...facts,
            id: this.state.ids.uuid(),
            host: req.host,
            agentType: req.agentType,
            adminStateUp: true,
            revisionNumber: 1,
            createdAt: now,
          };
      this.table.put(txn, persisted(next), prev);
      return next;
    });
    const { revived } = this.liveness.beat(saved.id);
    return { agent: this.view(saved), revived, wiringChanged };
  }

  /** Records a heartbeat of a registered agent (NOT_FOUND otherwise: the agent re-registers). */
  heartbeat(agentId: string, stats: AgentStats | undefined): { agent: Agent; revived: boolean } {
    const agent = this.get(agentId);
    const { revived } = this.liveness.beat(agent.id, stats);
    return { agent, revived };
  }

  /** Changes admin_state_up and/or description; `enabled` when the agent went from disabled to enabled. */
  async update(input: Agent | undefined, mask: string[] | undefined): Promise<{ agent: Agent; enabled: boolean }> {
    const req = input ?? Agent.fromPartial({});
    const v = new Violations();
    if (!req.id) v.add('agent.id', 'is required');
    const paths = checkUpdateMask(v, mask, AGENT_UPDATABLE);
    if (paths.includes('description')) {
      v.check(req.description.length <= MAX_DESCRIPTION, 'agent.description', `must be at most ${MAX_DESCRIPTION} characters`);
      v.check(!/[\u0000-\u001f]/.test(req.description), 'agent.description', 'must not contain control characters');
    }
    v.throwIfAny();
    let enabled = false;
    const saved = await this.state.mutate((txn) => {
      const prev = this.get(req.id, txn);
      checkRevision('agent', prev.id, req.revisionNumber, prev.revisionNumber);
      const next: Agent = { ...prev };
      if (paths.includes('admin_state_up')) next.adminStateUp = req.adminStateUp ?? true;
      if (paths.includes('description')) next.description = req.description;
      if (next.adminStateUp === prev.adminStateUp && next.description === prev.description) return prev;
      enabled = !prev.adminStateUp && !!next.adminStateUp;
      next.revisionNumber = prev.revisionNumber + 1;
      next.updatedAt = this.state.now();
      this.table.put(txn, persisted(next), prev);
      return next;
    });
    return { agent: this.view(saved), enabled };
  }

  /** Removes a dead agent's record (an alive one would only register again). */
  async delete(id: string): Promise<void> {
    await this.state.mutate((txn) => {
      const prev = this.get(id, txn);
      if (this.liveness.alive(prev.id)) {
        throw failedPrecondition(`agent ${id} is alive; stop it (or wait until it is dead) before deleting it`, [{ type: 'AGENT', subject: id, description: 'is alive' }], 'AGENT_ALIVE');
      }
      this.table.delete(txn, prev);
    });
    this.liveness.forget(id);
  }
}
