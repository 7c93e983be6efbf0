import type { ContainerAcl, ObjectCaller } from '../../../../../services/object/proxy/app/types';
import { createAuthorize, decide, DEFAULT_AUTHORIZE_RULES as RULES, isOwner, type AccessRequest } from '../../../../../services/object/proxy/auth/authorize';

const caller = (projectId: string, roles: string[], userId = `u-${projectId}`): ObjectCaller => ({ projectId, userId, roles, isResellerAdmin: false, token: 't' });
const A = 'AUTH_pa';
const owner = caller('pa', ['member']);
const adminOfA = caller('pa', ['admin']);
const readerOfA = caller('pa', ['reader']);
const otherRoleOfA = caller('pa', ['observer']);
const outsider = caller('pb', ['member']);
const serviceUser = caller('pb', ['service']);
const resellerAdmin = caller('pz', ['admin']);

const WHO: Record<string, ObjectCaller | undefined> = { owner, adminOfA, readerOfA, otherRoleOfA, outsider, serviceUser, resellerAdmin, anon: undefined };

function req(method: string, who: string, path: { c?: string; o?: string; account?: string } = {}, headers: Record<string, string> = {}): AccessRequest {
  return { method, account: path.account ?? A, container: path.c, object: path.o, caller: WHO[who], headers };
}
const d = (r: AccessRequest, acl?: ContainerAcl): boolean => decide(r, { containerAcl: acl }, RULES).allow;

