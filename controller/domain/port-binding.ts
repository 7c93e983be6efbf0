/**
 * What a port's binding fields and status become once the mechanism drivers have answered.
 *
 * Binding itself (asking agents and drivers) is async and happens before the mutation
 * (controller/drivers/port-changes.ts); the mutation only applies a decided `BindingOutcome`, so
 * the rules here are pure and synchronous:
 * - no host: `vif_type=unbound`, status DOWN;
 * - a driver bound it: its vif_type/vif_details, status DOWN until the host's agent reports ACTIVE
 *   (a re-bind to the same result keeps the status the agent reported);
 * - nobody bound it: `vif_type=binding_failed`, status DOWN, `status_reason` says why.
 */
import { status as Status } from '@grpc/grpc-js';
import { PortStatus, type Port } from '../../proto/gen/weft/network/v1/resources';
import { WeftError } from '../../services/runtime/errors';

export const VIF_UNBOUND = 'unbound';
export const VIF_BINDING_FAILED = 'binding_failed';

/** The drivers' verdict for one port on one host. */
export interface BindingOutcome {
  hostId: string;
  /** The bound driver's vif_type, or binding_failed. */
  vifType: string;
  vifDetails: Record<string, string>;
  /** Why no driver bound the port (binding_failed only). */
  reason: string;
}

/**
 * How a domain function treats binding: a decided outcome, `pending` in a preview (the drivers
 * have not been asked yet: the port shows `unbound`), or undefined when the change does not bind
 * (a host without an outcome then fails, which only a caller bypassing the drivers can cause).
 */
export type BindingInput = BindingOutcome | 'pending' | undefined;

export function isBound(port: Port): boolean {
  const t = port.binding?.vifType ?? '';
  return t !== '' && t !== VIF_UNBOUND && t !== VIF_BINDING_FAILED;
}

export function sameDetails(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** Sets `next`'s vif fields and status from the outcome; `prev` is the port before the change (absent on create). */
export function applyBinding(next: Port, prev: Port | undefined, input: BindingInput): void {
  const b = next.binding!;
  const host = b.hostId;
  let vifType: string;
  let vifDetails: Record<string, string> = {};
  let reason = '';
  if (host && input === 'pending') {
    // A preview: the drivers have not been asked yet; the status stays what it was.
    b.vifType = VIF_UNBOUND;
    b.vifDetails = {};
    return;
  }
  const outcome = input === 'pending' ? undefined : input;
  if (!host) {
    vifType = VIF_UNBOUND;
  } else if (outcome === undefined || outcome.hostId !== host) {
    vifType = VIF_BINDING_FAILED;
    reason = `binding on host ${host} was not attempted`;
  } else {
    vifType = outcome.vifType;
    vifDetails = { ...outcome.vifDetails };
    reason = outcome.vifType === VIF_BINDING_FAILED ? outcome.reason : '';
  }
  const unchanged =
    !!prev &&
    prev.binding?.hostId === host &&
    prev.binding.vifType === vifType &&
    sameDetails(prev.binding.vifDetails, vifDetails) &&
    (vifType !== VIF_BINDING_FAILED || prev.statusReason === reason);
  b.vifType = vifType;
  b.vifDetails = vifDetails;
  if (unchanged) return;
  // A new host, a new wiring or a failure: nothing is plugged until the agent says so.
  next.status = PortStatus.PORT_STATUS_DOWN;
  next.statusReason = reason;
}

/** Reason of the ABORTED error a commit raises when the port moved on after its preview. */
export const PORT_CHANGED_REASON = 'PORT_CHANGED_DURING_BINDING';

/**
 * Guards the commit after a preview: the drivers' answers were about the port at revision
 * `expected`; if another change landed meanwhile they may no longer hold (the caller re-previews).
 */
export function checkPreviewedRevision(port: Port, expected: number | undefined): void {
  if (expected !== undefined && port.revisionNumber !== expected) {
    throw new WeftError(Status.ABORTED, `port ${port.id} changed while its mechanism drivers were consulted; retry`, { reason: PORT_CHANGED_REASON });
  }
}
