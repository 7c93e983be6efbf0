import { buildInfo } from '../../../../../services/object/proxy/info';
import { loadProxyConfig } from '../../../../../services/object/proxy/config';
import { newTransId, TransIdSource } from '../../../../../services/object/proxy/app/trans-id';
import { storagePath } from '../../../../../services/object/proxy/backend/storage-path';
import { pathShape } from '../../../../../services/object/proxy/app/router';
import { textResponse, withTransHeaders } from '../../../../../services/object/proxy/app/responses';
import { flattenHeaders, isPrivateHeader, publicHeaders } from '../../../../../services/object/proxy/server';
import { containerUpdateHeaders } from '../../../../../services/object/proxy/controllers/object-container';
import type { RingDevice } from '../../../../../services/object/ring';
import { nameCheck, namesProblem } from '../../../../../services/object/proxy/app/name-check';

describe('small pure helpers', () => {
  test('transaction ids have Swift’s shape and carry the time', () => {
    const id = new TransIdSource((n) => Buffer.alloc(n, 0xab)).next(0x65_00_00_00 * 1000);
    expect(id).toBe(`tx${'ab'.repeat(4)}a000000000001-0065000000`);
    expect(newTransId()).toMatch(/^tx[0-9a-f]{21}-[0-9a-f]{10}$/);
  });

  test('storage paths percent-encode names and keep object slashes', () => {
    expect(storagePath({ device: 'sda', partition: 7, account: 'AUTH_a', container: 'c d', object: 'x/y?z#%' })).toBe('/sda/7/AUTH_a/c%20d/x/y%3Fz%23%25');
    expect(storagePath({ device: 'sda', partition: 0, account: 'ü' })).toBe('/sda/0/%C3%BC');
  });

  test('path shapes', () => {
    expect(pathShape({})).toBe('account');
    expect(pathShape({ container: 'c' })).toBe('container');
    expect(pathShape({ container: 'c', object: 'o' })).toBe('object');
  });

  test('/info reflects the configuration', () => {
    const info = buildInfo({ ...loadProxyConfig(undefined, { WEFT_OBJECT_PROXY_HASH_PATH_SUFFIX: 's' }), maxObjectSize: 123 });
    expect(info.swift).toMatchObject({ max_file_size: 123, max_meta_count: 90, max_meta_value_length: 256, max_object_name_length: 1024, container_listing_limit: 10000 });
    expect(info.slo).toEqual({ max_manifest_segments: 1000, max_manifest_size: 8388608, min_segment_size: 1 });
    // account ACLs are not implemented, so not advertised; the quota middlewares are.
    expect(info.tempauth).toEqual({});
    expect(info.container_quotas).toEqual({});
    expect(info.account_quotas).toEqual({});
  });

  test('responses carry both transaction headers; 204 has no body', () => {
    const r = withTransHeaders({ transId: 'txX' }, textResponse(204));
    expect(r).toEqual({ status: 204, headers: { 'Content-Length': 0, 'X-Trans-Id': 'txX', 'X-Openstack-Request-Id': 'txX' } });
    expect(String(textResponse(404).body)).toContain('Not Found');
  });

  test('gatekeeper: clients can neither set nor see sysmeta and backend headers', () => {
    expect(isPrivateHeader('x-object-sysmeta-slo-etag')).toBe(true);
    expect(isPrivateHeader('x-container-sysmeta-quota')).toBe(true);
    expect(isPrivateHeader('x-backend-storage-layer')).toBe(true);
    expect(isPrivateHeader('x-object-meta-color')).toBe(false);
    expect(flattenHeaders({ 'x-object-sysmeta-a': 'b', 'x-object-meta-c': 'd', 'x-many': ['1', '2'] })).toEqual({ 'x-object-meta-c': 'd', 'x-many': '1, 2' });
    expect(publicHeaders({ 'X-Object-Sysmeta-Slo': '1', Etag: 'e' })).toEqual({ Etag: 'e' });
  });

  test('container update headers pair object replica i with container replica i', () => {
    const dev = (port: number, device: string): RingDevice => ({ id: port, region: 1, zone: 1, ip: '127.0.0.1', port, device, weight: 1, meta: '' });
    const plan = { partition: 9, primaries: [dev(1, 'a'), dev(2, 'b')], handoffs: () => [][Symbol.iterator](), replicas: 2 };
    expect(containerUpdateHeaders(plan, 0)).toEqual({ 'X-Container-Host': '127.0.0.1:1', 'X-Container-Device': 'a', 'X-Container-Partition': '9' });
    expect(containerUpdateHeaders(plan, 2)).toEqual({ 'X-Container-Host': '127.0.0.1:1', 'X-Container-Device': 'a', 'X-Container-Partition': '9' });
    expect(containerUpdateHeaders({ ...plan, primaries: [] }, 0)).toEqual({});
  });
});

describe('name check middleware', () => {
  test('lengths in UTF-8 bytes with Swift messages; invalid text is 412', () => {
    expect(namesProblem({ account: 'AUTH_a', container: 'c', object: 'o' })).toBeUndefined();
    expect(namesProblem({ account: 'a'.repeat(257) })).toEqual({ status: 400, message: 'Account name length of 257 longer than 256' });
    expect(namesProblem({ account: 'a', container: 'é'.repeat(129) })).toEqual({ status: 400, message: 'Container name length of 258 longer than 256' });
    expect(namesProblem({ account: 'a', container: 'c', object: 'o'.repeat(1025) })).toEqual({ status: 400, message: 'Object name length of 1025 longer than 1024' });
    expect(namesProblem({ account: 'a', container: 'c\u0000' })).toEqual({ status: 412, message: 'Invalid UTF8 or contains NULL' });
    expect(namesProblem({ account: 'a', container: 'c', object: '\udc00' })).toEqual({ status: 412, message: 'Invalid UTF8 or contains NULL' });
  });

  test('refuses before the next handler runs', async () => {
    let called = 0;
    const handler = nameCheck(async () => {
      called++;
      return { status: 200, headers: {} };
    });
    const base = { method: 'PUT', query: new URLSearchParams(), headers: {}, transId: 'tx', source: 'client' };
    expect((await handler({ ...base, account: 'a', container: 'c'.repeat(300) })).status).toBe(400);
    expect(called).toBe(0);
    expect((await handler({ ...base, account: 'a', container: 'c' })).status).toBe(200);
    expect(called).toBe(1);
  });
});
