/** weft port create|list|show|update|delete */
import { ListPortsRequest } from '../../../proto/gen/weft/network/v1/network_service';
import { Port, PortBinding, type AllowedAddressPair, type FixedIp } from '../../../proto/gen/weft/network/v1/resources';
import { choice, keyValues, type OptionSpec, type Parsed } from '../args';
import type { Context } from '../context';
import { bool, lines, map, portStatusName, time, vnicTypeName, VNIC_TYPES } from '../format';
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
  resolveOpt,
  trailer,
  type Command,
  type Resource, deleteCommand, showCommand } from './common';
import { portPlugVerbs } from './port-plug';

export function describePort(p: Port): [string, string][] {
  const b = p.binding;
  return [
    ['id', p.id],
    ['name', p.name],
    ['description', p.description],
    ['network_id', p.networkId],
    ['mac_address', p.macAddress],
    ['fixed_ips', lines(p.fixedIps.map((f) => `${f.ipAddress} (subnet ${f.subnetId})`))],
    ['device_id', p.deviceId],
    ['device_owner', p.deviceOwner],
    ['status', portStatusName(p.status)],
    ['status_reason', p.statusReason],
    ['admin_state_up', bool(p.adminStateUp)],
    ['port_security_enabled', bool(p.portSecurityEnabled)],
    ['security_group_ids', lines(p.securityGroupIds)],
    ['allowed_address_pairs', lines(p.allowedAddressPairs.map((a) => `${a.ipAddress} ${a.macAddress}`.trim()))],
    ['binding_host_id', b?.hostId ?? ''],
    ['binding_vnic_type', b ? vnicTypeName(b.vnicType) : ''],
    ['binding_vif_type', b?.vifType ?? ''],
    ['binding_vif_details', b ? map(b.vifDetails) : ''],
    ['binding_profile', b ? map(b.profile) : ''],
    ...trailer(p, time),
  ];
}

const show = (ctx: Context, p: Port): void => printOne(ctx, p, Port.toJSON, describePort);

/** --fixed-ip subnet=ID,ip=ADDR (either part optional; a bare address means ip=ADDR). */
async function fixedIps(ctx: Context, args: Parsed, topic: string): Promise<FixedIp[]> {
  const out: FixedIp[] = [];
  for (const text of args.list('fixed-ip')) {
    const kv = text.includes('=') ? keyValues('fixed-ip', text, ['subnet', 'ip'], topic) : new Map([['ip', text]]);
    out.push({ subnetId: (await resolveOpt(ctx, 'subnet', kv.get('subnet'))) ?? '', ipAddress: kv.get('ip') ?? '' });
  }
  return out;
}

function addressPairs(args: Parsed): AllowedAddressPair[] {
  return args.list('allowed-address').map((text) => {
    const [ip, mac] = text.split(',', 2);
    return { ipAddress: ip.trim(), macAddress: (mac ?? '').trim() };
  });
}

async function securityGroups(ctx: Context, args: Parsed): Promise<string[]> {
  const out: string[] = [];
  for (const ref of args.list('security-group')) out.push(await resolveId(ctx, 'security group', ref));
  return out;
}

const FIXED_IP: OptionSpec = { name: 'fixed-ip', type: 'string', value: 'subnet=ID,ip=ADDR', repeatable: true, help: 'address to assign (repeatable; either part may be left out)' };
const SG: OptionSpec = { name: 'security-group', type: 'string', value: 'SG', repeatable: true, help: 'security group id or name (repeatable)' };
const NO_SG: OptionSpec = { name: 'no-security-groups', type: 'boolean', help: 'no security groups (port security stays on: no traffic is allowed)' };
const PAIR: OptionSpec = { name: 'allowed-address', type: 'string', value: 'IP[,MAC]', repeatable: true, help: 'extra address (or CIDR) the port may send from (repeatable)' };
const HOST: OptionSpec = { name: 'host', type: 'string', value: 'HOST', help: 'bind the port to this host (admin)' };
const VNIC: OptionSpec = { name: 'vnic-type', type: 'string', value: 'normal|direct|macvtap', help: 'VNIC type of the binding' };
const DEVICE_ID: OptionSpec = { name: 'device-id', type: 'string', value: 'ID', help: 'id of the device using the port' };
const DEVICE_OWNER: OptionSpec = { name: 'device-owner', type: 'string', value: 'OWNER', help: 'kind of device, e.g. compute:nova' };

