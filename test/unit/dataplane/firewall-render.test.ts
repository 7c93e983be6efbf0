/**
 * Rendering security groups and anti-spoofing as nftables rules. The golden cases pin exact rule
 * texts and are deliberately fragile: a change in what the kernel is told should show up here, in
 * review, line by line. The check-mode test has nft itself parse and validate a whole script.
 */
import { execFileSync } from 'node:child_process';
import { canonicalPrefixes, eui64LinkLocal, normalizeMac, parsePrefix } from '../../../dataplane/linuxbridge/firewall/addresses';
import type { FirewallDesired, FirewallGroup, FirewallPort, FirewallRule } from '../../../dataplane/linuxbridge/firewall/model';
import { NftExecutor } from '../../../dataplane/linuxbridge/firewall/nft';
import { buildRuleset, renderFirewall } from '../../../dataplane/linuxbridge/firewall/render';
import { chainHash, type ChainSpec, type TableSpec } from '../../../dataplane/linuxbridge/firewall/ruleset';
import { ruleMatch } from '../../../dataplane/linuxbridge/firewall/sg-rules';
import { fixtureDesired } from './firewall-fixture';

function rule(direction: 'ingress' | 'egress', ethertype: 'IPv4' | 'IPv6', protocol = '', extra: Partial<FirewallRule> = {}): FirewallRule {
  return { direction, ethertype, protocol, portRangeMin: 0, portRangeMax: 0, remoteIpPrefix: '', remoteGroupId: '', ...extra };
}

function port(extra: Partial<FirewallPort> = {}): FirewallPort {
  return {
    portId: 'p1',
    tap: 'tapweb1',
    bridge: 'brqnet1',
    mac: 'fa:16:3e:00:00:01',
    fixedIps: ['10.0.0.5', '2001:db8::5'],
    allowedAddressPairs: [],
    portSecurityEnabled: true,
    securityGroupIds: ['sg-web'],
    ...extra,
  };
}

function group(id: string, rules: FirewallRule[], extra: Partial<FirewallGroup> = {}): FirewallGroup {
  return { id, stateful: true, rules, members: { v4: [], v6: [] }, ...extra };
}

const IDS = { ports: new Map([['tapweb1', 7]]), zones: new Map([['brqnet1', 3]]) };

function chain(table: TableSpec, name: string): ChainSpec {
  const c = table.chains.find((x) => x.name === name);
  if (!c) throw new Error(`no chain ${name} in ${table.family}`);
  return c;
}

