import { parseSwiftPath } from '../../../../../services/object/proxy/app/swift-path';

describe('parseSwiftPath', () => {
  test.each([
    ['/v1/AUTH_a', { account: 'AUTH_a' }],
    ['/v1/AUTH_a/', { account: 'AUTH_a' }],
    ['/v1.0/AUTH_a/c', { account: 'AUTH_a', container: 'c' }],
    ['/v1/AUTH_a/c/', { account: 'AUTH_a', container: 'c' }],
    ['/v1/AUTH_a/c/o', { account: 'AUTH_a', container: 'c', object: 'o' }],
    ['/v1/AUTH_a/c/dir/sub/o.txt', { account: 'AUTH_a', container: 'c', object: 'dir/sub/o.txt' }],
    ['/v1/AUTH_a/c/dir/', { account: 'AUTH_a', container: 'c', object: 'dir/' }],
    ['/v1/AUTH_a/c/a%20b%2Fc', { account: 'AUTH_a', container: 'c', object: 'a b/c' }],
    ['/v1/AUTH_a/c/%C3%BC', { account: 'AUTH_a', container: 'c', object: 'ü' }],
  ])('%s', (target, expected) => {
    const p = parseSwiftPath(target);
    expect(p.kind).toBe('api');
    if (p.kind !== 'api') return;
    expect({ account: p.account, container: p.container, object: p.object }).toEqual({ container: undefined, object: undefined, ...expected });
  });

  test('the query string is split off, not decoded into names', () => {
    const p = parseSwiftPath('/v1/a/c?format=json&prefix=x%2Fy');
    expect(p).toEqual({ kind: 'api', version: 'v1', account: 'a', container: 'c', query: 'format=json&prefix=x%2Fy' });
  });

  test.each(['/v1/a/c/%FF', '/v1/a/c/%C3', '/v1/a/c/x%00y', '/v1/a%00/c', '/v1/a/c/%zz'])('%s → 412 Invalid UTF8 or contains NULL', (target) => {
    expect(parseSwiftPath(target)).toEqual({ kind: 'invalid', status: 412, message: 'Invalid UTF8 or contains NULL' });
  });

  test('an empty account or container with an object is an invalid path', () => {
    expect(parseSwiftPath('/v1/')).toMatchObject({ kind: 'invalid', status: 412 });
    expect(parseSwiftPath('/v1//c')).toMatchObject({ kind: 'invalid', status: 412 });
    expect(parseSwiftPath('/v1/a//o')).toMatchObject({ kind: 'invalid', status: 412 });
  });

  test('other paths are left to the caller', () => {
    expect(parseSwiftPath('/info')).toEqual({ kind: 'other', path: '/info', query: '' });
    expect(parseSwiftPath('/healthcheck?x=1')).toEqual({ kind: 'other', path: '/healthcheck', query: 'x=1' });
    expect(parseSwiftPath('/v2/a')).toMatchObject({ kind: 'other' });
    expect(parseSwiftPath('/auth/v1.0')).toMatchObject({ kind: 'other', path: '/auth/v1.0' });
  });
});
