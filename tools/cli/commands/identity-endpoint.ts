/** weft endpoint register|list|delete (the service catalog) */
import { Endpoint } from '../../../proto/gen/weft/identity/v1/resources';
import { choice } from '../args';
import { printDeleted, printList, printOne, type Command, type Resource } from './common';
import { describeEndpoint } from './identity-common';

const INTERFACES: Record<string, string> = { public: 'public', internal: 'internal', admin: 'admin' };

const register: Command = {
  summary: 'add an endpoint to the service catalog (admin)',
  service: 'identity',
  positionals: [],
  options: [
    { name: 'type', type: 'string', value: 'TYPE', required: true, help: 'service type, e.g. network, identity, image' },
    { name: 'name', type: 'string', value: 'NAME', required: true, help: 'service name, e.g. weft-network' },
    { name: 'address', type: 'string', value: 'HOST:PORT', required: true, help: 'host:port for gRPC, or a URL' },
    { name: 'region', type: 'string', value: 'REGION', help: 'region (default RegionOne)' },
    { name: 'interface', type: 'string', value: 'public|internal|admin', help: 'who the address is for (default public)' },
  ],
  async run(ctx, args, topic) {
    const iface = args.str('interface');
    const endpoint = Endpoint.fromPartial({
      serviceType: args.str('type'),
      serviceName: args.str('name'),
      address: args.str('address'),
      region: args.str('region') ?? '',
      interface: iface === undefined ? '' : choice('interface', iface, INTERFACES, topic),
    });
    printOne(ctx, await ctx.identity.registerEndpoint({ endpoint }), Endpoint.toJSON, describeEndpoint);
  },
};

const list: Command = {
  summary: 'list endpoints',
  service: 'identity',
  positionals: [],
  options: [
    { name: 'type', type: 'string', value: 'TYPE', help: 'only this service type' },
    { name: 'region', type: 'string', value: 'REGION', help: 'only this region' },
  ],
  async run(ctx, args) {
    const { endpoints } = await ctx.identity.listEndpoints({ serviceType: args.str('type') ?? '', region: args.str('region') ?? '' });
    printList(ctx, endpoints, Endpoint.toJSON, ['ID', 'TYPE', 'NAME', 'REGION', 'INTERFACE', 'ADDRESS'], (e) => [e.id, e.serviceType, e.serviceName, e.region, e.interface, e.address]);
  },
};

const del: Command = {
  summary: 'remove an endpoint from the catalog (admin)',
  service: 'identity',
  positionals: [{ name: 'ID', required: true, help: 'endpoint id' }],
  options: [],
  async run(ctx, args) {
    const id = args.positional(0)!;
    await ctx.identity.deleteEndpoint({ id });
    printDeleted(ctx, 'endpoint', id);
  },
};

export const endpointResource: Resource = {
  name: 'endpoint',
  aliases: [],
  summary: 'service catalog endpoints',
  verbs: { register, list, delete: del },
};
