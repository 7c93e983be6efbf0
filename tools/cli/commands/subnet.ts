/** weft subnet create|list|show|update|delete */
import { ListSubnetsRequest } from '../../../proto/gen/weft/network/v1/network_service';
import { Subnet, type AllocationPool } from '../../../proto/gen/weft/network/v1/resources';
import { choice, UsageError, type Parsed } from '../args';
import type { Context } from '../context';
import { bool, ipv6ModeName, IPV6_MODES, lines, time } from '../format';
import {
  collect,
  flagNames,
  ID_ARG,
  LIST_EXCLUSIVE,
  LIST_OPTIONS,
  Mask,
  opt,
  parseRoute,
  printList,
  printOne,
  resolveId,
  resolveOpt,
  trailer,
  type Command,
  type Resource, deleteCommand, showCommand } from './common';

export function describeSubnet(s: Subnet): [string, string][] {
  return [
    ['id', s.id],
    ['name', s.name],
    ['description', s.description],
    ['network_id', s.networkId],
    ['ip_version', String(s.ipVersion)],
    ['cidr', s.cidr],
    ['gateway_ip', s.gatewayIp],
    ['no_gateway', bool(s.noGateway)],
    ['allocation_pools', lines(s.allocationPools.map((p) => `${p.start}-${p.end}`))],
    ['dns_nameservers', lines(s.dnsNameservers)],
    ['host_routes', lines(s.hostRoutes.map((r) => `${r.destination} via ${r.nexthop}`))],
    ['enable_dhcp', bool(s.enableDhcp)],
    ['ipv6_address_mode', ipv6ModeName(s.ipv6AddressMode)],
    ['ipv6_ra_mode', ipv6ModeName(s.ipv6RaMode)],
    ...trailer(s, time),
  ];
}

const show = (ctx: Context, s: Subnet): void => printOne(ctx, s, Subnet.toJSON, describeSubnet);

function pools(args: Parsed, topic: string): AllocationPool[] {
  return args.list('pool').map((text) => {
    const parts = text.split('-');
    if (parts.length !== 2 || !parts[0] || !parts[1]) throw new UsageError(`--pool: expected START-END (e.g. 10.0.0.10-10.0.0.99), got "${text}"`, topic);
    return { start: parts[0].trim(), end: parts[1].trim() };
  });
}

const routes = (args: Parsed, topic: string): { destination: string; nexthop: string }[] => args.list('route').map((r) => parseRoute('route', r, topic));

const POOL = { name: 'pool', type: 'string', value: 'START-END', repeatable: true, help: 'allocation pool (repeatable)' } as const;
const DNS = { name: 'dns', type: 'string', value: 'IP', repeatable: true, help: 'DNS name server (repeatable)' } as const;
const ROUTE = { name: 'route', type: 'string', value: 'DEST,NEXTHOP', repeatable: true, help: 'host route (repeatable)' } as const;
const GATEWAY = { name: 'gateway', type: 'string', value: 'IP', help: 'gateway address (default: the first usable address)' } as const;
const NO_GATEWAY = { name: 'no-gateway', type: 'boolean', help: 'the subnet has no gateway' } as const;

const create: Command = {
  summary: 'create a subnet on a network',
  positionals: [{ name: 'NAME', required: true }],
  options: [
    { name: 'network', type: 'string', value: 'NET', required: true, help: 'network id or name' },
    { name: 'cidr', type: 'string', value: 'CIDR', required: true, help: 'address range, e.g. 10.0.0.0/24' },
    GATEWAY,
    NO_GATEWAY,
    POOL,
    DNS,
    ROUTE,
    { name: 'disable-dhcp', type: 'boolean', help: 'no DHCP on this subnet' },
    { name: 'ip-version', type: 'int', value: '4|6', help: 'IP version (default: from the CIDR)' },
    { name: 'ipv6-address-mode', type: 'string', value: 'slaac|dhcpv6-stateful|dhcpv6-stateless', help: 'IPv6 address mode' },
    { name: 'ipv6-ra-mode', type: 'string', value: 'slaac|dhcpv6-stateful|dhcpv6-stateless', help: 'IPv6 router advertisement mode' },
    opt.description,
    opt.tag,
  ],
  exclusive: [['gateway', 'no-gateway']],
  async run(ctx, args, topic) {
    const ipVersion = args.int('ip-version') ?? 0;
    if (ipVersion !== 0 && ipVersion !== 4 && ipVersion !== 6) throw new UsageError(`--ip-version must be 4 or 6, got ${ipVersion}`, topic);
    const addressMode = args.str('ipv6-address-mode');
    const raMode = args.str('ipv6-ra-mode');
    const subnet = Subnet.fromPartial({
      name: args.positional(0),
      description: args.str('description') ?? '',
      cidr: args.str('cidr'),
      ipVersion,
      gatewayIp: args.str('gateway') ?? '',
      noGateway: args.flag('no-gateway'),
      allocationPools: pools(args, topic),
      dnsNameservers: args.list('dns'),
      hostRoutes: routes(args, topic),
      ipv6AddressMode: addressMode === undefined ? 0 : choice('ipv6-address-mode', addressMode, IPV6_MODES, topic),
      ipv6RaMode: raMode === undefined ? 0 : choice('ipv6-ra-mode', raMode, IPV6_MODES, topic),
      tags: args.list('tag'),
    });
    if (args.flag('disable-dhcp')) subnet.enableDhcp = false;
    subnet.networkId = await resolveId(ctx, 'network', args.str('network')!);
    show(ctx, await ctx.api.createSubnet({ subnet }));
  },
};

