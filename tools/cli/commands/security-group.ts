/** weft security-group (sg) create|list|show|update|delete and security-group-rule (sg-rule) create|list|show|delete */
import { ListSecurityGroupRulesRequest, ListSecurityGroupsRequest } from '../../../proto/gen/weft/network/v1/network_service';
import { SecurityGroup, SecurityGroupRule } from '../../../proto/gen/weft/network/v1/resources';
import { choice, UsageError, type OptionSpec, type Parsed } from '../args';
import type { Context } from '../context';
import { bool, directionName, DIRECTIONS, ethertypeName, ETHERTYPES, lines, time } from '../format';
import {
  collect,
  flagNames,
  ID_ARG,
  LIST_EXCLUSIVE,
  LIST_OPTIONS,
  Mask,
  opt,
  printDeleted,
  printList,
  printOne,
  resolveId,
  resolveOpt,
  trailer,
  type Command,
  type Resource,
} from './common';

const ICMP = ['icmp', 'icmpv6', '1', '58'];

export function portRangeText(r: Pick<SecurityGroupRule, 'protocol' | 'portRangeMin' | 'portRangeMax'>): string {
  if (!r.portRangeMin && !r.portRangeMax) return '';
  if (ICMP.includes(r.protocol)) return `type ${r.portRangeMin}${r.portRangeMax ? ` code ${r.portRangeMax}` : ''}`;
  return r.portRangeMin === r.portRangeMax ? String(r.portRangeMin) : `${r.portRangeMin}:${r.portRangeMax}`;
}

export function remoteText(r: Pick<SecurityGroupRule, 'remoteIpPrefix' | 'remoteGroupId'>): string {
  return r.remoteIpPrefix || (r.remoteGroupId ? `group ${r.remoteGroupId}` : '');
}

/** One line per rule, e.g. "ingress IPv4 tcp 22 from 0.0.0.0/0 (id ...)". */
export function ruleSummary(r: SecurityGroupRule): string {
  const remote = remoteText(r);
  const dir = directionName(r.direction);
  return [dir, ethertypeName(r.ethertype), r.protocol || 'any', portRangeText(r), remote ? `${dir === 'egress' ? 'to' : 'from'} ${remote}` : '', `(${r.id})`]
    .filter((x) => x)
    .join(' ');
}

export function describeGroup(g: SecurityGroup): [string, string][] {
  return [
    ['id', g.id],
    ['name', g.name],
    ['description', g.description],
    ['stateful', bool(g.stateful)],
    ['rules', lines(g.rules.map(ruleSummary))],
    ...trailer(g, time),
  ];
}

export function describeRule(r: SecurityGroupRule): [string, string][] {
  return [
    ['id', r.id],
    ['security_group_id', r.securityGroupId],
    ['description', r.description],
    ['direction', directionName(r.direction)],
    ['ethertype', ethertypeName(r.ethertype)],
    ['protocol', r.protocol || 'any'],
    ['port_range_min', String(r.portRangeMin)],
    ['port_range_max', String(r.portRangeMax)],
    ['remote_ip_prefix', r.remoteIpPrefix],
    ['remote_group_id', r.remoteGroupId],
    ...trailer(r, time),
  ];
}

const showGroup = (ctx: Context, g: SecurityGroup): void => printOne(ctx, g, SecurityGroup.toJSON, describeGroup);
const showRule = (ctx: Context, r: SecurityGroupRule): void => printOne(ctx, r, SecurityGroupRule.toJSON, describeRule);

const createGroup: Command = {
  summary: 'create a security group (allows all egress, no ingress)',
  positionals: [{ name: 'NAME', required: true }],
  options: [opt.description, { name: 'stateless', type: 'boolean', help: 'no connection tracking' }, opt.tag],
  async run(ctx, args) {
    const securityGroup = SecurityGroup.fromPartial({ name: args.positional(0), description: args.str('description') ?? '', tags: args.list('tag') });
    if (args.flag('stateless')) securityGroup.stateful = false;
    showGroup(ctx, await ctx.api.createSecurityGroup({ securityGroup }));
  },
};

