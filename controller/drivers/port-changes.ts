/**
 * Port changes that involve mechanism drivers: create, update and delete through the API, and
 * re-binding a host's failed ports when an agent becomes available there.
 *
 * Mutations are synchronous (controller/domain/state.ts) and driver calls are not (a vendor's
 * driver is a gRPC round trip), so every such change runs in three steps:
 *
 * 1. **preview** — the domain function runs exactly as it will commit (validation, ownership,
 *    the would-be port) and is discarded; a change the caller may not make fails here and no
 *    driver ever sees it;
 * 2. **drivers** — the binding is decided (agents on the host × drivers in order), then every
 *    driver's precommit sees the change; an error vetoes it and nothing is written;
 * 3. **commit** — the domain function runs again with the decided binding. It re-checks that the
 *    port is still at the revision the drivers were shown; if another change landed in between,
 *    the drivers' answers may be stale and the whole sequence starts over (a few times, then
 *    ABORTED). Postcommit is told afterwards; its errors are only logged.
 *
 * A change that binds nothing, with no driver that wants to see changes (the default: only
 * linuxbridge), skips steps 1-2 and costs exactly what it did before drivers existed.
 *
 * What the drivers see on create is the previewed port: its id is the one that will commit, but
 * its fixed IPs and MAC are what the controller would allocate at that moment — a concurrent
 * create may take them first; postcommit always carries the committed port.
 */
import type { CreatePortRequest, DeletePortRequest, UpdatePortRequest } from '../../proto/gen/weft/network/v1/network_service';
import { Port, type Network } from '../../proto/gen/weft/network/v1/resources';
import type { Caller } from '../../services/runtime/caller';
import { WeftError } from '../../services/runtime/errors';
import type { Logger } from '../../services/runtime/log';
import type { AgentRegistry } from '../domain/agents/registry';
import { applyBinding, isBound, PORT_CHANGED_REASON, sameDetails, VIF_BINDING_FAILED, type BindingOutcome } from '../domain/port-binding';
import { createPort, deletePort, updatePort } from '../domain/ports';
import type { NetworkState } from '../domain/state';
import type { PortChange } from './driver';
import type { MechanismDrivers } from './registry';

/** Preview-and-commit rounds before a port that keeps changing is given up on (ABORTED). */
const MAX_ATTEMPTS = 3;
const REBIND_PAGE = 1000;

function portChanged(err: unknown): boolean {
  return err instanceof WeftError && err.details.reason === PORT_CHANGED_REASON;
}

/** `port` with the decided binding applied, as it will commit (status rules included). */
function withOutcome(port: Port, prev: Port | undefined, outcome: BindingOutcome | undefined): Port {
  const next = Port.fromPartial(port);
  applyBinding(next, prev, outcome);
  return next;
}

export interface PortChangesDeps {
  state: NetworkState;
  agents: AgentRegistry;
  drivers: MechanismDrivers;
  logger: Logger;
}

export class PortChanges {
  /** One re-bind per host at a time: a register and a heartbeat revival may both ask for one. */
  private readonly rebinding = new Map<string, Promise<number>>();

  constructor(private readonly deps: PortChangesDeps) {}

  private decide(port: Port, network: Network): Promise<BindingOutcome> {
    const host = port.binding?.hostId ?? '';
    return this.deps.drivers.bind(port, network, this.deps.agents.onHost(host));
  }

  private network(id: string): Network {
    // The preview succeeded, so the port's network exists in the mirror at this moment.
    const n = this.deps.state.networks.get(this.deps.state.kv, id);
    if (!n) throw new Error(`network ${id} of a previewed port is missing`);
    return n;
  }

  private after(change: PortChange): void {
    if (this.deps.drivers.observesChanges) void this.deps.drivers.postcommit(change);
  }

  async create(caller: Caller, req: CreatePortRequest): Promise<Port> {
    const { state, drivers } = this.deps;
    const base = { noSecurityGroups: req.noSecurityGroups };
    if (!req.port?.binding?.hostId && !drivers.observesChanges) {
      return state.mutate((t, ch) => createPort(state, caller, req.port, t, ch, base));
    }
    const id = state.ids.uuid();
    const preview = state.preview((t, ch) => createPort(state, caller, req.port, t, ch, { ...base, id, binding: 'pending' }));
    const network = this.network(preview.networkId);
    const outcome = preview.binding?.hostId ? await this.decide(preview, network) : undefined;
    await drivers.precommit({ current: withOutcome(preview, undefined, outcome), network });
    const port = await state.mutate((t, ch) => createPort(state, caller, req.port, t, ch, { ...base, id, binding: outcome }));
    this.after({ current: port, network });
    return port;
  }

  async update(caller: Caller, req: UpdatePortRequest): Promise<Port> {
    const { state, drivers } = this.deps;
    const binds = (req.updateMask ?? []).includes('binding');
    if (!binds && !drivers.observesChanges) {
      return state.mutate((t, ch) => updatePort(state, caller, req.port, req.updateMask, t, ch));
    }
    for (let attempt = 1; ; attempt++) {
      const preview = state.preview((t, ch) => updatePort(state, caller, req.port, req.updateMask, t, ch, { binding: 'pending' }));
      const prev = state.ports.get(state.kv, preview.id)!;
      const network = this.network(preview.networkId);
      const outcome = binds && preview.binding?.hostId ? await this.decide(preview, network) : undefined;
      await drivers.precommit({ previous: prev, current: binds ? withOutcome(preview, prev, outcome) : preview, network });
      try {
        const port = await state.mutate((t, ch) => updatePort(state, caller, req.port, req.updateMask, t, ch, { binding: outcome, previewedRevision: prev.revisionNumber }));
        this.after({ previous: prev, current: port, network });
        return port;
      } catch (err) {
        if (attempt < MAX_ATTEMPTS && portChanged(err)) continue;
        throw err;
      }
    }
  }

