/** weft network create|list|show|update|delete */
import { ListNetworksRequest } from '../../../proto/gen/weft/network/v1/network_service';
import { Network, type Segment } from '../../../proto/gen/weft/network/v1/resources';
import { choice, UsageError, type Parsed } from '../args';
import { bool, lines, networkTypeName, NETWORK_TYPES, statusName, time } from '../format';
import type { Context } from '../context';
import {
  adminState,
  collect,
  flagNames,
  ID_ARG,
  LIST_EXCLUSIVE,
  LIST_OPTIONS,
  Mask,
  opt,
  printList,
  printOne,
  resolveId,
  trailer,
  type Command,
  type Resource, deleteCommand, showCommand } from './common';

export function segmentText(s: Segment): string {
  return [networkTypeName(s.networkType), s.physicalNetwork, s.segmentationId ? String(s.segmentationId) : ''].filter((x) => x).join(' ');
}

export function describeNetwork(n: Network): [string, string][] {
  return [
    ['id', n.id],
    ['name', n.name],
    ['description', n.description],
    ['status', statusName(n.status)],
    ['admin_state_up', bool(n.adminStateUp)],
    ['shared', bool(n.shared)],
    ['external', bool(n.external)],
    ['mtu', String(n.mtu)],
    ['port_security_enabled', bool(n.portSecurityEnabled)],
    ['segments', lines(n.segments.map(segmentText))],
    ['subnet_ids', lines(n.subnetIds)],
    ...trailer(n, time),
  ];
}

const show = (ctx: Context, n: Network): void => printOne(ctx, n, Network.toJSON, describeNetwork);

function providerSegment(args: Parsed, topic: string): Segment[] {
  const type = args.str('provider-type');
  if (type === undefined) {
    if (args.has('provider-physnet') || args.has('provider-segment')) throw new UsageError('--provider-physnet and --provider-segment need --provider-type', topic);
    return [];
  }
  return [{ networkType: choice('provider-type', type, NETWORK_TYPES, topic), physicalNetwork: args.str('provider-physnet') ?? '', segmentationId: args.int('provider-segment') ?? 0 }];
}

const create: Command = {
  summary: 'create a network',
  positionals: [{ name: 'NAME', required: true }],
  options: [
    opt.description,
    { name: 'shared', type: 'boolean', help: 'usable by every project (admin)' },
    { name: 'external', type: 'boolean', help: 'may carry router gateways and floating IPs (admin)' },
    { name: 'mtu', type: 'int', value: 'N', help: 'MTU (default: the largest the segment allows)' },
    { name: 'provider-type', type: 'string', value: 'vxlan|vlan|flat|local', help: 'provider network segment type (admin)' },
    { name: 'provider-physnet', type: 'string', value: 'PHYSNET', help: 'physical network of a flat or vlan segment' },
    { name: 'provider-segment', type: 'int', value: 'N', help: 'VLAN id or VXLAN VNI' },
    { name: 'disable-port-security', type: 'boolean', help: "ports default to no port security" },
    opt.adminDown,
    opt.tag,
  ],
  async run(ctx, args, topic) {
    const network = Network.fromPartial({
      name: args.positional(0),
      description: args.str('description') ?? '',
      shared: args.flag('shared'),
      external: args.flag('external'),
      mtu: args.int('mtu') ?? 0,
      segments: providerSegment(args, topic),
      tags: args.list('tag'),
    });
    if (args.flag('disable-port-security')) network.portSecurityEnabled = false;
    if (args.flag('admin-down')) network.adminStateUp = false;
    show(ctx, await ctx.api.createNetwork({ network }));
  },
};

