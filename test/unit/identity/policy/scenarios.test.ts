/**
 * Realistic Keystone-style policies built on BASE_RULES, checked as a table: who (role), whose
 * resource (own or another project), what (read or write).
 */
import { BASE_RULES } from '../../../../services/runtime/policy/base-rules';
import { type Credentials, PolicyDeniedError } from '../../../../services/runtime/policy/engine';
import { loadPolicy } from '../../../../services/runtime/policy/load';

const SERVICE_DEFAULTS: Record<string, string> = {
  ...BASE_RULES,
  'compute:get_server': 'rule:admin_or_reader_owner',
  'compute:list_servers': 'rule:reader_or_above',
  'compute:create_server': 'rule:admin_or_member_owner',
  'compute:delete_server': 'rule:admin_or_member_owner',
  'network:get_network': 'rule:admin_or_reader_owner or True:%(shared)s',
  'network:update_network': 'rule:admin_or_member_owner',
  'network:update_network:shared': 'rule:admin_required',
  'identity:get_project': 'rule:admin_required or (rule:reader_or_above and project_id:%(target.project.id)s)',
  'identity:update_project': 'rule:admin_required',
  'identity:list_user_projects': 'rule:admin_required or user_id:%(target.user.id)s',
  'identity:get_user': 'rule:admin_required or user_id:%(target.user.id)s',
  'identity:create_user': 'rule:admin_required',
  'identity:change_password': 'user_id:%(user_id)s and not role:suspended',
};

const { engine, warnings } = loadPolicy({ defaults: SERVICE_DEFAULTS });

type Role = 'admin' | 'member' | 'reader' | 'none';
const whoami = (role: Role, project = 'own-project', user = 'alice'): Credentials => ({
  roles: role === 'none' ? [] : [role],
  project_id: project,
  user_id: user,
  domain_id: 'default',
});

test('the defaults load cleanly', () => {
  expect(warnings).toEqual([]);
});

describe('compute servers: role x project x read/write', () => {
  const rows: [Role, 'own' | 'other', 'read' | 'write', boolean][] = [
    ['admin', 'own', 'read', true],
    ['admin', 'own', 'write', true],
    ['admin', 'other', 'read', true],
    ['admin', 'other', 'write', true],
    ['member', 'own', 'read', true],
    ['member', 'own', 'write', true],
    ['member', 'other', 'read', false],
    ['member', 'other', 'write', false],
    ['reader', 'own', 'read', true],
    ['reader', 'own', 'write', false],
    ['reader', 'other', 'read', false],
    ['reader', 'other', 'write', false],
    ['none', 'own', 'read', false],
    ['none', 'own', 'write', false],
    ['none', 'other', 'read', false],
    ['none', 'other', 'write', false],
  ];
  test.each(rows)('%s on %s project, %s -> %s', (role, whose, op, allowed) => {
    const target = { project_id: whose === 'own' ? 'own-project' : 'other-project', id: 'srv-1' };
    const creds = whoami(role);
    for (const action of op === 'read' ? ['compute:get_server'] : ['compute:create_server', 'compute:delete_server']) {
      expect(engine.enforce(action, target, creds)).toBe(allowed);
      if (allowed) expect(() => engine.authorize(action, target, creds)).not.toThrow();
      else expect(() => engine.authorize(action, target, creds)).toThrow(PolicyDeniedError);
    }
  });

  test('role names from tokens are matched case-insensitively', () => {
    const target = { project_id: 'own-project' };
    expect(engine.enforce('compute:delete_server', target, { ...whoami('none'), roles: ['Member'] })).toBe(true);
    expect(engine.enforce('compute:delete_server', target, { ...whoami('none'), roles: ['READER'] })).toBe(false);
    expect(engine.enforce('compute:delete_server', { project_id: 'other-project' }, { ...whoami('none'), roles: ['ADMIN'] })).toBe(true);
  });

  test('listing needs a role but no target', () => {
    expect(engine.enforce('compute:list_servers', {}, whoami('reader'))).toBe(true);
    expect(engine.enforce('compute:list_servers', {}, whoami('none'))).toBe(false);
  });
});

describe('networks: shared networks are readable by anyone with a token', () => {
  test.each<[Role, string, boolean, boolean, boolean]>([
    // role, network's project, shared, can read, can update
    ['reader', 'other-project', true, true, false],
    ['member', 'other-project', true, true, false],
    ['member', 'other-project', false, false, false],
    ['none', 'other-project', true, true, false],
    ['member', 'own-project', false, true, true],
    ['admin', 'other-project', false, true, true],
  ])('%s, network of %s, shared=%s: read %s, update %s', (role, project, shared, read, update) => {
    const target = { project_id: project, shared };
    expect(engine.enforce('network:get_network', target, whoami(role))).toBe(read);
    expect(engine.enforce('network:update_network', target, whoami(role))).toBe(update);
  });

  test('changing the shared flag is admin only, even on an own network', () => {
    const target = { project_id: 'own-project', shared: false };
    expect(engine.enforce('network:update_network:shared', target, whoami('member'))).toBe(false);
    expect(engine.enforce('network:update_network:shared', target, whoami('admin'))).toBe(true);
  });
});

describe('identity', () => {
  test.each<[Role, string, boolean, boolean]>([
    // role, project asked about, can get, can update
    ['admin', 'other-project', true, true],
    ['member', 'own-project', true, false],
    ['reader', 'own-project', true, false],
    ['reader', 'other-project', false, false],
    ['none', 'own-project', false, false],
  ])('%s asks about %s: get %s, update %s', (role, project, get, update) => {
    const target = { target: { project: { id: project } } };
    expect(engine.enforce('identity:get_project', target, whoami(role))).toBe(get);
    expect(engine.enforce('identity:update_project', target, whoami(role))).toBe(update);
  });

  test('users may see themselves and their projects; only admins see others or create users', () => {
    const self = { 'target.user.id': 'alice' };
    const other = { 'target.user.id': 'bob' };
    expect(engine.enforce('identity:get_user', self, whoami('reader'))).toBe(true);
    expect(engine.enforce('identity:get_user', other, whoami('member'))).toBe(false);
    expect(engine.enforce('identity:get_user', other, whoami('admin'))).toBe(true);
    expect(engine.enforce('identity:list_user_projects', self, whoami('none'))).toBe(true);
    expect(engine.enforce('identity:create_user', {}, whoami('member'))).toBe(false);
    expect(engine.enforce('identity:create_user', {}, whoami('admin'))).toBe(true);
  });

  test('change_password: only your own, and not while suspended', () => {
    expect(engine.enforce('identity:change_password', { user_id: 'alice' }, whoami('reader'))).toBe(true);
    expect(engine.enforce('identity:change_password', { user_id: 'bob' }, whoami('admin'))).toBe(false);
    expect(engine.enforce('identity:change_password', { user_id: 'alice' }, { ...whoami('member'), roles: ['member', 'Suspended'] })).toBe(false);
  });

  test('an action the service forgot to register is denied even for admins', () => {
    expect(engine.enforce('identity:delete_domain', {}, whoami('admin'))).toBe(false);
    expect(engine.actions()).not.toContain('identity:delete_domain');
  });
});
