#!/usr/bin/env node
/**
 * Firewall step micro-benchmark (not a test): how long render, plan, observe and apply take on a
 * host with N ports when one port is added or one remote member joins, against real nftables in a
 * scratch namespace (created here, removed at the end, also on errors).
 *
 *   npx tsc -p tsconfig.json && node dist/test/dataplane/firewall-bench.js [--ports 150,1000] [--runs 7]
 *
 * Rows: "before" is the step as it was (read both tables, render and plan afresh, apply);
 * "after, verify=false" is FirewallReconciler planning from its installed state with its render
 * memo (what the agent does on a controller change); "after, verify=true" is the reconciler reading
 * the kernel (the agent's resync timer). Medians over --runs changes, each on top of the last.
 *
 * Needs root. `ip netns exec` adds its own cost to every nft call (shown as "exec overhead");
 * the agent runs nft inside its namespace and does not pay it.
 */
import { performance } from 'node:perf_hooks';
import { allocateIds } from '../../dataplane/linuxbridge/firewall/ids';
import type { FirewallDesired, FirewallGroup, FirewallPort, FirewallRule } from '../../dataplane/linuxbridge/firewall/model';
import { NftExecutor } from '../../dataplane/linuxbridge/firewall/nft';
import { EMPTY_OBSERVED, observeFirewall } from '../../dataplane/linuxbridge/firewall/observe';
import { planFirewallChanges } from '../../dataplane/linuxbridge/firewall/planner';
import { FirewallReconciler, nftKernel, type FirewallKernel } from '../../dataplane/linuxbridge/firewall/reconciler';
import { buildRuleset } from '../../dataplane/linuxbridge/firewall/render';
import { RenderMemo } from '../../dataplane/linuxbridge/firewall/render-memo';
import type { Logger } from '../../services/runtime/log';
import { exec, RunScope } from './harness/netns';

const rule = (direction: 'ingress' | 'egress', ethertype: 'IPv4' | 'IPv6', extra: Partial<FirewallRule> = {}): FirewallRule => ({
  direction,
  ethertype,
  protocol: '',
  portRangeMin: 0,
  portRangeMax: 0,
  remoteIpPrefix: '',
  remoteGroupId: '',
  ...extra,
});

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

/** Port n: in one of ten networks, IPv4 and IPv6, the default group (and every fifth in "web"). */
export function benchPort(n: number): FirewallPort {
  const id = `${hex(n, 8)}-0000-4000-8000-000000000000`;
  return {
    portId: id,
    tap: `tap${id.slice(0, 11)}`,
    bridge: `brqnet${hex(n % 10, 7)}`,
    mac: `fa:16:3e:${hex((n >> 16) & 0xff, 2)}:${hex((n >> 8) & 0xff, 2)}:${hex(n & 0xff, 2)}`,
    fixedIps: [`10.${(n >> 8) & 0xff}.${n & 0xff}.${10 + (n % 200)}`, `fd00::${hex(n, 4)}`],
    allowedAddressPairs: [],
    portSecurityEnabled: true,
    securityGroupIds: n % 5 === 0 ? ['sg-default', 'sg-web'] : ['sg-default'],
  };
}

/** The default group (egress anywhere, ingress from its own members) plus ssh/ping, and a web group. */
export function benchDesired(nPorts: number, remoteMembers = 200): FirewallDesired {
  const ports = Array.from({ length: nPorts }, (_, i) => benchPort(i + 1));
  const remote = Array.from({ length: remoteMembers }, (_, i) => benchPort(100_000 + i));
  const members = (ps: FirewallPort[]): { v4: string[]; v6: string[] } => ({
    v4: ps.map((p) => p.fixedIps[0]).sort(),
    v6: ps.map((p) => p.fixedIps[1]).sort(),
  });
  const groups: FirewallGroup[] = [
    {
      id: 'sg-default',
      stateful: true,
      members: members([...ports, ...remote]),
      rules: [
        rule('egress', 'IPv4'),
        rule('egress', 'IPv6'),
        rule('ingress', 'IPv4', { remoteGroupId: 'sg-default' }),
        rule('ingress', 'IPv6', { remoteGroupId: 'sg-default' }),
        rule('ingress', 'IPv4', { protocol: 'tcp', portRangeMin: 22, portRangeMax: 22 }),
        rule('ingress', 'IPv4', { protocol: 'icmp' }),
      ],
    },
    {
      id: 'sg-web',
      stateful: true,
      members: members(ports.filter((p) => p.securityGroupIds.includes('sg-web'))),
      rules: [rule('ingress', 'IPv4', { protocol: 'tcp', portRangeMin: 80, portRangeMax: 80 }), rule('ingress', 'IPv4', { protocol: 'tcp', portRangeMin: 443, portRangeMax: 443 })],
    },
  ];
  return { ports, groups };
}

/** A new local port (and its addresses in the default group's members). */
export function withPortAdded(d: FirewallDesired, n: number): FirewallDesired {
  const p = benchPort(n);
  return {
    ports: [...d.ports, p],
    groups: d.groups.map((g) => (g.id === 'sg-default' ? { ...g, members: { v4: [...g.members.v4, p.fixedIps[0]].sort(), v6: [...g.members.v6, p.fixedIps[1]].sort() } } : g)),
  };
}

/** A port on another host joins the default group: one remote-group element. */
export function withMemberAdded(d: FirewallDesired, n: number): FirewallDesired {
  const p = benchPort(200_000 + n);
  return { ports: d.ports, groups: d.groups.map((g) => (g.id === 'sg-default' ? { ...g, members: { v4: [...g.members.v4, p.fixedIps[0]].sort(), v6: g.members.v6 } } : g)) };
}