const create: Command = {
  summary: 'create a port on a network',
  positionals: [{ name: 'NAME', required: false }],
  options: [
    { name: 'network', type: 'string', value: 'NET', required: true, help: 'network id or name' },
    FIXED_IP,
    { name: 'mac', type: 'string', value: 'MAC', help: 'MAC address (default: generated)' },
    DEVICE_ID,
    DEVICE_OWNER,
    SG,
    NO_SG,
    { name: 'disable-port-security', type: 'boolean', help: 'no port security (and so no security groups or address pairs)' },
    PAIR,
    HOST,
    VNIC,
    opt.description,
    opt.adminDown,
    opt.tag,
  ],
  exclusive: [['security-group', 'no-security-groups']],
  async run(ctx, args, topic) {
    const port = Port.fromPartial({
      name: args.positional(0) ?? '',
      description: args.str('description') ?? '',
      macAddress: args.str('mac') ?? '',
      deviceId: args.str('device-id') ?? '',
      deviceOwner: args.str('device-owner') ?? '',
      allowedAddressPairs: addressPairs(args),
      tags: args.list('tag'),
    });
    if (args.flag('disable-port-security')) port.portSecurityEnabled = false;
    if (args.flag('admin-down')) port.adminStateUp = false;
    const vnic = args.str('vnic-type');
    if (args.has('host') || vnic !== undefined) {
      port.binding = PortBinding.fromPartial({ hostId: args.str('host') ?? '', vnicType: vnic === undefined ? 0 : choice('vnic-type', vnic, VNIC_TYPES, topic) });
    }
    port.networkId = await resolveId(ctx, 'network', args.str('network')!);
    port.fixedIps = await fixedIps(ctx, args, topic);
    port.securityGroupIds = await securityGroups(ctx, args);
    const created = await ctx.api.createPort({ port, noSecurityGroups: args.flag('no-security-groups') });
    show(ctx, created);
  },
};

const list: Command = {
  summary: 'list ports',
  positionals: [],
  options: [
    { name: 'name', type: 'string', value: 'NAME', help: 'only ports with this name' },
    { name: 'network', type: 'string', value: 'NET', help: 'only ports on this network (id or name)' },
    { name: 'subnet', type: 'string', value: 'SUBNET', help: 'only ports with an address on this subnet (id or name)' },
    { name: 'device-id', type: 'string', value: 'ID', help: 'only ports of this device' },
    { name: 'device-owner', type: 'string', value: 'OWNER', help: 'only ports with this device owner' },
    { name: 'host', type: 'string', value: 'HOST', help: 'only ports bound to this host' },
    { name: 'security-group', type: 'string', value: 'SG', help: 'only ports in this security group (id or name)' },
    { name: 'mac', type: 'string', value: 'MAC', help: 'only the port with this MAC address' },
    { name: 'ip', type: 'string', value: 'ADDR', help: 'only ports with this fixed IP' },
    opt.projectFilter,
    ...LIST_OPTIONS,
  ],
  exclusive: LIST_EXCLUSIVE,
  async run(ctx, args) {
    const base = ListPortsRequest.fromPartial({
      name: args.str('name') ?? '',
      networkId: (await resolveOpt(ctx, 'network', args.str('network'))) ?? '',
      subnetId: (await resolveOpt(ctx, 'subnet', args.str('subnet'))) ?? '',
      deviceId: args.str('device-id') ?? '',
      deviceOwner: args.str('device-owner') ?? '',
      hostId: args.str('host') ?? '',
      securityGroupId: (await resolveOpt(ctx, 'security group', args.str('security-group'))) ?? '',
      macAddress: args.str('mac') ?? '',
      ipAddress: args.str('ip') ?? '',
      projectId: args.str('project-id') ?? '',
      tags: args.list('tag'),
    });
    const items = await collect(ctx, args, 'ports', async (pageSize, pageToken) => {
      const r = await ctx.api.listPorts({ ...base, pageSize, pageToken });
      return { items: r.ports, next: r.nextPageToken };
    });
    printList(ctx, items, Port.toJSON, ['ID', 'NAME', 'NETWORK', 'MAC', 'FIXED IPS', 'STATUS'], (p) => [
      p.id,
      p.name,
      p.networkId,
      p.macAddress,
      lines(p.fixedIps.map((f) => f.ipAddress)),
      portStatusName(p.status),
    ]);
  },
};

const showCmd: Command = showCommand('port', (ctx, req) => ctx.api.getPort(req), show);