describe('ruleMatch: one security group rule → nft match', () => {
  const set = (g: string, v: number): string => `rg_${g}_${v}`;
  test.each<[string, FirewallRule, string]>([
    ['any IPv4 egress', rule('egress', 'IPv4'), 'meta nfproto ipv4'],
    ["'any' is any", rule('egress', 'IPv6', 'any'), 'meta nfproto ipv6'],
    ['one TCP port', rule('ingress', 'IPv4', 'tcp', { portRangeMin: 22, portRangeMax: 22 }), 'meta nfproto ipv4 tcp dport 22'],
    ['a TCP range from a CIDR', rule('ingress', 'IPv4', 'tcp', { portRangeMin: 1000, portRangeMax: 2000, remoteIpPrefix: '10.0.0.0/8' }), 'meta nfproto ipv4 tcp dport 1000-2000 ip saddr 10.0.0.0/8'],
    ['protocol by number', rule('ingress', 'IPv4', '6', { portRangeMin: 80, portRangeMax: 80 }), 'meta nfproto ipv4 tcp dport 80'],
    ['UDP to a host (egress: remote is the destination)', rule('egress', 'IPv4', 'udp', { remoteIpPrefix: '192.168.1.7' }), 'meta nfproto ipv4 meta l4proto udp ip daddr 192.168.1.7'],
    ['SCTP port', rule('ingress', 'IPv4', 'sctp', { portRangeMin: 9, portRangeMax: 9 }), 'meta nfproto ipv4 sctp dport 9'],
    ['ICMP type', rule('ingress', 'IPv4', 'icmp', { portRangeMin: 8 }), 'meta nfproto ipv4 meta l4proto icmp icmp type 8'],
    ['ICMP type and code', rule('ingress', 'IPv4', 'icmp', { portRangeMin: 3, portRangeMax: 4 }), 'meta nfproto ipv4 meta l4proto icmp icmp type 3 icmp code 4'],
    ['ICMPv6 type', rule('ingress', 'IPv6', 'icmpv6', { portRangeMin: 128 }), 'meta nfproto ipv6 meta l4proto ipv6-icmp icmpv6 type 128'],
    ['"icmp" with IPv6 means ICMPv6 (Neutron)', rule('ingress', 'IPv6', 'icmp'), 'meta nfproto ipv6 meta l4proto ipv6-icmp'],
    ['other protocol numbers', rule('ingress', 'IPv4', '47'), 'meta nfproto ipv4 meta l4proto 47'],
    ['a /0 prefix matches everything', rule('ingress', 'IPv4', '', { remoteIpPrefix: '0.0.0.0/0' }), 'meta nfproto ipv4'],
    ['host bits are cleared', rule('ingress', 'IPv4', '', { remoteIpPrefix: '10.1.2.3/8' }), 'meta nfproto ipv4 ip saddr 10.0.0.0/8'],
    ['remote group, ingress', rule('ingress', 'IPv6', '', { remoteGroupId: 'g' }), 'meta nfproto ipv6 ip6 saddr @rg_g_6'],
    ['remote group, egress', rule('egress', 'IPv4', 'tcp', { remoteGroupId: 'g' }), 'meta nfproto ipv4 meta l4proto tcp ip daddr @rg_g_4'],
  ])('%s', (_name, r, expected) => {
    expect(ruleMatch(r, set)).toEqual({ ok: true, match: expected });
  });

  test('rules that cannot be rendered say why', () => {
    expect(ruleMatch(rule('ingress', 'IPv4', 'gopher'), set)).toEqual({ ok: false, reason: "unknown protocol 'gopher'" });
    expect(ruleMatch(rule('ingress', 'IPv4', '', { remoteIpPrefix: '2001:db8::/32' }), set)).toMatchObject({ ok: false });
  });
});

describe('addresses', () => {
  test('EUI-64 link-local address of a MAC', () => {
    expect(eui64LinkLocal('fa:16:3e:00:00:01')).toBe('fe80::f816:3eff:fe00:1');
    expect(eui64LinkLocal('00:11:22:33:44:55')).toBe('fe80::211:22ff:fe33:4455');
  });
  test('MACs are normalized to nft spelling', () => {
    expect(normalizeMac('FA-16-3E-00-00-0A')).toBe('fa:16:3e:00:00:0a');
    expect(normalizeMac('fa:16:3e:00:00')).toBeNull();
  });
  test('prefixes: hosts, blocks, host bits, garbage', () => {
    expect(parsePrefix('10.0.0.5')).toEqual({ version: 4, network: 0x0a000005n, len: 32 });
    expect(parsePrefix('10.0.0.5/24')).toEqual({ version: 4, network: 0x0a000000n, len: 24 });
    expect(parsePrefix('10.0.0.5', 6)).toBeNull();
    expect(parsePrefix('10.0.0.5/33')).toBeNull();
    expect(parsePrefix('nope')).toBeNull();
  });
  test('set members: canonical, deduplicated, nothing covered twice (interval sets refuse overlaps)', () => {
    expect(canonicalPrefixes(['10.0.0.9', '10.0.0.0/30', '10.0.0.2', '10.0.0.9', '2001:db8::1', 'junk', '10.0.0.0/24', '10.1.0.1/32'], 4)).toEqual(['10.0.0.0/24', '10.1.0.1']);
    expect(canonicalPrefixes(['2001:DB8:0::1', '10.0.0.1'], 6)).toEqual(['2001:db8::1']);
  });
});

