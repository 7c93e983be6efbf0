/**
 * weft port plug|unplug: the compute side of a port, run on the port's host. It fetches the bound
 * port, its network and subnets, and plugs an instance (a network namespace) into it with
 * dataplane/plug. Needs root (it creates namespaces and links with iproute2).
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Port, Subnet } from '../../../proto/gen/weft/network/v1/resources';
import { PlugError, plugInstance, portTapName, specFromPort, unplugInstance, type PlugErrorCode, type PlugSpec } from '../../../dataplane/plug/plug';
import { tapName } from '../../../dataplane/linuxbridge/names';
import type { OptionSpec } from '../args';
import type { Context } from '../context';
import { CliError, isServiceError } from '../errors';
import { jsonDoc, lines, renderKeyValue } from '../format';
import { resolveId, UUID_RE, type Command } from './common';

const INSTANCE: OptionSpec = { name: 'instance', type: 'string', value: 'NETNS', required: true, help: 'network namespace standing for the instance (created when missing)' };
const HOST_NETNS: OptionSpec = { name: 'host-netns', type: 'string', value: 'NETNS', help: "namespace holding the port's host side (default: the current one)" };
const PORT_ARG = [{ name: 'PORT', required: true, help: 'port id (or unique name)' }];

/** Plugging errors read like API errors: the code says whose move it is. */
const CODE_NAMES: Record<PlugErrorCode, string> = {
  NOT_BOUND: 'FAILED_PRECONDITION',
  BINDING_FAILED: 'FAILED_PRECONDITION',
  UNSUPPORTED_VIF: 'FAILED_PRECONDITION',
  INVALID_PORT: 'FAILED_PRECONDITION',
  INVALID_SPEC: 'INVALID_ARGUMENT',
  IFNAME_IN_USE: 'ALREADY_EXISTS',
  COMMAND_FAILED: 'INTERNAL',
};

async function asCliError<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof PlugError) throw new CliError(CODE_NAMES[e.code], e.message);
    throw e;
  }
}

async function subnetsOf(ctx: Context, port: Port): Promise<Subnet[]> {
  const ids = [...new Set(port.fixedIps.map((f) => f.subnetId))];
  return Promise.all(ids.map((id) => ctx.api.getSubnet({ id })));
}

function describeSpec(port: Port, spec: PlugSpec, created: boolean): [string, string][] {
  return [
    ['port_id', port.id],
    ['instance', spec.instance],
    ['host_netns', spec.hostNetns ?? '(current)'],
    ['tap', spec.tap],
    ['ifname', spec.ifname ?? 'eth0'],
    ['mac_address', spec.mac],
    ['mtu', String(spec.mtu)],
    ['addresses', lines(spec.addresses.map((a) => `${a.ip}/${a.prefixLength}`))],
    ['gateways', lines([spec.gateways.v4, spec.gateways.v6].filter((g): g is string => !!g))],
    ['created', created ? 'yes' : 'no (already plugged; configuration refreshed)'],
  ];
}

const plug: Command = {
  summary: 'plug an instance (a network namespace) into a bound port on this host (root)',
  positionals: PORT_ARG,
  options: [INSTANCE, HOST_NETNS],
  notes: [
    'The port must be bound to this host with vif_type "bridge". The instance gets a veth whose',
    "inside end (eth0) has the port's MAC, MTU, fixed IPs and default routes; the host end is",
    'left for the node agent to put on the network\'s bridge. Plugging again is harmless.',
  ],
  async run(ctx, args) {
    const port = await ctx.api.getPort({ id: await resolveId(ctx, 'port', args.positional(0)!) });
    const [network, subnets] = await Promise.all([ctx.api.getNetwork({ id: port.networkId }), subnetsOf(ctx, port)]);
    const { spec, result } = await asCliError(async () => {
      const spec = specFromPort(port, subnets, network, { instance: args.str('instance')!, hostNetns: args.str('host-netns') });
      return { spec, result: await plugInstance(spec) };
    });
    ctx.out(ctx.json ? jsonDoc({ portId: port.id, ...spec, created: result.created, commands: result.commands }) : renderKeyValue(describeSpec(port, spec, result.created)));
  },
};

/** The port's tap name; for a port already deleted, the naming convention's (if given an id). */
async function tapOf(ctx: Context, ref: string): Promise<{ portId: string; tap: string }> {
  try {
    const port = await ctx.api.getPort({ id: await resolveId(ctx, 'port', ref) });
    return { portId: port.id, tap: portTapName(port) };
  } catch (e) {
    if (isServiceError(e) && e.code === GrpcStatus.NOT_FOUND && UUID_RE.test(ref)) return { portId: ref, tap: tapName(ref) };
    throw e;
  }
}

const unplug: Command = {
  summary: 'unplug an instance from a port on this host (root)',
  positionals: PORT_ARG,
  options: [{ ...INSTANCE, help: 'network namespace standing for the instance' }, HOST_NETNS, { name: 'delete-instance', type: 'boolean', help: 'also delete the instance namespace' }],
  notes: ['Works for a port already deleted from the API too, when given its id. Unplugging twice is harmless.'],
  async run(ctx, args) {
    const { portId, tap } = await tapOf(ctx, args.positional(0)!);
    const spec = { instance: args.str('instance')!, hostNetns: args.str('host-netns'), tap, deleteInstance: args.flag('delete-instance') };
    const result = await asCliError(() => unplugInstance(spec));
    if (ctx.json) ctx.out(jsonDoc({ portId, ...spec, commands: result.commands }));
    else ctx.out(result.commands.length ? `Unplugged port ${portId} (${tap}) from ${spec.instance}` : `Nothing to unplug: ${tap} is not plugged${spec.deleteInstance ? ` and ${spec.instance} does not exist` : ''}`);
  },
};

/** The verbs port.ts adds to `weft port`. */
export const portPlugVerbs: Record<string, Command> = { plug, unplug };
