/** weft router create|list|show|update|delete|add-interface|remove-interface */
import { ListRoutersRequest, RouterInterfaceInfo } from '../../../proto/gen/weft/network/v1/network_service';
import { ExternalGateway, Router } from '../../../proto/gen/weft/network/v1/resources';
import { UsageError, type OptionSpec, type Parsed } from '../args';
import type { Context } from '../context';
import { CliError } from '../errors';
import { bool, lines, statusName, time } from '../format';
import {
  adminState,
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
  trailer,
  type Command,
  type Resource, deleteCommand, showCommand } from './common';

export function describeRouter(r: Router): [string, string][] {
  const gw = r.externalGateway;
  return [
    ['id', r.id],
    ['name', r.name],
    ['description', r.description],
    ['status', statusName(r.status)],
    ['admin_state_up', bool(r.adminStateUp)],
    ['external_gateway_network_id', gw?.networkId ?? ''],
    ['enable_snat', gw ? bool(gw.enableSnat) : ''],
    ['external_fixed_ips', lines((gw?.externalFixedIps ?? []).map((f) => `${f.ipAddress} (subnet ${f.subnetId})`))],
    ['gateway_port_id', r.gatewayPortId],
    ['interfaces', lines(r.interfaces.map((i) => `subnet ${i.subnetId} port ${i.portId}`))],
    ['routes', lines(r.routes.map((x) => `${x.destination} via ${x.nexthop}`))],
    ...trailer(r, time),
  ];
}

const show = (ctx: Context, r: Router): void => printOne(ctx, r, Router.toJSON, describeRouter);

function describeInterface(i: RouterInterfaceInfo): [string, string][] {
  return [
    ['router_id', i.routerId],
    ['subnet_id', i.subnetId],
    ['port_id', i.portId],
    ['project_id', i.projectId],
  ];
}

const GATEWAY: OptionSpec = { name: 'external-gateway', type: 'string', value: 'NET', help: 'external network for the gateway (id or name)' };

const create: Command = {
  summary: 'create a router',
  positionals: [{ name: 'NAME', required: true }],
  options: [GATEWAY, { name: 'disable-snat', type: 'boolean', help: 'no source NAT through the gateway' }, opt.description, opt.adminDown, opt.tag],
  async run(ctx, args) {
    const router = Router.fromPartial({ name: args.positional(0), description: args.str('description') ?? '', tags: args.list('tag') });
    if (args.flag('admin-down')) router.adminStateUp = false;
    const gw = args.str('external-gateway');
    if (gw !== undefined) {
      router.externalGateway = ExternalGateway.fromPartial({ networkId: await resolveId(ctx, 'network', gw) });
      if (args.flag('disable-snat')) router.externalGateway.enableSnat = false;
    }
    show(ctx, await ctx.api.createRouter({ router }));
  },
};

const list: Command = {
  summary: 'list routers',
  positionals: [],
  options: [{ name: 'name', type: 'string', value: 'NAME', help: 'only routers with this name' }, opt.projectFilter, ...LIST_OPTIONS],
  exclusive: LIST_EXCLUSIVE,
  async run(ctx, args) {
    const base = ListRoutersRequest.fromPartial({ name: args.str('name') ?? '', projectId: args.str('project-id') ?? '', tags: args.list('tag') });
    const items = await collect(ctx, args, 'routers', async (pageSize, pageToken) => {
      const r = await ctx.api.listRouters({ ...base, pageSize, pageToken });
      return { items: r.routers, next: r.nextPageToken };
    });
    printList(ctx, items, Router.toJSON, ['ID', 'NAME', 'STATUS', 'GATEWAY NETWORK', 'INTERFACES', 'ROUTES'], (r) => [
      r.id,
      r.name,
      statusName(r.status),
      r.externalGateway?.networkId ?? '',
      String(r.interfaces.length),
      String(r.routes.length),
    ]);
  },
};

const showCmd: Command = showCommand('router', (ctx, req) => ctx.api.getRouter(req), show);

const updateOptions: OptionSpec[] = [
  opt.name,
  opt.description,
  { name: 'route', type: 'string', value: 'DEST,NEXTHOP', repeatable: true, help: 'replace the static routes (repeatable)' },
  { name: 'clear-routes', type: 'boolean', help: 'remove all static routes' },
  { ...GATEWAY, help: 'set (or move) the external gateway (id or name)' },
  { name: 'clear-gateway', type: 'boolean', help: 'remove the external gateway' },
  { name: 'enable-snat', type: 'boolean', help: 'source NAT through the gateway' },
  { name: 'disable-snat', type: 'boolean', help: 'no source NAT through the gateway' },
  opt.adminUp,
  opt.adminDown,
  opt.tagsReplace,
  opt.clearTags,
  opt.revision,
];

