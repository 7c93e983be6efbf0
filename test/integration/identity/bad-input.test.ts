/**
 * Issue 3, item 8: bad input to every identity call gets INVALID_ARGUMENT with field violations
 * and changes nothing.
 *
 * Every unary RPC of the generated service definition must have rows in bad-input-cases.ts (or an
 * exemption with its reason). Each row is sent as the admin, so policy never answers first, and
 * must fail with INVALID_ARGUMENT whose google.rpc.BadRequest names exactly the expected fields;
 * a snapshot of everything the API can show (every domain's projects, users and groups, group
 * memberships, roles, role assignments, application credentials, endpoints and the revocation
 * feed) must be the same before and after. Identity runs with a lockout after one failed login,
 * so a bad IssueToken request that counted as a failure would lock the fixture user out.
 */
import { status } from '@grpc/grpc-js';
import { IdentityServiceService } from '../../../proto/gen/weft/identity/v1/identity_service';
import type { IdentityApi } from '../../../services/runtime/client/identity-client';
import { failure } from '../harness';
import { CASES, EXEMPT, type BadCase, type Fixtures, type RequestOf, type UnaryRpc } from './bad-input-cases';
import { startIdentity, type IdentityHandle } from './harness';

const MAX = 1000;

/** Everything the API shows, read as the admin. */
async function snapshot(api: IdentityApi): Promise<unknown> {
  const domains = (await api.listDomains({ pageSize: MAX })).domains;
  const perDomain = await Promise.all(
    domains.map(async (d) => {
      const [projects, users, groups] = await Promise.all([
        api.listProjects({ domainId: d.id, pageSize: MAX }),
        api.listUsers({ domainId: d.id, pageSize: MAX }),
        api.listGroups({ domainId: d.id, pageSize: MAX }),
      ]);
      return { projects: projects.projects, users: users.users, groups: groups.groups };
    }),
  );
  const users = perDomain.flatMap((x) => x.users);
  const [roles, assignments, endpoints, revocations, memberships, appCreds] = await Promise.all([
    api.listRoles({ pageSize: MAX }),
    api.listRoleAssignments({ pageSize: MAX }),
    api.listEndpoints({}),
    api.listRevocationEvents({}),
    Promise.all(users.map(async (u) => (await api.listGroups({ userId: u.id, pageSize: MAX })).groups.map((g) => g.id))),
    Promise.all(users.map(async (u) => (await api.listApplicationCredentials({ userId: u.id, pageSize: MAX })).applicationCredentials)),
  ]);
  return { domains, perDomain, roles, assignments, endpoints, revocations, memberships, appCreds };
}

/** Calls one RPC by name; the table pairs each name with its own request type. */
function call<K extends UnaryRpc>(api: IdentityApi, rpc: K, req: RequestOf<K>): Promise<unknown> {
  return (api[rpc] as (r: RequestOf<K>) => Promise<unknown>)(req);
}

const unaryRpcs = Object.entries(IdentityServiceService)
  .filter(([, m]) => !m.responseStream)
  .map(([name]) => name);
const table = Object.entries(CASES) as [UnaryRpc, BadCase<UnaryRpc>[]][];

describe('identity: bad input to every RPC', () => {
  let id: IdentityHandle;
  let admin: IdentityApi;
  let fx: Fixtures;
  beforeAll(async () => {
    id = await startIdentity({ lockout: { maxFailures: 1, lockoutSeconds: 600 } });
    admin = id.withToken(await id.adminToken());
    const roles = new Map((await admin.listRoles({})).roles.map((r) => [r.name, r.id]));
    const defaultDomainId = (await admin.listDomains({ name: 'Default' })).domains[0].id;
    const domain = await admin.createDomain({ domain: { name: 'bi-dom', tags: ['keep'] } });
    const project = await admin.createProject({ project: { name: 'bi-proj' } });
    const userPassword = 'pw-bi-user';
    const user = await admin.createUser({ user: { name: 'bi-user', password: userPassword, defaultProjectId: project.id } });
    const group = await admin.createGroup({ group: { name: 'bi-group' } });
    await admin.addUserToGroup({ groupId: group.id, userId: user.id });
    const role = await admin.createRole({ role: { name: 'bi-role' } });
    await admin.createRoleAssignment({ assignment: { userId: user.id, projectId: project.id, roleId: roles.get('member')! } });
    await admin.createRoleAssignment({ assignment: { groupId: group.id, projectId: project.id, roleId: role.id } });
    const appCred = await admin.createApplicationCredential({ applicationCredential: { name: 'bi-cred' } });
    const endpoint = await admin.registerEndpoint({ endpoint: { serviceType: 'image', address: '127.0.0.1:9292' } });
    fx = {
      defaultDomainId,
      domainId: domain.id,
      projectId: project.id,
      userId: user.id,
      userName: user.name,
      userPassword,
      groupId: group.id,
      roleId: role.id,
      memberRoleId: roles.get('member')!,
      appCredId: appCred.id,
      endpointId: endpoint.id,
      domainsPageToken: (await admin.listDomains({ pageSize: 1 })).nextPageToken,
      rolesPageToken: (await admin.listRoles({ pageSize: 1 })).nextPageToken,
    };
    expect(fx.domainsPageToken).not.toBe('');
    expect(fx.rolesPageToken).not.toBe('');
  });
  afterAll(async () => id.stop());

  it('has cases, or an exemption with a reason, for every unary RPC and for no other', () => {
    const covered = new Set([...Object.keys(CASES), ...Object.keys(EXEMPT)]);
    expect(unaryRpcs.filter((rpc) => !covered.has(rpc))).toEqual([]);
    expect([...covered].filter((rpc) => !unaryRpcs.includes(rpc))).toEqual([]);
    expect(Object.keys(CASES).filter((rpc) => rpc in EXEMPT)).toEqual([]);
    expect(table.filter(([, cases]) => cases.length === 0).map(([rpc]) => rpc)).toEqual([]);
  });

  it('notices a change (so "changes nothing" below means something)', async () => {
    const before = await snapshot(admin);
    const d = await admin.createDomain({ domain: { name: 'bi-sanity' } });
    expect(await snapshot(admin)).not.toEqual(before);
    await admin.updateDomain({ domain: { id: d.id, enabled: false }, updateMask: ['enabled'] });
    await admin.deleteDomain({ id: d.id });
    expect(await snapshot(admin)).toEqual(before);
  });

  /** The state after the last case, when it changed nothing: the next case's "before". */
  let unchanged: unknown;
  describe.each(table)('%s', (rpc, cases) => {
    it.each(cases.map((c) => [c.why, c] as const))('refuses %s', async (_why, c) => {
      const before = unchanged ?? (await snapshot(admin));
      // A failing case leaves no "before" behind, so the next one reads the state afresh.
      unchanged = undefined;
      const f = await failure(call(admin, rpc, c.req(fx)));
      expect({ code: status[f.code], reason: f.reason, fields: [...new Set(f.fields)].sort() }).toEqual({ code: 'INVALID_ARGUMENT', reason: 'INVALID_ARGUMENT', fields: [...c.fields].sort() });
      const after = await snapshot(admin);
      expect(after).toEqual(before);
      unchanged = after;
    });
  });

  it('counted no bad request as a failed login and changed no password (lockout is after one failure)', async () => {
    const res = await id.anon().issueToken({ method: { $case: 'password', value: { userName: fx.userName, password: fx.userPassword } } });
    expect(res.info?.userId).toBe(fx.userId);
  });
});
