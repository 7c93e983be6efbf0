/** weft agent list|show|set|delete — the controller's node agents (admin). */
import { Agent, type AgentStats } from '../../../proto/gen/weft/agent/v1/agent_service';
import { connectAgent, type AgentApi } from '../../../services/runtime/client/agent-client';
import { UsageError } from '../args';
import { CALL_DEADLINE_MS, notLoggedIn, type Context } from '../context';
import { bool, lines, map, time } from '../format';
import { collect, printDeleted, printList, printOne, type Command, type Resource } from './common';

const ID_ARG = [{ name: 'ID', required: true, help: 'agent id' }];
const CALL = { deadlineMs: CALL_DEADLINE_MS };

/** Runs `fn` with an agent API client carrying the caller's token, closed afterwards. */
async function withAgents<T>(ctx: Context, fn: (api: AgentApi) => Promise<T>): Promise<T> {
  const creds = ctx.auth().credentials;
  if (!creds.token) throw notLoggedIn();
  const api = connectAgent(ctx.url, creds);
  try {
    return await fn(api);
  } finally {
    api.close();
  }
}

/** Neutron's faces: alive at a glance in a long list. */
export function aliveMark(a: Agent): string {
  return a.alive ? ':-)' : 'xxx';
}

function statsLines(s: AgentStats | undefined): string {
  if (!s) return '';
  return lines([
    `ports=${s.ports} networks=${s.networks}`,
    `reconciles=${s.reconciles} actions=${s.actions} errors=${s.errors}`,
    `feed_lag=${s.feedLag} relists=${s.relists} rss_bytes=${s.rssBytes}`,
  ]);
}

export function describeAgent(a: Agent): [string, string][] {
  return [
    ['id', a.id],
    ['host', a.host],
    ['agent_type', a.agentType],
    ['alive', `${aliveMark(a)} ${a.alive}`],
    ['admin_state_up', bool(a.adminStateUp)],
    ['tunnel_ip', a.tunnelIp],
    ['bridge_mappings', map(a.bridgeMappings)],
    ['capabilities', a.capabilities.join(', ')],
    ['version', a.version],
    ['description', a.description],
    ['heartbeat_at', time(a.heartbeatAt)],
    ['started_at', time(a.startedAt)],
    ['stats', statsLines(a.stats)],
    ['revision_number', String(a.revisionNumber)],
    ['created_at', time(a.createdAt)],
    ['updated_at', time(a.updatedAt)],
  ];
}

const show = (ctx: Context, a: Agent): void => printOne(ctx, a, Agent.toJSON, describeAgent);

const list: Command = {
  summary: 'list node agents (alive :-) / dead xxx)',
  positionals: [],
  options: [
    { name: 'host', type: 'string', value: 'HOST', help: 'only agents on this host' },
    { name: 'type', type: 'string', value: 'TYPE', help: 'only agents of this type (e.g. linuxbridge)' },
    { name: 'page-size', type: 'int', value: 'N', help: 'results per request (server default 100, maximum 1000)' },
    { name: 'limit', type: 'int', value: 'N', help: 'show at most N results' },
    { name: 'all', type: 'boolean', help: 'follow every page' },
  ],
  exclusive: [['all', 'limit']],
  async run(ctx, args) {
    const items = await withAgents(ctx, (api) =>
      collect(ctx, args, 'agents', async (pageSize, pageToken) => {
        const r = await api.listAgents({ host: args.str('host') ?? '', agentType: args.str('type') ?? '', pageSize, pageToken }, CALL);
        return { items: r.agents, next: r.nextPageToken };
      }),
    );
    printList(ctx, items, Agent.toJSON, ['ID', 'HOST', 'TYPE', 'ALIVE', 'ADMIN_STATE_UP', 'TUNNEL_IP', 'VERSION'], (a) => [
      a.id,
      a.host,
      a.agentType,
      aliveMark(a),
      bool(a.adminStateUp),
      a.tunnelIp,
      a.version,
    ]);
  },
};

const showCmd: Command = {
  summary: 'show an agent (mappings, capabilities, last heartbeat, stats)',
  positionals: ID_ARG,
  options: [],
  async run(ctx, args) {
    show(ctx, await withAgents(ctx, (api) => api.getAgent({ id: args.positional(0)! }, CALL)));
  },
};

const setOptions = [
  { name: 'enable', type: 'boolean', help: 'let the agent bind new ports (admin_state_up true)' },
  { name: 'disable', type: 'boolean', help: 'bind no new ports on it (bound ports stay)' },
  { name: 'description', type: 'string', value: 'TEXT', help: 'free-form description' },
] satisfies Command['options'];

const set: Command = {
  summary: 'enable or disable an agent, or set its description',
  positionals: ID_ARG,
  options: setOptions,
  exclusive: [['enable', 'disable']],
  async run(ctx, args, topic) {
    const agent = Agent.fromPartial({ id: args.positional(0)! });
    const updateMask: string[] = [];
    if (args.flag('enable') || args.flag('disable')) {
      agent.adminStateUp = args.flag('enable');
      updateMask.push('admin_state_up');
    }
    const description = args.str('description');
    if (description !== undefined) {
      agent.description = description;
      updateMask.push('description');
    }
    if (updateMask.length === 0) throw new UsageError('nothing to set; give --enable, --disable or --description', topic);
    show(ctx, await withAgents(ctx, (api) => api.updateAgent({ agent, updateMask }, CALL)));
  },
};

const del: Command = {
  summary: 'delete a dead agent (an alive one is refused)',
  positionals: ID_ARG,
  options: [],
  async run(ctx, args) {
    const id = args.positional(0)!;
    await withAgents(ctx, (api) => api.deleteAgent({ id }, CALL));
    printDeleted(ctx, 'agent', id);
  },
};

export const agentResource: Resource = {
  name: 'agent',
  aliases: ['agents'],
  summary: 'node agents (admin)',
  verbs: { list, show: showCmd, set, delete: del },
};
