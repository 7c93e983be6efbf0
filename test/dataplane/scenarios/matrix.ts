/**
 * The dataplane scenario matrix (issue 4, bullet 7), written once for every backend: a backend's
 * test file calls `scenarioMatrix('<backend>')`. Every assertion is about real packets between
 * instance namespaces on different host namespaces, or about real kernel state.
 */
import { Direction, Ethertype, NetworkType, PortStatus } from '../../../proto/gen/weft/network/v1/resources';
import { describeIfCapable } from '../harness/capabilities';
import { exec } from '../harness/proc';
import { canPing, capture, continuousPing, openTcpSession, tcpConnect, tcpServe } from '../harness/traffic';
import { Cloud, eventually, type Instance } from './cloud';

async function links(ns: string): Promise<string[]> {
  const r = await exec(ns, ['ip', '-j', 'link', 'show']);
  return (JSON.parse(r.stdout) as { ifname: string }[]).map((l) => l.ifname);
}

async function nftTables(ns: string): Promise<string> {
  return (await exec(ns, ['nft', 'list', 'ruleset'])).stdout;
}

/** Pings fail for the whole window (bounded), i.e. no reply ever arrives. */
async function cannotPing(ns: string, ip: string): Promise<boolean> {
  return !(await canPing(ns, ip, { deadlineMs: 1500 }));
}