const listGroups: Command = {
  summary: 'list security groups',
  positionals: [],
  options: [{ name: 'name', type: 'string', value: 'NAME', help: 'only groups with this name' }, opt.projectFilter, ...LIST_OPTIONS],
  exclusive: LIST_EXCLUSIVE,
  async run(ctx, args) {
    const base = ListSecurityGroupsRequest.fromPartial({ name: args.str('name') ?? '', projectId: args.str('project-id') ?? '', tags: args.list('tag') });
    const items = await collect(ctx, args, 'security groups', async (pageSize, pageToken) => {
      const r = await ctx.api.listSecurityGroups({ ...base, pageSize, pageToken });
      return { items: r.securityGroups, next: r.nextPageToken };
    });
    printList(ctx, items, SecurityGroup.toJSON, ['ID', 'NAME', 'DESCRIPTION', 'RULES'], (g) => [g.id, g.name, g.description, String(g.rules.length)]);
  },
};

const showGroupCmd: Command = {
  summary: 'show a security group and its rules',
  positionals: ID_ARG,
  options: [],
  async run(ctx, args) {
    showGroup(ctx, await ctx.api.getSecurityGroup({ id: await resolveId(ctx, 'security group', args.positional(0)!) }));
  },
};

const groupUpdateOptions: OptionSpec[] = [opt.name, opt.description, opt.tagsReplace, opt.clearTags, opt.revision];

const updateGroup: Command = {
  summary: 'change a security group (only the fields given)',
  positionals: ID_ARG,
  options: groupUpdateOptions,
  exclusive: [['tag', 'clear-tags']],
  async run(ctx, args, topic) {
    const mask = new Mask();
    const securityGroup = SecurityGroup.fromPartial({ revisionNumber: args.int('revision') ?? 0 });
    const name = args.str('name');
    if (name !== undefined) { securityGroup.name = name; mask.add('name'); }
    const description = args.str('description');
    if (description !== undefined) { securityGroup.description = description; mask.add('description'); }
    const tags = mask.tags(args);
    if (tags) securityGroup.tags = tags;
    const updateMask = mask.require(topic, flagNames(groupUpdateOptions));
    securityGroup.id = await resolveId(ctx, 'security group', args.positional(0)!);
    showGroup(ctx, await ctx.api.updateSecurityGroup({ securityGroup, updateMask }));
  },
};

const deleteGroup: Command = {
  summary: 'delete a security group (no port may use it)',
  positionals: ID_ARG,
  options: [opt.revision],
  async run(ctx, args) {
    const id = await resolveId(ctx, 'security group', args.positional(0)!);
    await ctx.api.deleteSecurityGroup({ id, revisionNumber: args.int('revision') ?? 0 });
    printDeleted(ctx, 'security group', id);
  },
};

export const securityGroupResource: Resource = {
  name: 'security-group',
  aliases: ['sg'],
  summary: 'security groups (stateful packet filters for ports)',
  verbs: { create: createGroup, list: listGroups, show: showGroupCmd, update: updateGroup, delete: deleteGroup },
};

/** --port-range MIN[:MAX] (MAX defaults to MIN; for ICMP: TYPE[:CODE]). */
export function parsePortRange(text: string, topic: string): { min: number; max: number } {
  const m = /^(\d+)(?::(\d+))?$/.exec(text.trim());
  if (!m) throw new UsageError(`--port-range: expected MIN[:MAX] (e.g. 22 or 8000:8080), got "${text}"`, topic);
  const min = Number(m[1]);
  return { min, max: m[2] === undefined ? min : Number(m[2]) };
}

function ruleFrom(args: Parsed, topic: string): SecurityGroupRule {
  const ethertype = args.str('ethertype');
  const protocol = (args.str('protocol') ?? '').toLowerCase();
  const range = args.str('port-range');
  let min = 0;
  let max = 0;
  if (range !== undefined) {
    ({ min, max } = parsePortRange(range, topic));
    // For ICMP, "--port-range 8" means type 8, any code.
    if (ICMP.includes(protocol) && !range.includes(':')) max = 0;
  }
  return SecurityGroupRule.fromPartial({
    direction: choice('direction', args.str('direction')!, DIRECTIONS, topic),
    ethertype: ethertype === undefined ? 0 : choice('ethertype', ethertype, ETHERTYPES, topic),
    protocol,
    portRangeMin: min,
    portRangeMax: max,
    remoteIpPrefix: args.str('remote-ip') ?? '',
    description: args.str('description') ?? '',
    tags: args.list('tag'),
  });
}

