/**
 * The Linux-bridge L2 backend on a real kernel, in network namespaces (root only; skips with a
 * printed reason otherwise). Every kernel change is made by our code through netlink, run inside a
 * namespace by small fixture scripts (`ip netns exec <ns> node fixtures/...`); `ip` and `bridge`
 * only build the scaffolding (namespaces, veths, addresses) and check the result.
 *
 * Isolation: every namespace is named `wtA<pid>…`, made by this file and deleted in afterAll
 * (which jest runs after failures too) and before use (leftovers of an earlier crashed run). No
 * command touches the root namespace's interfaces: links are created with `ip -n <ns>` and veth
 * peers are moved straight into another test namespace.
 *
 * The two-host topology of the last test:
 *
 *   inst A (ns …ia)                                                    inst B (ns …ib)
 *   eth0 10.77.0.1/24 mac MAC_A                                 eth0 10.77.0.2/24 mac MAC_B
 *     │ veth                                                                   veth │
 *   ┌─┴──────────────────────────────────┐      ┌──────────────────────────────────┴─┐
 *   │ tap<pA> ── brq<net> ── vxlan-4100   │      │   vxlan-4100 ── brq<net> ── tap<pB> │
 *   │ host A (ns …a)        ul0 192.0.2.1 ├─veth─┤ ul0 192.0.2.2        host B (ns …b) │
 *   └─────────────────────────────────────┘      └────────────────────────────────────┘
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import type { DesiredL2, DesiredNetwork } from '../../dataplane/linuxbridge/l2/model';
import { bridgeName, tapName, vxlanName } from '../../dataplane/linuxbridge/names';
import type { ApplyOutput } from './fixtures/l2-apply';
import type { ProbeStep } from './fixtures/l2-probe';

const RUN = `wtA${process.pid % 10000}`;
const FIXTURES = join(__dirname, 'fixtures');
const CMD_TIMEOUT_MS = 15_000;

function run(cmd: string, args: string[], timeout = CMD_TIMEOUT_MS): string {
  return execFileSync(cmd, args, { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
}

function tryRun(cmd: string, args: string[], timeout = CMD_TIMEOUT_MS): boolean {
  try {
    run(cmd, args, timeout);
    return true;
  } catch {
    return false;
  }
}

function skipReason(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  for (const tool of [['ip', '-V'], ['bridge', '-V'], ['ping', '-V']]) {
    if (!tryRun(tool[0], tool.slice(1), 5000)) return `\`${tool[0]}\` is not available`;
  }
  const probe = `${RUN}chk`;
  if (!tryRun('ip', ['netns', 'add', probe], 5000)) return 'cannot create network namespaces here';
  tryRun('ip', ['netns', 'del', probe], 5000);
  return undefined;
}

const SKIP = skipReason();
if (SKIP) console.warn(`test/dataplane/l2-kernel: skipped: ${SKIP}`);
const suite = SKIP ? describe.skip : describe;

const made = new Set<string>();

/** A fresh namespace (a leftover of the same name from a crashed run is removed first). */
function netns(suffix: string): string {
  const name = RUN + suffix;
  tryRun('ip', ['netns', 'del', name]);
  run('ip', ['netns', 'add', name]);
  made.add(name);
  run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return name;
}

function cleanup(): void {
  for (const ns of made) tryRun('ip', ['netns', 'del', ns]);
  made.clear();
}

function ipIn(ns: string, ...args: string[]): string {
  return run('ip', ['-n', ns, ...args]);
}

interface IpLink {
  ifindex: number;
  ifname: string;
  flags: string[];
  mtu: number;
  master?: string;
  address?: string;
  linkinfo?: { info_kind?: string; info_data?: { id?: number; local?: string; port?: number; learning?: boolean; group?: string; remote?: string } };
}

function links(ns: string): IpLink[] {
  return JSON.parse(ipIn(ns, '-j', '-d', 'link', 'show')) as IpLink[];
}

function link(ns: string, name: string): IpLink | undefined {
  return links(ns).find((l) => l.ifname === name);
}

/** The VXLAN device's own remotes (`self` entries with a destination), sorted, as "mac dst". */
function fdb(ns: string, dev: string): string[] {
  const entries = JSON.parse(run('bridge', ['-n', ns, '-j', 'fdb', 'show', 'dev', dev])) as { mac: string; dst?: string; flags: string[]; state?: string }[];
  return entries
    .filter((e) => e.dst && e.flags.includes('self'))
    .map((e) => {
      expect(e.state).toBe('permanent');
      return `${e.mac} ${e.dst}`;
    })
    .sort();
}