const list: Command = {
  summary: 'list networks',
  positionals: [],
  options: [
    { name: 'name', type: 'string', value: 'NAME', help: 'only networks with this name' },
    { name: 'shared', type: 'boolean', help: 'only shared networks' },
    { name: 'external', type: 'boolean', help: 'only external networks' },
    opt.projectFilter,
    ...LIST_OPTIONS,
  ],
  exclusive: LIST_EXCLUSIVE,
  async run(ctx, args) {
    const base = ListNetworksRequest.fromPartial({
      name: args.str('name') ?? '',
      shared: args.flag('shared'),
      external: args.flag('external'),
      projectId: args.str('project-id') ?? '',
      tags: args.list('tag'),
    });
    const items = await collect(ctx, args, 'networks', async (pageSize, pageToken) => {
      const r = await ctx.api.listNetworks({ ...base, pageSize, pageToken });
      return { items: r.networks, next: r.nextPageToken };
    });
    printList(ctx, items, Network.toJSON, ['ID', 'NAME', 'STATUS', 'SEGMENT', 'MTU', 'SUBNETS'], (n) => [
      n.id,
      n.name,
      statusName(n.status),
      n.segments.map(segmentText).join(', '),
      String(n.mtu),
      lines(n.subnetIds),
    ]);
  },
};

const showCmd: Command = showCommand('network', (ctx, req) => ctx.api.getNetwork(req), show);

const updateOptions = [
  opt.name,
  opt.description,
  { name: 'mtu', type: 'int', value: 'N', help: 'new MTU' },
  { name: 'shared', type: 'boolean', help: 'make the network shared (admin)' },
  { name: 'no-shared', type: 'boolean', help: 'make the network private (admin)' },
  { name: 'external', type: 'boolean', help: 'make the network external (admin)' },
  { name: 'no-external', type: 'boolean', help: 'make the network internal (admin)' },
  { name: 'enable-port-security', type: 'boolean', help: 'ports default to port security' },
  { name: 'disable-port-security', type: 'boolean', help: 'ports default to no port security' },
  opt.adminUp,
  opt.adminDown,
  opt.tagsReplace,
  opt.clearTags,
  opt.revision,
] satisfies Command['options'];

const update: Command = {
  summary: 'change a network (only the fields given)',
  positionals: ID_ARG,
  options: updateOptions,
  exclusive: [['shared', 'no-shared'], ['external', 'no-external'], ['enable-port-security', 'disable-port-security'], ['admin-up', 'admin-down'], ['tag', 'clear-tags']],
  async run(ctx, args, topic) {
    const mask = new Mask();
    const network = Network.fromPartial({ revisionNumber: args.int('revision') ?? 0 });
    const name = args.str('name');
    if (name !== undefined) { network.name = name; mask.add('name'); }
    const description = args.str('description');
    if (description !== undefined) { network.description = description; mask.add('description'); }
    const mtu = args.int('mtu');
    if (mtu !== undefined) { network.mtu = mtu; mask.add('mtu'); }
    if (args.flag('shared') || args.flag('no-shared')) { network.shared = args.flag('shared'); mask.add('shared'); }
    if (args.flag('external') || args.flag('no-external')) { network.external = args.flag('external'); mask.add('external'); }
    if (args.flag('enable-port-security') || args.flag('disable-port-security')) {
      network.portSecurityEnabled = args.flag('enable-port-security');
      mask.add('port_security_enabled');
    }
    const admin = adminState(args);
    if (admin !== undefined) { network.adminStateUp = admin; mask.add('admin_state_up'); }
    const tags = mask.tags(args);
    if (tags) network.tags = tags;
    const updateMask = mask.require(topic, flagNames(updateOptions));
    network.id = await resolveId(ctx, 'network', args.positional(0)!);
    show(ctx, await ctx.api.updateNetwork({ network, updateMask }));
  },
};

const del: Command = deleteCommand('network', 'delete a network (and its subnets; it must have no ports)', (ctx, req) => ctx.api.deleteNetwork(req));

export const networkResource: Resource = {
  name: 'network',
  aliases: ['net'],
  summary: 'L2 networks',
  verbs: { create, list, show: showCmd, update, delete: del },
};
