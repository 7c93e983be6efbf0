/**
 * A vendor's out-of-process mechanism driver: an adapter from the MechanismDriver interface to a
 * weft.driver.v1.MechanismDriverService the controller calls over gRPC (insecure channel: the
 * driver runs next to the controller or on a trusted management network).
 *
 * Failure policy, following ML2: a driver that cannot be reached while binding is one that did not
 * bind (the reason says so, the next driver is asked); a failing precommit vetoes the change with
 * the driver's own status code, message and details; a failing postcommit is logged.
 */
import { credentials, status as Status, type CallOptions, type ClientUnaryCall, type Metadata, type ServiceError } from '@grpc/grpc-js';
import { Metadata as GrpcMetadata } from '@grpc/grpc-js';
import { MechanismDriverServiceClient, type PortChange as WirePortChange } from '../../proto/gen/weft/driver/v1/mechanism_driver';
import { decodeStatusDetails, WeftError } from '../../services/runtime/errors';
import type { BindRequest, BindResult, DriverDescription, MechanismDriver, PortChange } from './driver';

type Unary<Req, Res> = (req: Req, md: Metadata, opts: Partial<CallOptions>, cb: (err: ServiceError | null, res: Res) => void) => ClientUnaryCall;

function isServiceError(e: unknown): e is ServiceError {
  return typeof e === 'object' && e !== null && 'code' in e && typeof (e as { code: unknown }).code === 'number' && 'details' in e;
}

function wireChange(c: PortChange): WirePortChange {
  return { previous: c.previous, current: c.current, network: c.network };
}

export class RemoteMechanismDriver implements MechanismDriver {
  private readonly client: MechanismDriverServiceClient;

  constructor(
    readonly name: string,
    readonly address: string,
    private readonly timeoutMs: number,
  ) {
    this.client = new MechanismDriverServiceClient(address, credentials.createInsecure());
  }

  private call<Req, Res>(method: Unary<Req, Res>, req: Req): Promise<Res> {
    return new Promise((resolve, reject) => {
      method.call(this.client, req, new GrpcMetadata(), { deadline: Date.now() + this.timeoutMs }, (err, res) => (err ? reject(err) : resolve(res)));
    });
  }

  async describe(): Promise<DriverDescription> {
    const d = await this.call(this.client.describe, {});
    return { name: d.name || this.name, agentTypes: d.agentTypes, networkTypes: d.networkTypes };
  }

  async bindPort(req: BindRequest): Promise<BindResult> {
    try {
      const r = await this.call(this.client.bindPort, { port: req.port, network: req.network, agents: [...req.agents] });
      if (!r.bound) return { bound: false, reason: r.reason || 'declined without a reason' };
      return { bound: true, vifType: r.vifType, vifDetails: r.vifDetails, segmentIndex: r.segmentIndex };
    } catch (err) {
      if (!isServiceError(err)) throw err;
      return { bound: false, reason: `driver call failed (${Status[err.code]}: ${err.details})` };
    }
  }

  async portPrecommit(change: PortChange): Promise<void> {
    try {
      await this.call(this.client.portPrecommit, { change: wireChange(change) });
    } catch (err) {
      if (!isServiceError(err)) throw err;
      const d = decodeStatusDetails(err);
      // The driver's verdict reaches the API caller as the driver stated it.
      throw new WeftError(err.code, `mechanism driver ${this.name}: ${err.details}`, {
        reason: d.reason || 'MECHANISM_DRIVER_VETO',
        fieldViolations: d.fieldViolations,
        preconditions: d.preconditions,
      });
    }
  }

  async portPostcommit(change: PortChange): Promise<void> {
    await this.call(this.client.portPostcommit, { change: wireChange(change) });
  }

  close(): void {
    this.client.close();
  }
}
