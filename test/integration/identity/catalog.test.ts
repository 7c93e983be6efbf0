import { ADMIN_PASSWORD, startIdentity, type IdentityHandle } from './harness';

describe('catalog bootstrap', () => {
  let id: IdentityHandle;
  afterAll(async () => id?.stop());

  it('publishes declared endpoints in every token response, once, and follows address changes', async () => {
    id = await startIdentity({ bootstrap: { adminPassword: ADMIN_PASSWORD, endpoints: [{ serviceType: 'network', address: '127.0.0.1:9696' }, { serviceType: 'identity', address: '127.0.0.1:5000' }] } });
    const login = await id.anon().issueToken({ method: { $case: 'password', value: { userName: 'admin', password: ADMIN_PASSWORD } } });
    const byType = new Map(login.catalog.map((e) => [e.serviceType, e]));
    expect(byType.get('network')).toMatchObject({ address: '127.0.0.1:9696', interface: 'public', region: 'RegionOne', serviceName: 'weft-network' });
    expect(byType.get('identity')?.address).toBe('127.0.0.1:5000');
    await id.restart();
    const again = await id.withToken(await id.adminToken()).listEndpoints({ serviceType: 'network' });
    expect(again.endpoints).toHaveLength(1);
  });
});