describe('buildRuleset: per-port state (golden)', () => {
  const desired: FirewallDesired = {
    ports: [
      port({
        allowedAddressPairs: [
          { ipAddress: '10.0.9.0/24', macAddress: 'fa:16:3e:00:00:99' },
          // Covers the fixed IP 10.0.0.5 of the same MAC: the interval set gets the block alone.
          { ipAddress: '10.0.0.0/24', macAddress: '' },
        ],
      }),
    ],
    groups: [
      group('sg-web', [rule('egress', 'IPv4'), rule('ingress', 'IPv4', 'tcp', { portRangeMin: 443, portRangeMax: 443 }), rule('ingress', 'IPv4', '', { remoteGroupId: 'sg-web' })], {
        members: { v4: ['10.0.0.5', '10.0.0.6'], v6: [] },
      }),
    ],
  };
  const { ruleset, problems } = buildRuleset(desired, IDS);
  const keys = (t: TableSpec, n: string): string[] => [...(t.sets.find((s) => s.name === n)?.elements.keys() ?? [])];
  const els = (t: TableSpec, n: string): [string, string][] => [...(t.sets.find((s) => s.name === n)?.elements ?? [])];

  test('no problems', () => expect(problems).toEqual([]));

  test('the port chain records its id in the high 16 bits of the mark, then runs the shared anti-spoofing chain', () => {
    expect(chain(ruleset.bridge, 'from_tapweb1').rules).toEqual(['meta mark set meta mark | 0x00070000', 'jump anti_spoof']);
  });

  test('anti-spoofing: what the port may send from, as elements keyed by its tap', () => {
    expect(keys(ruleset.bridge, 'spoof_macs')).toEqual(['tapweb1 . fa:16:3e:00:00:01', 'tapweb1 . fa:16:3e:00:00:99']);
    expect(keys(ruleset.bridge, 'spoof_arp')).toEqual([
      'tapweb1 . fa:16:3e:00:00:01 . fa:16:3e:00:00:01 . 10.0.0.0/24',
      'tapweb1 . fa:16:3e:00:00:99 . fa:16:3e:00:00:99 . 10.0.9.0/24',
    ]);
    expect(keys(ruleset.bridge, 'spoof_v4')).toEqual(['tapweb1 . fa:16:3e:00:00:01 . 10.0.0.0/24', 'tapweb1 . fa:16:3e:00:00:99 . 10.0.9.0/24']);
    expect(keys(ruleset.bridge, 'spoof_v6')).toEqual([
      'tapweb1 . fa:16:3e:00:00:01 . 2001:db8::5',
      'tapweb1 . fa:16:3e:00:00:01 . fe80::f816:3eff:fe00:1',
      'tapweb1 . fa:16:3e:00:00:99 . fe80::f816:3eff:fe00:99',
    ]);
    expect(keys(ruleset.bridge, 'spoof_nd')).toEqual([
      'tapweb1 . 0x20010db8000000000000000000000005',
      'tapweb1 . 0xfe80000000000000f8163efffe000001',
      'tapweb1 . 0xfe80000000000000f8163efffe000099',
    ]);
  });

  test('the shared anti-spoofing chain', () => {
    expect(chain(ruleset.bridge, 'anti_spoof').rules).toEqual([
      'arp htype 1 arp ptype ip arp hlen 6 arp plen 4 iifname . ether saddr . arp saddr ether . arp saddr ip @spoof_arp return',
      'arp htype 1 arp ptype ip arp hlen 6 arp plen 4 arp saddr ip 0.0.0.0 iifname . ether saddr @spoof_macs iifname . arp saddr ether @spoof_macs return',
      'ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 iifname . ether saddr @spoof_macs return',
      'iifname . ether saddr . ip saddr @spoof_v4 return',
      'icmpv6 type nd-neighbor-advert iifname . @th,64,128 != @spoof_nd drop',
      'ip6 saddr :: icmpv6 type { 131, 135, 143 } iifname . ether saddr @spoof_macs return',
      'iifname . ether saddr . ip6 saddr @spoof_v6 return',
      'counter drop',
    ]);
  });

  test('per-port group chains hold only the port rules (sorted), then the default drop', () => {
    expect(chain(ruleset.inet, 'egress_tapweb1').rules).toEqual(['meta nfproto ipv4 return', 'counter drop']);
    expect(chain(ruleset.inet, 'ingress_tapweb1').rules).toEqual(['meta nfproto ipv4 ip saddr @rg_sg-web_4 accept', 'meta nfproto ipv4 tcp dport 443 accept', 'counter drop']);
  });

  test('shared group chains: DHCP/ND basics, conntrack shortcuts for stateful ports, dispatch', () => {
    expect(chain(ruleset.inet, 'sg_forward').rules).toEqual([
      'meta mark & 0xffff0000 != 0x00000000 jump sg_egress',
      'meta mark & 0x0000ffff != 0x00000000 jump sg_ingress',
    ]);
    expect(chain(ruleset.inet, 'sg_egress').rules).toEqual([
      'udp sport 68 udp dport 67 return',
      'udp sport 67 udp dport 68 drop',
      'udp sport 546 udp dport 547 return',
      'udp sport 547 udp dport 546 drop',
      'icmpv6 type nd-router-advert drop',
      'icmpv6 type @icmpv6_out return',
      'meta mark & 0xffff0000 @stateful_out ct state invalid drop',
      'meta mark & 0xffff0000 @stateful_out ct state related return',
      'meta mark & 0xffff0000 @stateful_out ct state established ct direction reply return',
      'meta mark & 0xffff0000 vmap @egress',
    ]);
    expect(chain(ruleset.inet, 'sg_ingress').rules).toEqual([
      'udp sport 67 udp dport 68 accept',
      'ip6 saddr fe80::/10 udp sport 547 udp dport 546 accept',
      'icmpv6 type @icmpv6_in accept',
      'meta mark & 0x0000ffff @stateful_in ct state invalid drop',
      'meta mark & 0x0000ffff @stateful_in ct state related accept',
      'meta mark & 0x0000ffff @stateful_in ct state established ct direction reply accept',
      'meta mark & 0x0000ffff vmap @ingress',
    ]);
  });

  test('dispatch maps, ids, zones, statefulness', () => {
    expect(els(ruleset.bridge, 'port_ids')).toEqual([['tapweb1', '7']]);
    expect(els(ruleset.bridge, 'from_port')).toEqual([['tapweb1', 'jump from_tapweb1']]);
    expect(els(ruleset.inet, 'egress')).toEqual([[String(7 * 65536), 'jump egress_tapweb1']]);
    expect(els(ruleset.inet, 'ingress')).toEqual([['7', 'jump ingress_tapweb1']]);
    expect(els(ruleset.inet, 'zones')).toEqual([['brqnet1', '3']]);
    expect(keys(ruleset.inet, 'stateful_out')).toEqual([String(7 * 65536)]);
    expect(keys(ruleset.inet, 'stateful_in')).toEqual(['7']);
    // Only the family that is referenced gets a set.
    expect(ruleset.inet.sets.map((s) => s.name)).toEqual(['zones', 'egress', 'ingress', 'stateful_out', 'stateful_in', 'icmpv6_out', 'icmpv6_in', 'rg_sg-web_4']);
    expect(keys(ruleset.inet, 'rg_sg-web_4')).toEqual(['10.0.0.5', '10.0.0.6']);
  });
});

