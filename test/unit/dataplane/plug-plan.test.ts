import { PlugError } from '../../../dataplane/plug/errors';
import { batchCommands, hostSideMac, NOTHING_PLUGGED, planPlug, planUnplug, type PlugObservation } from '../../../dataplane/plug/plan';
import type { PlugSpec } from '../../../dataplane/plug/spec';

const V4: PlugSpec = {
  instance: 'vm1',
  tap: 'tapabcdef01234',
  mac: 'FA:16:3E:01:02:03',
  mtu: 1450,
  addresses: [{ ip: '10.0.0.5', prefixLength: 24 }],
  gateways: { v4: '10.0.0.1' },
};

const PAIRED: PlugObservation = { instanceExists: true, tap: 'paired', ifname: 'paired', addresses: [{ ip: '10.0.0.5', prefixLength: 24 }], defaultRoutes: { v4: '10.0.0.1' } };

const text = (plan: string[][]): string[] => plan.map((c) => c.join(' '));

describe('planPlug on a fresh kernel', () => {
  test('v4: namespace, veth, MAC/MTU, address, default route, in order', () => {
    expect(text(planPlug(V4))).toEqual([
      'ip netns add vm1',
      'ip -n vm1 link set lo up',
      'ip link add tapabcdef01234 mtu 1450 type veth peer name eth0 netns vm1',
      'ip link set tapabcdef01234 address fe:16:3e:01:02:03 addrgenmode none',
      'ip link set tapabcdef01234 mtu 1450 up',
      'ip -n vm1 link set eth0 address fa:16:3e:01:02:03 mtu 1450',
      'ip -n vm1 link set eth0 up',
      'ip -n vm1 addr replace 10.0.0.5/24 dev eth0',
      'ip -n vm1 -4 route replace default via 10.0.0.1 dev eth0',
    ]);
  });

  test('dual stack: v6 address without DAD and a v6 default route; addresses canonicalized', () => {
    const plan = text(
      planPlug({
        ...V4,
        addresses: [...V4.addresses, { ip: '2001:DB8:0:0::5', prefixLength: 64 }],
        gateways: { v4: '10.0.0.1', v6: '2001:db8::1' },
      }),
    );
    expect(plan).toContain('ip -n vm1 addr replace 2001:db8::5/64 dev eth0 nodad');
    expect(plan.slice(-2)).toEqual(['ip -n vm1 -4 route replace default via 10.0.0.1 dev eth0', 'ip -n vm1 -6 route replace default via 2001:db8::1 dev eth0']);
  });

  test('no gateway: no route commands', () => {
    expect(planPlug({ ...V4, gateways: {} }).some((c) => c.includes('route'))).toBe(false);
  });

  test('custom ifname is used for the peer and every instance-side command', () => {
    const plan = text(planPlug({ ...V4, ifname: 'ens3' }));
    expect(plan).toContain('ip link add tapabcdef01234 mtu 1450 type veth peer name ens3 netns vm1');
    expect(plan.filter((c) => c.includes('eth0'))).toEqual([]);
    expect(plan.at(-1)).toBe('ip -n vm1 -4 route replace default via 10.0.0.1 dev ens3');
  });

  test('host namespace: host-side commands run with -n, the namespace itself is not created', () => {
    const plan = text(planPlug({ ...V4, hostNetns: 'host1' }));
    expect(plan.slice(0, 5)).toEqual([
      'ip netns add vm1',
      'ip -n vm1 link set lo up',
      'ip -n host1 link add tapabcdef01234 mtu 1450 type veth peer name eth0 netns vm1',
      'ip -n host1 link set tapabcdef01234 address fe:16:3e:01:02:03 addrgenmode none',
      'ip -n host1 link set tapabcdef01234 mtu 1450 up',
    ]);
    expect(plan.some((c) => c.includes('netns add host1'))).toBe(false);
  });

  test('never puts the tap on a bridge (the agent does)', () => {
    expect(planPlug({ ...V4, hostNetns: 'h' }).some((c) => c.includes('master'))).toBe(false);
  });
});

describe('planPlug against what is already there', () => {
  test('existing instance namespace is reused', () => {
    expect(text(planPlug(V4, { ...NOTHING_PLUGGED, instanceExists: true }))[0]).toBe('ip -n vm1 link set lo up');
  });

  test('already plugged with the same spec: nothing is created or deleted', () => {
    const plan = text(planPlug(V4, PAIRED));
    expect(plan.filter((c) => / (add|del) /.test(c))).toEqual([]);
    expect(plan).toContain('ip -n vm1 addr replace 10.0.0.5/24 dev eth0');
  });

  test('already plugged, spec changed: stale address and default route removed', () => {
    const plan = text(planPlug({ ...V4, addresses: [{ ip: '10.0.0.6', prefixLength: 24 }], gateways: {} }, PAIRED));
    expect(plan).toContain('ip -n vm1 addr del 10.0.0.5/24 dev eth0');
    expect(plan).toContain('ip -n vm1 addr replace 10.0.0.6/24 dev eth0');
    expect(plan).toContain('ip -n vm1 -4 route del default dev eth0');
  });

  test('a stale tap (not paired with this instance) is replaced', () => {
    const plan = text(planPlug(V4, { ...NOTHING_PLUGGED, instanceExists: true, tap: 'stale' }));
    const del = plan.indexOf('ip link del tapabcdef01234');
    expect(del).toBeGreaterThan(-1);
    expect(plan[del + 1]).toBe('ip link add tapabcdef01234 mtu 1450 type veth peer name eth0 netns vm1');
  });

  test('an unrelated device with the instance-side name is refused, not deleted', () => {
    const t = (): unknown => planPlug(V4, { ...NOTHING_PLUGGED, instanceExists: true, ifname: 'foreign' });
    expect(t).toThrow(PlugError);
    expect(t).toThrow(/already has a device named eth0/);
  });
});

