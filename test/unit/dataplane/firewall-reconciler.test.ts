/**
 * The firewall reconciler (reconciler.ts) against the nftables simulator: a run without
 * verification plans against the installed state it keeps, and must write exactly the script a
 * plan against the kernel would; verification re-reads the kernel and repairs drift; a failure
 * forgets the installed state (and the render memo), so the next run reads the kernel and renders
 * from scratch. The counters say which way each run went.
 */
import { planFirewall, planFirewallChanges } from '../../../dataplane/linuxbridge/firewall/planner';
import type { FirewallDesired } from '../../../dataplane/linuxbridge/firewall/model';
import type { ObservedFirewall } from '../../../dataplane/linuxbridge/firewall/observe';
import { FirewallReconciler, type FirewallKernel } from '../../../dataplane/linuxbridge/firewall/reconciler';
import type { Logger } from '../../../services/runtime/log';
import { copyOf, groupOf, hostDesired, hostPort, prng, randomChange } from './firewall-incremental-fixture';
import { NftSim } from './firewall-kernel-sim';

const quiet: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => quiet };

/** The simulator as the reconciler's kernel, counting reads, recording applied scripts, failing on request. */
class SimKernel implements FirewallKernel {
  readonly sim = new NftSim();
  reads = 0;
  readonly scripts: string[] = [];
  /** The next this-many applies are refused (as nft refuses a script, changing nothing). */
  refuse = 0;
  /** The next read fails (nft -j printing something unreadable). */
  breakRead = false;

  async observe(): Promise<ObservedFirewall> {
    this.reads++;
    if (this.breakRead) {
      this.breakRead = false;
      throw new Error('nft -j output: no "nftables" list');
    }
    return this.sim.observe();
  }

  async apply(script: string): Promise<void> {
    if (this.refuse > 0) {
      this.refuse--;
      throw new Error('nft -f failed (exit 1): Error: Could not process rule');
    }
    this.sim.apply(script);
    this.scripts.push(script);
  }
}

function setup(d: FirewallDesired = hostDesired(20)): { kernel: SimKernel; fw: FirewallReconciler; prepared: () => number } {
  const kernel = new SimKernel();
  let prepares = 0;
  const fw = new FirewallReconciler({
    kernel,
    logger: quiet,
    prepare: async () => {
      prepares++;
    },
  });
  return { kernel, fw, prepared: () => prepares };
}

async function started(d: FirewallDesired): Promise<{ kernel: SimKernel; fw: FirewallReconciler }> {
  const s = setup(d);
  await s.fw.reconcile(copyOf(d), { verify: true });
  return s;
}

/** The script a plan against the kernel (no installed state, no memo) would apply now; null for none. */
const scriptAgainstKernel = (kernel: SimKernel, d: FirewallDesired): string | null => planFirewallChanges(copyOf(d), kernel.sim.observe()).script;

