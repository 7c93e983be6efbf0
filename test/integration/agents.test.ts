/**
 * The controller's side of the node agents against real identity + controller processes:
 * registration and liveness, the Agents API and its policy, port binding through the linuxbridge
 * mechanism driver (and re-binding when an agent shows up), port status reports, service callers
 * reading every project, the unix socket listener and the `weft agent` CLI.
 *
 * Agents here are this test talking AgentService with a service token; downTimeMs is short so
 * "stops heartbeating → dead" takes under two seconds.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { status, type ClientReadableStream } from '@grpc/grpc-js';
import type { WatchResponse } from '../../proto/gen/weft/network/v1/network_service';
import { NetworkType, PortStatus, type Port } from '../../proto/gen/weft/network/v1/resources';
import { connectAgent, type AgentApi } from '../../services/runtime/client/agent-client';
import { connectNetwork, type NetworkApi } from '../../services/runtime/client/network-client';
import { failure, ROOT, startController, type ControllerHandle } from './harness';

const DOWN_MS = 1500;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The first watch event carrying a port change that satisfies `pred`. */
function portEvent(stream: ClientReadableStream<WatchResponse>, pred: (p: Port) => boolean, timeoutMs = 5000): Promise<Port> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.cancel();
      reject(new Error('no matching port event'));
    }, timeoutMs);
    stream.on('data', (ev: WatchResponse) => {
      for (const ch of ev.changes) {
        if (ch.value?.$case === 'port' && pred(ch.value.value)) {
          clearTimeout(timer);
          stream.cancel();
          resolve(ch.value.value);
        }
      }
    });
    stream.on('error', (err: { code: number }) => {
      if (err.code !== status.CANCELLED) {
        clearTimeout(timer);
        reject(err);
      }
    });
  });
}

