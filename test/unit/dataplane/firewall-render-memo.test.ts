/**
 * Memoized rendering (render-memo.ts): a change renders only what it touches, and the memoized
 * ruleset is always exactly the one rendered afresh — checked over a seeded random sequence of
 * every kind of change, where a forgotten input in a memo key would show up as a difference.
 */
import { allocateIds } from '../../../dataplane/linuxbridge/firewall/ids';
import type { FirewallDesired } from '../../../dataplane/linuxbridge/firewall/model';
import { installedState } from '../../../dataplane/linuxbridge/firewall/installed';
import { EMPTY_OBSERVED, type ObservedFirewall } from '../../../dataplane/linuxbridge/firewall/observe';
import { buildRuleset, rulesetScript, type BuiltRuleset } from '../../../dataplane/linuxbridge/firewall/render';
import { RenderMemo, type RenderCounters } from '../../../dataplane/linuxbridge/firewall/render-memo';
import type { ChainSpec } from '../../../dataplane/linuxbridge/firewall/ruleset';
import { copyOf, groupOf, hostDesired, hostPort, prng, randomChange } from './firewall-incremental-fixture';

const N = 40;

/** Ids as the reconciler allocates them: kept from the previous build (its installed state). */
const installedByMemo = new WeakMap<RenderMemo, ObservedFirewall>();

/** Builds with `memo` and returns what the build rendered anew. */
function build(memo: RenderMemo, d: FirewallDesired): { built: BuiltRuleset; did: RenderCounters } {
  const before = { ...memo.counters };
  const built = buildRuleset(copyOf(d), allocateIds(d, installedByMemo.get(memo) ?? EMPTY_OBSERVED), memo);
  installedByMemo.set(memo, installedState(built.ruleset));
  const did = Object.fromEntries(Object.entries(memo.counters).map(([k, v]) => [k, v - before[k as keyof RenderCounters]])) as unknown as RenderCounters;
  return { built, did };
}

const chainOf = (b: BuiltRuleset, name: string): ChainSpec => {
  const c = [...b.ruleset.bridge.chains, ...b.ruleset.inet.chains].find((x) => x.name === name);
  if (c === undefined) throw new Error(`no chain ${name}`);
  return c;
};

function warm(d: FirewallDesired = hostDesired(N)): RenderMemo {
  const memo = new RenderMemo();
  build(memo, d);
  return memo;
}

describe('RenderMemo: what a change renders', () => {
  test('the first build renders every port, group and remote set (default v4 and v6); an identical rebuild renders nothing', () => {
    const memo = new RenderMemo();
    expect(build(memo, hostDesired(N)).did).toMatchObject({ portsRendered: N, portsReused: 0, groupsRendered: 2 });
    expect(build(memo, hostDesired(N)).did).toEqual({ portsRendered: 0, portsReused: N, groupsRendered: 0, groupsReused: 2, remoteSetsRendered: 0, remoteSetsReused: 2 });
  });

  test('one port added: that port is rendered; the others are reused, their chains the very same objects (not hashed again)', () => {
    const d = hostDesired(N);
    const memo = new RenderMemo();
    const first = build(memo, d).built;
    d.ports.push(hostPort(N + 1));
    groupOf(d, 'sg-default').members.v4.push(hostPort(N + 1).fixedIps[0]);
    const { built, did } = build(memo, d);
    expect(did).toMatchObject({ portsRendered: 1, portsReused: N, groupsRendered: 0, remoteSetsRendered: 1 });
    expect(chainOf(built, 'ingress_tapport1')).toBe(chainOf(first, 'ingress_tapport1'));
    expect(chainOf(built, 'from_tapport7')).toBe(chainOf(first, 'from_tapport7'));
  });

  test("one port's address changed: that port alone", () => {
    const d = hostDesired(N);
    const memo = warm(d);
    d.ports[5].fixedIps = ['10.7.7.7'];
    expect(build(memo, d).did).toMatchObject({ portsRendered: 1, portsReused: N - 1 });
  });

  test('a remote member joins: no port rendered, one remote set', () => {
    const d = hostDesired(N);
    const memo = warm(d);
    groupOf(d, 'sg-default').members.v4.push('10.9.9.9');
    expect(build(memo, d).did).toMatchObject({ portsRendered: 0, portsReused: N, groupsRendered: 0, remoteSetsRendered: 1, remoteSetsReused: 1 });
  });

  test("a rule added to a group: the group and exactly its ports", () => {
    const d = hostDesired(N);
    const memo = warm(d);
    groupOf(d, 'sg-web').rules.push(groupOf(d, 'sg-default').rules[4]);
    const webPorts = d.ports.filter((p) => p.securityGroupIds.includes('sg-web')).length;
    expect(build(memo, d).did).toMatchObject({ groupsRendered: 1, groupsReused: 1, portsRendered: webPorts, portsReused: N - webPorts });
  });

  test('a port id changing re-renders the port (its chains carry the id)', () => {
    const d = hostDesired(N);
    const memo = warm(d);
    const ids = allocateIds(d, EMPTY_OBSERVED);
    ids.ports.set('tapport3', 999);
    const before = memo.counters.portsRendered;
    const built = buildRuleset(copyOf(d), ids, memo);
    expect(memo.counters.portsRendered - before).toBe(1);
    expect(chainOf(built, 'from_tapport3').rules[0]).toBe('meta mark set meta mark | 0x03e70000');
  });

  test('changing the input in place after a build does not fool the memo (it keeps copies)', () => {
    const d = hostDesired(N);
    const memo = new RenderMemo();
    buildRuleset(d, allocateIds(d, EMPTY_OBSERVED), memo);
    d.ports[0].fixedIps.push('10.7.0.1');
    d.ports[1].allowedAddressPairs.push({ ipAddress: '192.168.1.0/24', macAddress: '' });
    const ids = allocateIds(d, EMPTY_OBSERVED);
    expect(rulesetScript(buildRuleset(d, ids, memo).ruleset)).toBe(rulesetScript(buildRuleset(d, ids).ruleset));
  });

  test('ports that went away are forgotten; clear() makes the next build a full recompute', () => {
    const d = hostDesired(N);
    const memo = warm(d);
    d.ports = d.ports.slice(0, 10);
    build(memo, d);
    d.ports = hostDesired(N).ports;
    expect(build(memo, d).did).toMatchObject({ portsRendered: N - 10, portsReused: 10 });
    memo.clear();
    expect(build(memo, d).did).toMatchObject({ portsRendered: N, portsReused: 0, groupsRendered: 2 });
  });
});

describe('RenderMemo: same result as rendering afresh', () => {
  test.each([1, 2, 3])('seeded random changes (seed %i): every build equals a fresh one, rule for rule and element for element', (seed) => {
    const rnd = prng(seed);
    const d = hostDesired(12);
    const memo = new RenderMemo();
    const next = { n: 100 };
    for (let step = 0; step < 150; step++) {
      const what = randomChange(d, rnd, next);
      const ids = allocateIds(d, EMPTY_OBSERVED);
      const memoized = buildRuleset(copyOf(d), ids, memo);
      const afresh = buildRuleset(copyOf(d), ids);
      // The script pins order too (chains, sets, elements); problems must match as well.
      expect({ step, what, script: rulesetScript(memoized.ruleset), problems: memoized.problems }).toEqual({
        step,
        what,
        script: rulesetScript(afresh.ruleset),
        problems: afresh.problems,
      });
    }
  });
});