describe('FirewallReconciler', () => {
  test('first run reads the kernel and builds both tables; br_netfilter is prepared once', async () => {
    const d = hostDesired(20);
    const { kernel, fw, prepared } = setup(d);
    expect(await fw.reconcile(copyOf(d), { verify: false })).toMatchObject({ basis: 'kernel', applied: true, problems: [] });
    expect(fw.counters).toMatchObject({ observes: 1, plansFromInstalled: 0, applies: 1, full: 2 });
    expect(planFirewall(d, kernel.sim.observe())).toBeNull();
    d.ports.push(hostPort(21));
    await fw.reconcile(copyOf(d), { verify: false });
    expect(prepared()).toBe(1);
  });

  test('an idle host with no tables stays clean, and is not prepared', async () => {
    const { kernel, fw, prepared } = setup();
    expect(await fw.reconcile({ ports: [], groups: [] }, { verify: true })).toMatchObject({ basis: 'kernel', applied: false });
    expect(kernel.sim.observe()).toEqual({ bridge: null, inet: null });
    expect(prepared()).toBe(0);
  });

  test('unchanged input without verification: nothing at all, not even a plan', async () => {
    const d = hostDesired(20);
    const { kernel, fw } = await started(d);
    expect(await fw.reconcile(copyOf(d), { verify: false })).toEqual({ basis: 'unchanged', applied: false, problems: [] });
    expect(kernel.reads).toBe(1);
    expect(fw.counters.unchanged).toBe(1);
  });

  test.each<[string, (d: FirewallDesired) => void]>([
    [
      'one port added',
      (d) => {
        d.ports.push(hostPort(21));
        groupOf(d, 'sg-default').members.v4.push(hostPort(21).fixedIps[0]);
      },
    ],
    ['one port removed', (d) => void d.ports.splice(3, 1)],
    ["one port's addresses changed", (d) => void (d.ports[4].fixedIps = ['10.7.0.9'])],
    ['one member joined', (d) => void groupOf(d, 'sg-default').members.v4.push('10.9.9.9')],
    ['a rule added', (d) => void groupOf(d, 'sg-web').rules.push({ ...groupOf(d, 'sg-web').rules[0], portRangeMin: 8080, portRangeMax: 8080 })],
    ['port security off for one port', (d) => void (d.ports[6].portSecurityEnabled = false)],
    ['a group turned stateless', (d) => void (groupOf(d, 'sg-default').stateful = false)],
  ])('%s: planned from the installed state, the very script a plan against the kernel writes', async (_what, change) => {
    const d = hostDesired(20);
    const { kernel, fw } = await started(d);
    change(d);
    const expected = scriptAgainstKernel(kernel, d);
    expect(expected).not.toBeNull();
    const applied = kernel.scripts.length;
    expect(await fw.reconcile(copyOf(d), { verify: false })).toMatchObject({ basis: 'installed', applied: true });
    expect(kernel.scripts.slice(applied)).toEqual([expected]);
    expect(kernel.reads).toBe(1);
    expect(fw.counters).toMatchObject({ observes: 1, plansFromInstalled: 1, full: 2 });
    expect(planFirewall(d, kernel.sim.observe())).toBeNull();
  });

  test('one port added renders that port alone', async () => {
    const d = hostDesired(20);
    const { fw } = await started(d);
    const before = { ...fw.memo.counters };
    d.ports.push(hostPort(21));
    await fw.reconcile(copyOf(d), { verify: false });
    expect(fw.memo.counters.portsRendered - before.portsRendered).toBe(1);
    expect(fw.memo.counters.portsReused - before.portsReused).toBe(20);
  });

  test.each([11, 12])('seeded random changes (seed %i): from the installed state, always the kernel-planned script, and converged', async (seed) => {
    const rnd = prng(seed);
    const d = hostDesired(12);
    const { kernel, fw } = await started(d);
    const next = { n: 100 };
    let input = JSON.stringify(d);
    for (let step = 0; step < 120; step++) {
      const what = randomChange(d, rnd, next);
      const expected = scriptAgainstKernel(kernel, d);
      const basis = JSON.stringify(d) === input ? 'unchanged' : 'installed';
      input = JSON.stringify(d);
      const applied = kernel.scripts.length;
      const r = await fw.reconcile(copyOf(d), { verify: false });
      expect({ step, what, basis: r.basis, scripts: kernel.scripts.slice(applied) }).toEqual({ step, what, basis, scripts: expected === null ? [] : [expected] });
      expect({ step, what, left: planFirewall(copyOf(d), kernel.sim.observe()) }).toEqual({ step, what, left: null });
    }
    expect(kernel.reads).toBe(1);
  });

  test('verify re-reads the kernel and repairs drift the installed state cannot know about', async () => {
    const d = hostDesired(20);
    const { kernel, fw } = await started(d);
    kernel.sim.tamper((t) => {
      const c = t.inet?.chains.get('ingress_tapport3');
      if (c) c.rules = [];
      t.inet?.sets.get('rg_sg-default_4')?.elements.delete('10.9.0.1');
    });
    // Without verification the run trusts what it installed: the drift stays (until the resync).
    expect(await fw.reconcile(copyOf(d), { verify: false })).toMatchObject({ basis: 'unchanged' });
    d.ports[0].fixedIps = ['10.7.0.1'];
    expect(await fw.reconcile(copyOf(d), { verify: false })).toMatchObject({ basis: 'installed', applied: true });
    expect(planFirewall(d, kernel.sim.observe())).not.toBeNull();
    // The agent's resync verifies: one read, and exactly the drifted parts rewritten.
    const before = { ...fw.counters };
    expect(await fw.reconcile(copyOf(d), { verify: true })).toMatchObject({ basis: 'kernel', applied: true });
    expect(fw.counters.observes - before.observes).toBe(1);
    expect(fw.counters.chainsRewritten - before.chainsRewritten).toBe(1);
    expect(fw.counters.elementChanges - before.elementChanges).toBe(1);
    expect(planFirewall(d, kernel.sim.observe())).toBeNull();
    // Verified and unchanged: reads again, applies nothing.
    expect(await fw.reconcile(copyOf(d), { verify: true })).toMatchObject({ basis: 'kernel', applied: false });
    expect(fw.counters.observes - before.observes).toBe(2);
  });

  test('an incremental script the kernel refuses: both tables rebuilt from a fresh read, and the installed state is kept', async () => {
    const d = hostDesired(20);
    const { kernel, fw } = await started(d);
    // Someone removed an element we installed: deleting it again is refused by nft.
    kernel.sim.tamper((t) => t.inet?.sets.get('rg_sg-default_4')?.elements.delete('10.9.0.1'));
    groupOf(d, 'sg-default').members.v4 = groupOf(d, 'sg-default').members.v4.filter((a) => a !== '10.9.0.1');
    const r = await fw.reconcile(copyOf(d), { verify: false });
    expect(r).toMatchObject({ basis: 'installed', applied: true });
    expect(fw.counters).toMatchObject({ rebuilds: 1, observes: 2, full: 4, failures: 0 });
    expect(planFirewall(d, kernel.sim.observe())).toBeNull();
    expect(fw.hasInstalledState).toBe(true);
    d.ports.push(hostPort(21));
    expect(await fw.reconcile(copyOf(d), { verify: false })).toMatchObject({ basis: 'installed', applied: true });
    expect(kernel.reads).toBe(2);
  });

  test('a failed apply drops the installed state and the memo: the next run reads the kernel and renders every port', async () => {
    const d = hostDesired(20);
    const { kernel, fw } = await started(d);
    d.ports.push(hostPort(21));
    kernel.refuse = 2; // the incremental script and the full rebuild after it
    await expect(fw.reconcile(copyOf(d), { verify: false })).rejects.toThrow(/nft -f failed/);
    expect(fw.counters.failures).toBe(1);
    expect(fw.hasInstalledState).toBe(false);
    // Same input again, no verification asked: still not trusted, the kernel is read.
    const rendered = fw.memo.counters.portsRendered;
    expect(await fw.reconcile(copyOf(d), { verify: false })).toMatchObject({ basis: 'kernel', applied: true });
    expect(fw.memo.counters.portsRendered - rendered).toBe(21);
    expect(kernel.reads).toBe(3);
    expect(planFirewall(d, kernel.sim.observe())).toBeNull();
  });

  test('a failed read drops the installed state too', async () => {
    const d = hostDesired(20);
    const { kernel, fw } = await started(d);
    kernel.breakRead = true;
    await expect(fw.reconcile(copyOf(d), { verify: true })).rejects.toThrow(/nft -j output/);
    expect(fw.hasInstalledState).toBe(false);
    expect(await fw.reconcile(copyOf(d), { verify: false })).toMatchObject({ basis: 'kernel', applied: false });
  });

  test('render problems are reported on every run that plans, and do not stop the others', async () => {
    const d = hostDesired(5);
    d.ports[1].mac = 'nope';
    const { fw } = setup(d);
    const r = await fw.reconcile(copyOf(d), { verify: true });
    expect(r.problems).toEqual([{ portId: 'port-2', reason: "MAC 'nope' is not a MAC address" }]);
    d.ports.push(hostPort(6));
    expect((await fw.reconcile(copyOf(d), { verify: false })).problems).toEqual(r.problems);
  });
});
