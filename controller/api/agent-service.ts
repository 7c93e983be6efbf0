/**
 * gRPC handlers of weft.agent.v1.AgentService: node agents register, heartbeat and report port
 * status; operators list, inspect, disable and delete agents.
 *
 * An agent becoming available on a host (registered, alive again after being dead, or enabled)
 * is the moment ports that failed to bind there may now bind: those are re-bound in one mutation
 * (awaited on RegisterAgent so the agent's first List already shows them bound; in the background
 * on Heartbeat, which must stay cheap). An agent that re-registers with another tunnel_ip or other
 * bridge_mappings also gets its bound ports' vif_details refreshed (other hosts read the VTEP there).
 */
import type {
  Agent,
  DeleteAgentRequest,
  GetAgentRequest,
  HeartbeatRequest,
  HeartbeatResponse,
  ListAgentsRequest,
  ListAgentsResponse,
  RegisterAgentRequest,
  ReportPortStatusRequest,
  ReportPortStatusResponse,
  UpdateAgentRequest,
} from '../../proto/gen/weft/agent/v1/agent_service';
import { invalidArgument } from '../../services/runtime/errors';
import type { Logger } from '../../services/runtime/log';
import type { PolicyEngine } from '../../services/runtime/policy/engine';
import type { UnaryHandler } from '../../services/runtime/server';
import type { AgentRegistry } from '../domain/agents/registry';
import { validateHost } from '../domain/agents/validate';
import { applyPortStatus, validateReports } from '../domain/port-status';
import type { NetworkState } from '../domain/state';
import { Violations } from '../domain/validate';
import type { PortChanges } from '../drivers/port-changes';
import { actionName } from '../policy';
import { guardAll } from './guard';
import { decodePageToken, encodePageToken, pageSize } from './paging';

export interface AgentServiceDeps {
  state: NetworkState;
  agents: AgentRegistry;
  portChanges: PortChanges;
  policy: PolicyEngine | undefined;
  /** Returned to agents in every HeartbeatResponse. */
  heartbeatIntervalMs: number;
  logger: Logger;
}

function requireId(field: string, id: string): void {
  if (!id) throw invalidArgument([{ field, description: 'is required' }]);
}

export function agentServiceHandlers(deps: AgentServiceDeps): Record<string, UnaryHandler<never, unknown>> {
  const { state, agents, portChanges, logger } = deps;
  const rebind = (host: string, why: string, opts: { refreshBound?: boolean } = {}): Promise<void> =>
    portChanges.rebindHost(host, opts).then(
      () => undefined,
      (err: unknown) => logger.warn('re-binding ports failed', { host, why, error: err instanceof Error ? err.message : String(err) }),
    );

  const unary = {
    RegisterAgent: async (r: RegisterAgentRequest): Promise<Agent> => {
      const { agent, wiringChanged } = await agents.register(r);
      await rebind(agent.host, 'agent registered', { refreshBound: wiringChanged });
      return agents.view(agents.get(agent.id));
    },
    Heartbeat: async (r: HeartbeatRequest): Promise<HeartbeatResponse> => {
      requireId('agent_id', r.agentId);
      const { agent, revived } = agents.heartbeat(r.agentId, r.stats);
      if (revived) void rebind(agent.host, 'agent alive again');
      return { adminStateUp: agent.adminStateUp ?? true, heartbeatIntervalMs: deps.heartbeatIntervalMs };
    },
    ReportPortStatus: async (r: ReportPortStatusRequest): Promise<ReportPortStatusResponse> => {
      requireId('agent_id', r.agentId);
      const v = new Violations();
      validateReports(v, r.reports);
      v.throwIfAny();
      const agent = agents.get(r.agentId);
      const ignoredPortIds = await state.mutate((txn, changes) => applyPortStatus(state, agent.host, r.reports, txn, changes));
      return { ignoredPortIds };
    },
    GetAgent: async (r: GetAgentRequest): Promise<Agent> => {
      requireId('id', r.id);
      await state.settled();
      return agents.view(agents.get(r.id));
    },
    ListAgents: async (r: ListAgentsRequest): Promise<ListAgentsResponse> => {
      if (r.host) {
        const v = new Violations();
        validateHost(v, 'host', r.host);
        v.throwIfAny();
      }
      await state.settled();
      const filters = { host: r.host, type: r.agentType };
      const limit = pageSize(r.pageSize);
      const afterId = decodePageToken(r.pageToken, filters);
      const { items, lastId } = await agents.table.page(state.kv, {
        index: r.host ? { name: 'host', value: r.host } : undefined,
        afterId,
        limit,
        match: (a) => !r.agentType || a.agentType === r.agentType,
      });
      return { agents: items.map((a) => agents.view(a)), nextPageToken: lastId ? encodePageToken(lastId, filters) : '' };
    },
    UpdateAgent: async (r: UpdateAgentRequest): Promise<Agent> => {
      const { agent, enabled } = await agents.update(r.agent, r.updateMask);
      if (enabled) await rebind(agent.host, 'agent enabled');
      return agent;
    },
    DeleteAgent: async (r: DeleteAgentRequest): Promise<Record<string, never>> => {
      requireId('id', r.id);
      await agents.delete(r.id);
      return {};
    },
  };
  return guardAll(deps.policy, (rpc) => actionName(rpc, 'agent'), unary);
}