describe('buildRuleset: semantics', () => {
  test('port_security_enabled=false: no chains, no id, no dispatch; its bridge still gets a zone', () => {
    const { ruleset } = buildRuleset({ ports: [port({ portSecurityEnabled: false })], groups: [] }, { ports: new Map(), zones: IDS.zones });
    expect(ruleset.bridge.chains.map((c) => c.name)).toEqual(['l2_forward', 'anti_spoof']);
    expect(ruleset.inet.chains.map((c) => c.name)).toEqual(['zone_prerouting', 'sg_forward', 'sg_egress', 'sg_ingress']);
    expect(ruleset.bridge.sets.every((s) => s.elements.size === 0)).toBe(true);
    expect(ruleset.inet.sets.filter((s) => s.name.startsWith('stateful_')).every((s) => s.elements.size === 0)).toBe(true);
    expect([...(ruleset.inet.sets.find((s) => s.name === 'zones')?.elements ?? [])]).toEqual([['brqnet1', '3']]);
  });

  test('stateless groups: the port is left out of the stateful sets; a port with any stateful group is stateful', () => {
    const stateful = (d: FirewallDesired): string[] => [...(buildRuleset(d, IDS).ruleset.inet.sets.find((x) => x.name === 'stateful_in')?.elements.keys() ?? [])];
    expect(stateful({ ports: [port()], groups: [group('sg-web', [rule('ingress', 'IPv4', 'icmp')], { stateful: false })] })).toEqual([]);
    expect(stateful({ ports: [port({ securityGroupIds: ['sg-web', 'sg-x'] })], groups: [group('sg-web', [], { stateful: false }), group('sg-x', [])] })).toEqual(['7']);
    // No groups at all: default deny both ways, and replies to nothing need no rule.
    expect(stateful({ ports: [port({ securityGroupIds: [] })], groups: [] })).toEqual(['7']);
  });

  test('the chain hash ignores rule order and duplicates across groups', () => {
    const rules = [rule('ingress', 'IPv4', 'tcp', { portRangeMin: 22, portRangeMax: 22 }), rule('ingress', 'IPv4', 'icmp'), rule('egress', 'IPv4')];
    const a = buildRuleset({ ports: [port()], groups: [group('sg-web', rules)] }, IDS).ruleset;
    const b = buildRuleset({ ports: [port({ securityGroupIds: ['sg-web', 'sg-dup'] })], groups: [group('sg-web', [...rules].reverse()), group('sg-dup', [rules[1]])] }, IDS).ruleset;
    expect(chainHash(chain(b.inet, 'ingress_tapweb1'))).toBe(chainHash(chain(a.inet, 'ingress_tapweb1')));
    expect(chainHash(chain(b.inet, 'egress_tapweb1'))).toBe(chainHash(chain(a.inet, 'egress_tapweb1')));
  });

  test('a remote group nobody on this host is in still gets its (member) set; an unknown one an empty set', () => {
    const groups = [group('sg-web', [rule('ingress', 'IPv4', '', { remoteGroupId: 'sg-db' }), rule('ingress', 'IPv6', '', { remoteGroupId: 'sg-gone' })]), group('sg-db', [], { members: { v4: ['10.9.0.1'], v6: [] } })];
    const { ruleset, problems } = buildRuleset({ ports: [port()], groups }, IDS);
    expect(problems).toEqual([]);
    const sets = new Map(ruleset.inet.sets.map((s) => [s.name, [...s.elements.keys()]]));
    expect(sets.get('rg_sg-db_4')).toEqual(['10.9.0.1']);
    expect(sets.get('rg_sg-gone_6')).toEqual([]);
  });

  test('bad input fails closed and is reported', () => {
    const desired: FirewallDesired = {
      ports: [
        port({ portId: 'bad-mac', tap: 'tapbad1', mac: 'zz', securityGroupIds: [] }),
        port({ portId: 'bad-ip', tap: 'tapbad2', fixedIps: ['10.0.0.300', '10.0.0.7'], securityGroupIds: ['sg-web', 'sg-missing'] }),
        port({ portId: 'bad-name', tap: 'tap"; drop', securityGroupIds: [] }),
      ],
      groups: [group('sg-web', [rule('ingress', 'IPv4', 'gopher'), rule('ingress', 'IPv4', 'icmp')])],
    };
    const ids = { ports: new Map([['tapbad1', 1], ['tapbad2', 2]]), zones: IDS.zones };
    const { ruleset, problems } = buildRuleset(desired, ids);
    expect(problems).toEqual([
      { portId: 'bad-name', reason: `tap 'tap"; drop' or bridge 'brqnet1' is not an interface name` },
      { portId: 'bad-mac', reason: "MAC 'zz' is not a MAC address" },
      { portId: 'bad-ip', reason: "fixed IP '10.0.0.300' is not an address" },
      { portId: 'bad-ip', reason: "security group sg-web: unknown protocol 'gopher'" },
      { portId: 'bad-ip', reason: 'security group sg-missing is unknown' },
    ]);
    // Nothing the port with a bad MAC sends gets through: it has no anti-spoofing elements at all.
    const spoofKeys = ruleset.bridge.sets.filter((x) => x.name.startsWith('spoof_')).flatMap((x) => [...x.elements.keys()]);
    expect(spoofKeys.filter((k) => k.startsWith('tapbad1 '))).toEqual([]);
    expect(chain(ruleset.bridge, 'from_tapbad1').rules).toEqual(['meta mark set meta mark | 0x00010000', 'jump anti_spoof']);
    // The bad fixed IP is left out, the good one stays.
    expect(spoofKeys.filter((k) => k.startsWith('tapbad2 ') && k.includes('10.0.0.'))).toEqual([
      'tapbad2 . fa:16:3e:00:00:01 . fa:16:3e:00:00:01 . 10.0.0.7', // spoof_arp
      'tapbad2 . fa:16:3e:00:00:01 . 10.0.0.7', // spoof_v4
    ]);
    expect(chain(ruleset.inet, 'ingress_tapbad2').rules).toContain('meta nfproto ipv4 meta l4proto icmp accept');
    expect(ruleset.bridge.chains.map((c) => c.name)).not.toContain('from_tap"; drop');
  });
});

