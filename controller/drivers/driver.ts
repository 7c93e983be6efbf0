/**
 * The mechanism driver contract (ML2's idea), in-process: the same shape as
 * weft.driver.v1.MechanismDriverService, so an in-tree driver (linuxbridge.ts) and a vendor's
 * out-of-process one (remote.ts) are interchangeable in the configured order.
 *
 * The controller calls drivers before it commits anything (their calls may be network round
 * trips, and mutations are synchronous): `bindPort` for a port whose binding host is set,
 * `portPrecommit` with the change about to commit (an error vetoes it and reaches the API caller),
 * `portPostcommit` with the committed change (errors are only logged).
 */
import type { Agent } from '../../proto/gen/weft/agent/v1/agent_service';
import type { Network, NetworkType, Port } from '../../proto/gen/weft/network/v1/resources';

export interface DriverDescription {
  name: string;
  /** Agent types whose hosts this driver can bind ports on. */
  agentTypes: readonly string[];
  /** Segment types it can bind. */
  networkTypes: readonly NetworkType[];
}

export interface BindRequest {
  port: Port;
  network: Network;
  /** The alive, enabled agents on the port's binding host. */
  agents: readonly Agent[];
}

export type BindResult =
  | { bound: true; vifType: string; vifDetails: Record<string, string>; segmentIndex: number }
  | { bound: false; reason: string };

/** A port before and after a change: no `previous` on create, no `current` on delete. */
export interface PortChange {
  previous?: Port;
  current?: Port;
  network: Network;
}

export interface MechanismDriver {
  readonly name: string;
  describe(): Promise<DriverDescription>;
  /** Never throws for "cannot bind": that is `{ bound: false, reason }`. */
  bindPort(req: BindRequest): Promise<BindResult>;
  /**
   * Throws a WeftError to veto the change. Absent when the driver has nothing to check (the
   * in-tree drivers): the controller then skips previewing changes that bind nothing.
   */
  portPrecommit?(change: PortChange): Promise<void>;
  /** Told after the change committed; absent when the driver does not care. */
  portPostcommit?(change: PortChange): Promise<void>;
  close?(): void;
}
