/**
 * Compute-side plugging on a real kernel (root). The test plays the node agent's part itself
 * (putting the taps on a bridge), so only the plugging library is under test:
 *
 *                         <prefix>-host
 *            ┌──────────────────────────────────────┐
 *            │                br0                   │  (the test enslaves the taps)
 *            │        tapA ────┘ └──── tapB         │
 *            └─────────┼──────────────────┼─────────┘
 *                 veth │                  │ veth
 *            ┌─────────┼──────┐    ┌──────┼──────────┐
 *            │ eth0 10.77.0.11 │    │ eth0 10.77.0.12 │
 *            │  2001:db8:77::11│    │  2001:db8:77::12│
 *            │ <prefix>-i1     │    │ <prefix>-i2     │
 *            └─────────────────┘    └─────────────────┘
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { tapName } from '../../dataplane/linuxbridge/names';
import { plugInstance, unplugInstance, type PlugSpec } from '../../dataplane/plug/plug';
import { Network, Port, PortBinding, Subnet } from '../../proto/gen/weft/network/v1/resources';
import { parseArgs } from '../../tools/cli/args';
import { portPlugVerbs } from '../../tools/cli/commands/port-plug';
import type { Context } from '../../tools/cli/context';
import { describeIfCapable } from './harness/capabilities';
import { ip, RunScope, sweepStale } from './harness/netns';
import { canPing, continuousPing, ping } from './harness/traffic';

interface LinkInfo {
  ifname: string;
  address: string;
  mtu: number;
  master?: string;
  operstate: string;
}

async function link(ns: string, dev: string): Promise<LinkInfo | undefined> {
  const r = await ip(ns, ['-j', 'link', 'show', 'dev', dev], { allowFailure: true });
  return r.code === 0 ? (JSON.parse(r.stdout) as LinkInfo[])[0] : undefined;
}

/** A network API serving one bound port (until deleted), its network and subnet; output collected. */
function cliContext(port: Port): { ctx: Context; out: string[]; deletePort(): void } {
  let current: Port | undefined = port;
  const out: string[] = [];
  const api = {
    getPort: async ({ id }: { id: string }) => {
      if (current && id === current.id) return current;
      throw Object.assign(new Error('not found'), { code: GrpcStatus.NOT_FOUND, details: 'port not found' });
    },
    getNetwork: async ({ id }: { id: string }) => Network.fromPartial({ id, mtu: 1400 }),
    getSubnet: async ({ id }: { id: string }) => Subnet.fromPartial({ id, ipVersion: 4, cidr: '10.77.0.0/24', gatewayIp: '10.77.0.1' }),
  };
  const ctx = { api, json: false, out: (t: string) => out.push(t), err: () => undefined } as unknown as Context;
  return { ctx, out, deletePort: () => (current = undefined) };
}

async function cli(ctx: Context, verb: 'plug' | 'unplug', argv: string[]): Promise<void> {
  const cmd = portPlugVerbs[verb];
  await cmd.run(ctx, parseArgs(argv, cmd.options).parsed, `port ${verb}`);
}

async function netnsExists(name: string): Promise<boolean> {
  const out = (await ip(null, ['-j', 'netns', 'list'])).stdout;
  return out.trim() !== '' && (JSON.parse(out) as { name: string }[]).some((n) => n.name === name);
}