const createRule: Command = {
  summary: 'add a rule to a security group',
  positionals: [],
  options: [
    { name: 'security-group', type: 'string', value: 'SG', required: true, help: 'security group id or name' },
    { name: 'direction', type: 'string', value: 'ingress|egress', required: true, help: 'traffic direction' },
    { name: 'ethertype', type: 'string', value: 'IPv4|IPv6', help: 'IP version (default IPv4)' },
    { name: 'protocol', type: 'string', value: 'P', help: 'tcp, udp, icmp, icmpv6, sctp or a protocol number (default any)' },
    { name: 'port-range', type: 'string', value: 'MIN[:MAX]', help: 'port range (for ICMP: TYPE[:CODE])' },
    { name: 'remote-ip', type: 'string', value: 'CIDR', help: 'peer address range' },
    { name: 'remote-group', type: 'string', value: 'SG', help: 'peer security group (id or name)' },
    opt.description,
    opt.tag,
  ],
  exclusive: [['remote-ip', 'remote-group']],
  async run(ctx, args, topic) {
    const securityGroupRule = ruleFrom(args, topic);
    securityGroupRule.securityGroupId = await resolveId(ctx, 'security group', args.str('security-group')!);
    securityGroupRule.remoteGroupId = (await resolveOpt(ctx, 'security group', args.str('remote-group'))) ?? '';
    showRule(ctx, await ctx.api.createSecurityGroupRule({ securityGroupRule }));
  },
};

const listRules: Command = {
  summary: 'list security group rules',
  positionals: [],
  options: [
    { name: 'security-group', type: 'string', value: 'SG', help: 'only rules of this group (id or name)' },
    { name: 'remote-group', type: 'string', value: 'SG', help: 'only rules naming this remote group (id or name)' },
    opt.projectFilter,
    ...LIST_OPTIONS,
  ],
  exclusive: LIST_EXCLUSIVE,
  async run(ctx, args) {
    const base = ListSecurityGroupRulesRequest.fromPartial({
      securityGroupId: (await resolveOpt(ctx, 'security group', args.str('security-group'))) ?? '',
      remoteGroupId: (await resolveOpt(ctx, 'security group', args.str('remote-group'))) ?? '',
      projectId: args.str('project-id') ?? '',
      tags: args.list('tag'),
    });
    const items = await collect(ctx, args, 'rules', async (pageSize, pageToken) => {
      const r = await ctx.api.listSecurityGroupRules({ ...base, pageSize, pageToken });
      return { items: r.securityGroupRules, next: r.nextPageToken };
    });
    printList(ctx, items, SecurityGroupRule.toJSON, ['ID', 'SECURITY GROUP', 'DIRECTION', 'ETHERTYPE', 'PROTOCOL', 'PORT RANGE', 'REMOTE'], (r) => [
      r.id,
      r.securityGroupId,
      directionName(r.direction),
      ethertypeName(r.ethertype),
      r.protocol || 'any',
      portRangeText(r),
      remoteText(r),
    ]);
  },
};

const showRuleCmd: Command = {
  summary: 'show a security group rule',
  positionals: [{ name: 'ID', required: true }],
  options: [],
  async run(ctx, args) {
    showRule(ctx, await ctx.api.getSecurityGroupRule({ id: args.positional(0)! }));
  },
};

const deleteRule: Command = {
  summary: 'delete a security group rule',
  positionals: [{ name: 'ID', required: true }],
  options: [opt.revision],
  async run(ctx, args) {
    const id = args.positional(0)!;
    await ctx.api.deleteSecurityGroupRule({ id, revisionNumber: args.int('revision') ?? 0 });
    printDeleted(ctx, 'security group rule', id);
  },
};

export const securityGroupRuleResource: Resource = {
  name: 'security-group-rule',
  aliases: ['sg-rule'],
  summary: 'rules of security groups (rules cannot be changed: delete and re-create)',
  verbs: { create: createRule, list: listRules, show: showRuleCmd, delete: deleteRule },
};