describe('spec validation', () => {
  test.each<[string, Partial<PlugSpec>, RegExp]>([
    ['bad MAC', { mac: 'fa:16:3e:01:02' }, /MAC/],
    ['multicast MAC', { mac: '01:00:5e:00:00:01' }, /multicast/],
    ['tap too long', { tap: 'tap0123456789abc' }, /tap/],
    ['ifname with a slash', { ifname: 'eth/0' }, /ifname/],
    ['MTU too small', { mtu: 60 }, /MTU/],
    ['bad address', { addresses: [{ ip: '10.0.0.300', prefixLength: 24 }] }, /address/],
    ['v4 prefix too long', { addresses: [{ ip: '10.0.0.3', prefixLength: 33 }] }, /prefix length/],
    ['v6 gateway given as v4', { gateways: { v6: '10.0.0.1' } }, /v6 gateway/],
    ['namespace that looks like an option', { instance: '-all' }, /instance namespace/],
    ['instance equals host', { hostNetns: 'vm1' }, /same/],
  ])('%s', (_, change, message) => {
    let err: unknown;
    try {
      planPlug({ ...V4, ...change });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PlugError);
    expect((err as PlugError).code).toBe('INVALID_SPEC');
    expect((err as PlugError).message).toMatch(message);
  });
});

describe('hostSideMac', () => {
  test('fe + the port MAC, fc when the port MAC already starts with fe', () => {
    expect(hostSideMac('fa:16:3e:aa:bb:cc')).toBe('fe:16:3e:aa:bb:cc');
    expect(hostSideMac('FE:16:3E:AA:BB:CC')).toBe('fc:16:3e:aa:bb:cc');
  });
});

describe('planUnplug', () => {
  test('deletes the tap (its peer goes with it) and, when asked, the instance', () => {
    expect(text(planUnplug({ instance: 'vm1', hostNetns: 'h1', tap: 'tapx', deleteInstance: true }, { tapExists: true, instanceExists: true }))).toEqual([
      'ip -n h1 link del tapx',
      'ip netns del vm1',
    ]);
  });

  test('keeps the instance unless asked', () => {
    expect(text(planUnplug({ instance: 'vm1', tap: 'tapx' }, { tapExists: true, instanceExists: true }))).toEqual(['ip link del tapx']);
  });

  test('nothing there: nothing to do', () => {
    expect(planUnplug({ instance: 'vm1', tap: 'tapx', deleteInstance: true }, { tapExists: false, instanceExists: false })).toEqual([]);
  });
});

describe('batchCommands', () => {
  test('consecutive ip commands of one namespace become one ip -batch, in order', () => {
    const plan = planPlug({ ...V4, hostNetns: 'h1' });
    const inv = batchCommands(plan);
    expect(inv.map((i) => i.argv.join(' '))).toEqual([
      'ip netns add vm1',
      'ip -n vm1 link set lo up',
      'ip -n h1 -batch -',
      'ip -n vm1 -batch -',
      'ip -n vm1 -4 route replace default via 10.0.0.1 dev eth0',
    ]);
    expect(inv[2].input).toBe(
      ['link add tapabcdef01234 mtu 1450 type veth peer name eth0 netns vm1', 'link set tapabcdef01234 address fe:16:3e:01:02:03 addrgenmode none', 'link set tapabcdef01234 mtu 1450 up', ''].join('\n'),
    );
    // Nothing is lost or reordered.
    expect(inv.flatMap((i) => i.commands)).toEqual(plan);
  });

  test('commands with global options, blanks or other tools are run on their own', () => {
    const inv = batchCommands([
      ['ip', '-n', 'a', 'link', 'set', 'x', 'up'],
      ['ip', '-n', 'a', '-6', 'route', 'del', 'default'],
      ['ip', '-n', 'a', 'link', 'set', 'y', 'alias', 'two words'],
      ['sysctl', '-w', 'x=1'],
      ['ip', '-n', 'b', 'link', 'set', 'z', 'up'],
    ]);
    expect(inv.map((i) => i.input === undefined)).toEqual([true, true, true, true, true]);
  });
});
