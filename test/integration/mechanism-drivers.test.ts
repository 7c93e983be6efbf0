/**
 * An out-of-process vendor mechanism driver: a tiny weft.driver.v1.MechanismDriverService server
 * started by this test ("acme", binding hosts that run an `acme-agent`), configured before
 * linuxbridge. Shows driver order, Describe-based skipping, what the driver is shown, a precommit
 * veto reaching the API caller with nothing written, and postcommit notifications.
 */
import { Metadata, Server, ServerCredentials, status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import {
  MechanismDriverServiceService,
  type BindPortRequest,
  type BindPortResponse,
  type DescribeResponse,
  type PortChange,
  type PortPostcommitRequest,
  type PortPrecommitRequest,
} from '../../proto/gen/weft/driver/v1/mechanism_driver';
import { encodeStatusDetails, WeftError } from '../../services/runtime/errors';
import { connectAgent, type AgentApi } from '../../services/runtime/client/agent-client';
import type { NetworkApi } from '../../services/runtime/client/network-client';
import { failure, startController, type ControllerHandle } from './harness';

/** What the vendor's driver was asked, and its one rule: no port may be named "forbidden". */
class AcmeDriver {
  describes = 0;
  readonly binds: BindPortRequest[] = [];
  readonly precommits: PortChange[] = [];
  readonly postcommits: PortChange[] = [];
  readonly server = new Server();

  constructor() {
    const unary =
      <Req, Res>(fn: (req: Req) => Res | WeftError) =>
      (call: ServerUnaryCall<Req, Res>, cb: sendUnaryData<Res>): void => {
        const r = fn(call.request);
        if (r instanceof WeftError) {
          const md = new Metadata();
          md.set('grpc-status-details-bin', encodeStatusDetails(r));
          cb({ code: r.code, details: r.message, metadata: md });
        } else cb(null, r);
      };
    this.server.addService(MechanismDriverServiceService, {
      describe: unary((): DescribeResponse => {
        this.describes++;
        return { name: 'acme', agentTypes: ['acme-agent'], networkTypes: [] };
      }),
      bindPort: unary((req: BindPortRequest): BindPortResponse => {
        this.binds.push(req);
        const mine = req.agents.find((a) => a.agentType === 'acme-agent');
        if (!mine) return { bound: false, vifType: '', vifDetails: {}, segmentIndex: 0, reason: 'no acme-agent in the request' };
        return { bound: true, vifType: 'acme-vif', vifDetails: { switch_port: `${mine.host}:${req.port!.id.slice(0, 8)}` }, segmentIndex: 0, reason: '' };
      }),
      portPrecommit: unary((req: PortPrecommitRequest) => {
        this.precommits.push(req.change!);
        if (req.change?.current?.name === 'forbidden') {
          return new WeftError(status.FAILED_PRECONDITION, 'acme refuses ports named "forbidden"', { reason: 'ACME_FORBIDDEN_NAME' });
        }
        return {};
      }),
      portPostcommit: unary((req: PortPostcommitRequest) => {
        this.postcommits.push(req.change!);
        return {};
      }),
    });
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => this.server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))));
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }
}

