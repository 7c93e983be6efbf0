/**
 * The Linux-bridge backend of the node agent: security groups in nftables (firewall/) and L2 in
 * the kernel through rtnetlink (l2/, kernel/). One reconcile plans and applies the firewall, then
 * observes L2, plans, applies and reads L2 back to decide port status. The firewall goes first, so
 * a port never joins its bridge before its anti-spoofing and security group chains exist. The
 * firewall plans against the state it installed last and reads nftables back only when asked to
 * verify (the agent's resync timer, and after errors): see firewall/reconciler.ts.
 */
import type { Backend, PortState, ReconcileResult } from '../agent/agent';
import type { HostDesired } from '../agent/desired';
import type { Logger } from '../../services/runtime/log';
import { Rtnl } from './kernel/rtnl';
import { watchLinks } from './kernel/watch-links';
import { executeL2, observeL2 } from './l2/executor';
import { describeAction } from './l2/describe';
import { planL2, portStates } from './l2/planner';
import { NftExecutor, enableBridgeNetfilter } from './firewall/nft';
import { FirewallReconciler, nftKernel, type FirewallCounters } from './firewall/reconciler';

export interface LinuxBridgeOptions {
  logger: Logger;
  /** For tests driving a namespace from outside; the agent itself runs inside it. */
  nft?: NftExecutor;
}

export class LinuxBridgeBackend implements Backend {
  readonly agentType = 'linuxbridge';
  readonly capabilities = ['vxlan', 'flat', 'vlan', 'l2population', 'security_groups', 'anti_spoofing'];
  /** The firewall step, with the installed state it keeps between runs (firewall/reconciler.ts). */
  private readonly firewall: FirewallReconciler;

  private constructor(
    private readonly rtnl: Rtnl,
    nft: NftExecutor,
    private readonly logger: Logger,
  ) {
    this.firewall = new FirewallReconciler({ kernel: nftKernel(nft), logger, prepare: () => enableBridgeNetfilter() });
  }

  /** Firewall work by kind (kernel reads, plans from the installed state, applies, ...), for logs and tests. */
  get firewallCounters(): Readonly<FirewallCounters> {
    return this.firewall.counters;
  }

  static async open(opts: LinuxBridgeOptions): Promise<LinuxBridgeBackend> {
    return new LinuxBridgeBackend(new Rtnl(), opts.nft ?? new NftExecutor(), opts.logger);
  }

  watchHost(onEvent: () => void): () => void {
    return watchLinks({
      onChange: (c) => {
        // Only our devices matter; other links (the underlay, lo) come and go without consequence.
        if (/^(tap|brq|vxlan-)/.test(c.link.name)) onEvent();
      },
      onError: (err) => {
        this.logger.warn('link notifications lost; resyncing', { error: err.message });
        onEvent();
      },
    });
  }

  async reconcile(desired: HostDesired, opts: { verify: boolean } = { verify: true }): Promise<ReconcileResult> {
    const errors: string[] = [];
    const failed = new Map<string, PortState>();
    let actions = 0;

    // 1. Firewall: against the installed state it keeps, or the kernel when asked to verify.
    try {
      const fw = await this.firewall.reconcile(desired.firewall, opts);
      // Bad input (an address or rule the kernel cannot express) is the port's problem, not the
      // host's: the port is filtered more tightly and reported ERROR with the reason; it does not
      // count as a failed reconcile (which would make every next run re-read the kernel).
      for (const p of fw.problems) failed.set(p.portId, { state: 'ERROR', reason: `security groups: ${p.reason}` });
      if (fw.applied) actions++;
    } catch (err) {
      const msg = `security groups could not be applied: ${(err as Error).message}`;
      errors.push(msg);
      for (const p of desired.firewall.ports) failed.set(p.portId, { state: 'ERROR', reason: msg });
    }

    return this.reconcileL2(desired, errors, failed, actions);
  }

  /**
   * L2. Ports whose firewall failed are still wired (their previous rules stay in force) but
   * reported ERROR, so nobody believes they are fine.
   */
  private async reconcileL2(desired: HostDesired, errors: string[], failed: Map<string, PortState>, actionsSoFar: number): Promise<ReconcileResult> {
    let actions = actionsSoFar;
    let ports = new Map<string, PortState>();
    try {
      let observed = await observeL2(this.rtnl);
      const plan = planL2(desired.l2, observed);
      if (plan.length) {
        const results = await executeL2(this.rtnl, plan);
        actions += plan.length;
        for (const r of results) {
          if (r.ok) continue;
          errors.push(r.error);
          const reason = `${describeAction(r.action)} failed: ${r.error}`;
          if (r.action.portId) failed.set(r.action.portId, { state: 'ERROR', reason });
          else if (r.action.networkId) {
            for (const n of desired.l2.networks) if (n.networkId === r.action.networkId) for (const p of n.ports) failed.set(p.portId, { state: 'ERROR', reason });
          }
        }
        observed = await observeL2(this.rtnl);
      }
      ports = portStates(desired.l2, observed);
    } catch (err) {
      const msg = `kernel state could not be read or changed: ${(err as Error).message}`;
      errors.push(msg);
      for (const n of desired.l2.networks) for (const p of n.ports) failed.set(p.portId, { state: 'ERROR', reason: msg });
    }
    for (const [id, st] of failed) ports.set(id, st);
    return { actions, errors, ports };
  }

  close(): void {
    this.rtnl.close();
  }
}
