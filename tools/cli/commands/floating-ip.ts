/** weft floating-ip (fip) create|list|show|update|delete */
import { ListFloatingIpsRequest } from '../../../proto/gen/weft/network/v1/network_service';
import { FloatingIp } from '../../../proto/gen/weft/network/v1/resources';
import { UsageError, type OptionSpec } from '../args';
import type { Context } from '../context';
import { statusName, time } from '../format';
import {
  collect,
  flagNames,
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

export function describeFloatingIp(f: FloatingIp): [string, string][] {
  return [
    ['id', f.id],
    ['description', f.description],
    ['floating_ip_address', f.floatingIpAddress],
    ['floating_network_id', f.floatingNetworkId],
    ['port_id', f.portId],
    ['fixed_ip_address', f.fixedIpAddress],
    ['router_id', f.routerId],
    ['status', statusName(f.status)],
    ...trailer(f, time),
  ];
}

const show = (ctx: Context, f: FloatingIp): void => printOne(ctx, f, FloatingIp.toJSON, describeFloatingIp);
const ID: Command['positionals'] = [{ name: 'ID', required: true }];

const create: Command = {
  summary: 'allocate a floating IP (optionally mapped to a port)',
  positionals: [],
  options: [
    { name: 'network', type: 'string', value: 'EXT', required: true, help: 'external network id or name' },
    { name: 'port', type: 'string', value: 'PORT', help: 'map to this port (id or name)' },
    { name: 'fixed-ip', type: 'string', value: 'ADDR', help: "which of the port's addresses (default: its first IPv4)" },
    { name: 'address', type: 'string', value: 'ADDR', help: 'the floating address to take (default: allocated)' },
    opt.description,
    opt.tag,
  ],
  async run(ctx, args, topic) {
    if (args.has('fixed-ip') && !args.has('port')) throw new UsageError('--fixed-ip needs --port', topic);
    const floatingIp = FloatingIp.fromPartial({
      floatingIpAddress: args.str('address') ?? '',
      fixedIpAddress: args.str('fixed-ip') ?? '',
      description: args.str('description') ?? '',
      tags: args.list('tag'),
    });
    floatingIp.floatingNetworkId = await resolveId(ctx, 'network', args.str('network')!);
    floatingIp.portId = (await resolveOpt(ctx, 'port', args.str('port'))) ?? '';
    show(ctx, await ctx.api.createFloatingIp({ floatingIp }));
  },
};

const list: Command = {
  summary: 'list floating IPs',
  positionals: [],
  options: [
    { name: 'network', type: 'string', value: 'EXT', help: 'only floating IPs on this external network (id or name)' },
    { name: 'port', type: 'string', value: 'PORT', help: 'only floating IPs mapped to this port (id or name)' },
    { name: 'router', type: 'string', value: 'ROUTER', help: 'only floating IPs routed by this router (id or name)' },
    { name: 'address', type: 'string', value: 'ADDR', help: 'only the floating IP with this address' },
    opt.projectFilter,
    ...LIST_OPTIONS,
  ],
  exclusive: LIST_EXCLUSIVE,
  async run(ctx, args) {
    const base = ListFloatingIpsRequest.fromPartial({
      floatingNetworkId: (await resolveOpt(ctx, 'network', args.str('network'))) ?? '',
      portId: (await resolveOpt(ctx, 'port', args.str('port'))) ?? '',
      routerId: (await resolveOpt(ctx, 'router', args.str('router'))) ?? '',
      floatingIpAddress: args.str('address') ?? '',
      projectId: args.str('project-id') ?? '',
      tags: args.list('tag'),
    });
    const items = await collect(ctx, args, 'floating IPs', async (pageSize, pageToken) => {
      const r = await ctx.api.listFloatingIps({ ...base, pageSize, pageToken });
      return { items: r.floatingIps, next: r.nextPageToken };
    });
    printList(ctx, items, FloatingIp.toJSON, ['ID', 'FLOATING IP', 'FIXED IP', 'PORT', 'NETWORK', 'STATUS'], (f) => [
      f.id,
      f.floatingIpAddress,
      f.fixedIpAddress,
      f.portId,
      f.floatingNetworkId,
      statusName(f.status),
    ]);
  },
};

const showCmd: Command = {
  summary: 'show a floating IP',
  positionals: ID,
  options: [],
  async run(ctx, args) {
    show(ctx, await ctx.api.getFloatingIp({ id: args.positional(0)! }));
  },
};

const updateOptions: OptionSpec[] = [
  { name: 'port', type: 'string', value: 'PORT', help: 'map to this port (id or name)' },
  { name: 'fixed-ip', type: 'string', value: 'ADDR', help: "which of the port's addresses (with --port)" },
  { name: 'unset-port', type: 'boolean', help: 'remove the mapping' },
  opt.description,
  opt.tagsReplace,
  opt.clearTags,
  opt.revision,
];

const update: Command = {
  summary: 'map a floating IP to a port, unmap it, or change its description or tags',
  positionals: ID,
  options: updateOptions,
  exclusive: [['port', 'unset-port'], ['fixed-ip', 'unset-port'], ['tag', 'clear-tags']],
  async run(ctx, args, topic) {
    if (args.has('fixed-ip') && !args.has('port')) throw new UsageError('--fixed-ip needs --port', topic);
    const mask = new Mask();
    const floatingIp = FloatingIp.fromPartial({ id: args.positional(0), revisionNumber: args.int('revision') ?? 0 });
    if (args.has('port') || args.flag('unset-port')) mask.add('port_id');
    const fixed = args.str('fixed-ip');
    if (fixed !== undefined) { floatingIp.fixedIpAddress = fixed; mask.add('fixed_ip_address'); }
    const description = args.str('description');
    if (description !== undefined) { floatingIp.description = description; mask.add('description'); }
    const tags = mask.tags(args);
    if (tags) floatingIp.tags = tags;
    const updateMask = mask.require(topic, flagNames(updateOptions));
    floatingIp.portId = (await resolveOpt(ctx, 'port', args.str('port'))) ?? '';
    show(ctx, await ctx.api.updateFloatingIp({ floatingIp, updateMask }));
  },
};

const del: Command = {
  summary: 'release a floating IP',
  positionals: ID,
  options: [opt.revision],
  async run(ctx, args) {
    const id = args.positional(0)!;
    await ctx.api.deleteFloatingIp({ id, revisionNumber: args.int('revision') ?? 0 });
    printDeleted(ctx, 'floating IP', id);
  },
};

export const floatingIpResource: Resource = {
  name: 'floating-ip',
  aliases: ['fip'],
  summary: 'floating IPs: external addresses mapped to ports',
  verbs: { create, list, show: showCmd, update, delete: del },
};