async function eventually(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a vendor mechanism driver over gRPC', () => {
  const acme = new AcmeDriver();
  let ctl: ControllerHandle;
  let admin: NetworkApi;
  let agents: AgentApi;
  let netId: string;

  beforeAll(async () => {
    const port = await acme.listen();
    ctl = await startController({ config: { mechanismDrivers: ['acme', 'linuxbridge'], remoteDrivers: { acme: { address: `127.0.0.1:${port}`, timeoutMs: 2000 } } } });
    admin = ctl.admin();
    agents = connectAgent(ctl.address, { token: await ctl.token('agents', ['service']) });
    netId = (await admin.createNetwork({ network: { name: 'vendor-net' } })).id;
    await agents.registerAgent({ host: 'acme-host', agentType: 'acme-agent' });
    await agents.registerAgent({ host: 'lb-host', agentType: 'linuxbridge', tunnelIp: '192.0.2.1' });
    await agents.registerAgent({ host: 'both-host', agentType: 'acme-agent' });
    await agents.registerAgent({ host: 'both-host', agentType: 'linuxbridge', tunnelIp: '192.0.2.2' });
  });
  afterAll(async () => {
    agents?.close();
    await ctl?.stop();
    await acme.stop();
  });

  it('is described at controller start', () => {
    expect(acme.describes).toBeGreaterThanOrEqual(1);
  });

  it('binds ports on hosts running its agent type, seeing the port that will commit', async () => {
    const p = await admin.createPort({ port: { networkId: netId, name: 'vm1', binding: { hostId: 'acme-host' } } });
    expect(p.binding?.vifType).toBe('acme-vif');
    expect(p.binding?.vifDetails).toEqual({ switch_port: `acme-host:${p.id.slice(0, 8)}` });
    const asked = acme.binds[acme.binds.length - 1];
    expect(asked.port?.id).toBe(p.id);
    expect(asked.network?.id).toBe(netId);
    expect(asked.agents.map((a) => [a.host, a.agentType, a.alive])).toEqual([['acme-host', 'acme-agent', true]]);
    const pre = acme.precommits.find((c) => c.current?.id === p.id);
    expect(pre?.previous).toBeUndefined();
    expect(pre?.current?.binding?.vifType).toBe('acme-vif');
    await eventually('postcommit', () => acme.postcommits.some((c) => c.current?.id === p.id && c.current.revisionNumber === 1));
  });

  it('is asked first where both agent types run; linuxbridge binds where only its agent runs (acme not even asked)', async () => {
    const both = await admin.createPort({ port: { networkId: netId, binding: { hostId: 'both-host' } } });
    expect(both.binding?.vifType).toBe('acme-vif');
    const asked = acme.binds.length;
    const lb = await admin.createPort({ port: { networkId: netId, binding: { hostId: 'lb-host' } } });
    expect(lb.binding?.vifType).toBe('bridge');
    expect(acme.binds.length).toBe(asked);
  });

  it('a precommit veto reaches the API caller with the driver\'s status and writes nothing', async () => {
    const before = (await admin.getRevision({})).revision;
    const veto = await failure(admin.createPort({ port: { networkId: netId, name: 'forbidden', binding: { hostId: 'acme-host' } } }));
    expect(veto.code).toBe(status.FAILED_PRECONDITION);
    expect(veto.message).toBe('mechanism driver acme: acme refuses ports named "forbidden"');
    expect(veto.reason).toBe('ACME_FORBIDDEN_NAME');
    // Unbound ports are shown to the driver too (it observes every port change).
    expect((await failure(admin.createPort({ port: { networkId: netId, name: 'forbidden' } }))).code).toBe(status.FAILED_PRECONDITION);
    const p = await admin.createPort({ port: { networkId: netId, name: 'fine' } });
    const rename = await failure(admin.updatePort({ port: { id: p.id, name: 'forbidden' }, updateMask: ['name'] }));
    expect(rename.code).toBe(status.FAILED_PRECONDITION);
    expect((await admin.getPort({ id: p.id })).name).toBe('fine');
    expect((await admin.listPorts({ name: 'forbidden' })).ports).toEqual([]);
    expect((await admin.getRevision({})).revision).toBe(before + 1);
  });

  it('tells the driver about updates and deletes after they commit', async () => {
    const p = await admin.createPort({ port: { networkId: netId, name: 'short-lived' } });
    const moved = await admin.updatePort({ port: { id: p.id, binding: { hostId: 'acme-host' } }, updateMask: ['binding'] });
    expect(moved.binding?.vifType).toBe('acme-vif');
    await admin.deletePort({ id: p.id });
    await eventually('update postcommit', () => acme.postcommits.some((c) => c.previous?.id === p.id && c.current?.binding?.vifType === 'acme-vif'));
    await eventually('delete postcommit', () => acme.postcommits.some((c) => c.previous?.id === p.id && c.current === undefined));
  });

  it('an unreachable driver vetoes changes (precommit cannot be skipped) and binds nothing', async () => {
    await acme.stop();
    const before = (await admin.getRevision({})).revision;
    const down = await failure(admin.createPort({ port: { networkId: netId, binding: { hostId: 'acme-host' } } }));
    expect(down.code).toBe(status.UNAVAILABLE);
    expect(down.message).toContain('mechanism driver acme');
    expect((await admin.getRevision({})).revision).toBe(before);
  });
});
