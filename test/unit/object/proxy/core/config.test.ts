import { ConfigError } from '../../../../../services/runtime/config';
import { loadProxyConfig, SWIFT_MAX_FILE_SIZE } from '../../../../../services/object/proxy/config';

const base = { WEFT_OBJECT_PROXY_HASH_PATH_SUFFIX: 's' };

describe('loadProxyConfig', () => {
  test('defaults', () => {
    const c = loadProxyConfig(undefined, base);
    expect(c).toMatchObject({
      listen: '127.0.0.1:8080',
      grpcListen: '127.0.0.1:8081',
      containerInfoTtlMs: 5000,
      maxObjectSize: SWIFT_MAX_FILE_SIZE,
      containerListingLimit: 10000,
      auth: { mode: 'token', resellerPrefix: 'AUTH_', operatorRoles: ['admin', 'member'], readerRoles: ['reader'], resellerAdminRole: 'admin' },
      slo: { maxManifestSegments: 1000, maxManifestSize: 8388608, minSegmentSize: 1 },
      logLevel: 'info',
    });
  });

  test('environment overrides, empty gRPC listen = no gRPC face', () => {
    const c = loadProxyConfig(undefined, { ...base, WEFT_OBJECT_PROXY_LISTEN: '0.0.0.0:9000', WEFT_OBJECT_PROXY_GRPC_LISTEN: '', WEFT_OBJECT_PROXY_AUTH_MODE: 'none', WEFT_OBJECT_PROXY_NODE_TIMEOUT_MS: '2500' });
    expect(c.listen).toBe('0.0.0.0:9000');
    expect(c.grpcListen).toBe('127.0.0.1:8081'); // an empty variable does not override
    expect(c.auth.mode).toBe('none');
    expect(c.nodeTimeoutMs).toBe(2500);
  });

  test('every problem is reported at once', () => {
    let err: unknown;
    try {
      loadProxyConfig(undefined, { WEFT_OBJECT_PROXY_LISTEN: 'nope', WEFT_OBJECT_PROXY_AUTH_MODE: 'magic' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join('\n');
    expect(problems).toContain('listen');
    expect(problems).toContain('auth.mode');
    expect(problems).toContain('hashPathPrefix');
  });
});