function apply(ns: string, desired: DesiredL2): ApplyOutput {
  const out = run('ip', ['netns', 'exec', ns, process.execPath, join(FIXTURES, 'l2-apply.js'), JSON.stringify(desired)], 30_000);
  return JSON.parse(out.trim().split('\n').pop() ?? '') as ApplyOutput;
}

function failures(out: ApplyOutput): string[] {
  return out.results.filter((r) => !r.ok).map((r) => r.error ?? r.action);
}

const ZERO = '00:00:00:00:00:00';
const MAC_A = 'fa:16:3e:77:00:01';
const MAC_B = 'fa:16:3e:77:00:02';

function vxlanNetwork(over: Partial<DesiredNetwork> = {}): DesiredNetwork {
  const networkId = 'net-vx-0001';
  return {
    networkId,
    bridge: bridgeName(networkId),
    mtu: 1450,
    segment: { kind: 'vxlan', vni: 4100 },
    ports: [
      { portId: 'pa0000000001', tap: tapName('pa0000000001'), mac: MAC_A, adminUp: true },
      { portId: 'pz0000000002', tap: tapName('pz0000000002'), mac: 'fa:16:3e:77:00:09', adminUp: true },
    ],
    remotes: [
      { ip: '192.0.2.2', macs: [MAC_B] },
      { ip: '192.0.2.3', macs: ['fa:16:3e:77:00:03', 'fa:16:3e:77:00:04'] },
    ],
    ...over,
  };
}

