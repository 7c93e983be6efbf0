import { status } from '@grpc/grpc-js';
import { failure } from '../harness';
import { ADMIN_PASSWORD, startIdentity, type IdentityHandle } from './harness';

const pw = (userName: string, password: string, projectName?: string) => ({
  method: { $case: 'password' as const, value: { userName, password } },
  scope: projectName ? { projectName } : undefined,
});

describe('identity service', () => {
  let id: IdentityHandle;
  let admin: ReturnType<IdentityHandle['withToken']>;
  let memberRoleId: string;
  let readerRoleId: string;
  beforeAll(async () => {
    id = await startIdentity({ lockout: { maxFailures: 3, lockoutSeconds: 600 } });
    admin = id.withToken(await id.adminToken());
    const roles = (await admin.listRoles({})).roles;
    memberRoleId = roles.find((r) => r.name === 'member')!.id;
    readerRoleId = roles.find((r) => r.name === 'reader')!.id;
  });
  afterAll(async () => id.stop());

  async function userOn(project: string, name: string, roleId = memberRoleId): Promise<{ userId: string; projectId: string }> {
    const p = await admin.createProject({ project: { name: project } });
    const u = await admin.createUser({ user: { name, password: `pw-${name}` } });
    expect(u.password).toBe('');
    await admin.createRoleAssignment({ assignment: { userId: u.id, projectId: p.id, roleId } });
    return { userId: u.id, projectId: p.id };
  }

  it('bootstraps an admin who logs in with a project-scoped token and gets the catalog', async () => {
    const res = await id.anon().issueToken(pw('admin', ADMIN_PASSWORD));
    expect(res.token.length).toBeGreaterThan(50);
    expect(res.info!.roles).toEqual(['admin']);
    expect(res.info!.projectName).toBe('admin');
    expect(res.info!.methods).toEqual(['password']);
    await admin.registerEndpoint({ endpoint: { serviceType: 'network', serviceName: 'weft-network', address: '127.0.0.1:9696' } });
    const again = await id.anon().issueToken(pw('admin', ADMIN_PASSWORD));
    expect(again.catalog.map((e) => e.serviceType)).toContain('network');
  });

  it('rejects bad credentials with one message, and locks out after repeated failures', async () => {
    await userOn('lock-proj', 'locky');
    const unknown = await failure(id.anon().issueToken(pw('nobody', 'x')));
    const wrong = await failure(id.anon().issueToken(pw('locky', 'wrong')));
    expect(unknown.code).toBe(status.UNAUTHENTICATED);
    expect(wrong.code).toBe(status.UNAUTHENTICATED);
    expect(unknown.message).toBe(wrong.message);
    await failure(id.anon().issueToken(pw('locky', 'wrong')));
    await failure(id.anon().issueToken(pw('locky', 'wrong')));
    const locked = await failure(id.anon().issueToken(pw('locky', 'pw-locky', 'lock-proj')));
    expect(locked.code).toBe(status.UNAUTHENTICATED);
    expect(locked.message).toContain('locked');
  });

  it('scopes tokens to projects with the assigned roles, and keeps other projects out of reach', async () => {
    const a = await userOn('proj-a', 'alice');
    await userOn('proj-b', 'bob');
    const tok = await id.anon().issueToken(pw('alice', 'pw-alice', 'proj-a'));
    expect(tok.info!.projectId).toBe(a.projectId);
    expect(tok.info!.roles).toEqual(['member']);
    const alice = id.withToken(tok.token);
    expect((await alice.getProject({ id: a.projectId })).name).toBe('proj-a');
    const other = await admin.listProjects({ name: 'proj-b' });
    expect((await failure(alice.getProject({ id: other.projects[0].id }))).code).toBe(status.PERMISSION_DENIED);
    // No role on proj-b: the same answer as for a project that does not exist.
    const noRole = await failure(id.anon().issueToken(pw('alice', 'pw-alice', 'proj-b')));
    const noProj = await failure(id.anon().issueToken(pw('alice', 'pw-alice', 'no-such-project')));
    expect(noRole.code).toBe(status.UNAUTHENTICATED);
    expect(noRole.message).toBe(noProj.message);
    expect((await failure(alice.createProject({ project: { name: 'mine' } }))).code).toBe(status.PERMISSION_DENIED);
  });

  it('validates good tokens and rejects tampered, truncated and garbage ones', async () => {
    await userOn('proj-v', 'victor');
    const tok = (await id.anon().issueToken(pw('victor', 'pw-victor', 'proj-v'))).token;
    const info = (await admin.validateToken({ token: tok })).info!;
    expect(info.userName).toBe('victor');
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    for (const bad of [flip(tok, 10), flip(tok, tok.length - 5), tok.slice(0, -4), 'garbage', '']) {
      expect((await failure(admin.validateToken({ token: bad }))).code).toBe(status.NOT_FOUND);
      expect((await failure(id.withToken(bad).listRoles({}))).code).toBe(status.UNAUTHENTICATED);
    }
  });

  it('revokes a token and every token rescoped from it, at once and across restarts', async () => {
    const v = await userOn('proj-r', 'rita');
    const first = (await id.anon().issueToken(pw('rita', 'pw-rita'))).token;
    const rescoped = await id.withToken(first).issueToken({ method: { $case: 'token', value: {} }, scope: { projectId: v.projectId } });
    expect(rescoped.info!.methods).toEqual(['password', 'token']);
    expect(rescoped.info!.auditChain).toHaveLength(1);
    const other = (await id.anon().issueToken(pw('rita', 'pw-rita'))).token;
    await id.withToken(first).revokeToken({ token: first });
    expect((await failure(id.withToken(first).listRoles({}))).code).toBe(status.UNAUTHENTICATED);
    expect((await failure(id.withToken(rescoped.token).listRoles({}))).code).toBe(status.UNAUTHENTICATED);
    await expect(id.withToken(other).listEndpoints({})).resolves.toBeDefined();
    const events = await admin.listRevocationEvents({});
    expect(events.events.length).toBeGreaterThan(0);
    await id.restart();
    admin = id.withToken(await id.adminToken());
    expect((await failure(id.withToken(rescoped.token).listRoles({}))).code).toBe(status.UNAUTHENTICATED);
    await expect(id.withToken(other).listEndpoints({})).resolves.toBeDefined();
  });

  it('revokes a user\'s tokens on password change and a project\'s tokens on role removal', async () => {
    const p = await userOn('proj-c', 'carol');
    const t1 = (await id.anon().issueToken(pw('carol', 'pw-carol', 'proj-c'))).token;
    await admin.deleteRoleAssignment({ assignment: { userId: p.userId, projectId: p.projectId, roleId: memberRoleId } });
    expect((await failure(id.withToken(t1).listRoles({}))).code).toBe(status.UNAUTHENTICATED);
    await admin.createRoleAssignment({ assignment: { userId: p.userId, projectId: p.projectId, roleId: readerRoleId } });
    await new Promise((r) => setTimeout(r, 5));
    const t2 = (await id.anon().issueToken(pw('carol', 'pw-carol', 'proj-c'))).token;
    await expect(id.withToken(t2).listRoles({})).resolves.toBeDefined();
    await admin.updateUser({ user: { id: p.userId, password: 'new-secret' }, updateMask: ['password'] });
    expect((await failure(id.withToken(t2).listRoles({}))).code).toBe(status.UNAUTHENTICATED);
    expect((await failure(id.anon().issueToken(pw('carol', 'pw-carol', 'proj-c')))).code).toBe(status.UNAUTHENTICATED);
    await new Promise((r) => setTimeout(r, 5));
    await expect(id.anon().issueToken(pw('carol', 'new-secret', 'proj-c'))).resolves.toBeDefined();
  });

  it('issues tokens from application credentials with delegated roles, and revokes them on delete', async () => {
    const p = await userOn('proj-ac', 'ava');
    await admin.createRoleAssignment({ assignment: { userId: p.userId, projectId: p.projectId, roleId: readerRoleId } });
    const ava = id.withToken((await id.anon().issueToken(pw('ava', 'pw-ava', 'proj-ac'))).token);
    const cred = await ava.createApplicationCredential({ applicationCredential: { name: 'ci', roles: ['reader'] } });
    expect(cred.secret.length).toBeGreaterThan(30);
    expect(cred.roles).toEqual(['reader']);
    expect((await ava.getApplicationCredential({ id: cred.id })).secret).toBe('');
    expect((await failure(ava.createApplicationCredential({ applicationCredential: { name: 'too-much', roles: ['admin'] } }))).fields).toEqual(['application_credential.roles[0]']);
    const viaCred = await id.anon().issueToken({ method: { $case: 'applicationCredential', value: { id: cred.id, secret: cred.secret } } });
    expect(viaCred.info!.roles).toEqual(['reader']);
    expect(viaCred.info!.methods).toEqual(['application_credential']);
    expect(viaCred.info!.projectId).toBe(p.projectId);
    const wrong = await failure(id.anon().issueToken({ method: { $case: 'applicationCredential', value: { id: cred.id, secret: cred.secret.slice(0, -1) + 'x' } } }));
    expect(wrong.code).toBe(status.UNAUTHENTICATED);
    // Another user cannot see it.
    await userOn('proj-ac2', 'ben');
    const ben = id.withToken((await id.anon().issueToken(pw('ben', 'pw-ben', 'proj-ac2'))).token);
    expect((await failure(ben.getApplicationCredential({ id: cred.id }))).code).toBe(status.NOT_FOUND);
    expect((await ava.listApplicationCredentials({})).applicationCredentials.map((a) => a.id)).toEqual([cred.id]);
    await ava.deleteApplicationCredential({ id: cred.id });
    expect((await failure(id.withToken(viaCred.token).listRoles({}))).code).toBe(status.UNAUTHENTICATED);
    expect((await failure(id.anon().issueToken({ method: { $case: 'applicationCredential', value: { id: cred.id, secret: cred.secret } } }))).code).toBe(status.UNAUTHENTICATED);
  });

  it('answers bad input with field violations and changes nothing', async () => {
    const bad = await failure(admin.createUser({ user: { name: '', tags: ['a,b'] } }));
    expect(bad.code).toBe(status.INVALID_ARGUMENT);
    expect(bad.fields).toEqual(expect.arrayContaining(['user.name', 'user.tags[0]']));
    const asg = await failure(admin.createRoleAssignment({ assignment: { userId: 'x', roleId: 'nope' } }));
    expect(asg.code).toBe(status.INVALID_ARGUMENT);
    expect(asg.fields).toEqual(expect.arrayContaining(['assignment.project_id', 'assignment.role_id']));
    const dup = await failure(admin.createProject({ project: { name: 'admin' } }));
    expect(dup.code).toBe(status.ALREADY_EXISTS);
    const noMethod = await failure(id.anon().issueToken({}));
    expect(noMethod.fields).toEqual(['method']);
  });

  it('never writes a password or token to its logs', async () => {
    await new Promise((r) => setTimeout(r, 100));
    const all = id.logs.join('\n');
    expect(all.length).toBeGreaterThan(0);
    for (const secret of [ADMIN_PASSWORD, 'pw-alice', 'new-secret', 'wrong']) expect(all).not.toContain(secret);
  });
});