describe('renderFirewall: the complete script (golden)', () => {
  test('one port, no groups: both tables replaced in one transaction, sets before chains before dispatch', () => {
    const desired: FirewallDesired = {
      ports: [port({ tap: 'tapa', bridge: 'brqn', mac: 'fa:16:3e:00:00:0a', fixedIps: ['192.0.2.10'], securityGroupIds: [] })],
      groups: [],
    };
    const lines = renderFirewall(desired).trimEnd().split('\n');
    const hash = (l: string): string => l.replace(/weft:[0-9a-f]{16}/, 'weft:HASH');
    expect(lines.map(hash)).toEqual([
      'add table bridge weft',
      'delete table bridge weft',
      'add table bridge weft',
      'add map bridge weft port_ids { type ifname : mark; }',
      'add element bridge weft port_ids { "tapa" : 1 }',
      'add map bridge weft from_port { type ifname : verdict; }',
      'add set bridge weft spoof_macs { type ifname . ether_addr; }',
      'add element bridge weft spoof_macs { "tapa" . fa:16:3e:00:00:0a }',
      'add set bridge weft spoof_arp { type ifname . ether_addr . ether_addr . ipv4_addr; flags interval; }',
      'add element bridge weft spoof_arp { "tapa" . fa:16:3e:00:00:0a . fa:16:3e:00:00:0a . 192.0.2.10 }',
      'add set bridge weft spoof_v4 { type ifname . ether_addr . ipv4_addr; flags interval; }',
      'add element bridge weft spoof_v4 { "tapa" . fa:16:3e:00:00:0a . 192.0.2.10 }',
      'add set bridge weft spoof_v6 { type ifname . ether_addr . ipv6_addr; flags interval; }',
      'add element bridge weft spoof_v6 { "tapa" . fa:16:3e:00:00:0a . fe80::f816:3eff:fe00:a }',
      'add set bridge weft spoof_nd { typeof iifname . @th,64,128; flags interval; }',
      'add element bridge weft spoof_nd { "tapa" . 0xfe80000000000000f8163efffe00000a }',
      'add chain bridge weft l2_forward { type filter hook forward priority -200; policy accept; }',
      'add chain bridge weft anti_spoof',
      'add chain bridge weft from_tapa',
      'add rule bridge weft l2_forward meta mark set 0x00000000',
      'add rule bridge weft l2_forward meta mark set oifname map @port_ids',
      'add rule bridge weft l2_forward iifname vmap @from_port comment "weft:HASH"',
      'add rule bridge weft anti_spoof arp htype 1 arp ptype ip arp hlen 6 arp plen 4 iifname . ether saddr . arp saddr ether . arp saddr ip @spoof_arp return',
      'add rule bridge weft anti_spoof arp htype 1 arp ptype ip arp hlen 6 arp plen 4 arp saddr ip 0.0.0.0 iifname . ether saddr @spoof_macs iifname . arp saddr ether @spoof_macs return',
      'add rule bridge weft anti_spoof ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 iifname . ether saddr @spoof_macs return',
      'add rule bridge weft anti_spoof iifname . ether saddr . ip saddr @spoof_v4 return',
      'add rule bridge weft anti_spoof icmpv6 type nd-neighbor-advert iifname . @th,64,128 != @spoof_nd drop',
      'add rule bridge weft anti_spoof ip6 saddr :: icmpv6 type { 131, 135, 143 } iifname . ether saddr @spoof_macs return',
      'add rule bridge weft anti_spoof iifname . ether saddr . ip6 saddr @spoof_v6 return',
      'add rule bridge weft anti_spoof counter drop comment "weft:HASH"',
      'add rule bridge weft from_tapa meta mark set meta mark | 0x00010000',
      'add rule bridge weft from_tapa jump anti_spoof comment "weft:HASH"',
      'add element bridge weft from_port { "tapa" : jump from_tapa }',
      'add table inet weft',
      'delete table inet weft',
      'add table inet weft',
      'add map inet weft zones { typeof iifname : ct zone; }',
      'add element inet weft zones { "brqn" : 1 }',
      'add map inet weft egress { type mark : verdict; }',
      'add map inet weft ingress { type mark : verdict; }',
      'add set inet weft stateful_out { type mark; }',
      'add element inet weft stateful_out { 65536 }',
      'add set inet weft stateful_in { type mark; }',
      'add element inet weft stateful_in { 1 }',
      'add set inet weft icmpv6_out { type icmpv6_type; }',
      'add element inet weft icmpv6_out { mld-listener-query, mld-listener-report, mld-listener-done, nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld2-listener-report }',
      'add set inet weft icmpv6_in { type icmpv6_type; }',
      'add element inet weft icmpv6_in { mld-listener-query, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert }',
      'add chain inet weft zone_prerouting { type filter hook prerouting priority -300; policy accept; }',
      'add chain inet weft sg_forward { type filter hook forward priority 0; policy accept; }',
      'add chain inet weft sg_egress',
      'add chain inet weft sg_ingress',
      'add chain inet weft egress_tapa',
      'add chain inet weft ingress_tapa',
      'add rule inet weft zone_prerouting ct zone set iifname map @zones comment "weft:HASH"',
      'add rule inet weft sg_forward meta mark & 0xffff0000 != 0x00000000 jump sg_egress',
      'add rule inet weft sg_forward meta mark & 0x0000ffff != 0x00000000 jump sg_ingress comment "weft:HASH"',
      'add rule inet weft sg_egress udp sport 68 udp dport 67 return',
      'add rule inet weft sg_egress udp sport 67 udp dport 68 drop',
      'add rule inet weft sg_egress udp sport 546 udp dport 547 return',
      'add rule inet weft sg_egress udp sport 547 udp dport 546 drop',
      'add rule inet weft sg_egress icmpv6 type nd-router-advert drop',
      'add rule inet weft sg_egress icmpv6 type @icmpv6_out return',
      'add rule inet weft sg_egress meta mark & 0xffff0000 @stateful_out ct state invalid drop',
      'add rule inet weft sg_egress meta mark & 0xffff0000 @stateful_out ct state related return',
      'add rule inet weft sg_egress meta mark & 0xffff0000 @stateful_out ct state established ct direction reply return',
      'add rule inet weft sg_egress meta mark & 0xffff0000 vmap @egress comment "weft:HASH"',
      'add rule inet weft sg_ingress udp sport 67 udp dport 68 accept',
      'add rule inet weft sg_ingress ip6 saddr fe80::/10 udp sport 547 udp dport 546 accept',
      'add rule inet weft sg_ingress icmpv6 type @icmpv6_in accept',
      'add rule inet weft sg_ingress meta mark & 0x0000ffff @stateful_in ct state invalid drop',
      'add rule inet weft sg_ingress meta mark & 0x0000ffff @stateful_in ct state related accept',
      'add rule inet weft sg_ingress meta mark & 0x0000ffff @stateful_in ct state established ct direction reply accept',
      'add rule inet weft sg_ingress meta mark & 0x0000ffff vmap @ingress comment "weft:HASH"',
      'add rule inet weft egress_tapa counter drop comment "weft:HASH"',
      'add rule inet weft ingress_tapa counter drop comment "weft:HASH"',
      'add element inet weft egress { 65536 : jump egress_tapa }',
      'add element inet weft ingress { 1 : jump ingress_tapa }',
    ]);
  });
});

