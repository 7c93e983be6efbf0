import { handleAuthRequest, LoginError, type AuthEndpointDeps, type Login } from '../../../../../services/object/proxy/auth/tempauth';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const calls: unknown[] = [];
const login: Login = async (c) => {
  calls.push(c);
  if (c.password === 'down') throw new LoginError('UNAVAILABLE', 'no identity');
  if (c.password === 'boom') throw new Error('bug');
  if (c.projectName !== 'proj' || c.userName !== 'alice' || c.password !== 'pw') throw new LoginError('DENIED', 'invalid username or password');
  return { token: 'TOKEN', projectId: 'p123', expiresAt: new Date(NOW + 3600_000 + 400) };
};
const deps: AuthEndpointDeps = { login, resellerPrefix: 'AUTH_', now: () => NOW, defaultHost: '127.0.0.1:8080' };

describe('GET /auth/v1.0', () => {
  beforeEach(() => (calls.length = 0));

  test('logs in and answers tempauth headers with the storage URL from Host', async () => {
    const res = await handleAuthRequest(deps, { 'x-auth-user': 'proj:alice', 'x-auth-key': 'pw', host: 'swift.example.com:8080' });
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({
      'X-Auth-Token': 'TOKEN',
      'X-Storage-Token': 'TOKEN',
      'X-Storage-Url': 'http://swift.example.com:8080/v1/AUTH_p123',
      'X-Auth-Token-Expires': '3600',
    });
    expect(JSON.parse(String(res.body))).toEqual({ storage: { default: 'local', local: 'http://swift.example.com:8080/v1/AUTH_p123' } });
    expect(calls).toEqual([{ projectName: 'proj', userName: 'alice', password: 'pw' }]);
  });

  test('X-Storage-User / X-Storage-Pass; user names may contain ":"', async () => {
    const res = await handleAuthRequest(deps, { 'x-storage-user': 'proj:alice', 'x-storage-pass': 'pw' });
    expect(res.status).toBe(200);
    expect(res.headers['X-Storage-Url']).toBe('http://127.0.0.1:8080/v1/AUTH_p123');
    await handleAuthRequest(deps, { 'x-auth-user': 'proj:a:b', 'x-auth-key': 'x' });
    expect(calls[1]).toEqual({ projectName: 'proj', userName: 'a:b', password: 'x' });
  });

  test('a Host header that is not a host falls back to the configured one', async () => {
    const res = await handleAuthRequest({ ...deps, scheme: 'https' }, { 'x-auth-user': 'proj:alice', 'x-auth-key': 'pw', host: 'evil/path?x' });
    expect(res.headers['X-Storage-Url']).toBe('https://127.0.0.1:8080/v1/AUTH_p123');
    const v6 = await handleAuthRequest(deps, { 'x-auth-user': 'proj:alice', 'x-auth-key': 'pw', host: '[::1]:8080' });
    expect(v6.headers['X-Storage-Url']).toBe('http://[::1]:8080/v1/AUTH_p123');
  });

  test.each([
    [{}],
    [{ 'x-auth-user': 'proj:alice' }],
    [{ 'x-auth-key': 'pw' }],
    [{ 'x-auth-user': 'alice', 'x-auth-key': 'pw' }],
    [{ 'x-auth-user': ':alice', 'x-auth-key': 'pw' }],
    [{ 'x-auth-user': 'proj:', 'x-auth-key': 'pw' }],
  ])('missing or malformed credentials %j → 401 without calling identity', async (headers) => {
    const res = await handleAuthRequest(deps, headers);
    expect(res.status).toBe(401);
    expect(calls).toHaveLength(0);
  });

  test('wrong password → 401; identity down → 503; other errors propagate', async () => {
    expect((await handleAuthRequest(deps, { 'x-auth-user': 'proj:alice', 'x-auth-key': 'nope' })).status).toBe(401);
    expect((await handleAuthRequest(deps, { 'x-auth-user': 'proj:alice', 'x-auth-key': 'down' })).status).toBe(503);
    await expect(handleAuthRequest(deps, { 'x-auth-user': 'proj:alice', 'x-auth-key': 'boom' })).rejects.toThrow('bug');
  });
});