describeIfCapable(
  'plugging instances into a host (dataplane/plug)',
  () => {
    let scope: RunScope;
    let host: string;
    let a: PlugSpec;
    let b: PlugSpec;

    beforeAll(async () => {
      await sweepStale();
      scope = RunScope.open();
      host = await scope.addNetns('host');
      await ip(host, ['link', 'add', 'br0', 'type', 'bridge']);
      await ip(host, ['link', 'set', 'br0', 'up']);
      const spec = (n: number, portId: string): PlugSpec => ({
        instance: scope.adopt(scope.name(`i${n}`)), // plugInstance creates it; the scope removes it
        hostNetns: host,
        tap: tapName(portId),
        mac: `fa:16:3e:00:77:${String(10 + n)}`,
        mtu: 1450,
        addresses: [
          { ip: `10.77.0.${10 + n}`, prefixLength: 24 },
          { ip: `2001:db8:77::${10 + n}`, prefixLength: 64 },
        ],
        gateways: { v4: '10.77.0.1', v6: '2001:db8:77::1' },
      });
      a = spec(1, 'aaaaaaaa-0000-4000-8000-000000000001');
      b = spec(2, 'bbbbbbbb-0000-4000-8000-000000000002');
    }, 30_000);

    afterAll(async () => {
      await scope?.cleanup();
    }, 30_000);

    test('plugging creates the instance and a veth; the host end is up and on no bridge', async () => {
      const r = await plugInstance(a);
      expect(r.created).toBe(true);
      expect(await netnsExists(a.instance)).toBe(true);
      const tap = await link(host, a.tap);
      expect(tap).toMatchObject({ mtu: 1450, address: 'fe:16:3e:00:77:11' });
      expect(tap?.master).toBeUndefined();
      expect(await link(a.instance, 'eth0')).toMatchObject({ address: 'fa:16:3e:00:77:11', mtu: 1450 });
      const routes = (await ip(a.instance, ['-4', 'route', 'show', 'default'])).stdout;
      expect(routes).toContain('default via 10.77.0.1 dev eth0');
      expect((await ip(a.instance, ['-6', 'route', 'show', 'default'])).stdout).toContain('default via 2001:db8:77::1 dev eth0');
      // No IPv6 link-local on the host end (addrgenmode none).
      expect((await ip(host, ['-6', 'addr', 'show', 'dev', a.tap])).stdout.trim()).toBe('');
    }, 20_000);

    test('two plugged instances on one bridge reach each other (IPv4 and IPv6)', async () => {
      expect((await plugInstance(b)).created).toBe(true);
      for (const s of [a, b]) await ip(host, ['link', 'set', s.tap, 'master', 'br0']);
      expect(await canPing(a.instance, '10.77.0.12', { deadlineMs: 5000 })).toBe(true);
      expect(await ping(b.instance, '10.77.0.11', { count: 3, intervalMs: 50 })).toEqual({ sent: 3, received: 3 });
      expect(await canPing(a.instance, '2001:db8:77::12', { deadlineMs: 5000 })).toBe(true);
    }, 30_000);

    test('plugging again with the same spec is harmless: nothing created, bridge kept, no packet lost', async () => {
      const cp = continuousPing(scope, b.instance, '10.77.0.11', 20);
      await new Promise((r) => setTimeout(r, 200));
      const again = await plugInstance(a);
      await new Promise((r) => setTimeout(r, 200));
      const tally = await cp.stop(300);
      expect(again.created).toBe(false);
      expect(again.commands.filter((c) => c.includes('add') || c.includes('del'))).toEqual([]);
      expect((await link(host, a.tap))?.master).toBe('br0');
      expect(tally.ended).toBeNull();
      expect(tally.sent).toBeGreaterThan(5);
      expect(tally.lostSeqs).toEqual([]);
    }, 30_000);

    test('unplug removes the tap and its peer; connectivity is gone; unplugging twice is fine', async () => {
      const r = await unplugInstance({ instance: a.instance, hostNetns: host, tap: a.tap });
      expect(r.commands).toEqual([['ip', '-n', host, 'link', 'del', a.tap]]);
      expect(await link(host, a.tap)).toBeUndefined();
      expect(await link(a.instance, 'eth0')).toBeUndefined();
      expect(await netnsExists(a.instance)).toBe(true);
      expect(await canPing(b.instance, '10.77.0.11', { deadlineMs: 1500 })).toBe(false);
      expect((await unplugInstance({ instance: a.instance, hostNetns: host, tap: a.tap })).commands).toEqual([]);
    }, 30_000);

    test('unplug with deleteInstance removes the namespace', async () => {
      await unplugInstance({ instance: b.instance, hostNetns: host, tap: b.tap, deleteInstance: true });
      expect(await link(host, b.tap)).toBeUndefined();
      expect(await netnsExists(b.instance)).toBe(false);
    }, 20_000);

    test('weft port plug / unplug: fetch the bound port, plug it, unplug it after the port is deleted', async () => {
      const portId = 'cccccccc-0000-4000-8000-000000000003';
      const port = Port.fromPartial({
        id: portId,
        networkId: 'net-1',
        macAddress: 'fa:16:3e:00:77:13',
        fixedIps: [{ subnetId: 'sub-1', ipAddress: '10.77.0.13' }],
        binding: PortBinding.fromPartial({ hostId: 'h', vifType: 'bridge', vifDetails: { tap_name: tapName(portId) } }),
      });
      const instance = scope.adopt(scope.name('i3'));
      const { ctx, out, deletePort } = cliContext(port);
      await cli(ctx, 'plug', [portId, '--instance', instance, '--host-netns', host]);
      expect(out.join('\n')).toMatch(/tap\s+tapcccccccc-00/);
      expect(await link(instance, 'eth0')).toMatchObject({ address: 'fa:16:3e:00:77:13', mtu: 1400 });
      expect((await ip(instance, ['-4', 'addr', 'show', 'dev', 'eth0'])).stdout).toContain('inet 10.77.0.13/24');
      deletePort();
      await cli(ctx, 'unplug', [portId, '--instance', instance, '--host-netns', host, '--delete-instance']);
      expect(out.at(-1)).toBe(`Unplugged port ${portId} (tapcccccccc-00) from ${instance}`);
      expect(await link(host, tapName(portId))).toBeUndefined();
      expect(await netnsExists(instance)).toBe(false);
    }, 20_000);

    test('a failing command is reported with its argv and stderr', async () => {
      await expect(plugInstance({ ...a, hostNetns: scope.name('nohost') })).rejects.toThrow(/host namespace .*nohost does not exist/);
      // An off-link gateway passes validation; the kernel refuses the route.
      const bad = plugInstance({ ...a, gateways: { v4: '192.0.2.1' } });
      await expect(bad).rejects.toMatchObject({ code: 'COMMAND_FAILED' });
      await expect(bad).rejects.toThrow(/ip -n \S+ -4 route replace default via 192\.0\.2\.1 dev eth0` exited 2: .+/);
    }, 20_000);
  },
  ['ip', 'ping'],
);
