/**
 * The firewall planner against a simulated nftables (firewall-kernel-sim.ts) that applies scripts
 * atomically and refuses what the kernel would (dangling references, deleting what is in use), plus
 * the observer against real `nft -j` output captured from the kernel (firewall-nft-list.json).
 * The cases assert what was handled incrementally, not only the end state.
 */
import { FirewallError } from '../../../dataplane/linuxbridge/firewall/errors';
import { allocateIds, MAX_ID } from '../../../dataplane/linuxbridge/firewall/ids';
import type { FirewallDesired, FirewallGroup, FirewallPort, FirewallRule } from '../../../dataplane/linuxbridge/firewall/model';
import { EMPTY_OBSERVED, elementText, parseObservedTable, type ObservedFirewall } from '../../../dataplane/linuxbridge/firewall/observe';
import { planFirewall, planFirewallChanges, type FirewallPlan } from '../../../dataplane/linuxbridge/firewall/planner';
import { buildRuleset } from '../../../dataplane/linuxbridge/firewall/render';
import { fixtureDesired } from './firewall-fixture';
import { NftSim } from './firewall-kernel-sim';
import nftList from './firewall-nft-list.json';

function rule(direction: 'ingress' | 'egress', ethertype: 'IPv4' | 'IPv6', protocol = '', extra: Partial<FirewallRule> = {}): FirewallRule {
  return { direction, ethertype, protocol, portRangeMin: 0, portRangeMax: 0, remoteIpPrefix: '', remoteGroupId: '', ...extra };
}

function port(n: number, extra: Partial<FirewallPort> = {}): FirewallPort {
  return {
    portId: `port-${n}`,
    tap: `tapp${n}`,
    bridge: n <= 3 ? 'brqnetA' : 'brqnetB',
    mac: `fa:16:3e:00:00:0${n}`,
    fixedIps: [`10.0.0.${n}`],
    allowedAddressPairs: [],
    portSecurityEnabled: true,
    securityGroupIds: ['sg-web'],
    ...extra,
  };
}

/** p1: web + ssh; p2: web; p3: port security off; p4 (another network): web. */
function desired(): FirewallDesired {
  const groups: FirewallGroup[] = [
    {
      id: 'sg-web',
      stateful: true,
      members: { v4: ['10.0.0.1', '10.0.0.2', '10.0.0.4'], v6: [] },
      rules: [rule('egress', 'IPv4'), rule('ingress', 'IPv4', 'tcp', { portRangeMin: 80, portRangeMax: 80 }), rule('ingress', 'IPv4', '', { remoteGroupId: 'sg-web' })],
    },
    { id: 'sg-ssh', stateful: true, members: { v4: ['10.0.0.1'], v6: [] }, rules: [rule('ingress', 'IPv4', 'tcp', { portRangeMin: 22, portRangeMax: 22 })] },
  ];
  return { ports: [port(1, { securityGroupIds: ['sg-web', 'sg-ssh'] }), port(2), port(3, { portSecurityEnabled: false, securityGroupIds: [] }), port(4)], groups };
}

const groupOf = (d: FirewallDesired, id: string): FirewallGroup => {
  const g = d.groups.find((x) => x.id === id);
  if (!g) throw new Error(id);
  return g;
};

/** Plans against the simulator and applies; planning again must find nothing to do. */
function converge(sim: NftSim, d: FirewallDesired, opts: { full?: boolean } = {}): FirewallPlan {
  const plan = planFirewallChanges(d, sim.observe(), opts);
  if (plan.script !== null) sim.apply(plan.script);
  expect(planFirewall(d, sim.observe())).toBeNull();
  return plan;
}

function started(d: FirewallDesired = desired()): NftSim {
  const sim = new NftSim();
  converge(sim, d);
  return sim;
}

const lines = (plan: FirewallPlan): string[] => (plan.script ?? '').trimEnd().split('\n');

