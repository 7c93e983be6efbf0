/**
 * The single-host lab of the firewall system test: one "host" namespace running our nft tables
 * (br_netfilter on), two networks as Linux bridges, and "instance" namespaces plugged into them
 * with veth pairs (instance side eth0 with the port's MAC and addresses, host side the port's tap).
 *
 *                                   <prefix>-h
 *          bridge of net A (10.0.0.0/24, fd00::/64)        bridge of net B (10.0.0.0/24 again)
 *        ┌────────┬────────┬────────┬────────┐                ┌────────┬────────┐
 *       tap      tap      tap      tap                        tap      tap
 *        │        │        │        │                          │        │
 *       a1       a2       a3       a4                         b1       b2
 *      .11      .12      .13      .14                        .11      .12
 *
 * Everything lives in namespaces of one RunScope; nothing touches the namespace the test runs in.
 */
import { execFileSync } from 'node:child_process';
import { eui64LinkLocal } from '../../dataplane/linuxbridge/firewall/addresses';
import { bridgeName, tapName } from '../../dataplane/linuxbridge/names';
import type { FirewallDesired, FirewallPort } from '../../dataplane/linuxbridge/firewall/model';
import { enableBridgeNetfilter, NftExecutor } from '../../dataplane/linuxbridge/firewall/nft';
import { observeFirewall, type ObservedFirewall } from '../../dataplane/linuxbridge/firewall/observe';
import { planFirewallChanges, type FirewallPlan } from '../../dataplane/linuxbridge/firewall/planner';
import { ip, type RunScope } from './harness/netns';

export interface Instance {
  name: string;
  ns: string;
  port: FirewallPort;
  ipv4: string;
  ipv6: string;
}

export interface LabSpec {
  /** Instance name (a-z0-9, ≤ 4 characters) → network ('A' | 'B') and host number (.N / ::N). */
  instances: { name: string; network: 'A' | 'B'; host: number }[];
}

export const NETWORK_IDS = { A: 'aaaaaaaa-0000-4000-8000-000000000001', B: 'bbbbbbbb-0000-4000-8000-000000000002' } as const;

/** Port id from the instance name: readable in `nft list ruleset`, unique per instance. */
function portIdOf(name: string): string {
  return `${name.padEnd(8, '0')}-1111-4111-8111-000000000000`;
}

function macOf(index: number): string {
  return `fa:16:3e:00:01:${(index + 1).toString(16).padStart(2, '0')}`;
}

export class FirewallLab {
  readonly nft: NftExecutor;
  readonly instances = new Map<string, Instance>();

  private constructor(
    readonly scope: RunScope,
    readonly hostNs: string,
  ) {
    this.nft = new NftExecutor({ commandPrefix: ['ip', 'netns', 'exec', hostNs] });
  }

