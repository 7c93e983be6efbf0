/**
 * Inputs for the incremental firewall tests (render memo, reconciler): a host with a few dozen
 * ports in three networks, a default group whose ingress rules name itself (remote group) plus
 * ssh/ping, a "web" group on some ports, members on other hosts, and a seeded source of random
 * changes of every kind the controller can make. Deterministic: same seed, same sequence.
 */
import type { FirewallDesired, FirewallGroup, FirewallPort, FirewallRule } from '../../../dataplane/linuxbridge/firewall/model';

export function rule(direction: 'ingress' | 'egress', ethertype: 'IPv4' | 'IPv6', extra: Partial<FirewallRule> = {}): FirewallRule {
  return { direction, ethertype, protocol: '', portRangeMin: 0, portRangeMax: 0, remoteIpPrefix: '', remoteGroupId: '', ...extra };
}

const hex2 = (n: number): string => (n & 0xff).toString(16).padStart(2, '0');

export function hostPort(n: number): FirewallPort {
  return {
    portId: `port-${n}`,
    tap: `tapport${n}`,
    bridge: `brqnet${n % 3}`,
    mac: `fa:16:3e:00:${hex2(n >> 8)}:${hex2(n)}`,
    fixedIps: [`10.${n % 3}.${n >> 8}.${n & 0xff}`, `fd00:${n % 3}::${n.toString(16)}`],
    allowedAddressPairs: [],
    portSecurityEnabled: true,
    securityGroupIds: n % 4 === 0 ? ['sg-default', 'sg-web'] : ['sg-default'],
  };
}

function membersOf(ports: FirewallPort[], groupId: string, remote: string[]): { v4: string[]; v6: string[] } {
  const ips = ports.filter((p) => p.securityGroupIds.includes(groupId)).flatMap((p) => p.fixedIps);
  return { v4: [...ips.filter((a) => !a.includes(':')), ...remote].sort(), v6: ips.filter((a) => a.includes(':')).sort() };
}

/** `n` ports on this host; the default group also has `remote` members on other hosts. */
export function hostDesired(n: number, remote = 5): FirewallDesired {
  const ports = Array.from({ length: n }, (_, i) => hostPort(i + 1));
  const others = Array.from({ length: remote }, (_, i) => `10.9.0.${i + 1}`);
  const groups: FirewallGroup[] = [
    {
      id: 'sg-default',
      stateful: true,
      members: membersOf(ports, 'sg-default', others),
      rules: [
        rule('egress', 'IPv4'),
        rule('egress', 'IPv6'),
        rule('ingress', 'IPv4', { remoteGroupId: 'sg-default' }),
        rule('ingress', 'IPv6', { remoteGroupId: 'sg-default' }),
        rule('ingress', 'IPv4', { protocol: 'tcp', portRangeMin: 22, portRangeMax: 22 }),
        rule('ingress', 'IPv4', { protocol: 'icmp' }),
      ],
    },
    { id: 'sg-web', stateful: true, members: membersOf(ports, 'sg-web', []), rules: [rule('ingress', 'IPv4', { protocol: 'tcp', portRangeMin: 80, portRangeMax: 80 })] },
    { id: 'sg-udp', stateful: false, members: { v4: [], v6: [] }, rules: [rule('ingress', 'IPv4', { protocol: 'udp', portRangeMin: 53, portRangeMax: 53, remoteGroupId: 'sg-web' })] },
  ];
  return { ports, groups };
}

/** A copy sharing nothing with `d`, as the agent builds afresh for every reconcile. */
export const copyOf = (d: FirewallDesired): FirewallDesired => structuredClone(d);

export function groupOf(d: FirewallDesired, id: string): FirewallGroup {
  const g = d.groups.find((x) => x.id === id);
  if (g === undefined) throw new Error(`no group ${id}`);
  return g;
}

export { prng } from '../seeded-random';

interface Change {
  name: string;
  apply(): void;
}

/** One random change (in place) of the kinds the controller makes; returns its name. */
export function randomChange(d: FirewallDesired, rnd: () => number, next: { n: number }): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const withPort = (fn: (p: FirewallPort) => void) => (): void => {
    if (d.ports.length > 0) fn(pick(d.ports));
  };
  const octet = (): number => 1 + Math.floor(rnd() * 200);
  const changes: Change[] = [
    { name: 'port added', apply: () => void d.ports.push(hostPort(next.n++)) },
    {
      name: 'port removed',
      apply: withPort((p) => {
        d.ports = d.ports.filter((x) => x !== p);
      }),
    },
    { name: 'fixed IP changed', apply: withPort((p) => (p.fixedIps = [`10.7.${octet()}.${octet()}`])) },
    {
      name: 'address pair added',
      apply: withPort((p) => p.allowedAddressPairs.push({ ipAddress: `192.168.${octet()}.0/24`, macAddress: rnd() < 0.5 ? '' : 'fa:16:3e:99:99:99' })),
    },
    { name: 'port security toggled', apply: withPort((p) => (p.portSecurityEnabled = !p.portSecurityEnabled)) },
    { name: 'groups of a port changed', apply: withPort((p) => (p.securityGroupIds = pick([['sg-default'], ['sg-default', 'sg-web'], ['sg-udp'], [], ['sg-default', 'sg-missing']]))) },
    { name: 'port moved to another network', apply: withPort((p) => (p.bridge = pick(['brqnet0', 'brqnet1', 'brqnet2', 'brqnet3']))) },
    { name: 'bad MAC (a render problem)', apply: withPort((p) => (p.mac = 'not-a-mac')) },
    { name: 'tap claimed by a second port (a render problem)', apply: withPort((p) => void d.ports.unshift({ ...structuredClone(p), portId: `dup-${next.n++}`, fixedIps: [] })) },
    { name: 'rule added', apply: () => void groupOf(d, pick(['sg-default', 'sg-web'])).rules.push(rule('ingress', 'IPv4', { protocol: 'tcp', portRangeMin: 1000 + octet() })) },
    {
      name: 'rule removed',
      apply: () => {
        const rules = groupOf(d, 'sg-default').rules;
        rules.splice(Math.floor(rnd() * rules.length), 1);
      },
    },
    { name: 'group statefulness changed', apply: () => void (groupOf(d, pick(['sg-default', 'sg-web', 'sg-udp'])).stateful = rnd() < 0.5) },
    { name: 'remote member joined', apply: () => void groupOf(d, pick(['sg-default', 'sg-web'])).members.v4.push(`10.8.${octet()}.${octet()}`) },
    {
      name: 'remote member left',
      apply: () => {
        const v4 = groupOf(d, 'sg-default').members.v4;
        v4.splice(Math.floor(rnd() * v4.length), 1);
      },
    },
    { name: 'member block covering others', apply: () => void groupOf(d, 'sg-default').members.v4.push(pick(['10.1.0.0/24', '10.0.0.0/16', '10.9.0.0/30'])) },
  ];
  const c = pick(changes);
  c.apply();
  return c.name;
}