const updateOptions: OptionSpec[] = [
  opt.name,
  opt.description,
  DEVICE_ID,
  DEVICE_OWNER,
  { ...SG, help: 'replace the security groups (repeatable)' },
  { ...NO_SG, help: 'remove all security groups' },
  { name: 'enable-port-security', type: 'boolean', help: 'turn port security on (the default group if none is given)' },
  { name: 'disable-port-security', type: 'boolean', help: 'turn port security off (also clears groups and address pairs)' },
  { ...PAIR, help: 'replace the allowed address pairs (repeatable)' },
  { name: 'clear-allowed-addresses', type: 'boolean', help: 'remove all allowed address pairs' },
  { ...FIXED_IP, help: 'replace the fixed IPs (repeatable; addresses kept are not reallocated)' },
  { name: 'mac', type: 'string', value: 'MAC', help: 'new MAC address (admin; unbound ports only)' },
  HOST,
  VNIC,
  { name: 'unbind', type: 'boolean', help: 'clear the binding host (admin)' },
  opt.adminUp,
  opt.adminDown,
  opt.tagsReplace,
  opt.clearTags,
  opt.revision,
];

const update: Command = {
  summary: 'change a port (only the fields given)',
  positionals: ID_ARG,
  options: updateOptions,
  exclusive: [
    ['security-group', 'no-security-groups'],
    ['enable-port-security', 'disable-port-security'],
    ['allowed-address', 'clear-allowed-addresses'],
    ['host', 'unbind'],
    ['admin-up', 'admin-down'],
    ['tag', 'clear-tags'],
  ],
  async run(ctx, args, topic) {
    const mask = new Mask();
    const port = Port.fromPartial({ revisionNumber: args.int('revision') ?? 0 });
    const name = args.str('name');
    if (name !== undefined) { port.name = name; mask.add('name'); }
    const description = args.str('description');
    if (description !== undefined) { port.description = description; mask.add('description'); }
    const deviceId = args.str('device-id');
    if (deviceId !== undefined) { port.deviceId = deviceId; mask.add('device_id'); }
    const deviceOwner = args.str('device-owner');
    if (deviceOwner !== undefined) { port.deviceOwner = deviceOwner; mask.add('device_owner'); }
    const mac = args.str('mac');
    if (mac !== undefined) { port.macAddress = mac; mask.add('mac_address'); }
    const admin = adminState(args);
    if (admin !== undefined) { port.adminStateUp = admin; mask.add('admin_state_up'); }
    if (args.flag('enable-port-security')) { port.portSecurityEnabled = true; mask.add('port_security_enabled'); }
    if (args.flag('disable-port-security')) {
      port.portSecurityEnabled = false;
      mask.add('port_security_enabled');
      mask.add('security_group_ids');
      mask.add('allowed_address_pairs');
    }
    if (args.has('security-group') || args.flag('no-security-groups')) mask.add('security_group_ids');
    if (args.has('allowed-address') || args.flag('clear-allowed-addresses')) { port.allowedAddressPairs = addressPairs(args); mask.add('allowed_address_pairs'); }
    if (args.has('fixed-ip')) mask.add('fixed_ips');
    const vnic = args.str('vnic-type');
    const vnicType = vnic === undefined ? undefined : choice('vnic-type', vnic, VNIC_TYPES, topic);
    const bindingChange = args.has('host') || args.flag('unbind') || vnicType !== undefined;
    if (bindingChange) mask.add('binding');
    const tags = mask.tags(args);
    if (tags) port.tags = tags;
    const updateMask = mask.require(topic, flagNames(updateOptions));

    port.id = await resolveId(ctx, 'port', args.positional(0)!);
    if (args.has('fixed-ip')) port.fixedIps = await fixedIps(ctx, args, topic);
    port.securityGroupIds = await securityGroups(ctx, args);
    if (bindingChange) {
      // The binding is replaced as a whole: keep whichever half was not given.
      const needCurrent = !args.flag('unbind') && (!args.has('host') || vnicType === undefined);
      const cur = needCurrent ? (await ctx.api.getPort({ id: port.id })).binding : undefined;
      port.binding = PortBinding.fromPartial({
        hostId: args.flag('unbind') ? '' : args.str('host') ?? cur?.hostId ?? '',
        vnicType: vnicType ?? cur?.vnicType ?? 0,
        profile: cur?.profile ?? {},
      });
    }
    show(ctx, await ctx.api.updatePort({ port, updateMask }));
  },
};

const del: Command = deleteCommand('port', 'delete a port', (ctx, req) => ctx.api.deletePort(req));

export const portResource: Resource = {
  name: 'port',
  aliases: [],
  summary: 'attachment points (addresses, MAC, security) on networks',
  verbs: { create, list, show: showCmd, update, delete: del, ...portPlugVerbs },
};