describe('agents and port binding', () => {
  let ctl: ControllerHandle;
  let sockDir: string;
  let sock: string;
  let agent: AgentApi;
  let adminAgents: AgentApi;
  let admin: NetworkApi;
  let service: NetworkApi;
  const clients: { close(): void }[] = [];
  const track = <T extends { close(): void }>(c: T): T => (clients.push(c), c);
  /** One shared network for binding tests (vxlan tenant network plus a flat provider one). */
  let vxlanNet: string;
  let flatNet: string;

  beforeAll(async () => {
    sockDir = mkdtempSync(path.join(tmpdir(), 'weft-sock-'));
    sock = path.join(sockDir, 'run', 'controller.sock');
    ctl = await startController({ config: { agents: { downTimeMs: DOWN_MS, heartbeatIntervalMs: 300 }, extraListen: [`unix:${sock}`], segments: { flatNetworks: ['physnet1'] } } });
    agent = track(connectAgent(ctl.address, { token: await ctl.token('agents', ['service']) }));
    adminAgents = track(connectAgent(ctl.address, { token: await ctl.token('admin', ['admin']) }));
    admin = ctl.admin();
    service = track(connectNetwork(ctl.address, { token: await ctl.token('agents', ['service']) }));
    vxlanNet = (await admin.createNetwork({ network: { name: 'bind-vx' } })).id;
    flatNet = (await admin.createNetwork({ network: { name: 'bind-flat', segments: [{ networkType: NetworkType.NETWORK_TYPE_FLAT, physicalNetwork: 'physnet1' }] } })).id;
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await ctl?.stop();
    rmSync(sockDir, { recursive: true, force: true });
  });

  const register = (host: string, over: { tunnelIp?: string; bridgeMappings?: Record<string, string>; agentType?: string } = {}) =>
    agent.registerAgent({ host, agentType: over.agentType ?? 'linuxbridge', tunnelIp: over.tunnelIp ?? '192.0.2.10', bridgeMappings: over.bridgeMappings ?? {}, capabilities: ['vxlan', 'flat'], version: '0.1.0' });
  const boundPort = (host: string, networkId = vxlanNet) => admin.createPort({ port: { networkId, binding: { hostId: host } } });

  it('registers an agent: alive in ListAgents and GetAgent, with heartbeat stats', async () => {
    const a = await register('reg-1');
    expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
    expect([a.alive, a.adminStateUp, a.revisionNumber, a.tunnelIp]).toEqual([true, true, 1, '192.0.2.10']);
    const hb = await agent.heartbeat({ agentId: a.id, stats: { ports: 3, networks: 1, reconciles: 9 } });
    expect(hb).toEqual({ adminStateUp: true, heartbeatIntervalMs: 300 });
    const listed = await adminAgents.listAgents({ host: 'reg-1' });
    expect(listed.agents.map((x) => [x.id, x.alive, x.stats?.ports, x.stats?.reconciles])).toEqual([[a.id, true, 3, 9]]);
    const got = await agent.getAgent({ id: a.id });
    expect(got.heartbeatAt).toBeInstanceOf(Date);
    expect(got.capabilities).toEqual(['vxlan', 'flat']);
  });

  it('an agent that stops heartbeating is dead after downTimeMs, alive again on its next heartbeat', async () => {
    const a = await register('reg-dead');
    await sleep(DOWN_MS + 300);
    expect((await adminAgents.getAgent({ id: a.id })).alive).toBe(false);
    expect((await adminAgents.listAgents({ host: 'reg-dead' })).agents[0].alive).toBe(false);
    await agent.heartbeat({ agentId: a.id });
    expect((await adminAgents.getAgent({ id: a.id })).alive).toBe(true);
  });

  it('re-registering (host, type) keeps the id and updates what the agent reports', async () => {
    const first = await register('reg-again', { tunnelIp: '192.0.2.20' });
    await sleep(5);
    const again = await agent.registerAgent({ host: 'reg-again', agentType: 'linuxbridge', tunnelIp: '2001:DB8::1', bridgeMappings: { physnet1: 'eth1' }, capabilities: [], version: '0.2.0' });
    expect(again.id).toBe(first.id);
    expect([again.tunnelIp, again.bridgeMappings, again.version, again.revisionNumber]).toEqual(['2001:db8::1', { physnet1: 'eth1' }, '0.2.0', 2]);
    expect(again.startedAt!.getTime()).toBeGreaterThan(first.startedAt!.getTime());
    expect(again.createdAt).toEqual(first.createdAt);
    const other = await register('reg-again', { agentType: 'ovs' });
    expect(other.id).not.toBe(first.id);
    expect((await adminAgents.listAgents({ host: 'reg-again' })).agents).toHaveLength(2);
    expect((await adminAgents.listAgents({ host: 'reg-again', agentType: 'ovs' })).agents.map((x) => x.id)).toEqual([other.id]);
  });

  it('a heartbeat for an unknown agent is NOT_FOUND (the agent then registers again)', async () => {
    expect((await failure(agent.heartbeat({ agentId: '00000000-0000-4000-8000-000000000000' }))).code).toBe(status.NOT_FOUND);
    expect((await failure(agent.heartbeat({ agentId: '' }))).code).toBe(status.INVALID_ARGUMENT);
  });

  it('rejects bad registrations with every field violation and writes nothing', async () => {
    const before = (await adminAgents.listAgents({ pageSize: 1000 })).agents.length;
    const bad = await failure(agent.registerAgent({ host: '', agentType: 'Linux Bridge', tunnelIp: '300.1.1.1', bridgeMappings: { 'phys net': 'eth1', physnet2: 'a/b', physnet3: 'eth9', physnet4: 'eth9' }, capabilities: ['ok', 'ok'] }));
    expect(bad.code).toBe(status.INVALID_ARGUMENT);
    expect([...bad.fields].sort()).toEqual(['agent_type', 'bridge_mappings[phys net]', 'bridge_mappings[physnet2]', 'bridge_mappings[physnet4]', 'capabilities', 'host', 'tunnel_ip'].sort());
    const host = await failure(agent.registerAgent({ host: '-bad-', agentType: 'linuxbridge' }));
    expect(host.fields).toEqual(['host']);
    const reports = await failure(agent.reportPortStatus({ agentId: '00000000-0000-4000-8000-000000000000', reports: [{ portId: 'x', status: PortStatus.PORT_STATUS_BUILD }] }));
    expect(reports.code).toBe(status.INVALID_ARGUMENT);
    expect(reports.fields).toEqual(['reports[0].port_id', 'reports[0].status']);
    const mask = await failure(adminAgents.updateAgent({ agent: { id: '00000000-0000-4000-8000-000000000000' }, updateMask: ['host'] }));
    expect(mask.fields).toEqual(['update_mask']);
    expect((await adminAgents.listAgents({ pageSize: 1000 })).agents.length).toBe(before);
  });

  it('lists agents page by page with tokens bound to the filters', async () => {
    for (const h of ['page-1', 'page-2', 'page-3']) await register(h);
    const seen: string[] = [];
    let pageToken = '';
    do {
      const page = await adminAgents.listAgents({ pageSize: 2, pageToken });
      expect(page.agents.length).toBeLessThanOrEqual(2);
      seen.push(...page.agents.map((a) => a.host));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(seen).toEqual(expect.arrayContaining(['page-1', 'page-2', 'page-3']));
    const first = await adminAgents.listAgents({ pageSize: 1 });
    expect((await failure(adminAgents.listAgents({ pageSize: 1, pageToken: first.nextPageToken, host: 'page-1' }))).fields).toEqual(['page_token']);
  });

  it('binds to nothing without an alive agent: binding_failed with the reason', async () => {
    const p = await boundPort('nobody-here');
    expect(p.binding).toMatchObject({ hostId: 'nobody-here', vifType: 'binding_failed', vifDetails: {} });
    expect(p.status).toBe(PortStatus.PORT_STATUS_DOWN);
    expect(p.statusReason).toBe('no alive agent on host nobody-here');
    const unbound = await admin.createPort({ port: { networkId: vxlanNet } });
    expect([unbound.binding?.vifType, unbound.status, unbound.statusReason]).toEqual(['unbound', PortStatus.PORT_STATUS_DOWN, '']);
  });

  it('binds through the linuxbridge driver: vif_type bridge and the details the compute side plugs with', async () => {
    await register('lb-1', { bridgeMappings: { physnet1: 'eth1' } });
    const p = await boundPort('lb-1');
    const net = await admin.getNetwork({ id: vxlanNet });
    expect(p.binding?.vifType).toBe('bridge');
    expect(p.binding?.vifDetails).toEqual({
      port_filter: 'true',
      bridge_name: `brq${vxlanNet.slice(0, 11)}`,
      tap_name: `tap${p.id.slice(0, 11)}`,
      network_type: 'vxlan',
      segmentation_id: String(net.segments[0].segmentationId),
      physical_network: '',
      tunnel_ip: '192.0.2.10',
    });
    expect([p.status, p.statusReason]).toEqual([PortStatus.PORT_STATUS_DOWN, '']);
    const flat = await boundPort('lb-1', flatNet);
    expect(flat.binding?.vifDetails).toMatchObject({ network_type: 'flat', physical_network: 'physnet1', segmentation_id: '0' });
    // Unbinding and binding through UpdatePort.
    const unbound = await admin.updatePort({ port: { id: p.id, binding: { hostId: '' } }, updateMask: ['binding'] });
    expect(unbound.binding?.vifType).toBe('unbound');
    const rebound = await admin.updatePort({ port: { id: p.id, binding: { hostId: 'lb-1' } }, updateMask: ['binding'] });
    expect(rebound.binding?.vifType).toBe('bridge');
  });

  it('explains what the agent lacks (a physnet mapping, a tunnel_ip)', async () => {
    await register('lb-nomap', { tunnelIp: '' });
    const flat = await boundPort('lb-nomap', flatNet);
    expect(flat.statusReason).toBe('linuxbridge: agent on lb-nomap has no mapping for physical network physnet1');
    const vx = await boundPort('lb-nomap');
    expect(vx.statusReason).toBe('linuxbridge: agent on lb-nomap has no tunnel_ip for vxlan');
  });

  it('an agent registering later re-binds the host\'s failed ports (one mutation)', async () => {
    const p1 = await boundPort('late-host');
    const p2 = await boundPort('late-host');
    expect(p1.binding?.vifType).toBe('binding_failed');
    const rev = (await admin.getRevision({})).revision;
    await register('late-host');
    const [g1, g2] = await Promise.all([admin.getPort({ id: p1.id }), admin.getPort({ id: p2.id })]);
    expect([g1.binding?.vifType, g2.binding?.vifType]).toEqual(['bridge', 'bridge']);
    expect([g1.statusReason, g1.revisionNumber]).toEqual(['', p1.revisionNumber + 1]);
    expect((await admin.getRevision({})).revision).toBe(rev + 1);
  });

  it("an agent re-registering with another tunnel_ip refreshes its bound ports' vif_details", async () => {
    await register('vtep-host', { tunnelIp: '192.0.2.40' });
    const p = await boundPort('vtep-host');
    const flat = await boundPort('vtep-host', flatNet);
    expect([p.binding?.vifDetails.tunnel_ip, flat.binding?.vifType]).toEqual(['192.0.2.40', 'binding_failed']);
    const rev = (await admin.getRevision({})).revision;
    await register('vtep-host', { tunnelIp: '192.0.2.40' });
    expect((await admin.getRevision({})).revision).toBe(rev);
    await register('vtep-host', { tunnelIp: '192.0.2.41' });
    const got = await admin.getPort({ id: p.id });
    expect([got.binding?.vifDetails.tunnel_ip, got.status, got.revisionNumber]).toEqual(['192.0.2.41', PortStatus.PORT_STATUS_DOWN, p.revisionNumber + 1]);
    // Losing a mapping or the VTEP never fails a bound port: it stays as wired.
    await register('vtep-host', { tunnelIp: '' });
    expect((await admin.getPort({ id: p.id })).binding?.vifDetails.tunnel_ip).toBe('192.0.2.41');
  });

  it('an agent coming back alive re-binds ports that failed while it was dead', async () => {
    const a = await register('revive-host');
    await sleep(DOWN_MS + 300);
    const p = await boundPort('revive-host');
    expect(p.statusReason).toContain('linuxbridge agent is dead since its last heartbeat');
    await agent.heartbeat({ agentId: a.id });
    await waitFor('the port to bind', async () => ((await admin.getPort({ id: p.id })).binding?.vifType === 'bridge' ? true : undefined));
  });

  it('a disabled agent binds no new ports (bound ones stay); enabling it re-binds the failed ones', async () => {
    const a = await register('admin-off');
    const before = await boundPort('admin-off');
    const off = await adminAgents.updateAgent({ agent: { id: a.id, adminStateUp: false, description: 'maintenance' }, updateMask: ['admin_state_up', 'description'] });
    expect([off.adminStateUp, off.description, off.revisionNumber]).toEqual([false, 'maintenance', 2]);
    expect((await agent.heartbeat({ agentId: a.id })).adminStateUp).toBe(false);
    const p = await boundPort('admin-off');
    expect(p.binding?.vifType).toBe('binding_failed');
    expect(p.statusReason).toBe('no alive, enabled agent on host admin-off (linuxbridge agent is disabled)');
    expect((await admin.getPort({ id: before.id })).binding?.vifType).toBe('bridge');
    await adminAgents.updateAgent({ agent: { id: a.id, adminStateUp: true }, updateMask: ['admin_state_up'] });
    expect((await admin.getPort({ id: p.id })).binding?.vifType).toBe('bridge');
  });

  it('ReportPortStatus: ACTIVE shows in GetPort and Watch; a repeat writes nothing; other hosts are ignored', async () => {
    const a = await register('status-host');
    const p = await boundPort('status-host');
    const unboundOnHost = await boundPort('elsewhere');
    const start = (await service.getRevision({})).revision;
    const watched = portEvent(service.watch({ fromRevision: start + 1 }), (x) => x.id === p.id && x.status === PortStatus.PORT_STATUS_ACTIVE);
    const res = await agent.reportPortStatus({
      agentId: a.id,
      reports: [
        { portId: p.id, status: PortStatus.PORT_STATUS_ACTIVE, reason: 'ignored for ACTIVE' },
        { portId: unboundOnHost.id, status: PortStatus.PORT_STATUS_ACTIVE },
        { portId: '00000000-0000-4000-8000-000000000000', status: PortStatus.PORT_STATUS_DOWN },
      ],
    });
    expect([...res.ignoredPortIds].sort()).toEqual([unboundOnHost.id, '00000000-0000-4000-8000-000000000000'].sort());
    const got = await admin.getPort({ id: p.id });
    expect([got.status, got.statusReason, got.revisionNumber]).toEqual([PortStatus.PORT_STATUS_ACTIVE, '', p.revisionNumber + 1]);
    expect((await watched).status).toBe(PortStatus.PORT_STATUS_ACTIVE);
    const rev = (await admin.getRevision({})).revision;
    for (let i = 0; i < 5; i++) await agent.reportPortStatus({ agentId: a.id, reports: [{ portId: p.id, status: PortStatus.PORT_STATUS_ACTIVE }] });
    expect((await admin.getRevision({})).revision).toBe(rev);
    await agent.reportPortStatus({ agentId: a.id, reports: [{ portId: p.id, status: PortStatus.PORT_STATUS_ERROR, reason: 'tap device missing' }] });
    expect(await admin.getPort({ id: p.id })).toMatchObject({ status: PortStatus.PORT_STATUS_ERROR, statusReason: 'tap device missing' });
    // Moving the port to another host resets its status: nothing is wired there yet.
    await register('status-host-2');
    const moved = await admin.updatePort({ port: { id: p.id, binding: { hostId: 'status-host-2' } }, updateMask: ['binding'] });
    expect([moved.status, moved.statusReason, moved.binding?.vifType]).toEqual([PortStatus.PORT_STATUS_DOWN, '', 'bridge']);
    // The old host's agent has no say over it any more.
    expect((await agent.reportPortStatus({ agentId: a.id, reports: [{ portId: p.id, status: PortStatus.PORT_STATUS_ACTIVE }] })).ignoredPortIds).toEqual([p.id]);
  });

  it('members and readers cannot call the agent API; services cannot manage agents', async () => {
    const a = await register('policy-host');
    for (const roles of [['member'], ['reader']]) {
      const c = track(connectAgent(ctl.address, { token: await ctl.token('tenant', roles) }));
      expect((await failure(c.registerAgent({ host: 'x', agentType: 'linuxbridge' }))).code).toBe(status.PERMISSION_DENIED);
      expect((await failure(c.heartbeat({ agentId: a.id }))).code).toBe(status.PERMISSION_DENIED);
      expect((await failure(c.reportPortStatus({ agentId: a.id }))).code).toBe(status.PERMISSION_DENIED);
      expect((await failure(c.listAgents({}))).code).toBe(status.PERMISSION_DENIED);
      expect((await failure(c.getAgent({ id: a.id }))).code).toBe(status.PERMISSION_DENIED);
    }
    expect((await failure(agent.updateAgent({ agent: { id: a.id, adminStateUp: false }, updateMask: ['admin_state_up'] }))).code).toBe(status.PERMISSION_DENIED);
    expect((await failure(agent.deleteAgent({ id: a.id }))).code).toBe(status.PERMISSION_DENIED);
  });

  it("a service token reads every project's resources but cannot change them", async () => {
    const tenant = ctl.as('svc-tenant');
    const net = await tenant.createNetwork({ network: { name: 'tenant-net' } });
    const port = await tenant.createPort({ port: { networkId: net.id } });
    const ports = await service.listPorts({ pageSize: 1000 });
    expect(ports.ports.map((p) => p.id)).toContain(port.id);
    expect((await service.listPorts({ projectId: await ctl.projectId('svc-tenant') })).ports.map((p) => p.id)).toEqual([port.id]);
    expect((await service.getPort({ id: port.id })).id).toBe(port.id);
    expect((await service.getNetwork({ id: net.id })).id).toBe(net.id);
    expect((await service.listNetworks({ pageSize: 1000 })).networks.map((n) => n.id)).toContain(net.id);
    expect((await service.listSecurityGroups({ pageSize: 1000 })).securityGroups.some((g) => g.projectId === net.projectId)).toBe(true);
    expect((await failure(service.createNetwork({ network: { name: 'nope' } }))).code).toBe(status.PERMISSION_DENIED);
    expect((await failure(service.updatePort({ port: { id: port.id, name: 'x' }, updateMask: ['name'] }))).code).toBe(status.PERMISSION_DENIED);
    expect((await failure(service.deleteNetwork({ id: net.id }))).code).toBe(status.PERMISSION_DENIED);
    // A member of another project still sees nothing of it.
    expect((await failure(ctl.as('svc-other').getPort({ id: port.id }))).code).toBe(status.NOT_FOUND);
  });

  it('deletes only dead agents', async () => {
    const a = await register('delete-host');
    const alive = await failure(adminAgents.deleteAgent({ id: a.id }));
    expect([alive.code, alive.reason]).toEqual([status.FAILED_PRECONDITION, 'AGENT_ALIVE']);
    await sleep(DOWN_MS + 300);
    await adminAgents.deleteAgent({ id: a.id });
    expect((await failure(adminAgents.getAgent({ id: a.id }))).code).toBe(status.NOT_FOUND);
    expect((await failure(agent.heartbeat({ agentId: a.id }))).code).toBe(status.NOT_FOUND);
    expect((await failure(adminAgents.deleteAgent({ id: a.id }))).code).toBe(status.NOT_FOUND);
  });

  it('serves the same API on a unix socket (agents inside network namespaces use it)', async () => {
    const token = await ctl.token('agents', ['service']);
    const overSocket = track(connectAgent(`unix:${sock}`, { token }));
    const a = await overSocket.registerAgent({ host: 'unix-host', agentType: 'linuxbridge', tunnelIp: '192.0.2.30' });
    expect(a.alive).toBe(true);
    const net = track(connectNetwork(`unix:${sock}`, { token }));
    expect((await net.getNetwork({ id: vxlanNet })).id).toBe(vxlanNet);
  });

  it('the weft CLI lists, shows, disables and deletes agents', async () => {
    const a = await register('cli-host');
    const token = await ctl.token('admin', ['admin']);
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('WEFT_')) env[k] = v;
    env.WEFT_TOKEN = token;
    env.WEFT_TOKEN_FILE = path.join(sockDir, 'token.json');
    const weft = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
      new Promise((resolve) => {
        execFile(process.execPath, [path.join(ROOT, 'dist', 'tools', 'cli', 'main.js'), '--url', ctl.address, ...args], { env, timeout: 20_000 }, (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
        );
      });
    // CLI runs are process starts (longer than DOWN_MS in total): keep the agent alive meanwhile.
    const beating = setInterval(() => void agent.heartbeat({ agentId: a.id }).catch(() => undefined), 300);
    try {
      const list = await weft('agent', 'list', '--host', 'cli-host');
      expect(list.code).toBe(0);
      const lines = list.stdout.trim().split('\n');
      expect(lines[0].split(/\s+/)).toEqual(['ID', 'HOST', 'TYPE', 'ALIVE', 'ADMIN_STATE_UP', 'TUNNEL_IP', 'VERSION']);
      expect(lines[1].split(/\s+/)).toEqual([a.id, 'cli-host', 'linuxbridge', ':-)', 'true', '192.0.2.10', '0.1.0']);
      const set = await weft('agent', 'set', a.id, '--disable', '--description', 'draining');
      expect(set.code).toBe(0);
      expect(set.stdout).toMatch(/admin_state_up\s+false/);
      expect(set.stdout).toMatch(/description\s+draining/);
      expect((await weft('agent', 'set', a.id)).code).toBe(2);
      const show = await weft('agent', 'show', a.id, '--json');
      expect(JSON.parse(show.stdout)).toMatchObject({ id: a.id, host: 'cli-host', adminStateUp: false });
      const del = await weft('agent', 'delete', a.id);
      expect(del.code).toBe(1);
      expect(del.stderr).toContain('FAILED_PRECONDITION');
    } finally {
      clearInterval(beating);
    }
  });

  it('after a controller restart agents are dead until their next heartbeat; bindings survive', async () => {
    const a = await register('restart-host');
    const p = await boundPort('restart-host');
    await ctl.restart();
    const after = await adminAgents.getAgent({ id: a.id });
    expect([after.alive, after.host, after.heartbeatAt]).toEqual([false, 'restart-host', undefined]);
    expect((await admin.getPort({ id: p.id })).binding?.vifType).toBe('bridge');
    await agent.heartbeat({ agentId: a.id });
    expect((await adminAgents.getAgent({ id: a.id })).alive).toBe(true);
    // The unix socket the killed process left behind was replaced, not an obstacle.
    const overSocket = track(connectAgent(`unix:${sock}`, { token: await ctl.token('agents', ['service']) }));
    expect((await overSocket.getAgent({ id: a.id })).id).toBe(a.id);
  });
});