/** Why `nft -c` cannot run here (it needs root and a namespace of its own), or null. */
function nftCheckSkipReason(): string | null {
  if (process.getuid?.() !== 0) return 'not root';
  for (const [tool, args] of [
    ['nft', ['--version']],
    ['unshare', ['--version']],
  ] as const) {
    try {
      execFileSync(tool, [...args], { stdio: 'ignore', timeout: 5000 });
    } catch {
      return `${tool} is not available`;
    }
  }
  return null;
}

describe('nft -c accepts what we render', () => {
  const reason = nftCheckSkipReason();
  if (reason !== null) console.warn(`skipping nft check-mode tests: ${reason}`);
  const maybe = reason === null ? test : test.skip;

  // `unshare -n`: a throwaway network namespace per check, so not even check mode touches the
  // namespace the tests run in.
  const nft = new NftExecutor({ commandPrefix: ['unshare', '-n'] });

  maybe('the fixture ruleset and a kitchen-sink of rule kinds', async () => {
    await nft.check(renderFirewall(fixtureDesired()));
    const everyKind = [
      rule('egress', 'IPv4'),
      rule('egress', 'IPv6'),
      rule('ingress', 'IPv4', 'tcp', { portRangeMin: 1, portRangeMax: 65535, remoteIpPrefix: '10.0.0.0/8' }),
      rule('ingress', 'IPv4', 'udp', { portRangeMin: 53, portRangeMax: 53, remoteGroupId: 'sg-web' }),
      rule('ingress', 'IPv4', 'sctp', { portRangeMin: 9, portRangeMax: 9 }),
      rule('ingress', 'IPv4', 'icmp', { portRangeMin: 3, portRangeMax: 4 }),
      rule('ingress', 'IPv6', 'icmpv6', { portRangeMin: 128 }),
      rule('ingress', 'IPv6', 'tcp', { remoteIpPrefix: '2001:db8::/32' }),
      rule('egress', 'IPv6', '', { remoteGroupId: 'sg-web' }),
      rule('ingress', 'IPv4', '47'),
    ];
    const desired: FirewallDesired = {
      ports: [
        port({ allowedAddressPairs: [{ ipAddress: '10.0.9.0/24', macAddress: 'fa:16:3e:00:00:99' }, { ipAddress: '2001:db8:9::/64', macAddress: '' }] }),
        port({ portId: 'p2', tap: 'tapweb2', mac: 'fa:16:3e:00:00:02', fixedIps: [], securityGroupIds: [] }),
        port({ portId: 'p3', tap: 'tapweb3', bridge: 'brqnet2', portSecurityEnabled: false }),
      ],
      groups: [group('sg-web', everyKind, { members: { v4: ['10.0.0.5', '10.0.1.0/24'], v6: ['2001:db8::5'] } })],
    };
    await nft.check(renderFirewall(desired));
  });

  maybe('and refuses a broken script, with its stderr in the error', async () => {
    await expect(nft.check('add rule inet weft nowhere drop\n')).rejects.toMatchObject({ code: 'NFT_FAILED', stderr: expect.stringContaining('Error') });
  });
});
