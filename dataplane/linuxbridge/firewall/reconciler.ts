/**
 * The firewall step of one reconcile: desired state in, the kernel brought in line, problems out.
 *
 * Desired state is kept apart from installed state, as OVN's ofctrl does with flows. After every
 * successful apply the reconciler remembers what the kernel now holds (installed.ts: the plan's
 * ruleset, in the observer's shape) and the input it came from. Then:
 *
 *   input unchanged, no verify     → nothing at all (a tap appearing changes no firewall input);
 *   input changed, no verify       → plan against the installed state, apply: no `nft -j list`;
 *   verify, or installed unknown   → read both tables from the kernel (observe.ts), plan, apply.
 *
 * The installed state is only as good as "nobody else changed our tables", so the agent verifies
 * on its resync timer (the bound on drift) and after any run with errors, and the installed state
 * is forgotten the moment anything fails here: the next run reads the kernel.
 *
 * Rendering is memoized per group, port and remote-group set (render-memo.ts), so a change to one
 * port renders one port, and chains that did not change are not hashed again. Falling back: an
 * incremental script nft refuses is replaced by a full rebuild of both tables planned against a
 * fresh read of the kernel, in one transaction; any failure also empties the memo, so the next
 * plan is a full recompute from scratch.
 */
import type { Logger } from '../../../services/runtime/log';
import { installedState } from './installed';
import type { FirewallDesired } from './model';
import type { NftExecutor } from './nft';
import { EMPTY_OBSERVED, observeFirewall, type ObservedFirewall } from './observe';
import { planFirewallChanges, type FirewallPlan } from './planner';
import type { RenderProblem } from './render';
import { RenderMemo } from './render-memo';

/** What the reconciler needs of nftables (nftKernel below; the kernel simulator in tests). */
export interface FirewallKernel {
  /** Reads both tables (observe.ts). */
  observe(): Promise<ObservedFirewall>;
  /** Applies a script as one transaction; rejects (and changes nothing) when nft refuses it. */
  apply(script: string): Promise<void>;
}

/** The real kernel, through the nft binary. */
export function nftKernel(nft: NftExecutor): FirewallKernel {
  return {
    observe: () => observeFirewall((family, table) => nft.listTable(family, table)),
    apply: (script) => nft.apply(script),
  };
}

export interface FirewallReconcilerOptions {
  kernel: FirewallKernel;
  logger: Logger;
  /** Runs before the first rules for a port go in (br_netfilter); once, unless it fails. */
  prepare?: () => Promise<void>;
}

/** Where a run's plan started from. */
export type FirewallBasis = 'unchanged' | 'installed' | 'kernel';

export interface FirewallStepResult {
  basis: FirewallBasis;
  /** A script was applied. */
  applied: boolean;
  problems: RenderProblem[];
}

/** Cumulative, for logs, the agent's counters and tests asserting what was done incrementally. */
export interface FirewallCounters {
  /** Reads of both tables from the kernel. */
  observes: number;
  /** Plans made against the installed state, without reading the kernel. */
  plansFromInstalled: number;
  /** Runs with nothing to do because the input had not changed since the last good apply. */
  unchanged: number;
  /** Scripts applied (a refused incremental script and the rebuild after it count once). */
  applies: number;
  /** Tables replaced from scratch. */
  full: number;
  chainsRewritten: number;
  elementChanges: number;
  /** Incremental scripts nft refused, replaced by a full rebuild. */
  rebuilds: number;
  /** Runs that failed (nothing known about the kernel afterwards). */
  failures: number;
}

export class FirewallReconciler {
  readonly counters: FirewallCounters = { observes: 0, plansFromInstalled: 0, unchanged: 0, applies: 0, full: 0, chainsRewritten: 0, elementChanges: 0, rebuilds: 0, failures: 0 };
  /** Memoized rendering; exposed for its counters. */
  readonly memo = new RenderMemo();
  /** What the kernel holds, and the input that put it there; null: unknown, read the kernel. */
  private installed: { input: string; state: ObservedFirewall } | null = null;
  private prepared = false;

  constructor(private readonly opts: FirewallReconcilerOptions) {}

  /** True when the next run without verification can skip reading the kernel. */
  get hasInstalledState(): boolean {
    return this.installed !== null;
  }

  /** Forgets the installed state and the memo: the next run reads the kernel and renders afresh. */
  reset(): void {
    this.installed = null;
    this.memo.clear();
  }

  /**
   * Brings the kernel to `desired`. `verify` re-reads the kernel instead of trusting the installed
   * state. Rejects when the kernel could not be read or changed; the installed state is then
   * unknown and the next run reads the kernel.
   */
  async reconcile(desired: FirewallDesired, opts: { verify: boolean }): Promise<FirewallStepResult> {
    const input = JSON.stringify(desired);
    const installed = this.installed;
    if (!opts.verify && installed !== null && installed.input === input) {
      this.counters.unchanged++;
      return { basis: 'unchanged', applied: false, problems: [] };
    }
    // Unknown until this run succeeds.
    this.installed = null;
    try {
      const trusted = opts.verify ? null : installed;
      const basis: FirewallBasis = trusted !== null ? 'installed' : 'kernel';
      if (trusted !== null) this.counters.plansFromInstalled++;
      const observed = trusted !== null ? trusted.state : await this.observe();
      // An empty host with no tables left over needs nothing (an idle node stays clean).
      if (desired.ports.length === 0 && observed.bridge === null && observed.inet === null) {
        this.installed = { input, state: EMPTY_OBSERVED };
        return { basis, applied: false, problems: [] };
      }
      if (!this.prepared && desired.ports.length > 0) {
        await this.opts.prepare?.();
        this.prepared = true;
      }
      const plan = await this.apply(desired, observed);
      this.installed = { input, state: installedState(plan.ruleset) };
      return { basis, applied: plan.script !== null, problems: plan.problems };
    } catch (err) {
      this.counters.failures++;
      this.reset();
      throw err;
    }
  }

  private async observe(): Promise<ObservedFirewall> {
    this.counters.observes++;
    return this.opts.kernel.observe();
  }

  /** Plans against `observed` and applies; returns the plan now in force. */
  private async apply(desired: FirewallDesired, observed: ObservedFirewall): Promise<FirewallPlan> {
    let plan = planFirewallChanges(desired, observed, { memo: this.memo });
    if (plan.script === null) return plan;
    try {
      await this.opts.kernel.apply(plan.script);
    } catch (err) {
      // An incremental plan can trip over state it did not expect (someone edited the tables
      // since they were read, or since the installed state was recorded): rebuild both tables in
      // one transaction, planned against what is there now.
      this.opts.logger.warn('incremental firewall update failed; replacing the tables', { error: (err as Error).message });
      this.counters.rebuilds++;
      plan = planFirewallChanges(desired, await this.observe(), { full: true, memo: this.memo });
      if (plan.script !== null) await this.opts.kernel.apply(plan.script);
    }
    this.counters.applies++;
    this.counters.full += plan.summary.full.length;
    this.counters.chainsRewritten += plan.summary.chainsRewritten.length;
    this.counters.elementChanges += plan.summary.elementsAdded + plan.summary.elementsDeleted;
    this.opts.logger.debug('firewall applied', { summary: plan.summary });
    return plan;
  }
}
