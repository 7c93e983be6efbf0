/**
 * `weft port plug|unplug` up to the point where commands would run: what it fetches, and how a port
 * that cannot be plugged is refused. (Plugging for real is in test/dataplane/plug.test.ts.)
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { Network, Port, PortBinding, Subnet } from '../../../proto/gen/weft/network/v1/resources';
import { parseArgs } from '../../../tools/cli/args';
import { portPlugVerbs } from '../../../tools/cli/commands/port-plug';
import type { Context } from '../../../tools/cli/context';
import { CliError } from '../../../tools/cli/errors';

const PORT_ID = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';

/** An in-memory network API holding one network, one subnet and (maybe) the port. */
function fakeApi(port: Port | undefined) {
  const calls: string[] = [];
  const notFound = (): never => {
    throw Object.assign(new Error('not found'), { code: GrpcStatus.NOT_FOUND, details: 'port not found', metadata: undefined });
  };
  const api = {
    getPort: async ({ id }: { id: string }) => (calls.push(`getPort ${id}`), port && id === port.id ? port : notFound()),
    getNetwork: async ({ id }: { id: string }) => (calls.push(`getNetwork ${id}`), Network.fromPartial({ id, mtu: 1450 })),
    getSubnet: async ({ id }: { id: string }) => (calls.push(`getSubnet ${id}`), Subnet.fromPartial({ id, cidr: '10.0.0.0/24', gatewayIp: '10.0.0.1' })),
  };
  const out: string[] = [];
  const ctx = { api, json: false, out: (t: string) => out.push(t), err: () => undefined } as unknown as Context;
  return { ctx, calls, out };
}

function boundPort(binding: Partial<PortBinding>, statusReason = ''): Port {
  return Port.fromPartial({
    id: PORT_ID,
    networkId: 'net-1',
    macAddress: 'fa:16:3e:00:00:01',
    fixedIps: [{ subnetId: 'sub-1', ipAddress: '10.0.0.5' }],
    statusReason,
    binding: PortBinding.fromPartial({ hostId: 'host-a', ...binding }),
  });
}

async function run(verb: 'plug' | 'unplug', ctx: Context, argv: string[]): Promise<unknown> {
  const cmd = portPlugVerbs[verb];
  const { parsed } = parseArgs(argv, cmd.options, { topic: `port ${verb}` });
  try {
    await cmd.run(ctx, parsed, `port ${verb}`);
    return undefined;
  } catch (e) {
    return e;
  }
}

describe('weft port plug', () => {
  test('a port whose binding failed is refused with FAILED_PRECONDITION, quoting the reason', async () => {
    const { ctx, calls } = fakeApi(boundPort({ vifType: 'binding_failed' }, 'no alive agent can bind the port on host host-a'));
    const e = await run('plug', ctx, [PORT_ID, '--instance', 'vm1']);
    expect(e).toBeInstanceOf(CliError);
    expect((e as CliError).codeName).toBe('FAILED_PRECONDITION');
    expect((e as CliError).message).toContain('no alive agent can bind the port on host host-a');
    // It read the port, its network and its subnets before deciding.
    expect(calls.sort()).toEqual([`getNetwork net-1`, `getPort ${PORT_ID}`, `getSubnet sub-1`]);
  });

  test('an OVS-bound port is refused', async () => {
    const { ctx } = fakeApi(boundPort({ vifType: 'ovs' }));
    const e = await run('plug', ctx, [PORT_ID, '--instance', 'vm1']);
    expect((e as CliError).codeName).toBe('FAILED_PRECONDITION');
    expect((e as CliError).message).toMatch(/vif_type "ovs"/);
  });

  test('a malformed instance name is INVALID_ARGUMENT, before anything runs', async () => {
    const { ctx } = fakeApi(boundPort({ vifType: 'bridge' }));
    const e = await run('plug', ctx, [PORT_ID, '--instance', '../etc']);
    expect((e as CliError).codeName).toBe('INVALID_ARGUMENT');
  });
});

describe('weft port unplug', () => {
  test('a malformed host namespace is INVALID_ARGUMENT (the tap name comes from the port)', async () => {
    const { ctx } = fakeApi(boundPort({ vifType: 'bridge', vifDetails: { tap_name: 'tapcustom' } }));
    const e = await run('unplug', ctx, [PORT_ID, '--instance', 'vm1', '--host-netns', 'a/b']);
    expect((e as CliError).codeName).toBe('INVALID_ARGUMENT');
  });
});