describe('planFirewall', () => {
  test('first run (no tables): both built from scratch, then nothing to do', () => {
    const sim = new NftSim();
    const plan = converge(sim, desired());
    expect(plan.summary.full).toEqual(['bridge', 'inet']);
    expect(plan.problems).toEqual([]);
    expect(plan.ids.ports).toEqual(
      new Map([
        ['tapp1', 1],
        ['tapp2', 2],
        ['tapp4', 3],
      ]),
    );
    expect(plan.ids.zones).toEqual(
      new Map([
        ['brqnetA', 1],
        ['brqnetB', 2],
      ]),
    );
  });

  test('unchanged desired state, listed in another order: null (a restarted agent rewrites nothing)', () => {
    const sim = started();
    const d = desired();
    d.ports.reverse();
    d.groups.reverse();
    for (const g of d.groups) g.rules.reverse();
    groupOf(d, 'sg-web').members.v4.reverse();
    expect(planFirewall(d, sim.observe())).toBeNull();
  });

  test('a rule added to a group only p1 uses: only p1 ingress chain is rewritten, in place', () => {
    const sim = started();
    const d = desired();
    groupOf(d, 'sg-ssh').rules.push(rule('ingress', 'IPv4', 'tcp', { portRangeMin: 2222, portRangeMax: 2222 }));
    const plan = converge(sim, d);
    expect(plan.summary).toEqual({
      full: [],
      chainsCreated: [],
      chainsRewritten: ['inet ingress_tapp1'],
      chainsDeleted: [],
      setsCreated: [],
      setsDeleted: [],
      elementsAdded: 0,
      elementsDeleted: 0,
    });
    expect(lines(plan)[0]).toBe('flush chain inet weft ingress_tapp1');
    expect(lines(plan).every((l) => / ingress_tapp1( |$)/.test(l))).toBe(true);
    expect(sim.rules('inet', 'ingress_tapp1')).toContain('meta nfproto ipv4 tcp dport 2222 accept');
  });

  test('a member joins / leaves a remote group: one element, no rule touched', () => {
    const sim = started();
    const d = desired();
    groupOf(d, 'sg-web').members.v4.push('10.0.0.9');
    expect(converge(sim, d).script).toBe('add element inet weft rg_sg-web_4 { 10.0.0.9 }\n');
    groupOf(d, 'sg-web').members.v4 = ['10.0.0.1', '10.0.0.4'];
    expect(converge(sim, d).script).toBe('delete element inet weft rg_sg-web_4 { 10.0.0.2, 10.0.0.9 }\n');
    expect([...sim.elements('inet', 'rg_sg-web_4').keys()]).toEqual(['10.0.0.1', '10.0.0.4']);
  });

  test('a port removed: its dispatch entries go before its chains; nothing else is touched', () => {
    const sim = started();
    const d = desired();
    d.ports = d.ports.filter((p) => p.tap !== 'tapp2');
    const plan = converge(sim, d);
    // port id, dispatch (3), stateful (2), anti-spoofing: MAC, ARP, IPv4, link-local, ND target.
    expect(plan.summary).toMatchObject({ full: [], chainsCreated: [], chainsRewritten: [], elementsAdded: 0, elementsDeleted: 11 });
    expect(plan.summary.chainsDeleted.sort()).toEqual(['bridge from_tapp2', 'inet egress_tapp2', 'inet ingress_tapp2']);
    expect(lines(plan).filter((l) => /tapp[134]/.test(l))).toEqual([]);
    // The simulator refused nothing, so no chain was deleted while a map still jumped to it.
  });

  test("a port's addresses change: anti-spoofing elements only, no chain touched", () => {
    const sim = started();
    const d = desired();
    d.ports[1].fixedIps = ['10.0.0.22'];
    d.ports[1].allowedAddressPairs = [{ ipAddress: '192.168.0.0/16', macAddress: '' }];
    const plan = converge(sim, d);
    expect(plan.summary).toMatchObject({ full: [], chainsCreated: [], chainsRewritten: [], chainsDeleted: [] });
    expect(lines(plan)).toEqual([
      'delete element bridge weft spoof_arp { "tapp2" . fa:16:3e:00:00:02 . fa:16:3e:00:00:02 . 10.0.0.2 }',
      'add element bridge weft spoof_arp { "tapp2" . fa:16:3e:00:00:02 . fa:16:3e:00:00:02 . 10.0.0.22, "tapp2" . fa:16:3e:00:00:02 . fa:16:3e:00:00:02 . 192.168.0.0/16 }',
      'delete element bridge weft spoof_v4 { "tapp2" . fa:16:3e:00:00:02 . 10.0.0.2 }',
      'add element bridge weft spoof_v4 { "tapp2" . fa:16:3e:00:00:02 . 10.0.0.22, "tapp2" . fa:16:3e:00:00:02 . 192.168.0.0/16 }',
    ]);
  });

  test('a group turns stateless: its ports leave the stateful sets, no chain touched', () => {
    const sim = started();
    const d = desired();
    groupOf(d, 'sg-web').stateful = false;
    const plan = converge(sim, d);
    expect(plan.summary).toMatchObject({ chainsRewritten: [], elementsDeleted: 4 });
    // p1 also has the stateful sg-ssh, so it stays stateful; p2 and p4 leave.
    expect([...sim.elements('inet', 'stateful_in').keys()]).toEqual(['1']);
  });

  test('a port added gets the lowest free id; the others keep theirs', () => {
    const sim = started();
    const d = desired();
    d.ports = d.ports.filter((p) => p.tap !== 'tapp1');
    converge(sim, d);
    d.ports.push(port(5));
    const plan = converge(sim, d);
    expect(plan.ids.ports.get('tapp5')).toBe(1);
    expect(plan.ids.ports.get('tapp2')).toBe(2);
    expect(plan.ids.ports.get('tapp4')).toBe(3);
    expect(plan.summary.chainsCreated.sort()).toEqual(['bridge from_tapp5', 'inet egress_tapp5', 'inet ingress_tapp5']);
    expect(plan.summary.chainsRewritten).toEqual([]);
  });

  test('port security switched off: its chains and ids go, its bridge keeps its zone', () => {
    const sim = started();
    const d = desired();
    d.ports[1].portSecurityEnabled = false;
    const plan = converge(sim, d);
    expect(plan.summary.chainsDeleted.sort()).toEqual(['bridge from_tapp2', 'inet egress_tapp2', 'inet ingress_tapp2']);
    expect(plan.ids.ports.has('tapp2')).toBe(false);
    expect(sim.elements('inet', 'zones').get('brqnetA')).toBe('1');
  });

  test('a remote group no longer referenced: its set is deleted after the chain that used it is rewritten', () => {
    const sim = started();
    const d = desired();
    groupOf(d, 'sg-web').rules = groupOf(d, 'sg-web').rules.filter((r) => r.remoteGroupId === '');
    const plan = converge(sim, d);
    expect(plan.summary.setsDeleted).toEqual(['inet rg_sg-web_4']);
    expect(lines(plan).at(-1)).toBe('delete set inet weft rg_sg-web_4');
    // And back: the set is created before the rules that name it.
    const again = converge(sim, desired());
    expect(again.summary.setsCreated).toEqual(['inet rg_sg-web_4']);
    expect(lines(again)[0]).toBe('add set inet weft rg_sg-web_4 { type ipv4_addr; flags interval; }');
  });

  describe('drift', () => {
    test('a flushed chain (no hash comment) is rewritten, alone', () => {
      const sim = started();
      sim.tamper((t) => {
        const c = t.inet?.chains.get('egress_tapp4');
        if (c) c.rules = [];
      });
      expect(converge(sim, desired()).summary).toMatchObject({ full: [], chainsRewritten: ['inet egress_tapp4'], chainsCreated: [], elementsAdded: 0 });
    });

    test('a chain with one rule removed (count mismatch) or a forged hash is rewritten', () => {
      const sim = started();
      sim.tamper((t) => {
        const c = t.bridge?.chains.get('from_tapp1');
        c?.rules.splice(1, 1);
        const d = t.inet?.chains.get('ingress_tapp2');
        if (d) d.rules[d.rules.length - 1] = { text: 'counter drop', comment: 'weft:0000000000000000' };
      });
      expect(converge(sim, desired()).summary.chainsRewritten.sort()).toEqual(['bridge from_tapp1', 'inet ingress_tapp2']);
    });

    test('foreign chains and sets inside our tables are removed; missing map entries come back', () => {
      const sim = started();
      sim.tamper((t) => {
        t.inet?.chains.set('intruder', { rules: [{ text: 'ip saddr @intruder_set accept', comment: null }] });
        t.inet?.sets.set('intruder_set', { kind: 'set', keyType: 'ipv4_addr', flags: [], elements: new Map() });
        t.inet?.sets.get('ingress')?.elements.delete('2');
      });
      const plan = converge(sim, desired());
      expect(plan.summary).toMatchObject({ chainsDeleted: ['inet intruder'], setsDeleted: ['inet intruder_set'], elementsAdded: 1, chainsRewritten: [] });
    });

    test('the inet table deleted: only it is rebuilt, port ids come from the bridge table', () => {
      const sim = started();
      sim.tamper((t) => delete t.inet);
      const plan = converge(sim, desired());
      expect(plan.summary.full).toEqual(['inet']);
      expect(plan.ids.ports.get('tapp4')).toBe(3);
    });

    test('the bridge table deleted: port ids are recovered from the inet dispatch maps, so inet is untouched', () => {
      const sim = started();
      const d = desired();
      d.ports = d.ports.filter((p) => p.tap !== 'tapp1');
      converge(sim, d);
      // Ids 2 and 3 now; a fresh allocation would give 1 and 2 and rewrite every inet dispatch entry.
      sim.tamper((t) => delete t.bridge);
      const plan = converge(sim, d);
      expect(plan.summary.full).toEqual(['bridge']);
      expect(plan.ids.ports).toEqual(
        new Map([
          ['tapp2', 2],
          ['tapp4', 3],
        ]),
      );
      expect(lines(plan).filter((l) => l.includes(' inet '))).toEqual([]);
    });

    test('a set of the wrong shape (e.g. an older agent) forces a rebuild of its table', () => {
      const sim = started();
      sim.tamper((t) => {
        const zones = t.inet?.sets.get('zones');
        if (zones) zones.valueType = 'mark';
      });
      expect(converge(sim, desired()).summary.full).toEqual(['inet']);
    });

    test('a base chain on the wrong hook forces a rebuild of its table', () => {
      const sim = started();
      sim.tamper((t) => {
        const c = t.bridge?.chains.get('l2_forward');
        if (c?.base) c.base.priority = 0;
      });
      expect(converge(sim, desired()).summary.full).toEqual(['bridge']);
    });
  });

  test('full: true replaces both tables whatever was observed, keeping ids and zones', () => {
    const sim = started();
    const d = desired();
    d.ports = d.ports.filter((p) => p.tap !== 'tapp1');
    const first = converge(sim, d);
    const plan = converge(sim, d, { full: true });
    expect(plan.summary.full).toEqual(['bridge', 'inet']);
    expect(plan.ids).toEqual(first.ids);
  });
});