const update: Command = {
  summary: 'change a router (only the fields given)',
  positionals: ID_ARG,
  options: updateOptions,
  exclusive: [['route', 'clear-routes'], ['external-gateway', 'clear-gateway'], ['enable-snat', 'disable-snat'], ['clear-gateway', 'enable-snat', 'disable-snat'], ['admin-up', 'admin-down'], ['tag', 'clear-tags']],
  async run(ctx, args, topic) {
    const mask = new Mask();
    const router = Router.fromPartial({ revisionNumber: args.int('revision') ?? 0 });
    const name = args.str('name');
    if (name !== undefined) { router.name = name; mask.add('name'); }
    const description = args.str('description');
    if (description !== undefined) { router.description = description; mask.add('description'); }
    if (args.has('route') || args.flag('clear-routes')) { router.routes = args.list('route').map((r) => parseRoute('route', r, topic)); mask.add('routes'); }
    const admin = adminState(args);
    if (admin !== undefined) { router.adminStateUp = admin; mask.add('admin_state_up'); }
    const snat = args.flag('enable-snat') ? true : args.flag('disable-snat') ? false : undefined;
    const gatewayChange = args.has('external-gateway') || args.flag('clear-gateway') || snat !== undefined;
    if (gatewayChange) mask.add('external_gateway');
    const tags = mask.tags(args);
    if (tags) router.tags = tags;
    const updateMask = mask.require(topic, flagNames(updateOptions));

    router.id = await resolveId(ctx, 'router', args.positional(0)!);
    if (gatewayChange && !args.flag('clear-gateway')) {
      const ref = args.str('external-gateway');
      let networkId: string;
      if (ref !== undefined) {
        networkId = await resolveId(ctx, 'network', ref);
      } else {
        // Only SNAT changes: keep the current gateway network.
        networkId = (await ctx.api.getRouter({ id: router.id })).externalGateway?.networkId ?? '';
        if (!networkId) throw new CliError('FAILED_PRECONDITION', `router ${router.id} has no external gateway; give --external-gateway NET`);
      }
      router.externalGateway = ExternalGateway.fromPartial({ networkId, enableSnat: snat });
    }
    show(ctx, await ctx.api.updateRouter({ router, updateMask }));
  },
};

const del: Command = deleteCommand('router', 'delete a router (it must have no interfaces)', (ctx, req) => ctx.api.deleteRouter(req));

const IFACE_ARGS = {
  positionals: [{ name: 'ROUTER', required: true, help: 'router id or name' }],
  options: [
    { name: 'subnet', type: 'string', value: 'SUBNET', help: 'subnet id or name (the router takes its gateway address)' },
    { name: 'port', type: 'string', value: 'PORT', help: 'port id or name (an unused port with one fixed IP)' },
  ] satisfies OptionSpec[],
  exclusive: [['subnet', 'port']],
};

async function interfaceRequest(ctx: Context, args: Parsed, topic: string): Promise<{ routerId: string; subnetId: string; portId: string }> {
  if (!args.has('subnet') && !args.has('port')) throw new UsageError('give --subnet ID or --port ID', topic);
  return {
    routerId: await resolveId(ctx, 'router', args.positional(0)!),
    subnetId: args.has('subnet') ? await resolveId(ctx, 'subnet', args.str('subnet')!) : '',
    portId: args.has('port') ? await resolveId(ctx, 'port', args.str('port')!) : '',
  };
}

const addInterface: Command = {
  summary: 'attach a subnet (or port) to a router',
  ...IFACE_ARGS,
  async run(ctx, args, topic) {
    const info = await ctx.api.addRouterInterface(await interfaceRequest(ctx, args, topic));
    printOne(ctx, info, RouterInterfaceInfo.toJSON, describeInterface);
  },
};

const removeInterface: Command = {
  summary: 'detach a subnet (or port) from a router',
  ...IFACE_ARGS,
  async run(ctx, args, topic) {
    const info = await ctx.api.removeRouterInterface(await interfaceRequest(ctx, args, topic));
    printOne(ctx, info, RouterInterfaceInfo.toJSON, describeInterface);
  },
};

export const routerResource: Resource = {
  name: 'router',
  aliases: [],
  summary: 'L3 routers: interfaces, external gateways, static routes',
  verbs: { create, list, show: showCmd, update, delete: del, 'add-interface': addInterface, 'remove-interface': removeInterface },
};