describe('authorize: decision table', () => {
  // [method, level, who, acl, expected]
  const table: [string, 'account' | 'container' | 'object', string, ContainerAcl | undefined, boolean][] = [
    // Owners (operator roles) and reseller admins: everything.
    ...(['GET', 'HEAD', 'POST'] as const).flatMap((m) => [
      [m, 'account', 'owner', undefined, true],
      [m, 'account', 'adminOfA', undefined, true],
      [m, 'account', 'resellerAdmin', undefined, true],
    ] as [string, 'account', string, undefined, boolean][]),
    ['PUT', 'account', 'owner', undefined, false],
    ['DELETE', 'account', 'owner', undefined, false],
    ['PUT', 'account', 'resellerAdmin', undefined, true],
    ['DELETE', 'account', 'resellerAdmin', undefined, true],
    ...(['GET', 'HEAD', 'PUT', 'POST', 'DELETE'] as const).flatMap((m) => [
      [m, 'container', 'owner', undefined, true],
      [m, 'object', 'owner', undefined, true],
      [m, 'container', 'resellerAdmin', undefined, true],
      [m, 'object', 'resellerAdmin', undefined, true],
    ] as [string, 'container' | 'object', string, undefined, boolean][]),
    // Readers: GET/HEAD only.
    ['GET', 'account', 'readerOfA', undefined, true],
    ['HEAD', 'container', 'readerOfA', undefined, true],
    ['GET', 'object', 'readerOfA', undefined, true],
    ['POST', 'account', 'readerOfA', undefined, false],
    ['PUT', 'container', 'readerOfA', undefined, false],
    ['PUT', 'object', 'readerOfA', undefined, false],
    ['DELETE', 'object', 'readerOfA', undefined, false],
    // A reader named in the write ACL may write objects.
    ['PUT', 'object', 'readerOfA', { write: 'pa:u-pa' }, true],
    // Other roles on the project: only what the ACLs give by role name.
    ['GET', 'object', 'otherRoleOfA', undefined, false],
    ['GET', 'object', 'otherRoleOfA', { read: 'observer' }, true],
    ['GET', 'container', 'otherRoleOfA', { read: 'observer' }, true],
    ['PUT', 'object', 'otherRoleOfA', { write: 'observer' }, true],
    ['GET', 'account', 'otherRoleOfA', undefined, false],
    // Outsiders: nothing without ACLs...
    ['GET', 'account', 'outsider', undefined, false],
    ['HEAD', 'account', 'outsider', undefined, false],
    ['GET', 'container', 'outsider', undefined, false],
    ['GET', 'object', 'outsider', undefined, false],
    ['PUT', 'object', 'outsider', undefined, false],
    ['GET', 'object', 'outsider', { read: '', write: '' }, false],
    // ...a role name in an ACL does not reach across projects...
    ['GET', 'object', 'outsider', { read: 'member' }, false],
    // ...read ACLs naming them: read objects and the container, not write.
    ['GET', 'object', 'outsider', { read: 'pb:*' }, true],
    ['HEAD', 'object', 'outsider', { read: 'pb:u-pb' }, true],
    ['GET', 'container', 'outsider', { read: 'pb:*' }, true],
    ['GET', 'object', 'outsider', { read: '*:u-pb' }, true],
    ['GET', 'object', 'outsider', { read: '*:*' }, true],
    ['GET', 'object', 'outsider', { read: 'pc:*' }, false],
    ['PUT', 'object', 'outsider', { read: 'pb:*' }, false],
    ['GET', 'account', 'outsider', { read: 'pb:*' }, false],
    // Write ACLs: PUT/POST/DELETE of objects, never container changes.
    ['PUT', 'object', 'outsider', { write: 'pb:*' }, true],
    ['POST', 'object', 'outsider', { write: 'pb:*' }, true],
    ['DELETE', 'object', 'outsider', { write: 'pb:*' }, true],
    ['GET', 'object', 'outsider', { write: 'pb:*' }, false],
    ['PUT', 'container', 'outsider', { write: 'pb:*' }, false],
    ['POST', 'container', 'outsider', { write: 'pb:*', read: 'pb:*' }, false],
    ['DELETE', 'container', 'outsider', { write: 'pb:*' }, false],
    // .r:* is public object read, for anonymous and authenticated alike; listing needs .rlistings.
    ['GET', 'object', 'anon', { read: '.r:*' }, true],
    ['HEAD', 'object', 'anon', { read: '.r:*' }, true],
    ['GET', 'object', 'outsider', { read: '.r:*' }, true],
    ['GET', 'container', 'anon', { read: '.r:*' }, false],
    ['GET', 'container', 'anon', { read: '.r:*,.rlistings' }, true],
    ['PUT', 'object', 'anon', { read: '.r:*', write: '*:*' }, false],
    ['GET', 'object', 'anon', undefined, false],
    ['GET', 'account', 'anon', undefined, false],
    ['GET', 'object', 'anon', { read: 'pb:*' }, false],
    // The service role is an ordinary role.
    ['GET', 'account', 'serviceUser', undefined, false],
    ['GET', 'object', 'serviceUser', undefined, false],
    // Unknown methods need an owner.
    ['OPTIONS', 'object', 'outsider', { read: '*:*', write: '*:*' }, false],
  ];

  test.each(table)('%s %s by %s with ACL %j → %s', (method, level, who, acl, expected) => {
    const path = level === 'account' ? {} : level === 'container' ? { c: 'c' } : { c: 'c', o: 'o' };
    expect(d(req(method, who, path), acl)).toBe(expected);
  });

  test('accounts outside the reseller prefix are nobody’s, not even their project’s', () => {
    expect(d(req('GET', 'owner', { account: 'pa' }))).toBe(false);
    expect(d(req('GET', 'owner', { account: 'AUTH_' }))).toBe(false);
    expect(d(req('GET', 'resellerAdmin', { account: 'OTHER_pa' }))).toBe(false);
  });

  test('a project id that merely starts like the account does not own it', () => {
    expect(d(req('GET', 'owner', { account: 'AUTH_pa2' }))).toBe(false);
  });

  test('referrer-restricted public read', () => {
    const acl = { read: '.r:.example.com' };
    expect(d(req('GET', 'anon', { c: 'c', o: 'o' }, { referer: 'http://www.example.com/' }), acl)).toBe(true);
    expect(d(req('GET', 'anon', { c: 'c', o: 'o' }, { referer: 'http://evil.com/' }), acl)).toBe(false);
    expect(d(req('GET', 'anon', { c: 'c', o: 'o' }), acl)).toBe(false);
  });

  test('isOwner', () => {
    expect(isOwner(owner, A, RULES)).toBe(true);
    expect(isOwner(adminOfA, A, RULES)).toBe(true);
    expect(isOwner(resellerAdmin, A, RULES)).toBe(true);
    expect(isOwner(readerOfA, A, RULES)).toBe(false);
    expect(isOwner(outsider, A, RULES)).toBe(false);
    expect(isOwner(undefined, A, RULES)).toBe(false);
    expect(isOwner({ ...outsider, isResellerAdmin: true }, A, RULES)).toBe(true);
  });

  test('rules are configurable', () => {
    const rules = { ...RULES, resellerPrefix: 'KEY_', operatorRoles: ['swiftoperator'], resellerAdminRole: 'reselleradmin' };
    const op = caller('pa', ['swiftoperator']);
    expect(decide({ method: 'PUT', account: 'KEY_pa', container: 'c', caller: op, headers: {} }, {}, rules).allow).toBe(true);
    expect(decide({ method: 'PUT', account: 'KEY_pa', container: 'c', caller: owner, headers: {} }, {}, rules).allow).toBe(false);
    expect(decide({ method: 'GET', account: 'KEY_pz', caller: resellerAdmin, headers: {} }, {}, rules).allow).toBe(false);
    expect(decide({ method: 'GET', account: 'KEY_pz', caller: caller('px', ['reselleradmin']), headers: {} }, {}, rules).allow).toBe(true);
  });
});

describe('createAuthorize responses', () => {
  const authorize = createAuthorize(RULES);
  const full = (who: string, method = 'GET') => ({ ...req(method, who, { c: 'c', o: 'o' }), query: new URLSearchParams(), transId: 'tx', source: 'client' });

  test('allowed → undefined', () => {
    expect(authorize(full('owner'), {})).toBeUndefined();
  });

  test('anonymous → 401 with a challenge; authenticated → 403', () => {
    const anon = authorize(full('anon'), {});
    expect(anon?.status).toBe(401);
    expect(anon?.headers['Www-Authenticate']).toBe('Swift realm="AUTH_pa"');
    expect(authorize(full('outsider'), {})?.status).toBe(403);
  });

  test('HEAD denials have no body', () => {
    expect(authorize(full('outsider', 'HEAD'), {})?.body).toBeUndefined();
    expect(authorize(full('anon', 'HEAD'), {})?.body).toBeUndefined();
  });

  test('reports why', () => {
    const reasons: string[] = [];
    createAuthorize(RULES, (_r, why) => reasons.push(why))(full('outsider'), {});
    expect(reasons).toEqual(['no container ACL grants access']);
  });
});