  async delete(caller: Caller, req: DeletePortRequest): Promise<void> {
    const { state, drivers } = this.deps;
    if (!drivers.observesChanges) {
      await state.mutate((t, ch) => deletePort(state, caller, req.id, req.revisionNumber, t, ch));
      return;
    }
    for (let attempt = 1; ; attempt++) {
      const prev = state.preview((t, ch) => {
        deletePort(state, caller, req.id, req.revisionNumber, t, ch);
        // The mirror still holds the port: the preview's delete lives only in its discarded txn.
        return state.ports.get(state.kv, req.id)!;
      });
      const network = this.network(prev.networkId);
      await drivers.precommit({ previous: prev, network });
      try {
        await state.mutate((t, ch) => deletePort(state, caller, req.id, req.revisionNumber, t, ch, { previewedRevision: prev.revisionNumber }));
        this.after({ previous: prev, network });
        return;
      } catch (err) {
        if (attempt < MAX_ATTEMPTS && portChanged(err)) continue;
        throw err;
      }
    }
  }

  /**
   * Tries again to bind the host's binding_failed ports (an agent registered there, came back
   * alive or was enabled). Ports whose reason did not change are left alone; the rest commit in
   * one mutation. With `refreshBound` (an agent's tunnel_ip or mappings changed) bound ports are
   * decided again too, and take the new binding when it is a binding (a bound port is never failed
   * here: what is wired keeps working until someone changes the port). Resolves to the number of
   * ports whose binding changed to a bound one.
   */
  rebindHost(host: string, opts: { refreshBound?: boolean } = {}): Promise<number> {
    const before = this.rebinding.get(host) ?? Promise.resolve(0);
    const run = before.then(
      () => this.rebindNow(host, !!opts.refreshBound),
      () => this.rebindNow(host, !!opts.refreshBound),
    );
    this.rebinding.set(host, run);
    const cleanup = (): void => {
      if (this.rebinding.get(host) === run) this.rebinding.delete(host);
    };
    run.then(cleanup, cleanup);
    return run;
  }

  private async portsToDecide(host: string, refreshBound: boolean): Promise<Port[]> {
    const { state } = this.deps;
    await state.settled();
    const out: Port[] = [];
    let afterId: string | undefined;
    for (;;) {
      const page = await state.ports.page(state.kv, { index: { name: 'host', value: host }, afterId, limit: REBIND_PAGE, match: (p) => p.binding?.vifType === VIF_BINDING_FAILED || (refreshBound && isBound(p)) });
      out.push(...page.items);
      if (!page.lastId) return out;
      afterId = page.lastId;
    }
  }

  private async rebindNow(host: string, refreshBound: boolean): Promise<number> {
    const { state, drivers, logger } = this.deps;
    const decided: { port: Port; network: Network; outcome: BindingOutcome }[] = [];
    for (const port of await this.portsToDecide(host, refreshBound)) {
      const network = state.networks.get(state.kv, port.networkId);
      if (!network) continue;
      const outcome = await this.decide(port, network);
      if (outcome.vifType === VIF_BINDING_FAILED && (isBound(port) || outcome.reason === port.statusReason)) continue;
      // A bound port only takes fresh details of the same kind of wiring, never another driver's.
      if (isBound(port) && (outcome.vifType !== port.binding!.vifType || sameDetails(outcome.vifDetails, port.binding!.vifDetails))) continue;
      try {
        await drivers.precommit({ previous: port, current: withOutcome(port, port, outcome), network });
      } catch (err) {
        logger.warn('mechanism driver vetoed re-binding a port', { port_id: port.id, host, error: err instanceof Error ? err.message : String(err) });
        continue;
      }
      decided.push({ port, network, outcome });
    }
    if (decided.length === 0) return 0;
    const committed = await state.mutate((txn, changes) => {
      const out: { prev: Port; next: Port; network: Network }[] = [];
      for (const d of decided) {
        const cur = state.ports.get(txn, d.port.id);
        // Changed meanwhile (re-bound, moved, deleted): that change decided its binding.
        if (!cur || cur.revisionNumber !== d.port.revisionNumber) continue;
        const next = withOutcome(cur, cur, d.outcome);
        next.revisionNumber = cur.revisionNumber + 1;
        next.updatedAt = state.now();
        state.ports.put(txn, next, cur);
        changes.saved({ $case: 'port', port: next });
        out.push({ prev: cur, next, network: d.network });
      }
      return out;
    });
    for (const c of committed) this.after({ previous: c.prev, current: c.next, network: c.network });
    const bound = committed.filter((c) => isBound(c.next)).length;
    if (committed.length > 0) logger.info('re-bound ports', { host, bound, still_failed: committed.length - bound });
    return bound;
  }
}
