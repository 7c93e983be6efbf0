import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ProxyRequest } from '../../../../../services/object/proxy/app/types';
import { authMiddleware, proxyAuthFor } from '../../../../../services/object/proxy/auth/proxy-auth';
import { DEFAULT_AUTHORIZE_RULES } from '../../../../../services/object/proxy/auth/authorize';
import { createLogger } from '../../../../../services/runtime/log';

const lines: string[] = [];
const logger = createLogger({ level: 'debug', sink: (l) => lines.push(l) });
const host = (mode: 'token' | 'none', keysDir: string) => ({
  config: { listen: '127.0.0.1:8080', auth: { ...DEFAULT_AUTHORIZE_RULES, operatorRoles: ['admin', 'member'], readerRoles: ['reader'], mode, keysDir, identityUrl: '127.0.0.1:1' } },
  logger,
});
const request = (headers: Record<string, string>): ProxyRequest => ({ method: 'GET', account: 'AUTH_p', container: 'c', object: 'o', query: new URLSearchParams(), headers, transId: 'tx', source: 'client' });

describe('proxyAuthFor', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(path.join(tmpdir(), 'weft-proxy-auth-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("mode 'none': no auth object, a pass-through middleware", async () => {
    const h = host('none', dir);
    expect(proxyAuthFor(h)).toBeUndefined();
    const seen: ProxyRequest[] = [];
    const handler = authMiddleware(h)(async (r) => (seen.push(r), { status: 200, headers: {} }));
    const req = request({});
    expect((await handler(req)).status).toBe(200);
    expect(seen[0]).toBe(req);
  });

  test("mode 'token' without a key repository yet: tokens are refused with 503, never accepted", async () => {
    const h = host('token', path.join(dir, 'missing-keys'));
    const auth = proxyAuthFor(h)!;
    try {
      expect(proxyAuthFor(h)).toBe(auth); // one per proxy context
      expect(auth.isReady()).toBe(false);
      const handler = auth.middleware(async () => ({ status: 200, headers: {} }));
      const res = await handler(request({ 'x-auth-token': 'anything' }));
      expect(res.status).toBe(503);
      expect(auth.stats.unavailable).toBe(1);
      // Without a token the request is anonymous, and the controller's authorize decides (401 here).
      const anon = await auth.middleware(async (r) => r.authorize?.(r, {}) ?? { status: 200, headers: {} })(request({}));
      expect(anon.status).toBe(401);
      expect(await auth.ready(100)).toBe(false);
    } finally {
      auth.stop();
    }
  });
});
