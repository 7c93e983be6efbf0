import { credentials, loadPackageDefinition, Metadata, status, type Client, type ServiceError } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ListNetworksRequest } from '../../proto/gen/weft/network/v1/network_service';
import { connectNetwork } from '../../services/runtime/client/network-client';
import { CONTROLLER_MAIN, failure, ROOT, startController, type ControllerHandle } from './harness';

type Callback<T> = (err: ServiceError | null, res: T) => void;

function loadClient(protoFile: string, service: string, address: string): Client {
  const pkg = loadPackageDefinition(protoLoader.loadSync(protoFile, { keepCase: true, enums: String }));
  let node: unknown = pkg;
  for (const part of service.split('.')) node = (node as Record<string, unknown>)[part];
  const Ctor = node as new (addr: string, creds: ReturnType<typeof credentials.createInsecure>) => Client;
  return new Ctor(address, credentials.createInsecure());
}

describe('operations', () => {
  let ctl: ControllerHandle;
  beforeAll(async () => {
    ctl = await startController();
  });
  afterAll(async () => ctl.stop());

  it('serves grpc.health.v1 for the server and the network service', async () => {
    const health = loadClient(path.join(ROOT, 'node_modules/grpc-health-check/proto/health/v1/health.proto'), 'grpc.health.v1.Health', ctl.address) as Client & {
      check(req: { service: string }, cb: Callback<{ status: string }>): void;
    };
    for (const service of ['', 'weft.network.v1.NetworkService']) {
      const res = await new Promise<{ status: string }>((resolve, reject) => health.check({ service }, (e, r) => (e ? reject(e) : resolve(r))));
      expect(res.status).toBe('SERVING');
    }
    health.close();
  });

  it('serves server reflection listing the network API', async () => {
    const refl = loadClient(path.join(ROOT, 'node_modules/@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto'), 'grpc.reflection.v1.ServerReflection', ctl.address) as Client & {
      ServerReflectionInfo(): NodeJS.ReadWriteStream & { write(m: object): void; end(): void };
    };
    const call = refl.ServerReflectionInfo();
    const res = await new Promise<{ list_services_response?: { service: { name: string }[] } }>((resolve, reject) => {
      call.on('data', resolve);
      call.on('error', reject);
      call.write({ list_services: '' });
    });
    call.end();
    expect(res.list_services_response!.service.map((s) => s.name)).toContain('weft.network.v1.NetworkService');
    refl.close();
  });

  it('returns a request id on success and on failure, and logs JSON lines with it', async () => {
    const a = ctl.as('ops');
    await a.listNetworks({});
    const okId = a.lastRequestId();
    expect(okId).toMatch(/^[0-9a-f-]{36}$/);
    const err = await a.getNetwork({ id: 'nope' }).catch((e: ServiceError) => e);
    const trailerId = (err as ServiceError).metadata.get('x-request-id')[0];
    expect(trailerId).toMatch(/^[0-9a-f-]{36}$/);
    await new Promise((r) => setTimeout(r, 100));
    const lines = ctl.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(0);
    const line = lines.find((l) => l.request_id === trailerId);
    expect(line).toMatchObject({ level: 'info', method: '/weft.network.v1.NetworkService/GetNetwork', code: 'NOT_FOUND', project_id: await ctl.projectId('ops') });
  });

  it('rejects calls without a valid token as UNAUTHENTICATED, and ignores development headers', async () => {
    const anon = connectNetwork(ctl.address, {});
    expect((await failure(anon.listNetworks({}))).code).toBe(status.UNAUTHENTICATED);
    anon.close();
    // the old development headers, sent by hand: the server ignores them
    const dev = connectNetwork(ctl.address, {});
    const devMd = new Metadata();
    devMd.set('x-weft-project', 'ops');
    devMd.set('x-weft-roles', 'admin');
    const devErr = await new Promise<ServiceError | null>((resolve) => {
      dev.raw.listNetworks(ListNetworksRequest.fromPartial({}), devMd, (err) => resolve(err));
    });
    expect(devErr?.code).toBe(status.UNAUTHENTICATED);
    dev.close();
    const forged = connectNetwork(ctl.address, { token: 'gAAAAABforgedtokenforgedtokenforgedtoken' });
    expect((await failure(forged.listNetworks({}))).code).toBe(status.UNAUTHENTICATED);
    forged.close();
  });

  it('stops accepting a token within a second of its revocation in identity', async () => {
    const id = ctl.identity;
    const admin = id.withToken(await id.adminToken());
    const project = await admin.createProject({ project: { name: 'revoke-me' } });
    const roles = (await admin.listRoles({ name: 'member' })).roles;
    const user = await admin.createUser({ user: { name: 'revokee', password: 'pw-revokee' } });
    await admin.createRoleAssignment({ assignment: { userId: user.id, projectId: project.id, roleId: roles[0].id } });
    const token = (await id.anon().issueToken({ method: { $case: 'password', value: { userName: 'revokee', password: 'pw-revokee' } }, scope: { projectId: project.id } })).token;
    const api = connectNetwork(ctl.address, { token });
    await expect(api.listNetworks({})).resolves.toBeDefined();
    await id.withToken(token).revokeToken({ token });
    const revokedAt = Date.now();
    let code = 0;
    while (Date.now() - revokedAt < 1000) {
      code = await api.listNetworks({}).then(() => 0, (e: { code: number }) => e.code);
      if (code === status.UNAUTHENTICATED) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(code).toBe(status.UNAUTHENTICATED);
    api.close();
  });

  it('drains on SIGTERM: exits 0, closes LevelDB, and keeps acknowledged writes', async () => {
    const own = await startController();
    try {
      const a = own.as('drain');
      const net = await a.createNetwork({ network: { name: 'd' } });
      await a.createSubnet({ subnet: { networkId: net.id, cidr: '10.70.0.0/22' } });
      const watch = own.admin().watch({});
      const watchEnded = new Promise<void>((resolve) => {
        watch.on('data', () => undefined);
        watch.on('end', () => resolve());
        watch.on('error', () => resolve());
      });
      const acked: string[] = [];
      const writes = Array.from({ length: 100 }, () =>
        a.createPort({ port: { networkId: net.id } }).then(
          (p) => acked.push(p.id),
          () => undefined,
        ),
      );
      await new Promise((r) => setTimeout(r, 20));
      const code = await own.kill('SIGTERM');
      await Promise.all(writes);
      await watchEnded;
      expect(code).toBe(0);
      expect(own.logs.some((l) => l.includes('stopped cleanly'))).toBe(true);
      await own.restart();
      const b = own.as('drain');
      for (const id of acked) await expect(b.getPort({ id })).resolves.toBeDefined();
    } finally {
      await own.stop();
    }
  });

  it('accepts no token before it has the revocation list (identity unreachable → UNAVAILABLE)', async () => {
    const own = await startController({ identityUrl: '127.0.0.1:9' });
    try {
      const res = await failure(own.admin().listNetworks({}));
      expect(res.code).toBe(status.UNAVAILABLE);
      expect(res.reason).toBe('REVOCATIONS_NOT_READY');
    } finally {
      await own.stop();
    }
  });

  it('applies an operator policy file on top of the shipped rules', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'weft-policy-'));
    const file = path.join(dir, 'policy.json');
    writeFileSync(file, JSON.stringify({ 'network:create_router': 'rule:admin_required' }));
    const own = await startController({ config: { policyFile: file } });
    try {
      const member = own.as('pol');
      await expect(member.createNetwork({ network: { name: 'fine' } })).resolves.toBeDefined();
      const denied = await failure(member.createRouter({ router: { name: 'nope' } }));
      expect(denied.code).toBe(status.PERMISSION_DENIED);
      await expect(own.admin().createRouter({ router: { name: 'ok' } })).resolves.toBeDefined();
      const reader = own.as('pol', ['reader']);
      await expect(reader.listNetworks({})).resolves.toBeDefined();
      expect((await failure(reader.createNetwork({ network: { name: 'x' } }))).code).toBe(status.PERMISSION_DENIED);
    } finally {
      await own.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start on bad config, naming every problem', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'weft-cfg-'));
    try {
      const file = path.join(dir, 'bad.json');
      writeFileSync(file, JSON.stringify({ listen: 'nowhere', auth: { mode: 'magic' }, segments: { vxlanVniRanges: [[5, 1]] } }));
      const res = await new Promise<{ code: number | null; stderr: string }>((resolve) =>
        execFile(process.execPath, [CONTROLLER_MAIN, '--config', file], { timeout: 10_000 }, (err, _out, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr })),
      );
      expect(res.code).toBe(2);
      expect(res.stderr).toContain('listen');
      expect(res.stderr).toContain('auth.mode');
      expect(res.stderr).toContain('segments.vxlanVniRanges[0]');
      const env = await new Promise<{ code: number | null; stderr: string }>((resolve) =>
        execFile(process.execPath, [CONTROLLER_MAIN], { timeout: 10_000, env: { ...process.env, WEFT_STORE_SYNC: 'maybe', WEFT_NETWORK_DATA_DIR: path.join(dir, 'db') } }, (err, _o, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr }),
        ),
      );
      expect(env.code).toBe(2);
      expect(env.stderr).toContain('store.sync');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