const list: Command = {
  summary: 'list subnets',
  positionals: [],
  options: [
    { name: 'name', type: 'string', value: 'NAME', help: 'only subnets with this name' },
    { name: 'network', type: 'string', value: 'NET', help: 'only subnets of this network (id or name)' },
    { name: 'ip-version', type: 'int', value: '4|6', help: 'only IPv4 or IPv6 subnets' },
    { name: 'cidr', type: 'string', value: 'CIDR', help: 'only subnets with this CIDR' },
    opt.projectFilter,
    ...LIST_OPTIONS,
  ],
  exclusive: LIST_EXCLUSIVE,
  async run(ctx, args) {
    const base = ListSubnetsRequest.fromPartial({
      name: args.str('name') ?? '',
      networkId: (await resolveOpt(ctx, 'network', args.str('network'))) ?? '',
      ipVersion: args.int('ip-version') ?? 0,
      cidr: args.str('cidr') ?? '',
      projectId: args.str('project-id') ?? '',
      tags: args.list('tag'),
    });
    const items = await collect(ctx, args, 'subnets', async (pageSize, pageToken) => {
      const r = await ctx.api.listSubnets({ ...base, pageSize, pageToken });
      return { items: r.subnets, next: r.nextPageToken };
    });
    printList(ctx, items, Subnet.toJSON, ['ID', 'NAME', 'NETWORK', 'CIDR', 'GATEWAY', 'DHCP'], (s) => [
      s.id,
      s.name,
      s.networkId,
      s.cidr,
      s.gatewayIp,
      bool(s.enableDhcp),
    ]);
  },
};

const showCmd: Command = showCommand('subnet', (ctx, req) => ctx.api.getSubnet(req), show);

const updateOptions = [
  opt.name,
  opt.description,
  GATEWAY,
  NO_GATEWAY,
  { ...POOL, help: 'replace the allocation pools (repeatable)' },
  { ...DNS, help: 'replace the DNS name servers (repeatable)' },
  { name: 'clear-dns', type: 'boolean', help: 'remove all DNS name servers' },
  { ...ROUTE, help: 'replace the host routes (repeatable)' },
  { name: 'clear-routes', type: 'boolean', help: 'remove all host routes' },
  { name: 'enable-dhcp', type: 'boolean', help: 'turn DHCP on' },
  { name: 'disable-dhcp', type: 'boolean', help: 'turn DHCP off' },
  opt.tagsReplace,
  opt.clearTags,
  opt.revision,
] satisfies Command['options'];

const update: Command = {
  summary: 'change a subnet (only the fields given)',
  positionals: ID_ARG,
  options: updateOptions,
  exclusive: [['gateway', 'no-gateway'], ['dns', 'clear-dns'], ['route', 'clear-routes'], ['enable-dhcp', 'disable-dhcp'], ['tag', 'clear-tags']],
  async run(ctx, args, topic) {
    const mask = new Mask();
    const subnet = Subnet.fromPartial({ revisionNumber: args.int('revision') ?? 0 });
    const name = args.str('name');
    if (name !== undefined) { subnet.name = name; mask.add('name'); }
    const description = args.str('description');
    if (description !== undefined) { subnet.description = description; mask.add('description'); }
    const gateway = args.str('gateway');
    if (gateway !== undefined) {
      subnet.gatewayIp = gateway;
      subnet.noGateway = false;
      mask.add('gateway_ip');
      mask.add('no_gateway');
    }
    if (args.flag('no-gateway')) { subnet.noGateway = true; mask.add('no_gateway'); }
    if (args.has('pool')) { subnet.allocationPools = pools(args, topic); mask.add('allocation_pools'); }
    if (args.has('dns') || args.flag('clear-dns')) { subnet.dnsNameservers = args.list('dns'); mask.add('dns_nameservers'); }
    if (args.has('route') || args.flag('clear-routes')) { subnet.hostRoutes = routes(args, topic); mask.add('host_routes'); }
    if (args.flag('enable-dhcp') || args.flag('disable-dhcp')) { subnet.enableDhcp = args.flag('enable-dhcp'); mask.add('enable_dhcp'); }
    const tags = mask.tags(args);
    if (tags) subnet.tags = tags;
    const updateMask = mask.require(topic, flagNames(updateOptions));
    subnet.id = await resolveId(ctx, 'subnet', args.positional(0)!);
    show(ctx, await ctx.api.updateSubnet({ subnet, updateMask }));
  },
};

const del: Command = deleteCommand('subnet', 'delete a subnet', (ctx, req) => ctx.api.deleteSubnet(req));

export const subnetResource: Resource = {
  name: 'subnet',
  aliases: [],
  summary: 'IP address ranges on networks',
  verbs: { create, list, show: showCmd, update, delete: del },
};
