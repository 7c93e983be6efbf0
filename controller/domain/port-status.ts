/**
 * Port status as reported by node agents: the port's `status` says whether the dataplane for it
 * is really in place (ACTIVE), not yet or no longer (DOWN), or failed (ERROR, with a reason).
 *
 * Agents report what they observe every time they reconcile, so the same report arrives again and
 * again: a report that changes nothing writes nothing and emits no change-feed event (otherwise
 * every agent's status loop would feed every watcher, including itself, in a storm).
 */
import { PortStatus, type Port } from '../../proto/gen/weft/network/v1/resources';
import type { PortStatusReport } from '../../proto/gen/weft/agent/v1/agent_service';
import type { Txn } from '../../services/runtime/store/kv';
import { isBound } from './port-binding';
import type { Changes, NetworkState } from './state';
import { UUID_RE, Violations } from './validate';

const REPORTABLE = [PortStatus.PORT_STATUS_DOWN, PortStatus.PORT_STATUS_ACTIVE, PortStatus.PORT_STATUS_ERROR];
const MAX_REASON = 255;
/** One call's worth: an agent with more ports reports in several calls. */
export const MAX_REPORTS = 5000;

/** Field violations of a batch of reports (INVALID_ARGUMENT before anything is written). */
export function validateReports(v: Violations, reports: readonly PortStatusReport[]): void {
  v.check(reports.length <= MAX_REPORTS, 'reports', `at most ${MAX_REPORTS} reports per call`);
  reports.forEach((r, i) => {
    const f = `reports[${i}]`;
    if (!r.portId) v.add(`${f}.port_id`, 'is required');
    else v.check(UUID_RE.test(r.portId), `${f}.port_id`, 'must be a UUID');
    v.check(REPORTABLE.includes(r.status), `${f}.status`, 'must be DOWN, ACTIVE or ERROR');
    v.check(r.reason.length <= MAX_REASON, `${f}.reason`, `must be at most ${MAX_REASON} characters`);
    v.check(!/[\u0000-\u001f]/.test(r.reason), `${f}.reason`, 'must not contain control characters');
  });
}

/**
 * Applies validated reports from the agent on `host` inside a mutation. Returns the ids it ignored:
 * ports that do not exist, are bound to another host, or are not bound at all (an agent has no say
 * over a port no driver bound to it).
 */
export function applyPortStatus(state: NetworkState, host: string, reports: readonly PortStatusReport[], txn: Txn, changes: Changes): string[] {
  const ignored: string[] = [];
  for (const r of reports) {
    const prev = state.ports.get(txn, r.portId);
    if (!prev || prev.binding?.hostId !== host || !isBound(prev)) {
      ignored.push(r.portId);
      continue;
    }
    const reason = r.status === PortStatus.PORT_STATUS_ACTIVE ? '' : r.reason;
    if (prev.status === r.status && prev.statusReason === reason) continue;
    const next: Port = { ...prev, status: r.status, statusReason: reason, revisionNumber: prev.revisionNumber + 1, updatedAt: state.now() };
    state.ports.put(txn, next, prev);
    changes.saved({ $case: 'port', port: next });
  }
  return ignored;
}