  static async create(scope: RunScope, spec: LabSpec): Promise<FirewallLab> {
    const lab = new FirewallLab(scope, await scope.addNetns('h'));
    await enableBridgeNetfilter({ commandPrefix: ['ip', 'netns', 'exec', lab.hostNs] });
    for (const net of ['A', 'B'] as const) {
      const br = bridgeName(NETWORK_IDS[net]);
      await ip(lab.hostNs, ['link', 'add', br, 'type', 'bridge']);
      await ip(lab.hostNs, ['link', 'set', br, 'up']);
    }
    for (const [index, s] of spec.instances.entries()) {
      const ns = await scope.addNetns(s.name);
      const portId = portIdOf(s.name);
      const port: FirewallPort = {
        portId,
        tap: tapName(portId),
        bridge: bridgeName(NETWORK_IDS[s.network]),
        mac: macOf(index),
        fixedIps: [`10.0.0.${s.host}`, `fd00::${s.host}`],
        allowedAddressPairs: [],
        portSecurityEnabled: true,
        securityGroupIds: [],
      };
      await ip(lab.hostNs, ['link', 'add', port.tap, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      await ip(lab.hostNs, ['link', 'set', port.tap, 'master', port.bridge, 'up']);
      // EUI-64 link-local addresses, whatever the namespace's default: anti-spoofing expects them.
      await ip(ns, ['link', 'set', 'eth0', 'address', port.mac, 'addrgenmode', 'eui64']);
      await ip(ns, ['addr', 'add', `10.0.0.${s.host}/24`, 'dev', 'eth0']);
      await ip(ns, ['addr', 'add', `fd00::${s.host}/64`, 'dev', 'eth0', 'nodad']);
      await ip(ns, ['link', 'set', 'eth0', 'up']);
      lab.instances.set(s.name, { name: s.name, ns, port, ipv4: `10.0.0.${s.host}`, ipv6: `fd00::${s.host}` });
    }
    return lab;
  }

  get(name: string): Instance {
    const i = this.instances.get(name);
    if (i === undefined) throw new Error(`no instance ${name}`);
    return i;
  }

  observe(): Promise<ObservedFirewall> {
    return observeFirewall((family, table) => this.nft.listTable(family, table));
  }

  /**
   * Plans against what is in the kernel, applies, and checks that planning again finds nothing to
   * do (what a restarted agent would compute). Returns the plan that was applied.
   */
  async apply(desired: FirewallDesired, opts: { full?: boolean } = {}): Promise<FirewallPlan> {
    const plan = planFirewallChanges(desired, await this.observe(), opts);
    if (plan.script !== null) await this.nft.apply(plan.script);
    const again = planFirewallChanges(desired, await this.observe());
    if (again.script !== null) throw new Error(`planning again after apply is not a no-op:\n${again.script}`);
    return plan;
  }

  /** nft in the host namespace, for the test's deliberate drift. */
  async nftCommand(args: string[]): Promise<void> {
    await this.scope.exec(this.hostNs, ['nft', ...args]);
  }
}

// Tiny UDP probes with the test's own node binary: a listener printing what arrives and a sender
// bound to a chosen source port (the zone test needs exact 5-tuples). Under `node -e` the
// arguments start at process.argv[1].
const UDP_LISTEN = `
const s = require('dgram').createSocket('udp4');
s.on('message', (m, r) => console.log('got ' + m.toString() + ' from ' + r.address + ':' + r.port));
s.bind(Number(process.argv[1]), () => console.log('listening'));
`;
const UDP_SEND = `
const [src, sport, dst, dport, msg] = process.argv.slice(1);
const s = require('dgram').createSocket('udp4');
s.bind(Number(sport), src, () => {
  let n = 0;
  const t = setInterval(() => {
    s.send(msg, Number(dport), dst);
    if (++n === 3) { clearInterval(t); setTimeout(() => s.close(), 50); }
  }, 50);
});
`;

export interface UdpListener {
  received(): string[];
  stop(): Promise<void>;
}

export async function udpListen(scope: RunScope, ns: string, port: number): Promise<UdpListener> {
  const h = scope.spawnIn(ns, [process.execPath, '-e', UDP_LISTEN, String(port)]);
  const got: string[] = [];
  h.onLine((l) => {
    if (l.startsWith('got ')) got.push(l.slice(4));
  });
  await h.waitFor(/^listening$/, 5000);
  return { received: () => [...got], stop: async () => void (await h.stop()) };
}

/** Sends three datagrams src:sport → dst:dport from ns. */
export async function udpSend(scope: RunScope, ns: string, from: { ip: string; port: number }, to: { ip: string; port: number }, msg: string): Promise<void> {
  await scope.exec(ns, [process.execPath, '-e', UDP_SEND, from.ip, String(from.port), to.ip, String(to.port), msg], { timeoutMs: 5000 });
}

// A neighbor advertisement built by hand (Linux never sends one for an address it does not hold):
// from the sender's own MAC and link-local address, so only the target check can stop it.
const CRAFTED_NA = `
import socket, struct, sys
mac = bytes.fromhex(sys.argv[1].replace(':', ''))
src = socket.inet_pton(socket.AF_INET6, sys.argv[2])
target = socket.inet_pton(socket.AF_INET6, sys.argv[3])
dst = socket.inet_pton(socket.AF_INET6, 'ff02::1')
icmp = struct.pack('!BBHI', 136, 0, 0, 0x20000000) + target + struct.pack('!BB', 2, 1) + mac  # override, TLL option
data = src + dst + struct.pack('!I', len(icmp)) + bytes([0, 0, 0, 58]) + icmp
total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
while total >> 16: total = (total & 0xffff) + (total >> 16)
icmp = icmp[:2] + struct.pack('!H', ~total & 0xffff) + icmp[4:]
ip6 = struct.pack('!IHBB', 0x60000000, len(icmp), 58, 255) + src + dst
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(('eth0', 0))
for _ in range(3): s.send(bytes.fromhex('333300000001') + mac + b'\\x86\\xdd' + ip6 + icmp)
`;

/** Why crafted packets cannot be sent here (python3 with AF_PACKET is needed), or null. */
export function craftedPacketsSkipReason(): string | null {
  try {
    execFileSync('python3', ['-c', 'import socket; socket.AF_PACKET'], { stdio: 'ignore', timeout: 10_000 });
    return null;
  } catch {
    return 'python3 (with AF_PACKET sockets) is not available';
  }
}

/** Sends three unsolicited neighbor advertisements for `target` from `inst` (its MAC, its link-local source). */
export async function sendCraftedNa(scope: RunScope, inst: Instance, target: string): Promise<void> {
  await scope.exec(inst.ns, ['python3', '-c', CRAFTED_NA, inst.port.mac, eui64LinkLocal(inst.port.mac), target], { timeoutMs: 10_000 });
}
