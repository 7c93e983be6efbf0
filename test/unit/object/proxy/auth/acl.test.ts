import { aclGrants, mayListContainer, mayReadObjects, mayWriteObjects, parseAcl, readAcl, referrerAllowed, referrerHost, type AclIdentity } from '../../../../../services/object/proxy/auth/acl';

const cleaned = (kind: 'read' | 'write', v: string): string => {
  const r = parseAcl(kind, v);
  if (!r.ok) throw new Error(r.message);
  return r.cleaned;
};
const error = (kind: 'read' | 'write', v: string): string => {
  const r = parseAcl(kind, v);
  if (r.ok) throw new Error(`expected ${JSON.stringify(v)} to be refused`);
  return r.message;
};

const who = (over: Partial<AclIdentity> = {}): AclIdentity => ({ projectId: 'pa', userId: 'ua', roles: ['member'], sameProject: false, ...over });

describe('parseAcl (Swift clean_acl rules)', () => {
  test.each([
    ['', ''],
    ['   ', ''],
    ['.r:*', '.r:*'],
    ['.r:*,.rlistings', '.r:*,.rlistings'],
    [' .r:* , .rlistings ,', '.r:*,.rlistings'],
    ['.ref:example.com', '.r:example.com'],
    ['.referer:example.com', '.r:example.com'],
    ['.referrer:example.com', '.r:example.com'],
    ['.r:-bad.com', '.r:-bad.com'],
    ['.r: - bad.com', '.r:-bad.com'],
    ['.r:*.example.com', '.r:.example.com'],
    ['.r:-*.example.com', '.r:-.example.com'],
    ['pa:ua', 'pa:ua'],
    ['pa : ua', 'pa:ua'],
    ['pa:*', 'pa:*'],
    ['*:ua', '*:ua'],
    ['*:*', '*:*'],
    ['observer', 'observer'],
    ['pa:ua,,pb:*', 'pa:ua,pb:*'],
  ])('read %j → %j', (input, out) => {
    expect(cleaned('read', input)).toBe(out);
  });

  test.each([
    ['pa:ua', 'pa:ua'],
    ['*:*,pb:ub', '*:*,pb:ub'],
    ['', ''],
  ])('write %j → %j', (input, out) => {
    expect(cleaned('write', input)).toBe(out);
  });

  test('referrers and .rlistings are refused in write ACLs', () => {
    expect(error('write', '.r:*')).toMatch(/X-Container-Write: referrers are not allowed/);
    expect(error('write', '.referrer:example.com')).toMatch(/referrers are not allowed/);
    expect(error('write', '.rlistings')).toMatch(/\.rlistings is not allowed in a write ACL/);
  });

  test('unknown designators, empty hosts and malformed grants are refused with the header name', () => {
    expect(error('read', '.x:foo')).toMatch(/^X-Container-Read: unknown designator "\.x"/);
    expect(error('read', '.rlisting')).toMatch(/unknown designator/);
    expect(error('read', '.r:')).toMatch(/no host or domain/);
    expect(error('read', '.r:-')).toMatch(/no host or domain/);
    expect(error('read', '.r:.')).toMatch(/no host or domain/);
    expect(error('read', '.r:*.')).toMatch(/no host or domain/);
    expect(error('read', 'pa:')).toMatch(/must be <project>:<user>/);
    expect(error('read', ':ua')).toMatch(/must be <project>:<user>/);
    expect(error('read', 'a:b:c')).toMatch(/more than one ":"/);
    expect(error('read', 'a\u0001b')).toMatch(/control character/);
    expect(error('read', 'x'.repeat(9000))).toMatch(/longer than/);
  });

  test('a cleaned ACL parses to itself', () => {
    for (const v of ['.r:*,.rlistings,pa:ua', '.ref:-x.com', 'pa:*,*:ub,role']) {
      const once = cleaned('read', v);
      expect(cleaned('read', once)).toBe(once);
    }
  });

  test('the parsed form', () => {
    const r = parseAcl('read', '.r:*,.r:-bad.com,.rlistings,pa:ua,*:ub,Observer');
    expect(r.ok && r.acl).toEqual({ referrers: ['*', '-bad.com'], listings: true, identities: [{ project: 'pa', user: 'ua' }, { project: '*', user: 'ub' }], roles: ['observer'] });
  });
});

describe('readAcl is lenient with stored values', () => {
  test('bad elements grant nothing and never throw', () => {
    expect(readAcl(undefined)).toEqual({ referrers: [], listings: false, identities: [], roles: [] });
    expect(readAcl('.x:y,.r:,pa:,:ub,.weird')).toEqual({ referrers: [], listings: false, identities: [], roles: [] });
  });
});