suite('Linux-bridge L2 on a real kernel (namespaces)', () => {
  jest.setTimeout(90_000);
  afterAll(cleanup);

  test('rtnl adapter: typed results and errors; listLinks and listFdb agree with ip/bridge', () => {
    const ns = netns('p');
    ipIn(ns, 'link', 'add', 'pnic0', 'type', 'veth', 'peer', 'name', 'pnic1');
    const out = JSON.parse(run('ip', ['netns', 'exec', ns, process.execPath, join(FIXTURES, 'l2-probe.js')])) as {
      steps: ProbeStep[];
      links: { index: number; name: string; kind: string; masterIndex: number | null; mtu: number; up: boolean; mac: string }[];
    };
    const step = (name: string): ProbeStep => {
      const s = out.steps.find((x) => x.step === name);
      if (!s) throw new Error(`no step ${name}`);
      return s;
    };
    for (const ok of ['createBridge', 'createVxlan', 'setMaster', 'setUp bridge', 'setMtu bridge', 'addFdb flood .3 again', 'addFdb mac → .3 (replace)', 'removeFdb mac2 again', 'deleteLink', 'deleteLink again', 'setMaster pnic0 nomaster']) {
      expect([ok, step(ok).ok]).toEqual([ok, true]);
    }
    expect(step('createBridge again')).toMatchObject({ ok: false, code: 'EXISTS', errno: 'EEXIST' });
    expect(step('getLink missing')).toMatchObject({ ok: true, value: 'undefined' });
    expect(step('getLink vxlan')).toMatchObject({ ok: true, value: { name: 'vxlan-4242', kind: 'vxlan', mtu: 1400, vxlan: { vni: 4242, local: '192.0.2.1', port: 4789, learning: false } } });
    expect(step('createBridge bad name')).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
    expect(step('addFdb bad address')).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
    expect(step('setMtu missing')).toMatchObject({ ok: false, code: 'NOT_FOUND', errno: 'ENODEV' });
    expect(step('setMaster to missing bridge')).toMatchObject({ ok: false, code: 'NOT_FOUND', message: expect.stringContaining('master nosuchbr does not exist') });
    const vlan = step('createVlan');
    if (vlan.ok) console.warn('test/dataplane/l2-kernel: this kernel has 802.1Q; createVlan succeeded');
    else expect(vlan).toMatchObject({ code: 'UNSUPPORTED', errno: 'EOPNOTSUPP', message: expect.stringContaining('802.1Q VLAN devices are not supported by this kernel') });
    const fdbBefore = step('listFdb before removals');
    expect(fdbBefore.ok && (fdbBefore.value as { mac: string; dst: string }[]).map((e) => `${e.mac} ${e.dst}`).sort()).toEqual(
      [`${ZERO} 192.0.2.2`, `${ZERO} 192.0.2.3`, 'fa:16:3e:00:00:aa 192.0.2.3', 'fa:16:3e:00:00:bb 192.0.2.4'].sort(),
    );

    // What the adapter read at the end is what ip and bridge see.
    const seen = links(ns);
    const byName = new Map(seen.map((l) => [l.ifname, l]));
    expect(out.links.map((l) => l.name).sort()).toEqual(seen.map((l) => l.ifname).sort());
    for (const l of out.links) {
      const ip = byName.get(l.name)!;
      const master = l.masterIndex === null ? undefined : out.links.find((m) => m.index === l.masterIndex)?.name;
      expect({ name: l.name, index: l.index, kind: l.kind, master, mtu: l.mtu, up: l.up, mac: l.mac }).toEqual({
        name: ip.ifname,
        index: ip.ifindex,
        kind: ip.linkinfo?.info_kind ?? '',
        master: ip.master,
        mtu: ip.mtu,
        up: ip.flags.includes('UP'),
        mac: ip.address ?? '',
      });
    }
    expect(byName.get('vxlan-4243')).toBeUndefined();
    expect(byName.get('brqprobe')).toMatchObject({ mtu: 1300, flags: expect.arrayContaining(['UP']) });
    expect(fdb(ns, 'vxlan-4242')).toEqual([`${ZERO} 192.0.2.3`, 'fa:16:3e:00:00:aa 192.0.2.3']);
  });

  test('watchLinks reports a tap appearing and going away as it happens', async () => {
    const ns = netns('w');
    const child: ChildProcessWithoutNullStreams = spawn('ip', ['netns', 'exec', ns, process.execPath, join(FIXTURES, 'l2-watch.js')]);
    const events: { type?: string; name?: string; ready?: boolean; error?: string }[] = [];
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        events.push(JSON.parse(buf.slice(0, nl)) as (typeof events)[number]);
        buf = buf.slice(nl + 1);
      }
    });
    const waitFor = async (what: string, pred: (e: (typeof events)[number]) => boolean, ms = 5000): Promise<void> => {
      const end = Date.now() + ms;
      while (!events.some(pred)) {
        if (Date.now() > end) throw new Error(`no ${what} event within ${ms} ms; got ${JSON.stringify(events)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    try {
      await waitFor('ready', (e) => e.ready === true);
      ipIn(ns, 'link', 'add', 'tapw0000001', 'type', 'veth', 'peer', 'name', 'tapw0000001p');
      await waitFor('new tap', (e) => e.type === 'new' && e.name === 'tapw0000001', 2000);
      ipIn(ns, 'link', 'del', 'tapw0000001');
      await waitFor('del tap', (e) => e.type === 'del' && e.name === 'tapw0000001', 2000);
      expect(events.filter((e) => e.error)).toEqual([]);
    } finally {
      child.kill('SIGTERM');
    }
  });

  test('apply on one host: builds the network, a second run plans [], drift and changes are repaired, only our links go', () => {
    const ns = netns('s');
    const net = vxlanNetwork();
    const [p1, p2] = net.ports;
    ipIn(ns, 'link', 'add', p1.tap, 'type', 'veth', 'peer', 'name', 'inst0');
    ipIn(ns, 'link', 'add', 'br-foreign', 'type', 'bridge');
    ipIn(ns, 'link', 'add', 'vx-foreign', 'type', 'vxlan', 'id', '9', 'dstport', '4789', 'local', '192.0.2.1');
    ipIn(ns, 'link', 'add', 'brqstale', 'type', 'bridge');
    const desired: DesiredL2 = { localIp: '192.0.2.1', networks: [net] };
    const bridge = net.bridge;
    const vx = vxlanName(4100);

    const first = apply(ns, desired);
    expect(failures(first)).toEqual([]);
    expect(first.planned).toContain('deleteLink brqstale (no longer desired)');
    expect(first.replanned).toEqual([]);
    expect(first.states).toEqual({ [p1.portId]: { state: 'ACTIVE' }, [p2.portId]: { state: 'DOWN', reason: `waiting for the device ${p2.tap}` } });
    expect(link(ns, bridge)).toMatchObject({ mtu: 1450, flags: expect.arrayContaining(['UP']), linkinfo: { info_kind: 'bridge' } });
    const dev = link(ns, vx);
    expect(dev).toMatchObject({ mtu: 1450, master: bridge, flags: expect.arrayContaining(['UP']) });
    expect(dev?.linkinfo?.info_data).toMatchObject({ id: 4100, local: '192.0.2.1', port: 4789, learning: false });
    // Unicast only: no multicast group, no default remote.
    expect(dev?.linkinfo?.info_data?.group).toBeUndefined();
    expect(dev?.linkinfo?.info_data?.remote).toBeUndefined();
    expect(link(ns, p1.tap)).toMatchObject({ mtu: 1450, master: bridge, flags: expect.arrayContaining(['UP']) });
    expect(fdb(ns, vx)).toEqual([`${ZERO} 192.0.2.2`, `${ZERO} 192.0.2.3`, `${MAC_B} 192.0.2.2`, 'fa:16:3e:77:00:03 192.0.2.3', 'fa:16:3e:77:00:04 192.0.2.3'].sort());
    expect(apply(ns, desired).planned).toEqual([]);

    // Remotes change: 192.0.2.3 leaves, 192.0.2.4 arrives.
    const moved: DesiredL2 = { ...desired, networks: [vxlanNetwork({ remotes: [{ ip: '192.0.2.2', macs: [MAC_B] }, { ip: '192.0.2.4', macs: ['fa:16:3e:77:00:05'] }] })] };
    const change = apply(ns, moved);
    expect(failures(change)).toEqual([]);
    expect(change.planned.every((a) => /^(add|remove)Fdb /.test(a))).toBe(true);
    expect(change.replanned).toEqual([]);
    expect(fdb(ns, vx)).toEqual([`${ZERO} 192.0.2.2`, `${ZERO} 192.0.2.4`, `${MAC_B} 192.0.2.2`, 'fa:16:3e:77:00:05 192.0.2.4'].sort());

    // Drift: the VXLAN device deleted, the tap released and set down, a remote's entry removed.
    ipIn(ns, 'link', 'del', vx);
    ipIn(ns, 'link', 'set', p1.tap, 'nomaster', 'down', 'mtu', '1500');
    const repaired = apply(ns, moved);
    expect(failures(repaired)).toEqual([]);
    expect(repaired.replanned).toEqual([]);
    expect(link(ns, p1.tap)).toMatchObject({ mtu: 1450, master: bridge, flags: expect.arrayContaining(['UP']) });
    expect(fdb(ns, vx)).toHaveLength(4);
    run('bridge', ['-n', ns, 'fdb', 'del', MAC_B, 'dev', vx, 'dst', '192.0.2.2', 'self']);
    expect(apply(ns, moved).planned).toEqual([`addFdb ${vx} ${MAC_B} dst 192.0.2.2`]);

    // Flat network on a NIC-like veth, next to the VXLAN one.
    ipIn(ns, 'link', 'add', 'pnic0', 'type', 'veth', 'peer', 'name', 'pnic1');
    const flatId = 'net-flat-001';
    const flat: DesiredNetwork = { networkId: flatId, bridge: bridgeName(flatId), mtu: 1500, segment: { kind: 'flat', physicalInterface: 'pnic0' }, ports: [{ portId: 'pf0000000001', tap: tapName('pf0000000001'), mac: 'fa:16:3e:77:00:11', adminUp: true }], remotes: [] };
    ipIn(ns, 'link', 'add', flat.ports[0].tap, 'type', 'veth', 'peer', 'name', 'inst1');
    const withFlat = apply(ns, { ...moved, networks: [...moved.networks, flat] });
    expect(failures(withFlat)).toEqual([]);
    expect(withFlat.replanned).toEqual([]);
    expect(link(ns, 'pnic0')).toMatchObject({ master: flat.bridge });
    expect(link(ns, flat.ports[0].tap)).toMatchObject({ master: flat.bridge, flags: expect.arrayContaining(['UP']) });

    // VLAN network: this kernel may lack 802.1Q; the failure is typed and attributed to the network.
    const vlanId = 'net-vlan-001';
    const vlan: DesiredNetwork = { networkId: vlanId, bridge: bridgeName(vlanId), mtu: 1500, segment: { kind: 'vlan', physicalInterface: 'pnic1', vlanId: 42 }, ports: [{ portId: 'pv0000000001', tap: tapName('pv0000000001'), mac: 'fa:16:3e:77:00:21', adminUp: true }], remotes: [] };
    const withVlan = apply(ns, { ...moved, networks: [...moved.networks, flat, vlan] });
    const vlanFail = withVlan.results.find((r) => r.action.startsWith('createVlan'));
    if (vlanFail && !vlanFail.ok) {
      console.warn(`test/dataplane/l2-kernel: VLAN dataplane skipped: ${vlanFail.error}`);
      expect(vlanFail).toMatchObject({ code: 'UNSUPPORTED', errno: 'EOPNOTSUPP', networkId: vlanId });
      expect(failures(withVlan).every((f) => f.includes('pnic1.42'))).toBe(true);
    } else {
      expect(failures(withVlan)).toEqual([]);
      expect(link(ns, 'pnic1.42')).toMatchObject({ master: vlan.bridge });
    }

    // Everything removed: our bridges and VXLAN devices go; taps stay, released; foreign links stay.
    const gone = apply(ns, { localIp: '192.0.2.1', networks: [] });
    expect(failures(gone)).toEqual([]);
    expect(gone.replanned).toEqual([]);
    const left = links(ns).map((l) => l.ifname);
    expect(left.filter((n) => n.startsWith('brq') || n.startsWith('vxlan-'))).toEqual([]);
    expect(left).toEqual(expect.arrayContaining(['br-foreign', 'vx-foreign', p1.tap, flat.ports[0].tap, 'pnic0']));
    expect(link(ns, p1.tap)?.master).toBeUndefined();
    expect(link(ns, 'pnic0')?.master).toBeUndefined();
  });

  test('two hosts over a VXLAN underlay: instances ping each other with full-size frames; removing the network cuts them off', () => {
    const [a, b, ia, ib] = [netns('a'), netns('b'), netns('ia'), netns('ib')];
    ipIn(a, 'link', 'add', 'ul0', 'type', 'veth', 'peer', 'name', 'ul0', 'netns', b);
    for (const [ns, ip] of [[a, '192.0.2.1'], [b, '192.0.2.2']]) {
      ipIn(ns, 'addr', 'add', `${ip}/24`, 'dev', 'ul0');
      ipIn(ns, 'link', 'set', 'ul0', 'up');
    }
    const base = vxlanNetwork();
    const portA = { portId: 'pa0000000001', tap: tapName('pa0000000001'), mac: MAC_A, adminUp: true };
    const portB = { portId: 'pb0000000001', tap: tapName('pb0000000001'), mac: MAC_B, adminUp: true };
    // The compute side's part: a veth per instance with the port's MAC, MTU and address.
    for (const [host, inst, port, ip] of [[a, ia, portA, '10.77.0.1'], [b, ib, portB, '10.77.0.2']] as const) {
      ipIn(host, 'link', 'add', port.tap, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', inst);
      ipIn(inst, 'link', 'set', 'eth0', 'address', port.mac, 'mtu', '1450', 'up');
      ipIn(inst, 'addr', 'add', `${ip}/24`, 'dev', 'eth0');
    }
    const hostA: DesiredL2 = { localIp: '192.0.2.1', networks: [{ ...base, ports: [portA], remotes: [{ ip: '192.0.2.2', macs: [MAC_B] }] }] };
    const hostB: DesiredL2 = { localIp: '192.0.2.2', networks: [{ ...base, ports: [portB], remotes: [{ ip: '192.0.2.1', macs: [MAC_A] }] }] };
    for (const [ns, d] of [[a, hostA], [b, hostB]] as const) {
      const out = apply(ns, d);
      expect(failures(out)).toEqual([]);
      expect(out.replanned).toEqual([]);
      expect(Object.values(out.states)).toEqual([{ state: 'ACTIVE' }]);
    }

    const ping = (from: string, to: string, extra: string[] = []): boolean => tryRun('ip', ['netns', 'exec', from, 'ping', '-c', '1', '-W', '1', ...extra, to], 5000);
    // Bounded wait: the first ARP exchange over a fresh tunnel can take a moment.
    let reached = false;
    for (let i = 0; i < 10 && !reached; i++) reached = ping(ia, '10.77.0.2');
    expect(reached).toBe(true);
    expect(ping(ib, '10.77.0.1')).toBe(true);
    // 1422 bytes of ICMP payload fill the 1450-byte instance MTU; with 50 bytes of VXLAN overhead
    // the outer packet is exactly the underlay's 1500, and DF forbids fragmenting it anywhere.
    expect(ping(ia, '10.77.0.2', ['-M', 'do', '-s', '1422'])).toBe(true);
    // The tunnel carried it: unicast to B's underlay address, not some other path.
    const fdbA = fdb(a, vxlanName(4100));
    expect(fdbA).toEqual([`${ZERO} 192.0.2.2`, `${MAC_B} 192.0.2.2`]);

    // Host B loses its only port on the network: bridge and VXLAN device go, A can no longer reach it.
    const removed = apply(b, { localIp: '192.0.2.2', networks: [] });
    expect(failures(removed)).toEqual([]);
    expect(links(b).map((l) => l.ifname).filter((n) => n.startsWith('brq') || n.startsWith('vxlan-'))).toEqual([]);
    expect(ping(ia, '10.77.0.2')).toBe(false);
  });
});
