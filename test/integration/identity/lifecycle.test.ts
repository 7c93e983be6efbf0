import { status } from '@grpc/grpc-js';
import { failure } from '../harness';
import { startIdentity, type IdentityHandle } from './harness';

/** Revocation cutoffs are "issued before now + 1 ms": a token wanted after one must be later. */
const tick = () => new Promise((r) => setTimeout(r, 5));
const NO_SUCH_ID = '00000000-0000-4000-8000-0000000000ff';

describe('identity lifecycle: updating and deleting domains, projects and roles', () => {
  let id: IdentityHandle;
  let admin: ReturnType<IdentityHandle['withToken']>;
  let roleIds: Map<string, string>;
  let defaultDomainId: string;
  let adminProjectId: string;
  beforeAll(async () => {
    id = await startIdentity();
    admin = id.withToken(await id.adminToken());
    roleIds = new Map((await admin.listRoles({})).roles.map((r) => [r.name, r.id]));
    defaultDomainId = (await admin.listDomains({ name: 'Default' })).domains[0].id;
    adminProjectId = (await admin.listProjects({ name: 'admin' })).projects[0].id;
  });
  afterAll(async () => id.stop());

  const role = (name: string) => roleIds.get(name)!;
  const user = async (name: string, domainId = '') => (await admin.createUser({ user: { name, password: `pw-${name}`, domainId } })).id;
  const project = async (name: string, domainId = '') => (await admin.createProject({ project: { name, domainId } })).id;
  const grant = async (userId: string, projectId: string, roleName = 'member') => admin.createRoleAssignment({ assignment: { userId, projectId, roleId: role(roleName) } });
  const login = async (name: string, projectId?: string, userDomainId = '') =>
    id.anon().issueToken({ method: { $case: 'password', value: { userName: name, password: `pw-${name}`, userDomainId } }, scope: projectId ? { projectId } : undefined });
  const works = async (token: string) => expect(id.withToken(token).listRoles({})).resolves.toBeDefined();
  const revoked = async (token: string) => expect((await failure(id.withToken(token).listRoles({}))).code).toBe(status.UNAUTHENTICATED);

  describe('domains', () => {
    it('updates name, description, tags and enabled, with revision checks and unique names', async () => {
      const dom = await admin.createDomain({ domain: { name: 'upd-dom', description: 'one', tags: ['a'] } });
      await admin.createDomain({ domain: { name: 'upd-other' } });
      const up = await admin.updateDomain({ domain: { id: dom.id, name: 'upd-dom2', description: 'two', tags: ['b', 'c'], revisionNumber: 1 }, updateMask: ['name', 'description', 'tags'] });
      expect(up).toMatchObject({ name: 'upd-dom2', description: 'two', tags: ['b', 'c'], enabled: true, revisionNumber: 2 });
      expect(await admin.getDomain({ id: dom.id })).toEqual(up);
      expect((await admin.listDomains({ name: 'upd-dom2' })).domains.map((x) => x.id)).toEqual([dom.id]);
      // The old name is free again; a taken one is not (case-insensitively); a change of case is fine.
      await expect(admin.createDomain({ domain: { name: 'upd-dom' } })).resolves.toBeDefined();
      expect((await failure(admin.updateDomain({ domain: { id: dom.id, name: 'UPD-OTHER' }, updateMask: ['name'] }))).code).toBe(status.ALREADY_EXISTS);
      expect((await admin.updateDomain({ domain: { id: dom.id, name: 'UPD-DOM2' }, updateMask: ['name'] })).name).toBe('UPD-DOM2');

      const stale = await failure(admin.updateDomain({ domain: { id: dom.id, description: 'late', revisionNumber: 1 }, updateMask: ['description'] }));
      expect(stale.code).toBe(status.ABORTED);
      const off = await admin.updateDomain({ domain: { id: dom.id, enabled: false, revisionNumber: 3 }, updateMask: ['enabled'] });
      expect(off).toMatchObject({ enabled: false, revisionNumber: 4, description: 'two' });
      expect((await admin.updateDomain({ domain: { id: dom.id, enabled: true }, updateMask: ['enabled'] })).enabled).toBe(true);
      expect((await failure(admin.updateDomain({ domain: { id: NO_SUCH_ID, description: 'x' }, updateMask: ['description'] }))).code).toBe(status.NOT_FOUND);
    });

    it('answers bad updates with field violations and changes nothing', async () => {
      const dom = await admin.createDomain({ domain: { name: 'bad-dom' } });
      const noMask = await failure(admin.updateDomain({ domain: { id: dom.id, name: 'x' } }));
      expect(noMask.code).toBe(status.INVALID_ARGUMENT);
      expect(noMask.fields).toEqual(['update_mask']);
      const bad = await failure(admin.updateDomain({ domain: { id: dom.id, name: 'a/b', tags: ['x,y'], description: 'd'.repeat(300) }, updateMask: ['id', 'name', 'tags', 'description'] }));
      expect(bad.code).toBe(status.INVALID_ARGUMENT);
      expect(bad.fields).toEqual(expect.arrayContaining(['update_mask', 'domain.name', 'domain.tags[0]', 'domain.description']));
      expect((await failure(admin.updateDomain({ domain: { name: 'x' }, updateMask: ['name'] }))).fields).toEqual(['domain.id']);
      expect(await admin.getDomain({ id: dom.id })).toEqual(dom);
    });

    it('disabling a domain ends its users\' tokens and tokens on its projects, and blocks their logins', async () => {
      const dom = await admin.createDomain({ domain: { name: 'dis-dom' } });
      const pid = await project('dis-proj', dom.id);
      const uid = await user('dis-user', dom.id);
      await grant(uid, pid);
      // A user of the Default domain with a role on the domain's project.
      const outsider = await user('dis-outsider');
      await grant(outsider, pid);
      const own = await login('dis-user', pid, dom.id);
      const unscoped = await id.anon().issueToken({ method: { $case: 'password', value: { userName: 'dis-user', password: 'pw-dis-user', userDomainId: dom.id } }, scope: { unscoped: true } });
      const visitor = await login('dis-outsider', pid);
      for (const t of [own.token, visitor.token]) await works(t);
      // An unscoped token has no roles; it may still read its own user.
      await expect(id.withToken(unscoped.token).getUser({ id: uid })).resolves.toBeDefined();

      await admin.updateDomain({ domain: { id: dom.id, enabled: false }, updateMask: ['enabled'] });
      for (const t of [own.token, visitor.token]) await revoked(t);
      expect((await failure(id.withToken(unscoped.token).getUser({ id: uid }))).code).toBe(status.UNAUTHENTICATED);
      const events = (await admin.listRevocationEvents({})).events;
      expect(events.some((e) => e.userId === uid && e.projectId === '')).toBe(true);
      expect(events.some((e) => e.projectId === pid && e.userId === '')).toBe(true);
      await tick();
      // A user of a disabled domain gets the generic answer, as for a wrong password.
      const denied = await failure(login('dis-user', pid, dom.id));
      const wrong = await failure(id.anon().issueToken({ method: { $case: 'password', value: { userName: 'dis-user', password: 'nope', userDomainId: dom.id } } }));
      expect(denied.code).toBe(status.UNAUTHENTICATED);
      expect(denied.message).toBe(wrong.message);
      // Nobody scopes to a project of a disabled domain; an unscoped login elsewhere still works.
      const scoped = await failure(login('dis-outsider', pid));
      expect(scoped.code).toBe(status.UNAUTHENTICATED);
      expect(scoped.message).toBe('no such project, or no role on it');
      await expect(id.anon().issueToken({ method: { $case: 'password', value: { userName: 'dis-outsider', password: 'pw-dis-outsider' } }, scope: { unscoped: true } })).resolves.toBeDefined();

      // Enabling it again lets them back in (nothing was removed).
      await admin.updateDomain({ domain: { id: dom.id, enabled: true }, updateMask: ['enabled'] });
      await tick();
      await works((await login('dis-user', pid, dom.id)).token);
      await works((await login('dis-outsider', pid)).token);
    });

    it('deletes only a disabled, empty domain that is not Default', async () => {
      const def = await failure(admin.deleteDomain({ id: defaultDomainId }));
      expect(def.code).toBe(status.FAILED_PRECONDITION);
      expect(def.reason).toBe('BOOTSTRAP_DOMAIN');
      // Default can be neither disabled nor renamed either (bootstrap finds it by name).
      expect((await failure(admin.updateDomain({ domain: { id: defaultDomainId, enabled: false }, updateMask: ['enabled'] }))).code).toBe(status.FAILED_PRECONDITION);
      expect((await failure(admin.updateDomain({ domain: { id: defaultDomainId, name: 'Other' }, updateMask: ['name'] }))).code).toBe(status.FAILED_PRECONDITION);
      expect((await admin.updateDomain({ domain: { id: defaultDomainId, description: 'ours' }, updateMask: ['description'] })).description).toBe('ours');

      const dom = await admin.createDomain({ domain: { name: 'del-dom' } });
      const pid = await project('del-dom-proj', dom.id);
      const uid = await user('del-dom-user', dom.id);
      const gid = (await admin.createGroup({ group: { name: 'del-dom-grp', domainId: dom.id } })).id;
      // A user of another domain holding a role on the domain itself.
      const outsider = await user('del-dom-outsider');
      await admin.createRoleAssignment({ assignment: { userId: outsider, domainId: dom.id, roleId: role('reader') } });

      const enabled = await failure(admin.deleteDomain({ id: dom.id }));
      expect(enabled.code).toBe(status.FAILED_PRECONDITION);
      expect(enabled.reason).toBe('DOMAIN_ENABLED');
      expect(enabled.message).toContain('disable');
      const off = await admin.updateDomain({ domain: { id: dom.id, enabled: false }, updateMask: ['enabled'] });
      expect((await failure(admin.deleteDomain({ id: dom.id, revisionNumber: off.revisionNumber - 1 }))).code).toBe(status.ABORTED);

      const full = await failure(admin.deleteDomain({ id: dom.id }));
      expect(full.code).toBe(status.FAILED_PRECONDITION);
      expect(full.reason).toBe('DOMAIN_NOT_EMPTY');
      expect(full.subjects.sort()).toEqual([pid, uid, gid].sort());
      expect(full.message).toContain('del-dom-proj');
      expect(full.message).toContain('del-dom-user');
      expect(full.message).toContain('del-dom-grp');

      await admin.deleteProject({ id: pid });
      await admin.deleteUser({ id: uid });
      expect((await failure(admin.deleteDomain({ id: dom.id }))).subjects).toEqual([gid]);
      await admin.deleteGroup({ id: gid });
      await admin.deleteDomain({ id: dom.id, revisionNumber: off.revisionNumber });
      expect((await failure(admin.getDomain({ id: dom.id }))).code).toBe(status.NOT_FOUND);
      expect((await failure(admin.deleteDomain({ id: dom.id }))).code).toBe(status.NOT_FOUND);
      // Its grants went with it, and its name is free.
      expect((await admin.listRoleAssignments({ userId: outsider })).assignments).toEqual([]);
      await expect(admin.createDomain({ domain: { name: 'del-dom' } })).resolves.toBeDefined();
    });
  });

  describe('projects', () => {
    it('updates name (unique in its domain), description, tags and enabled', async () => {
      const pid = await project('up-proj');
      await project('up-taken');
      const dom = await admin.createDomain({ domain: { name: 'up-proj-dom' } });
      await project('up-proj2', dom.id);
      // The same name in another domain is no clash.
      const up = await admin.updateProject({ project: { id: pid, name: 'up-proj2', description: 'd', tags: ['t'], revisionNumber: 1 }, updateMask: ['name', 'description', 'tags'] });
      expect(up).toMatchObject({ name: 'up-proj2', description: 'd', tags: ['t'], enabled: true, revisionNumber: 2 });
      expect(await admin.getProject({ id: pid })).toEqual(up);
      expect((await failure(admin.updateProject({ project: { id: pid, name: 'UP-TAKEN' }, updateMask: ['name'] }))).code).toBe(status.ALREADY_EXISTS);
      await expect(admin.createProject({ project: { name: 'up-proj' } })).resolves.toBeDefined();

      expect((await failure(admin.updateProject({ project: { id: pid, description: 'late', revisionNumber: 1 }, updateMask: ['description'] }))).code).toBe(status.ABORTED);
      const badMask = await failure(admin.updateProject({ project: { id: pid, domainId: dom.id, name: '' }, updateMask: ['domain_id', 'name'] }));
      expect(badMask.code).toBe(status.INVALID_ARGUMENT);
      expect(badMask.fields).toEqual(expect.arrayContaining(['update_mask', 'project.name']));
      expect((await failure(admin.updateProject({ project: { id: pid, name: 'x' } }))).fields).toEqual(['update_mask']);
      expect(await admin.getProject({ id: pid })).toEqual(up);
      expect((await failure(admin.updateProject({ project: { id: NO_SUCH_ID, name: 'x' }, updateMask: ['name'] }))).code).toBe(status.NOT_FOUND);
    });

    it('disabling a project ends its tokens at once and blocks scoping to it until enabled again', async () => {
      const pid = await project('off-proj');
      const uid = await user('off-user');
      await grant(uid, pid);
      const tok = await login('off-user', pid);
      await works(tok.token);
      const elsewhere = await project('off-other');
      await grant(uid, elsewhere);
      const other = await login('off-user', elsewhere);

      await admin.updateProject({ project: { id: pid, enabled: false }, updateMask: ['enabled'] });
      await revoked(tok.token);
      await works(other.token); // only tokens on that project
      await tick();
      const scoped = await failure(login('off-user', pid));
      expect(scoped.code).toBe(status.UNAUTHENTICATED);
      expect(scoped.message).toBe('no such project, or no role on it');
      // Disabling is reversible: the grant is still there.
      expect((await admin.listRoleAssignments({ projectId: pid })).assignments.map((a) => a.userId)).toEqual([uid]);
      await admin.updateProject({ project: { id: pid, enabled: true }, updateMask: ['enabled'] });
      await tick();
      await works((await login('off-user', pid)).token);
    });

    it('deleting a project revokes its tokens and removes its grants and application credentials', async () => {
      const pid = await project('gone-proj');
      const uid = await user('gone-user');
      await grant(uid, pid);
      const gid = (await admin.createGroup({ group: { name: 'gone-grp' } })).id;
      await admin.addUserToGroup({ groupId: gid, userId: uid });
      await admin.createRoleAssignment({ assignment: { groupId: gid, projectId: pid, roleId: role('reader') } });
      const keep = await project('kept-proj');
      await admin.updateUser({ user: { id: uid, defaultProjectId: pid }, updateMask: ['default_project_id'] });
      await grant(uid, keep);
      const tok = await login('gone-user', pid);
      expect(tok.info!.roles).toEqual(['member', 'reader']);
      const gone = id.withToken(tok.token);
      const cred = await gone.createApplicationCredential({ applicationCredential: { name: 'ci' } });
      const credTok = await id.anon().issueToken({ method: { $case: 'applicationCredential', value: { id: cred.id, secret: cred.secret } } });
      await works(credTok.token);
      expect((await admin.listRoleAssignments({ projectId: pid })).assignments).toHaveLength(2);

      const p = await admin.getProject({ id: pid });
      expect((await failure(admin.deleteProject({ id: pid, revisionNumber: p.revisionNumber + 1 }))).code).toBe(status.ABORTED);
      await admin.deleteProject({ id: pid, revisionNumber: p.revisionNumber });
      await revoked(tok.token);
      await revoked(credTok.token);
      expect((await admin.listRevocationEvents({})).events.some((e) => e.projectId === pid && e.userId === '')).toBe(true);
      expect((await admin.listRoleAssignments({ projectId: pid })).assignments).toEqual([]);
      expect((await admin.listRoleAssignments({ groupId: gid })).assignments).toEqual([]);
      expect((await admin.listRoleAssignments({ userId: uid })).assignments.map((a) => a.projectId)).toEqual([keep]);
      expect((await admin.listApplicationCredentials({ userId: uid })).applicationCredentials).toEqual([]);
      expect((await failure(admin.getProject({ id: pid }))).code).toBe(status.NOT_FOUND);
      expect((await failure(admin.deleteProject({ id: pid }))).code).toBe(status.NOT_FOUND);
      // No user points at the deleted project any more.
      expect((await admin.getUser({ id: uid })).defaultProjectId).toBe('');
      await tick();
      expect((await failure(id.anon().issueToken({ method: { $case: 'applicationCredential', value: { id: cred.id, secret: cred.secret } } }))).code).toBe(status.UNAUTHENTICATED);
      expect((await failure(login('gone-user', pid))).code).toBe(status.UNAUTHENTICATED);
      // The name is free again; the user's other project is untouched.
      await expect(admin.createProject({ project: { name: 'gone-proj' } })).resolves.toBeDefined();
      await works((await login('gone-user', keep)).token);
    });

    it('refuses to delete or disable the admin project', async () => {
      const del = await failure(admin.deleteProject({ id: adminProjectId }));
      expect(del.code).toBe(status.FAILED_PRECONDITION);
      expect(del.reason).toBe('BOOTSTRAP_PROJECT');
      expect(del.subjects).toEqual([adminProjectId]);
      expect((await failure(admin.updateProject({ project: { id: adminProjectId, enabled: false }, updateMask: ['enabled'] }))).code).toBe(status.FAILED_PRECONDITION);
      // Other changes are fine, and the admin still logs in.
      expect((await admin.updateProject({ project: { id: adminProjectId, description: 'ops' }, updateMask: ['description'] })).description).toBe('ops');
      await works(await id.adminToken());
    });
  });

  describe('roles', () => {
    it('updates a custom role and refuses to rename or delete the built-in ones', async () => {
      const r = await admin.createRole({ role: { name: 'auditor', description: 'a' } });
      await admin.createRole({ role: { name: 'taken' } });
      const up = await admin.updateRole({ role: { id: r.id, name: 'auditor2', description: 'b', revisionNumber: 1 }, updateMask: ['name', 'description'] });
      expect(up).toMatchObject({ name: 'auditor2', description: 'b', revisionNumber: 2 });
      expect(await admin.getRole({ id: r.id })).toEqual(up);
      expect((await failure(admin.updateRole({ role: { id: r.id, name: 'taken' }, updateMask: ['name'] }))).code).toBe(status.ALREADY_EXISTS);
      const upper = await failure(admin.updateRole({ role: { id: r.id, name: 'Auditor' }, updateMask: ['name'] }));
      expect(upper.code).toBe(status.INVALID_ARGUMENT);
      expect(upper.fields).toEqual(['role.name']);
      expect((await failure(admin.updateRole({ role: { id: r.id, name: 'x' }, updateMask: ['tags'] }))).fields).toEqual(['update_mask']);
      expect((await failure(admin.updateRole({ role: { id: r.id, description: 'late', revisionNumber: 1 }, updateMask: ['description'] }))).code).toBe(status.ABORTED);
      expect(await admin.getRole({ id: r.id })).toEqual(up);
      await expect(admin.createRole({ role: { name: 'auditor' } })).resolves.toBeDefined();

      for (const name of ['admin', 'member', 'reader', 'service']) {
        const rename = await failure(admin.updateRole({ role: { id: role(name), name: `${name}x` }, updateMask: ['name'] }));
        expect(rename.code).toBe(status.FAILED_PRECONDITION);
        expect(rename.reason).toBe('BUILTIN_ROLE');
        expect((await failure(admin.deleteRole({ id: role(name) }))).code).toBe(status.FAILED_PRECONDITION);
      }
      // Their descriptions may change.
      expect((await admin.updateRole({ role: { id: role('reader'), description: 'read only' }, updateMask: ['description'] })).description).toBe('read only');

      expect((await failure(admin.deleteRole({ id: r.id, revisionNumber: 1 }))).code).toBe(status.ABORTED);
      await admin.deleteRole({ id: r.id, revisionNumber: 2 });
      expect((await failure(admin.getRole({ id: r.id }))).code).toBe(status.NOT_FOUND);
      expect((await failure(admin.deleteRole({ id: r.id }))).code).toBe(status.NOT_FOUND);
      expect((await failure(admin.updateRole({ role: { id: r.id, description: 'x' }, updateMask: ['description'] }))).code).toBe(status.NOT_FOUND);
    });

    it('deleting a custom role removes its grants and revokes the tokens that carried it', async () => {
      const custom = await admin.createRole({ role: { name: 'deployer' } });
      const pid = await project('role-proj');
      const direct = await user('role-direct');
      const viaGroup = await user('role-grouped');
      const bystander = await user('role-bystander');
      const gid = (await admin.createGroup({ group: { name: 'role-grp' } })).id;
      await admin.addUserToGroup({ groupId: gid, userId: viaGroup });
      await admin.createRoleAssignment({ assignment: { userId: direct, projectId: pid, roleId: custom.id } });
      await grant(direct, pid, 'reader');
      await admin.createRoleAssignment({ assignment: { groupId: gid, projectId: pid, roleId: custom.id } });
      await grant(bystander, pid);
      const t1 = await login('role-direct', pid);
      const t2 = await login('role-grouped', pid);
      const t3 = await login('role-bystander', pid);
      expect(t1.info!.roles).toEqual(['deployer', 'reader']);
      expect(t2.info!.roles).toEqual(['deployer']);

      await admin.deleteRole({ id: custom.id });
      await revoked(t1.token);
      await revoked(t2.token);
      await works(t3.token); // never held it
      expect((await admin.listRoleAssignments({ roleId: custom.id })).assignments).toEqual([]);
      const events = (await admin.listRevocationEvents({})).events;
      expect(events.some((e) => e.userId === direct && e.projectId === pid)).toBe(true);
      expect(events.some((e) => e.userId === viaGroup && e.projectId === pid)).toBe(true);
      await tick();
      // What is left still works: the reader role, and nothing for the group member.
      expect((await login('role-direct', pid)).info!.roles).toEqual(['reader']);
      expect((await failure(login('role-grouped', pid))).code).toBe(status.UNAUTHENTICATED);
      await expect(admin.createRole({ role: { name: 'deployer' } })).resolves.toBeDefined();
    });

    it('a domain grant of a deleted role revokes the holder user-wide', async () => {
      const custom = await admin.createRole({ role: { name: 'domain-ops' } });
      const pid = await project('dom-role-proj');
      const uid = await user('dom-role-user');
      await grant(uid, pid);
      await admin.createRoleAssignment({ assignment: { userId: uid, domainId: defaultDomainId, roleId: custom.id } });
      const tok = await login('dom-role-user', pid);
      await admin.deleteRole({ id: custom.id });
      await revoked(tok.token);
      expect((await admin.listRevocationEvents({})).events.some((e) => e.userId === uid && e.projectId === '')).toBe(true);
    });

    it('renaming a role revokes the tokens naming the old one and follows into application credentials', async () => {
      const custom = await admin.createRole({ role: { name: 'builder' } });
      const pid = await project('rename-proj');
      const uid = await user('rename-user');
      await admin.createRoleAssignment({ assignment: { userId: uid, projectId: pid, roleId: custom.id } });
      await grant(uid, pid, 'reader');
      const tok = await login('rename-user', pid);
      expect(tok.info!.roles).toEqual(['builder', 'reader']);
      const cred = await id.withToken(tok.token).createApplicationCredential({ applicationCredential: { name: 'ci', roles: ['builder'] } });

      await admin.updateRole({ role: { id: custom.id, name: 'constructor' }, updateMask: ['name'] });
      await revoked(tok.token);
      await tick();
      expect((await login('rename-user', pid)).info!.roles).toEqual(['constructor', 'reader']);
      expect((await admin.getApplicationCredential({ id: cred.id })).roles).toEqual(['constructor']);
      const viaCred = await id.anon().issueToken({ method: { $case: 'applicationCredential', value: { id: cred.id, secret: cred.secret } } });
      expect(viaCred.info!.roles).toEqual(['constructor']);
      // A description change alone revokes nothing.
      const fresh = await login('rename-user', pid);
      await admin.updateRole({ role: { id: custom.id, description: 'builds' }, updateMask: ['description'] });
      await works(fresh.token);
    });
  });

  it('keeps it all across a restart', async () => {
    const dom = await admin.createDomain({ domain: { name: 'rs-dom' } });
    const pid = await project('rs-proj', dom.id);
    await admin.updateDomain({ domain: { id: dom.id, name: 'rs-dom2', enabled: false }, updateMask: ['name', 'enabled'] });
    await admin.updateProject({ project: { id: pid, name: 'rs-proj2' }, updateMask: ['name'] });
    await id.restart();
    admin = id.withToken(await id.adminToken());
    expect(await admin.getDomain({ id: dom.id })).toMatchObject({ name: 'rs-dom2', enabled: false, revisionNumber: 2 });
    expect((await admin.listProjects({ domainId: dom.id, name: 'rs-proj2' })).projects.map((p) => p.id)).toEqual([pid]);
    expect((await failure(admin.createDomain({ domain: { name: 'rs-dom2' } }))).code).toBe(status.ALREADY_EXISTS);
    // The admin project is still recognized after a restart.
    expect((await failure(admin.deleteProject({ id: adminProjectId }))).code).toBe(status.FAILED_PRECONDITION);
  });
});