describe('referrers', () => {
  test('referrerHost', () => {
    expect(referrerHost('http://Example.COM/page')).toBe('example.com');
    expect(referrerHost('not a url')).toBeUndefined();
    expect(referrerHost(undefined)).toBeUndefined();
  });

  test.each<[string, string | undefined, boolean]>([
    ['.r:*', undefined, true],
    ['.r:*', 'http://any.where/', true],
    ['.r:example.com', 'http://example.com/x', true],
    ['.r:example.com', 'http://www.example.com/x', false],
    ['.r:example.com', undefined, false],
    ['.r:.example.com', 'http://www.example.com/x', true],
    ['.r:.example.com', 'http://example.com/x', false],
    ['.r:*,.r:-bad.com', 'http://bad.com/', false],
    ['.r:*,.r:-bad.com', 'http://good.com/', true],
    ['.r:*,.r:-.bad.com', 'http://x.bad.com/', false],
    ['.r:-bad.com,.r:*', 'http://bad.com/', true],
    ['', 'http://example.com/', false],
    ['pa:ua', 'http://example.com/', false],
  ])('%j with Referer %j → %s', (acl, ref, expected) => {
    expect(referrerAllowed(readAcl(acl), ref)).toBe(expected);
  });
});

describe('identity grants', () => {
  test.each<[string, Partial<AclIdentity>, boolean]>([
    ['pa:ua', {}, true],
    ['pa:ub', {}, false],
    ['pb:ua', {}, false],
    ['pa:*', {}, true],
    ['*:ua', {}, true],
    ['*:*', {}, true],
    ['*:*', { projectId: '' }, true],
    ['pa:*', { projectId: '' }, false],
    ['pa:alice', { userName: 'alice' }, true],
    ['pb:*,pa:ua', {}, true],
    // Role grants only count on the account's own project.
    ['observer', { roles: ['observer'] }, false],
    ['observer', { roles: ['observer'], sameProject: true }, true],
    ['Observer', { roles: ['observer'], sameProject: true }, true],
    ['observer', { roles: ['member'], sameProject: true }, false],
    ['', {}, false],
  ])('%j grants %j: %s', (acl, over, expected) => {
    expect(aclGrants(readAcl(acl), who(over))).toBe(expected);
  });
});

describe('the three questions', () => {
  test('read objects: a referrer rule or an identity grant', () => {
    expect(mayReadObjects(readAcl('.r:*'), undefined, undefined)).toBe(true);
    expect(mayReadObjects(readAcl('.r:*'), who(), undefined)).toBe(true);
    expect(mayReadObjects(readAcl('pa:*'), undefined, undefined)).toBe(false);
    expect(mayReadObjects(readAcl('pa:*'), who(), undefined)).toBe(true);
    expect(mayReadObjects(readAcl('pb:*'), who(), undefined)).toBe(false);
    expect(mayReadObjects(readAcl('.rlistings'), undefined, undefined)).toBe(false);
  });

  test('list: .rlistings needs a matching referrer; identity grants list too', () => {
    expect(mayListContainer(readAcl('.r:*'), undefined, undefined)).toBe(false);
    expect(mayListContainer(readAcl('.r:*,.rlistings'), undefined, undefined)).toBe(true);
    expect(mayListContainer(readAcl('.rlistings'), undefined, undefined)).toBe(false);
    expect(mayListContainer(readAcl('.r:example.com,.rlistings'), undefined, 'http://other.com/')).toBe(false);
    expect(mayListContainer(readAcl('.r:example.com,.rlistings'), undefined, 'http://example.com/')).toBe(true);
    expect(mayListContainer(readAcl('pa:ua'), who(), undefined)).toBe(true);
    expect(mayListContainer(readAcl('pa:ua'), undefined, undefined)).toBe(false);
  });

  test('write: identity grants only, never anonymous', () => {
    expect(mayWriteObjects(readAcl('*:*'), undefined)).toBe(false);
    expect(mayWriteObjects(readAcl('*:*'), who())).toBe(true);
    expect(mayWriteObjects(readAcl('pa:ua'), who())).toBe(true);
    expect(mayWriteObjects(readAcl('pb:ua'), who())).toBe(false);
    // A stored write ACL with a referrer (bad data) still grants nothing.
    expect(mayWriteObjects(readAcl('.r:*'), who())).toBe(false);
  });
});