export function scenarioMatrix(backend: 'linuxbridge'): void {
  describeIfCapable(`dataplane scenarios (${backend})`, () => {
    let cloud: Cloud;
    beforeAll(async () => {
      cloud = await Cloud.start({ hosts: 2, backend, resyncMs: 1000 });
    }, 90_000);
    afterAll(async () => {
      await cloud?.stop();
    }, 60_000);

    const [h1, h2] = [() => cloud.hosts[0], () => cloud.hosts[1]];

    /** A project's security group that opens ICMP and TCP from anywhere (ingress). */
    async function openGroup(project: string, name: string): Promise<string> {
      const api = cloud.ctl.as(project);
      const sg = await api.createSecurityGroup({ securityGroup: { name } });
      await api.createSecurityGroupRule({ securityGroupRule: { securityGroupId: sg.id, direction: Direction.DIRECTION_INGRESS, ethertype: Ethertype.ETHERTYPE_IPV4, protocol: 'icmp' } });
      await api.createSecurityGroupRule({ securityGroupRule: { securityGroupId: sg.id, direction: Direction.DIRECTION_INGRESS, ethertype: Ethertype.ETHERTYPE_IPV4, protocol: 'tcp' } });
      // A new group already allows all egress (as in Neutron).
      return sg.id;
    }

    test('same network, instances on different hosts: ping and TCP both ways; ports ACTIVE; l2 population', async () => {
      const { net } = await cloud.network('p-l2', 'l2', '10.10.0.0/24');
      const a = await cloud.boot('p-l2', h1(), net);
      const b = await cloud.boot('p-l2', h2(), net);
      expect(a.port.status).toBe(PortStatus.PORT_STATUS_ACTIVE);
      // The default group lets members of the same group reach each other.
      expect(await canPing(a.ns, b.ip, { deadlineMs: 5000 })).toBe(true);
      expect(await canPing(b.ns, a.ip, { deadlineMs: 5000 })).toBe(true);
      const sa = await tcpServe(cloud.scope, a.ns, a.ip, 7001);
      const sb = await tcpServe(cloud.scope, b.ns, b.ip, 7002);
      expect(await tcpConnect(b.ns, a.ip, 7001)).toBe(true);
      expect(await tcpConnect(a.ns, b.ip, 7002)).toBe(true);
      await sa.stop();
      await sb.stop();
      // Unicast only: host1's VXLAN device knows exactly host2 (flood entry + b's MAC), nothing else.
      const vni = net.segments[0].segmentationId;
      const fdb = JSON.parse((await exec(h1().ns, ['bridge', '-j', 'fdb', 'show', 'dev', `vxlan-${vni}`])).stdout) as { mac: string; dst?: string }[];
      const remote = fdb.filter((e) => e.dst);
      expect(remote.map((e) => `${e.mac} ${e.dst}`).sort()).toEqual([`00:00:00:00:00:00 ${h2().underlayIp}`, `${b.port.macAddress} ${h2().underlayIp}`].sort());
    });

    test('two projects with overlapping CIDRs on the same hosts: no packet crosses', async () => {
      const x = await cloud.network('p-ovl-x', 'ovl', '10.20.0.0/24');
      const y = await cloud.network('p-ovl-y', 'ovl', '10.20.0.0/24');
      const sgx = await openGroup('p-ovl-x', 'open');
      const sgy = await openGroup('p-ovl-y', 'open');
      const x1 = await cloud.boot('p-ovl-x', h1(), x.net, { securityGroupIds: [sgx], ip: '10.20.0.10' });
      const x2 = await cloud.boot('p-ovl-x', h2(), x.net, { securityGroupIds: [sgx], ip: '10.20.0.20' });
      const y1 = await cloud.boot('p-ovl-y', h1(), y.net, { securityGroupIds: [sgy], ip: '10.20.0.10' });
      const y2 = await cloud.boot('p-ovl-y', h2(), y.net, { securityGroupIds: [sgy], ip: '10.20.0.30' });
      // Each project reaches its own instances...
      expect(await canPing(x1.ns, x2.ip, { deadlineMs: 5000 })).toBe(true);
      expect(await canPing(y1.ns, y2.ip, { deadlineMs: 5000 })).toBe(true);
      // ...and nothing of the other, though addresses overlap: y2 (10.20.0.30) exists only in Y.
      // Anything from outside project Y: ICMP, or ARP not sent by Y's own instances.
      const foreign = `icmp or (arp and not ether src ${y1.port.macAddress} and not ether src ${y2.port.macAddress})`;
      const seen = await capture(cloud.scope, y2.ns, 'eth0', foreign, async () => {
        expect(await cannotPing(x1.ns, '10.20.0.30')).toBe(true);
        // x2 pinging 10.20.0.10 reaches x1, never y1 (which has the same address).
        const yHeard = capture(cloud.scope, y1.ns, 'eth0', 'icmp', () => canPing(x2.ns, '10.20.0.10', { deadlineMs: 2000 }));
        expect((await yHeard).value).toBe(true);
        expect((await yHeard).count).toBe(0);
      });
      expect(seen.packets).toEqual([]);
    });

    test('security groups: ICMP allowed/denied, TCP port allowed and another denied, remote group follows membership', async () => {
      const { net } = await cloud.network('p-sg', 'sg', '10.30.0.0/24');
      const api = cloud.ctl.as('p-sg');
      const web = await api.createSecurityGroup({ securityGroup: { name: 'web' } });
      const client = await api.createSecurityGroup({ securityGroup: { name: 'client' } });
      await api.createSecurityGroupRule({ securityGroupRule: { securityGroupId: web.id, direction: Direction.DIRECTION_INGRESS, ethertype: Ethertype.ETHERTYPE_IPV4, protocol: 'tcp', portRangeMin: 8080, portRangeMax: 8080, remoteIpPrefix: '0.0.0.0/0' } });
      const server = await cloud.boot('p-sg', h1(), net, { securityGroupIds: [web.id] });
      const c = await cloud.boot('p-sg', h2(), net, { securityGroupIds: [client.id] });
      const s8080 = await tcpServe(cloud.scope, server.ns, server.ip, 8080);
      const s9090 = await tcpServe(cloud.scope, server.ns, server.ip, 9090);
      expect(await tcpConnect(c.ns, server.ip, 8080)).toBe(true);
      expect(await tcpConnect(c.ns, server.ip, 9090, { timeoutMs: 1500 })).toBe(false);
      // No ICMP rule: denied. Add one: allowed (on the live port).
      expect(await cannotPing(c.ns, server.ip)).toBe(true);
      const icmp = await api.createSecurityGroupRule({ securityGroupRule: { securityGroupId: web.id, direction: Direction.DIRECTION_INGRESS, ethertype: Ethertype.ETHERTYPE_IPV4, protocol: 'icmp' } });
      expect(await canPing(c.ns, server.ip, { deadlineMs: 5000 })).toBe(true);
      await api.deleteSecurityGroupRule({ id: icmp.id });
      expect(await eventually(() => cannotPing(c.ns, server.ip), 6000)).toBe(true);
      // Remote group: 9090 only from members of "client"; c is a member, a new d is not until it joins.
      await api.createSecurityGroupRule({ securityGroupRule: { securityGroupId: web.id, direction: Direction.DIRECTION_INGRESS, ethertype: Ethertype.ETHERTYPE_IPV4, protocol: 'tcp', portRangeMin: 9090, portRangeMax: 9090, remoteGroupId: client.id } });
      expect(await eventually(() => tcpConnect(c.ns, server.ip, 9090, { timeoutMs: 1000 }), 6000)).toBe(true);
      const other = await api.createSecurityGroup({ securityGroup: { name: 'other' } });
      const d = await cloud.boot('p-sg', h2(), net, { securityGroupIds: [other.id] });
      expect(await tcpConnect(d.ns, server.ip, 9090, { timeoutMs: 1500 })).toBe(false);
      await api.updatePort({ port: { id: d.port.id, securityGroupIds: [other.id, client.id] }, updateMask: ['security_group_ids'] });
      expect(await eventually(() => tcpConnect(d.ns, server.ip, 9090, { timeoutMs: 1000 }), 6000)).toBe(true);
      await api.updatePort({ port: { id: d.port.id, securityGroupIds: [other.id] }, updateMask: ['security_group_ids'] });
      expect(await eventually(async () => !(await tcpConnect(d.ns, server.ip, 9090, { timeoutMs: 1000 })), 6000)).toBe(true);
      await s8080.stop();
      await s9090.stop();
    });

    test('an established TCP connection survives an unrelated rule change', async () => {
      const { net } = await cloud.network('p-est', 'est', '10.40.0.0/24');
      const sg = await openGroup('p-est', 'open');
      const a = await cloud.boot('p-est', h1(), net, { securityGroupIds: [sg] });
      const b = await cloud.boot('p-est', h2(), net, { securityGroupIds: [sg] });
      const server = await tcpServe(cloud.scope, a.ns, a.ip, 7100);
      const session = await openTcpSession(cloud.scope, b.ns, a.ip, 7100, { intervalMs: 100, replyTimeoutMs: 1500 });
      await session.waitEchoes(3, 5000);
      const api = cloud.ctl.as('p-est');
      await api.createSecurityGroupRule({ securityGroupRule: { securityGroupId: sg, direction: Direction.DIRECTION_INGRESS, ethertype: Ethertype.ETHERTYPE_IPV4, protocol: 'udp', portRangeMin: 53, portRangeMax: 53 } });
      await new Promise((r) => setTimeout(r, 1500));
      await session.waitEchoes(5, 5000);
      const st = await session.close();
      expect(st.broken).toBeNull();
      await server.stop();
    });

    test('anti-spoofing: an instance that changes its IP or its MAC reaches no one', async () => {
      const { net } = await cloud.network('p-spoof', 'spoof', '10.50.0.0/24');
      const sg = await openGroup('p-spoof', 'open');
      const victim = await cloud.boot('p-spoof', h1(), net, { securityGroupIds: [sg] });
      const ipSpoofer = await cloud.boot('p-spoof', h2(), net, { securityGroupIds: [sg] });
      const macSpoofer = await cloud.boot('p-spoof', h1(), net, { securityGroupIds: [sg] });
      expect(await canPing(ipSpoofer.ns, victim.ip, { deadlineMs: 5000 })).toBe(true);
      expect(await canPing(macSpoofer.ns, victim.ip, { deadlineMs: 5000 })).toBe(true);
      await exec(ipSpoofer.ns, ['ip', 'addr', 'flush', 'dev', 'eth0']);
      await exec(ipSpoofer.ns, ['ip', 'addr', 'add', '10.50.0.99/24', 'dev', 'eth0']);
      expect(await cannotPing(ipSpoofer.ns, victim.ip)).toBe(true);
      await exec(macSpoofer.ns, ['ip', 'link', 'set', 'eth0', 'address', 'fa:16:3e:66:66:66']);
      expect(await cannotPing(macSpoofer.ns, victim.ip)).toBe(true);
    });

    test('port deleted: connectivity gone and kernel objects removed; network deleted: bridge and vxlan gone on every host', async () => {
      const { net, subnet } = await cloud.network('p-del', 'del', '10.60.0.0/24');
      const a = await cloud.boot('p-del', h1(), net);
      const b = await cloud.boot('p-del', h2(), net);
      expect(await canPing(a.ns, b.ip, { deadlineMs: 5000 })).toBe(true);
      const vni = net.segments[0].segmentationId;
      const bridge = a.port.binding!.vifDetails.bridge_name;
      expect(await links(h1().ns)).toEqual(expect.arrayContaining([bridge, `vxlan-${vni}`]));
      const api = cloud.ctl.as('p-del');
      await api.deletePort({ id: b.port.id });
      expect(await eventually(() => cannotPing(a.ns, b.ip), 6000)).toBe(true);
      // host2 had only b on this network: its bridge and vxlan go; host1 forgets b's MAC.
      expect(await eventually(async () => !(await links(h2().ns)).includes(bridge), 6000)).toBe(true);
      expect(await links(h2().ns)).not.toContain(`vxlan-${vni}`);
      // (The bridge's own learned entries age out; the VTEP entries are ours to remove.)
      const fdb = JSON.parse((await exec(h1().ns, ['bridge', '-j', 'fdb', 'show', 'dev', `vxlan-${vni}`])).stdout) as { mac: string; dst?: string }[];
      expect(fdb.filter((e) => e.dst && e.mac === b.port.macAddress)).toEqual([]);
      // host2 has no port left at all: its firewall holds no chain for b's tap.
      expect(await nftTables(h2().ns)).not.toContain(b.port.binding!.vifDetails.tap_name);
      await cloud.unplug(b);
      await cloud.unplug(a);
      await api.deletePort({ id: a.port.id });
      await api.deleteSubnet({ id: subnet.id });
      await api.deleteNetwork({ id: net.id });
      for (const h of cloud.hosts) {
        expect(await eventually(async () => !(await links(h.ns)).some((l) => l === bridge || l === `vxlan-${vni}`), 6000)).toBe(true);
      }
    });

    test('agent SIGKILL + restart during a continuous ping: no packet lost', async () => {
      const { net } = await cloud.network('p-restart', 'restart', '10.70.0.0/24');
      const a = await cloud.boot('p-restart', h1(), net);
      const b = await cloud.boot('p-restart', h2(), net);
      expect(await canPing(a.ns, b.ip, { deadlineMs: 5000 })).toBe(true);
      const pinger = continuousPing(cloud.scope, a.ns, b.ip, 20, { maxDurationMs: 30_000 });
      await new Promise((r) => setTimeout(r, 500));
      await cloud.restartAgent(h1());
      await cloud.restartAgent(h2());
      await new Promise((r) => setTimeout(r, 1500));
      const res = await pinger.stop();
      expect(res.sent).toBeGreaterThan(50);
      expect(res.lostSeqs).toEqual([]);
      // The restarted agents still report the ports ACTIVE (nothing was torn down).
      expect((await cloud.admin().getPort({ id: a.port.id })).status).toBe(PortStatus.PORT_STATUS_ACTIVE);
    }, 60_000);

    test('drift repair: a deleted vxlan device, a flushed nft table and a removed FDB entry come back within 5 s', async () => {
      const { net } = await cloud.network('p-drift', 'drift', '10.80.0.0/24');
      const a = await cloud.boot('p-drift', h1(), net);
      const b = await cloud.boot('p-drift', h2(), net);
      expect(await canPing(a.ns, b.ip, { deadlineMs: 5000 })).toBe(true);
      const vxlan = `vxlan-${net.segments[0].segmentationId}`;
      await exec(h1().ns, ['ip', 'link', 'del', vxlan]);
      expect(await eventually(async () => (await links(h1().ns)).includes(vxlan), 5000)).toBe(true);
      expect(await canPing(a.ns, b.ip, { deadlineMs: 5000 })).toBe(true);
      await exec(h1().ns, ['bridge', 'fdb', 'del', b.port.macAddress, 'dev', vxlan, 'dst', h2().underlayIp]);
      expect(await eventually(async () => (await exec(h1().ns, ['bridge', 'fdb', 'show', 'dev', vxlan])).stdout.includes(b.port.macAddress), 5000)).toBe(true);
      await exec(h2().ns, ['nft', 'flush', 'table', 'inet', 'weft']);
      expect(await eventually(async () => (await exec(h2().ns, ['nft', 'list', 'table', 'inet', 'weft'])).stdout.includes('zone'), 5000)).toBe(true);
      expect(await canPing(a.ns, b.ip, { deadlineMs: 5000 })).toBe(true);
    }, 60_000);

    test('a local network connects instances on one host and never leaves it', async () => {
      const projectId = await cloud.ctl.projectId('p-local');
      const net = await cloud.admin().createNetwork({ network: { name: 'local', projectId, segments: [{ networkType: NetworkType.NETWORK_TYPE_LOCAL }] } });
      await cloud.admin().createSubnet({ subnet: { networkId: net.id, projectId, cidr: '10.95.0.0/24', ipVersion: 4 } });
      const a = await cloud.boot('p-local', h1(), net);
      const b = await cloud.boot('p-local', h1(), net);
      expect(await canPing(a.ns, b.ip, { deadlineMs: 5000 })).toBe(true);
      // No segment device: the bridge holds exactly the two taps.
      const bridge = a.port.binding!.vifDetails.bridge_name;
      const members = JSON.parse((await exec(h1().ns, ['ip', '-j', 'link', 'show', 'master', bridge])).stdout) as { ifname: string }[];
      expect(members.map((m) => m.ifname).sort()).toEqual([a.port.binding!.vifDetails.tap_name, b.port.binding!.vifDetails.tap_name].sort());
    });

    test('a port bound to a host without an agent is binding_failed with a reason', async () => {
      const { net } = await cloud.network('p-nohost', 'nohost', '10.90.0.0/24');
      const p = await cloud.ctl.as('p-nohost').createPort({ port: { networkId: net.id } });
      const bound = await cloud.admin().updatePort({ port: { id: p.id, binding: { hostId: 'nowhere' } }, updateMask: ['binding'] });
      expect(bound.binding!.vifType).toBe('binding_failed');
      expect(bound.statusReason).toMatch(/no alive .*agent.* nowhere/);
    });

    test('VLAN networks: implemented, but this kernel has no 802.1Q support', async () => {
      const probe = await exec(h1().ns, ['ip', 'link', 'add', 'link', 'ul0', 'name', 'vlantest', 'type', 'vlan', 'id', '5'], { allowFailure: true });
      if (probe.code !== 0) {
        console.warn(`skipping the VLAN dataplane check: this kernel cannot create 802.1Q devices (${probe.stderr.trim()})`);
        return;
      }
      await exec(h1().ns, ['ip', 'link', 'del', 'vlantest']);
      throw new Error('this kernel supports VLAN devices now: write the VLAN dataplane scenario');
    });

    void ({} as Instance);
  });
}