describe('ids', () => {
  test('more than 65535 filtered ports is an error with a stable code', () => {
    const ports = Array.from({ length: MAX_ID + 1 }, (_, i) => port(1, { portId: `p${i}`, tap: `t${i}` }));
    expect(() => allocateIds({ ports, groups: [] }, EMPTY_OBSERVED)).toThrow(FirewallError);
    expect(() => allocateIds({ ports, groups: [] }, EMPTY_OBSERVED)).toThrow(expect.objectContaining({ code: 'IDS_EXHAUSTED' }));
  });
});

describe('observe: real `nft -j list table` output', () => {
  const observed: ObservedFirewall = { bridge: parseObservedTable(nftList.bridge), inet: parseObservedTable(nftList.inet) };

  test('chains, rule counts and hash comments; sets and maps with elements in canonical spelling', () => {
    const want = buildRuleset(fixtureDesired(), allocateIds(fixtureDesired(), EMPTY_OBSERVED)).ruleset;
    for (const table of [want.bridge, want.inet]) {
      const have = observed[table.family];
      expect([...(have?.chains.keys() ?? [])].sort()).toEqual(table.chains.map((c) => c.name).sort());
      for (const c of table.chains) expect(have?.chains.get(c.name)?.ruleCount).toBe(c.rules.length);
      for (const s of table.sets) {
        expect({ name: s.name, elements: have?.sets.get(s.name)?.elements }).toEqual({ name: s.name, elements: s.elements });
      }
    }
    expect(observed.bridge?.chains.get('l2_forward')?.base).toEqual({ type: 'filter', hook: 'forward', priority: -200, policy: 'accept' });
  });

  test('planning the fixture state against the kernel output is a no-op (the rendering is what the kernel keeps)', () => {
    // If this fails after a rendering change, re-capture the fixture (see firewall-fixture.ts).
    expect(planFirewall(fixtureDesired(), observed)).toBeNull();
  });

  test('element spellings nft uses', () => {
    expect(elementText({ prefix: { addr: '10.0.0.0', len: 8 } })).toBe('10.0.0.0/8');
    expect(elementText({ range: ['10.0.0.1', '10.0.0.9'] })).toBe('10.0.0.1-10.0.0.9');
    expect(elementText({ elem: { val: '10.0.0.1', counter: { packets: 0, bytes: 0 } } })).toBe('10.0.0.1');
    expect(elementText({ concat: ['fa:16:3e:00:00:01', '10.0.0.1'] })).toBe('fa:16:3e:00:00:01 . 10.0.0.1');
    expect(elementText({ goto: { target: 'x' } })).toBe('goto x');
    expect(elementText({ accept: null })).toBe('accept');
  });

  test('output that is not nft JSON is NFT_BAD_OUTPUT, not a crash elsewhere', () => {
    for (const bad of [null, {}, { nftables: [42] }, { nftables: [{ rule: { chain: 'ghost' } }] }, { nftables: [{ set: { name: 's', type: 'x', elem: [{ weird: 1, stuff: 2 }] } }] }]) {
      expect(() => parseObservedTable(bad)).toThrow(expect.objectContaining({ code: 'NFT_BAD_OUTPUT' }));
    }
  });
});
