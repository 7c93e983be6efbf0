import { Metadata, status } from '@grpc/grpc-js';
import { type Caller, DenyAllAuthenticator, DevHeaderAuthenticator } from '../../../services/runtime/caller';
import { WeftError } from '../../../services/runtime/errors';

function md(entries: Record<string, string | string[]>): Metadata {
  const m = new Metadata();
  for (const [k, v] of Object.entries(entries)) for (const x of Array.isArray(v) ? v : [v]) m.add(k, x);
  return m;
}

const auth = new DevHeaderAuthenticator();

function caller(entries: Record<string, string | string[]>, requestId = 'r1'): Caller {
  const out = auth.authenticate(md(entries), requestId);
  if (out instanceof WeftError) throw new Error(`expected a caller, got ${out.message}`);
  return out;
}

function failure(entries: Record<string, string | string[]>): WeftError {
  const out = auth.authenticate(md(entries), 'r1');
  if (!(out instanceof WeftError)) throw new Error(`expected an error, got ${JSON.stringify(out)}`);
  return out;
}

describe('DevHeaderAuthenticator', () => {
  test('a project with default roles becomes a member caller', () => {
    expect(caller({ 'x-weft-project': 'demo' }, 'req-42')).toEqual({
      projectId: 'demo',
      roles: ['member'],
      userId: 'dev:demo',
      isAdmin: false,
      requestId: 'req-42',
    });
  });

  test('missing project is UNAUTHENTICATED', () => {
    const cases: Record<string, string>[] = [{}, { 'x-weft-roles': 'admin' }, { 'x-weft-project': '' }];
    for (const entries of cases) {
      const err = failure(entries);
      expect(err.code).toBe(status.UNAUTHENTICATED);
      expect(err.details.reason).toBe('UNAUTHENTICATED');
      expect(err.message).toContain('x-weft-project');
    }
  });

  test.each(['has space', 'a/b', 'x'.repeat(65), 'semi;colon', 'a+b', 'dot.ted'])('invalid project %j is INVALID_ARGUMENT', (project) => {
    const err = failure({ 'x-weft-project': project });
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details.fieldViolations).toEqual([{ field: 'x-weft-project', description: 'must be 1-64 characters of [A-Za-z0-9_-]' }]);
  });

  test.each(['a', 'Proj_1-x', 'x'.repeat(64), '0'])('valid project %j', (project) => {
    expect(caller({ 'x-weft-project': project }).projectId).toBe(project);
  });

  test('roles are split on commas, trimmed, and empty entries dropped', () => {
    expect(caller({ 'x-weft-project': 'p', 'x-weft-roles': ' reader , member,,auditor_2 ,' }).roles).toEqual(['reader', 'member', 'auditor_2']);
    expect(caller({ 'x-weft-project': 'p', 'x-weft-roles': 'reader' }).roles).toEqual(['reader']);
  });

  test('an explicitly empty roles list yields no roles (not the member default)', () => {
    const c = caller({ 'x-weft-project': 'p', 'x-weft-roles': ' , ' });
    expect(c.roles).toEqual([]);
    expect(c.isAdmin).toBe(false);
  });

  test.each(['Admin', '1role', 'role with space', 'r'.repeat(33), 'ro.le', '-x'])('invalid role %j is INVALID_ARGUMENT naming it', (role) => {
    const err = failure({ 'x-weft-project': 'p', 'x-weft-roles': `member,${role}` });
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details.fieldViolations).toEqual([{ field: 'x-weft-roles', description: `invalid role name "${role.trim()}"` }]);
  });

  test('a role of exactly 32 characters is accepted', () => {
    const role = 'r'.repeat(32);
    expect(caller({ 'x-weft-project': 'p', 'x-weft-roles': role }).roles).toEqual([role]);
  });

  test('isAdmin is true exactly when the roles include admin', () => {
    expect(caller({ 'x-weft-project': 'p', 'x-weft-roles': 'admin' }).isAdmin).toBe(true);
    expect(caller({ 'x-weft-project': 'p', 'x-weft-roles': 'member, admin' }).isAdmin).toBe(true);
    expect(caller({ 'x-weft-project': 'p', 'x-weft-roles': 'administrator,admins' }).isAdmin).toBe(false);
    expect(caller({ 'x-weft-project': 'p' }).isAdmin).toBe(false);
  });

  test('only the first value of repeated metadata is used', () => {
    const c = caller({ 'x-weft-project': ['first', 'second'], 'x-weft-roles': ['reader', 'admin'] });
    expect(c.projectId).toBe('first');
    expect(c.roles).toEqual(['reader']);
    expect(c.isAdmin).toBe(false);
  });

  test('never throws, even for odd metadata', () => {
    const m = new Metadata();
    m.set('x-weft-project-bin', Buffer.from('p'));
    expect(() => auth.authenticate(m, 'r')).not.toThrow();
    expect(auth.authenticate(m, 'r')).toBeInstanceOf(WeftError);
  });
});

describe('DenyAllAuthenticator', () => {
  test('rejects every caller, even with dev headers', () => {
    const deny = new DenyAllAuthenticator();
    for (const m of [new Metadata(), md({ 'x-weft-project': 'p', 'x-weft-roles': 'admin' })]) {
      const out = deny.authenticate();
      expect(out).toBeInstanceOf(WeftError);
      expect(out.code).toBe(status.UNAUTHENTICATED);
      expect(out.details.reason).toBe('UNAUTHENTICATED');
      expect(out.message).toBe('no authentication is configured on this server');
      // Also through the Authenticator interface with arguments.
      const viaInterface: { authenticate(metadata: Metadata, requestId: string): unknown } = deny;
      expect(viaInterface.authenticate(m, 'r')).toBeInstanceOf(WeftError);
    }
  });
});
