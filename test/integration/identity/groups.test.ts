import { status } from '@grpc/grpc-js';
import { failure } from '../harness';
import { startIdentity, type IdentityHandle } from './harness';

const pw = (userName: string, password: string, projectName?: string) => ({
  method: { $case: 'password' as const, value: { userName, password } },
  scope: projectName ? { projectName } : undefined,
});
/** Revocation cutoffs are "issued before now + 1 ms": a token wanted after one must be later. */
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('identity groups', () => {
  let id: IdentityHandle;
  let admin: ReturnType<IdentityHandle['withToken']>;
  let memberRoleId: string;
  let readerRoleId: string;
  beforeAll(async () => {
    id = await startIdentity();
    admin = id.withToken(await id.adminToken());
    const roles = (await admin.listRoles({})).roles;
    memberRoleId = roles.find((r) => r.name === 'member')!.id;
    readerRoleId = roles.find((r) => r.name === 'reader')!.id;
  });
  afterAll(async () => id.stop());

  const user = async (name: string) => (await admin.createUser({ user: { name, password: `pw-${name}` } })).id;
  const project = async (name: string) => (await admin.createProject({ project: { name } })).id;
  const group = async (name: string) => (await admin.createGroup({ group: { name } })).id;
  const login = async (name: string, projectName: string) => id.anon().issueToken(pw(name, `pw-${name}`, projectName));

  it('creates, reads, updates, lists (paged and filtered) and deletes groups', async () => {
    const a = await admin.createGroup({ group: { name: 'crud-a', description: 'first', tags: ['t1', 'x'] } });
    expect(a.revisionNumber).toBe(1);
    expect(a.domainId).not.toBe('');
    const b = await admin.createGroup({ group: { name: 'crud-b', tags: ['t1'] } });
    await admin.createGroup({ group: { name: 'crud-c' } });
    expect((await failure(admin.createGroup({ group: { name: 'CRUD-A' } }))).code).toBe(status.ALREADY_EXISTS);
    // The same name in another domain is another group.
    const dom = await admin.createDomain({ domain: { name: 'groups-elsewhere' } });
    const other = await admin.createGroup({ group: { name: 'crud-a', domainId: dom.id } });
    expect((await admin.listGroups({ domainId: dom.id })).groups.map((g) => g.id)).toEqual([other.id]);

    expect(await admin.getGroup({ id: a.id })).toEqual(a);
    expect((await admin.listGroups({ name: 'crud-b' })).groups.map((g) => g.id)).toEqual([b.id]);
    expect((await admin.listGroups({ tags: ['t1'] })).groups.map((g) => g.id).sort()).toEqual([a.id, b.id].sort());
    const seen: string[] = [];
    let pageToken = '';
    do {
      const page = await admin.listGroups({ pageSize: 2, pageToken });
      expect(page.groups.length).toBeLessThanOrEqual(2);
      seen.push(...page.groups.map((g) => g.name));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(seen.filter((n) => n.startsWith('crud-')).sort()).toEqual(['crud-a', 'crud-b', 'crud-c']);
    // A page token is bound to its filters.
    const first = await admin.listGroups({ pageSize: 1 });
    expect((await failure(admin.listGroups({ pageSize: 1, pageToken: first.nextPageToken, name: 'crud-a' }))).fields).toEqual(['page_token']);

    const up = await admin.updateGroup({ group: { id: a.id, name: 'crud-a2', description: 'renamed', tags: ['y'], revisionNumber: 1 }, updateMask: ['name', 'description', 'tags'] });
    expect(up).toMatchObject({ name: 'crud-a2', description: 'renamed', tags: ['y'], revisionNumber: 2 });
    const stale = await failure(admin.updateGroup({ group: { id: a.id, description: 'late', revisionNumber: 1 }, updateMask: ['description'] }));
    expect(stale.code).toBe(status.ABORTED);
    expect((await failure(admin.updateGroup({ group: { id: a.id, name: 'crud-b' }, updateMask: ['name'] }))).code).toBe(status.ALREADY_EXISTS);
    // A change of case keeps the group's own name claim; the old name is free again.
    expect((await admin.updateGroup({ group: { id: a.id, name: 'CRUD-A2' }, updateMask: ['name'] })).name).toBe('CRUD-A2');
    await expect(admin.createGroup({ group: { name: 'crud-a' } })).resolves.toBeDefined();
    expect((await failure(admin.updateGroup({ group: { id: '00000000-0000-4000-8000-000000000000', name: 'z' }, updateMask: ['name'] }))).code).toBe(status.NOT_FOUND);

    expect((await failure(admin.deleteGroup({ id: b.id, revisionNumber: 7 }))).code).toBe(status.ABORTED);
    await admin.deleteGroup({ id: b.id, revisionNumber: 1 });
    expect((await failure(admin.getGroup({ id: b.id }))).code).toBe(status.NOT_FOUND);
    expect((await failure(admin.deleteGroup({ id: b.id }))).code).toBe(status.NOT_FOUND);
    // Its name can be taken again.
    await expect(admin.createGroup({ group: { name: 'crud-b' } })).resolves.toBeDefined();
  });

  it('adds and removes members, and lists a user\'s groups (a user may list their own)', async () => {
    const uid = await user('mia');
    const g1 = await group('mem-1');
    const g2 = await group('mem-2');
    await admin.addUserToGroup({ groupId: g1, userId: uid });
    await admin.addUserToGroup({ groupId: g2, userId: uid });
    await admin.addUserToGroup({ groupId: g2, userId: uid }); // idempotent
    expect((await admin.listGroups({ userId: uid })).groups.map((g) => g.id).sort()).toEqual([g1, g2].sort());
    const p1 = await admin.listGroups({ userId: uid, pageSize: 1 });
    expect(p1.groups).toHaveLength(1);
    const p2 = await admin.listGroups({ userId: uid, pageSize: 1, pageToken: p1.nextPageToken });
    expect(p2.groups).toHaveLength(1);
    expect(p2.nextPageToken).toBe('');
    expect(new Set([p1.groups[0].id, p2.groups[0].id])).toEqual(new Set([g1, g2]));
    expect((await admin.listGroups({ userId: uid, name: 'mem-2' })).groups.map((g) => g.id)).toEqual([g2]);
    // ...and the members of a group.
    await user('not-a-member');
    expect((await admin.listUsers({ groupId: g1 })).users.map((u) => u.id)).toEqual([uid]);

    // Mia needs a project to log in; she may list her own groups but not someone else's.
    const pid = await project('mem-proj');
    await admin.createRoleAssignment({ assignment: { userId: uid, projectId: pid, roleId: readerRoleId } });
    const mia = id.withToken((await login('mia', 'mem-proj')).token);
    expect((await mia.listGroups({ userId: uid })).groups).toHaveLength(2);
    const other = await user('noah');
    expect((await failure(mia.listGroups({ userId: other }))).code).toBe(status.PERMISSION_DENIED);
    expect((await failure(mia.listGroups({}))).code).toBe(status.PERMISSION_DENIED);
    expect((await failure(mia.addUserToGroup({ groupId: g1, userId: other }))).code).toBe(status.PERMISSION_DENIED);

    await admin.removeUserFromGroup({ groupId: g1, userId: uid });
    expect((await admin.listGroups({ userId: uid })).groups.map((g) => g.id)).toEqual([g2]);
    expect((await failure(admin.removeUserFromGroup({ groupId: g1, userId: uid }))).code).toBe(status.NOT_FOUND);
    const nobody = '00000000-0000-4000-8000-000000000001';
    expect((await failure(admin.addUserToGroup({ groupId: nobody, userId: uid }))).code).toBe(status.NOT_FOUND);
    expect((await failure(admin.addUserToGroup({ groupId: g1, userId: nobody }))).code).toBe(status.NOT_FOUND);
    expect((await failure(admin.listGroups({ userId: nobody }))).code).toBe(status.NOT_FOUND);
  });

  it('gives a project role through a group only, and revokes the token when the user leaves', async () => {
    const pid = await project('grp-proj');
    const uid = await user('gina');
    const gid = await group('grp-members');
    await admin.createRoleAssignment({ assignment: { groupId: gid, projectId: pid, roleId: memberRoleId } });
    // Not a member yet: no role, no token.
    const before = await failure(login('gina', 'grp-proj'));
    expect(before.code).toBe(status.UNAUTHENTICATED);

    await admin.addUserToGroup({ groupId: gid, userId: uid });
    const tok = await login('gina', 'grp-proj');
    expect(tok.info!.projectId).toBe(pid);
    expect(tok.info!.roles).toEqual(['member']);
    const gina = id.withToken(tok.token);
    await expect(gina.listRoles({})).resolves.toBeDefined();
    expect((await gina.getProject({ id: pid })).name).toBe('grp-proj');

    await admin.removeUserFromGroup({ groupId: gid, userId: uid });
    expect((await failure(gina.listRoles({}))).code).toBe(status.UNAUTHENTICATED);
    await tick();
    const after = await failure(login('gina', 'grp-proj'));
    expect(after.code).toBe(status.UNAUTHENTICATED);
    expect(after.message).toBe('no such project, or no role on it');
    const events = (await admin.listRevocationEvents({})).events;
    expect(events.some((e) => e.userId === uid && e.projectId === pid)).toBe(true);
  });

  it('does not revoke when the user keeps the role another way', async () => {
    const pid = await project('keep-proj');
    const uid = await user('kim');
    const gid = await group('keep-grp');
    await admin.createRoleAssignment({ assignment: { groupId: gid, projectId: pid, roleId: memberRoleId } });
    await admin.createRoleAssignment({ assignment: { userId: uid, projectId: pid, roleId: memberRoleId } });
    await admin.addUserToGroup({ groupId: gid, userId: uid });
    const tok = await login('kim', 'keep-proj');
    expect(tok.info!.roles).toEqual(['member']);
    await admin.removeUserFromGroup({ groupId: gid, userId: uid });
    await expect(id.withToken(tok.token).listRoles({})).resolves.toBeDefined();
  });

  it('lists group assignments, and with effective one entry per member, de-duplicated', async () => {
    const pid = await project('eff-proj');
    const u1 = await user('eve');
    const u2 = await user('ezra');
    const gid = await group('eff-grp');
    await admin.addUserToGroup({ groupId: gid, userId: u1 });
    await admin.addUserToGroup({ groupId: gid, userId: u2 });
    await admin.createRoleAssignment({ assignment: { groupId: gid, projectId: pid, roleId: memberRoleId } });
    await admin.createRoleAssignment({ assignment: { userId: u1, projectId: pid, roleId: memberRoleId } });
    await admin.createRoleAssignment({ assignment: { userId: u1, projectId: pid, roleId: readerRoleId } });
    expect((await failure(admin.createRoleAssignment({ assignment: { groupId: gid, projectId: pid, roleId: memberRoleId } }))).code).toBe(status.ALREADY_EXISTS);

    const plain = (await admin.listRoleAssignments({ projectId: pid })).assignments;
    const key = (a: { roleId: string; userId: string; groupId: string }) => `${a.roleId === memberRoleId ? 'member' : 'reader'}:${a.userId || `group:${a.groupId}`}`;
    expect(plain.map(key).sort()).toEqual([`member:${u1}`, `member:group:${gid}`, `reader:${u1}`].sort());
    expect((await admin.listRoleAssignments({ groupId: gid })).assignments.map(key)).toEqual([`member:group:${gid}`]);

    const eff = (await admin.listRoleAssignments({ projectId: pid, effective: true })).assignments;
    expect(eff.every((a) => a.groupId === '' && a.projectId === pid)).toBe(true);
    expect(eff.map(key).sort()).toEqual([`member:${u1}`, `member:${u2}`, `reader:${u1}`].sort());
    expect((await admin.listRoleAssignments({ userId: u2, effective: true })).assignments.map(key)).toEqual([`member:${u2}`]);
    expect((await admin.listRoleAssignments({ userId: u2 })).assignments).toEqual([]);

    // A member sees their own effective assignments.
    const ezra = id.withToken((await login('ezra', 'eff-proj')).token);
    expect((await ezra.listRoleAssignments({ userId: u2, effective: true })).assignments.map(key)).toEqual([`member:${u2}`]);
    const bad = await failure(admin.listRoleAssignments({ groupId: gid, effective: true }));
    expect(bad.code).toBe(status.INVALID_ARGUMENT);
    expect(bad.fields).toEqual(['group_id']);
  });

  it('revokes members\' tokens when the group\'s role assignment or the group itself is deleted', async () => {
    const pid = await project('del-proj');
    const u1 = await user('dan');
    const u2 = await user('dora');
    const gid = await group('del-grp');
    for (const u of [u1, u2]) await admin.addUserToGroup({ groupId: gid, userId: u });
    const grant = { groupId: gid, projectId: pid, roleId: memberRoleId };
    await admin.createRoleAssignment({ assignment: grant });
    const t1 = (await login('dan', 'del-proj')).token;
    const t2 = (await login('dora', 'del-proj')).token;
    await admin.deleteRoleAssignment({ assignment: grant });
    for (const t of [t1, t2]) expect((await failure(id.withToken(t).listRoles({}))).code).toBe(status.UNAUTHENTICATED);
    expect((await failure(admin.deleteRoleAssignment({ assignment: grant }))).code).toBe(status.NOT_FOUND);

    await admin.createRoleAssignment({ assignment: grant });
    // A domain-level grant to the group too: deleting the group revokes members user-wide.
    const domainId = (await admin.getGroup({ id: gid })).domainId;
    await admin.createRoleAssignment({ assignment: { groupId: gid, domainId, roleId: readerRoleId } });
    await tick();
    const t3 = (await login('dan', 'del-proj')).token;
    const t4 = (await login('dora', 'del-proj')).token;
    await expect(id.withToken(t3).listRoles({})).resolves.toBeDefined();
    await admin.deleteGroup({ id: gid });
    for (const t of [t3, t4]) expect((await failure(id.withToken(t).listRoles({}))).code).toBe(status.UNAUTHENTICATED);
    expect((await admin.listRoleAssignments({ groupId: gid })).assignments).toEqual([]);
    expect((await admin.listGroups({ userId: u1 })).groups).toEqual([]);
    const events = (await admin.listRevocationEvents({})).events;
    expect(events.some((e) => e.userId === u2 && e.projectId === '')).toBe(true);
    await tick();
    expect((await failure(login('dora', 'del-proj'))).message).toBe('no such project, or no role on it');
  });

  it('drops a deleted user\'s memberships', async () => {
    const uid = await user('ursula');
    const gid = await group('udel-grp');
    const pid = await project('udel-proj');
    await admin.createRoleAssignment({ assignment: { groupId: gid, projectId: pid, roleId: readerRoleId } });
    await admin.addUserToGroup({ groupId: gid, userId: uid });
    expect((await admin.listRoleAssignments({ projectId: pid, effective: true })).assignments.map((a) => a.userId)).toEqual([uid]);
    await admin.deleteUser({ id: uid });
    expect((await admin.listRoleAssignments({ projectId: pid, effective: true })).assignments).toEqual([]);
    // The group is intact and can take a new user of the same name.
    const again = await user('ursula');
    await admin.addUserToGroup({ groupId: gid, userId: again });
    expect((await admin.listGroups({ userId: again })).groups.map((g) => g.id)).toEqual([gid]);
  });

  it('pages role assignments in a stable order, with tokens bound to the filters', async () => {
    const pid = await project('paged-asg');
    const users = await Promise.all([0, 1, 2, 3, 4].map((i) => user(`paged-asg-${i}`)));
    for (const u of users) await admin.createRoleAssignment({ assignment: { userId: u, projectId: pid, roleId: memberRoleId } });
    await admin.createRoleAssignment({ assignment: { userId: users[0], projectId: pid, roleId: readerRoleId } });
    const all = (await admin.listRoleAssignments({ projectId: pid })).assignments;
    expect(all).toHaveLength(6);
    const seen: typeof all = [];
    let pageToken = '';
    for (let i = 0; i < 10; i++) {
      const page = await admin.listRoleAssignments({ projectId: pid, pageSize: 4, pageToken });
      expect(page.assignments.length).toBeLessThanOrEqual(4);
      seen.push(...page.assignments);
      pageToken = page.nextPageToken;
      if (!pageToken) break;
    }
    expect(seen).toEqual(all);
    const first = await admin.listRoleAssignments({ projectId: pid, pageSize: 2 });
    const replay = await failure(admin.listRoleAssignments({ projectId: '', pageSize: 2, pageToken: first.nextPageToken }));
    expect(replay.code).toBe(status.INVALID_ARGUMENT);
    expect(replay.fields).toEqual(['page_token']);
  });

  it('answers bad input with field violations and changes nothing', async () => {
    const count = async () => (await admin.listGroups({ pageSize: 1000 })).groups.length;
    const n = await count();
    const bad = await failure(admin.createGroup({ group: { name: '', description: 'd'.repeat(300), tags: ['a,b'] } }));
    expect(bad.code).toBe(status.INVALID_ARGUMENT);
    expect(bad.fields).toEqual(expect.arrayContaining(['group.name', 'group.description', 'group.tags[0]']));
    expect((await failure(admin.createGroup({ group: { name: 'a/b' } }))).fields).toEqual(['group.name']);
    const noDomain = await failure(admin.createGroup({ group: { name: 'orphan', domainId: '00000000-0000-4000-8000-000000000002' } }));
    expect(noDomain.code).toBe(status.INVALID_ARGUMENT);
    expect(noDomain.fields).toEqual(['group.domain_id']);
    expect(await count()).toBe(n);

    const gid = await group('bad-grp');
    const noMask = await failure(admin.updateGroup({ group: { id: gid, name: 'x' } }));
    expect(noMask.fields).toEqual(['update_mask']);
    const badMask = await failure(admin.updateGroup({ group: { id: gid, domainId: 'x', name: '' }, updateMask: ['domain_id', 'name'] }));
    expect(badMask.code).toBe(status.INVALID_ARGUMENT);
    expect(badMask.fields).toEqual(expect.arrayContaining(['update_mask', 'group.name']));
    expect((await failure(admin.updateGroup({ group: { name: 'x' }, updateMask: ['name'] }))).fields).toEqual(['group.id']);
    expect(await admin.getGroup({ id: gid })).toMatchObject({ name: 'bad-grp', revisionNumber: 1 });

    const member = await failure(admin.addUserToGroup({ groupId: 'nope', userId: '' }));
    expect(member.code).toBe(status.INVALID_ARGUMENT);
    expect(member.fields.sort()).toEqual(['group_id', 'user_id']);
    expect((await failure(admin.removeUserFromGroup({ groupId: gid, userId: 'x/y' }))).fields).toEqual(['user_id']);
    const both = await failure(admin.createRoleAssignment({ assignment: { groupId: gid, userId: gid, projectId: gid, roleId: memberRoleId } }));
    expect(both.fields).toEqual(['assignment.user_id']);
    const missing = await failure(admin.createRoleAssignment({ assignment: { groupId: '00000000-0000-4000-8000-000000000003', domainId: (await admin.getGroup({ id: gid })).domainId, roleId: memberRoleId } }));
    expect(missing.code).toBe(status.NOT_FOUND);
    expect((await failure(admin.listGroups({ pageSize: -1 }))).fields).toEqual(['page_size']);
    expect(await count()).toBe(n + 1);
  });

  it('keeps memberships and group grants across a restart', async () => {
    const pid = await project('rs-proj');
    const uid = await user('rosa');
    const g1 = await group('rs-1');
    const g2 = await group('rs-2');
    await admin.addUserToGroup({ groupId: g1, userId: uid });
    await admin.addUserToGroup({ groupId: g2, userId: uid });
    await admin.removeUserFromGroup({ groupId: g2, userId: uid });
    await admin.createRoleAssignment({ assignment: { groupId: g1, projectId: pid, roleId: memberRoleId } });
    await id.restart();
    admin = id.withToken(await id.adminToken());
    expect((await admin.listGroups({ userId: uid })).groups.map((g) => g.id)).toEqual([g1]);
    expect((await admin.getGroup({ id: g1 })).name).toBe('rs-1');
    const tok = await login('rosa', 'rs-proj');
    expect(tok.info!.roles).toEqual(['member']);
    expect((await admin.listRoleAssignments({ userId: uid, effective: true })).assignments).toEqual([{ roleId: memberRoleId, userId: uid, groupId: '', projectId: pid, domainId: '' }]);
    // Names are still claimed after the restart.
    expect((await failure(admin.createGroup({ group: { name: 'rs-2' } }))).code).toBe(status.ALREADY_EXISTS);
    await admin.removeUserFromGroup({ groupId: g1, userId: uid });
    expect((await failure(id.withToken(tok.token).listRoles({}))).code).toBe(status.UNAUTHENTICATED);
  });
});