/** A copy that shares nothing with `d` (the agent builds a fresh desired state every time). */
export const fresh = (d: FirewallDesired): FirewallDesired => JSON.parse(JSON.stringify(d)) as FirewallDesired;

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function timed<T>(samples: number[], fn: () => Promise<T> | T): Promise<T> {
  const t0 = performance.now();
  const out = await fn();
  samples.push(performance.now() - t0);
  return out;
}

type Phases = Record<string, number[]>;

function report(title: string, phases: Phases): void {
  const cells = Object.entries(phases).map(([k, v]) => `${k} ${v.length ? median(v).toFixed(1) : '-'}`);
  process.stdout.write(`  ${title.padEnd(44)} ${cells.join(' | ')}  (ms, median)\n`);
}

/** The step as it was before the installed state: observe both tables, render and plan afresh, apply. */
async function observePlanApply(nft: NftExecutor, d: FirewallDesired, p: Phases): Promise<void> {
  const observed = await timed((p.observe ??= []), () => observeFirewall((f, t) => nft.listTable(f, t)));
  await timed((p.render ??= []), () => buildRuleset(d, allocateIds(d, observed)));
  const plan = await timed((p['render+plan'] ??= []), () => planFirewallChanges(d, observed));
  if (plan.script !== null) await timed((p.apply ??= []), () => nft.apply(plan.script ?? ''));
}

/** The real kernel, timing its calls, for the reconciler. */
function timedKernel(nft: NftExecutor, p: Phases): FirewallKernel {
  const kernel = nftKernel(nft);
  return {
    observe: () => timed((p.observe ??= []), () => kernel.observe()),
    apply: (script) => timed((p.apply ??= []), () => kernel.apply(script)),
  };
}

/** The reconciler's step; "render+plan" is everything but nft (render with the memo, plan, installed state). */
async function reconcilerStep(fw: FirewallReconciler, d: FirewallDesired, verify: boolean, p: Phases): Promise<void> {
  const before = { observe: p.observe?.length ?? 0, apply: p.apply?.length ?? 0 };
  const t0 = performance.now();
  await fw.reconcile(d, { verify });
  const total = performance.now() - t0;
  const nft = [...(p.observe ?? []).slice(before.observe), ...(p.apply ?? []).slice(before.apply)].reduce((a, b) => a + b, 0);
  if ((p.observe ?? []).length === before.observe) (p.observe ??= []).push(0);
  (p['render+plan'] ??= []).push(total - nft);
  (p.total ??= []).push(total);
}

const quiet: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => quiet };

async function bench(ns: string, nPorts: number, runs: number): Promise<void> {
  const nft = new NftExecutor({ commandPrefix: ['ip', 'netns', 'exec', ns] });
  await nft.apply('add table bridge weft\ndelete table bridge weft\nadd table inet weft\ndelete table inet weft\n');
  const start = benchDesired(nPorts);
  const t0 = performance.now();
  const first = planFirewallChanges(start, await observeFirewall((f, t) => nft.listTable(f, t)));
  await nft.apply(first.script ?? '');
  process.stdout.write(`N = ${nPorts} ports (${start.groups[0].members.v4.length} members): initial full apply ${(performance.now() - t0).toFixed(0)} ms\n`);

  const changes = [
    ['port added', withPortAdded],
    ['member added', withMemberAdded],
  ] as const;
  for (const [title, change] of changes) {
    let d = start;
    const p: Phases = {};
    for (let i = 0; i < runs; i++) {
      d = change(d, nPorts + 1000 + i);
      await observePlanApply(nft, fresh(d), p);
    }
    report(`${title}: before (observe, render+plan afresh)`, p);
    // Back to the starting point, so every variant starts from the same kernel state.
    await observePlanApply(nft, fresh(start), {});
  }
  for (const verify of [false, true]) {
    for (const [title, change] of changes) {
      let d = start;
      const p: Phases = {};
      const fw = new FirewallReconciler({ kernel: timedKernel(nft, p), logger: quiet });
      await fw.reconcile(fresh(d), { verify: true });
      for (const k of Object.keys(p)) p[k] = [];
      for (let i = 0; i < runs; i++) {
        d = change(d, nPorts + 1000 + i);
        await reconcilerStep(fw, fresh(d), verify, p);
      }
      report(`${title}: after, verify=${verify}`, p);
      await fw.reconcile(fresh(start), { verify: true });
    }
  }
  // Rendering alone, in process: afresh vs with a warm memo after one port changed.
  const memo = new RenderMemo();
  const added = withPortAdded(start, nPorts + 1);
  const ids = allocateIds(added, EMPTY_OBSERVED);
  buildRuleset(fresh(start), ids, memo);
  const r: Phases = { afresh: [], memo: [] };
  for (let i = 0; i < runs; i++) {
    const d = fresh(added);
    await timed(r.afresh, () => buildRuleset(d, ids));
    buildRuleset(fresh(start), ids, memo);
    await timed(r.memo, () => buildRuleset(d, ids, memo));
  }
  report('render one port added', r);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (flag: string, dflt: string): string => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : dflt);
  const sizes = arg('--ports', '150,1000').split(',').map(Number);
  const runs = Number(arg('--runs', '7'));
  const scope = RunScope.open();
  try {
    const ns = await scope.addNetns('fwb');
    const overhead: number[] = [];
    for (let i = 0; i < 5; i++) await timed(overhead, () => exec(null, ['ip', 'netns', 'exec', ns, 'true']));
    process.stdout.write(`exec overhead (ip netns exec … true): ${median(overhead).toFixed(1)} ms per nft call\n`);
    for (const n of sizes) await bench(ns, n, runs);
  } finally {
    await scope.cleanup();
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  });
}
