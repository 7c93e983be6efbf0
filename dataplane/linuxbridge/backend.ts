/**
 * The Linux-bridge backend of the node agent: security groups in nftables (firewall/) and L2 in
 * the kernel through rtnetlink (l2/, kernel/). One reconcile observes both, plans, applies and
 * reads L2 back to decide port status. The firewall goes first, so a port never joins its bridge
 * before its anti-spoofing and security group chains exist.
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
import { observeFirewall } from './firewall/observe';
import { planFirewallChanges } from './firewall/planner';

export interface LinuxBridgeOptions {
  logger: Logger;
  /** For tests driving a namespace from outside; the agent itself runs inside it. */
  nft?: NftExecutor;
}

export class LinuxBridgeBackend implements Backend {
  readonly agentType = 'linuxbridge';
  readonly capabilities = ['vxlan', 'flat', 'vlan', 'l2population', 'security_groups', 'anti_spoofing'];
  /** Firewall plans by kind, for counters and tests asserting incrementality. */
  readonly firewallCounters = { full: 0, chainsRewritten: 0, elementChanges: 0, applies: 0, failures: 0 };
  private netfilterReady = false;
  /** The firewall input last applied (or verified) successfully. */
  private firewallApplied = '';

  private constructor(
    private readonly rtnl: Rtnl,
    private readonly nft: NftExecutor,
    private readonly logger: Logger,
  ) {}

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

    // 1. Firewall. An empty host with no tables left over needs nothing (an idle node stays clean).
    // Unchanged input since the last good apply, and no verification asked: nothing to re-read.
    const firewallKey = JSON.stringify(desired.firewall);
    if (!opts.verify && firewallKey === this.firewallApplied) return this.reconcileL2(desired, errors, failed, actions);
    this.firewallApplied = '';
    try {
      const observed = await observeFirewall((family, table) => this.nft.listTable(family, table));
      if (desired.firewall.ports.length > 0 || observed.bridge || observed.inet) {
        if (!this.netfilterReady && desired.firewall.ports.length > 0) {
          await enableBridgeNetfilter();
          this.netfilterReady = true;
        }
        const plan = planFirewallChanges(desired.firewall, observed);
        for (const p of plan.problems) errors.push(`firewall: ${JSON.stringify(p)}`);
        if (plan.script) {
          try {
            await this.nft.apply(plan.script);
          } catch (err) {
            // An incremental plan can trip over state it did not expect (someone edited the
            // tables between observe and apply): rebuild both tables in one transaction.
            this.logger.warn('incremental firewall update failed; replacing the tables', { error: (err as Error).message });
            const full = planFirewallChanges(desired.firewall, await observeFirewall((family, table) => this.nft.listTable(family, table)), { full: true });
            if (full.script) await this.nft.apply(full.script);
          }
          actions++;
          this.firewallCounters.applies++;
          this.firewallCounters.full += plan.summary.full.length;
          this.firewallCounters.chainsRewritten += plan.summary.chainsRewritten.length;
          this.firewallCounters.elementChanges += plan.summary.elementsAdded + plan.summary.elementsDeleted;
          this.logger.debug('firewall applied', { summary: plan.summary });
        }
      }
      this.firewallApplied = firewallKey;
    } catch (err) {
      this.firewallCounters.failures++;
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
