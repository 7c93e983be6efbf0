import { catalogAddress } from '../../../tools/cli/context';

describe('catalogAddress', () => {
  it('prefers the public endpoint of the service type and ignores malformed entries', () => {
    const catalog = [
      { serviceType: 'network', address: '10.0.0.1:9696', interface: 'internal' },
      { serviceType: 'network', address: '192.0.2.1:9696', interface: 'public' },
      { serviceType: 'identity', address: '192.0.2.1:5000' },
      { serviceType: 'network' },
      'junk',
      null,
    ];
    expect(catalogAddress(catalog, 'network')).toBe('192.0.2.1:9696');
    expect(catalogAddress(catalog, 'identity')).toBe('192.0.2.1:5000');
    expect(catalogAddress(catalog, 'image')).toBeUndefined();
    expect(catalogAddress(undefined, 'network')).toBeUndefined();
    expect(catalogAddress([{ serviceType: 'network', address: '10.0.0.1:9696', interface: 'internal' }], 'network')).toBe('10.0.0.1:9696');
  });
});
