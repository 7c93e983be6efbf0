import { requestMetadata, responseHeaders } from '../../../../../services/object/proxy/controllers/container-metadata';
import { accountInfoFromHeaders, containerInfoFromHeaders } from '../../../../../services/object/proxy/controllers/container-info';

describe('requestMetadata', () => {
  test('container: meta, removals, ACLs; other headers dropped', () => {
    const r = requestMetadata(
      'container',
      {
        'x-container-meta-color': ' blue ',
        'x-remove-container-meta-old': 'x',
        'x-container-read': '.r:*',
        'x-remove-container-write': '1',
        'x-container-meta-quota-bytes': '100',
        'x-account-meta-no': 'no',
        'x-container-sysmeta-secret': 'forged',
        'content-type': 'text/plain',
      },
      { allowSysmeta: false },
    );
    expect(r).toEqual({
      ok: true,
      headers: { 'x-container-meta-color': 'blue', 'x-container-meta-old': '', 'x-container-read': '.r:*', 'x-container-write': '', 'x-container-meta-quota-bytes': '100' },
    });
  });

  test('a value beats an X-Remove- for the same item, whatever the order', () => {
    const a = requestMetadata('container', { 'x-container-meta-a': 'v', 'x-remove-container-meta-a': '1' }, { allowSysmeta: false });
    const b = requestMetadata('container', { 'x-remove-container-meta-a': '1', 'x-container-meta-a': 'v' }, { allowSysmeta: false });
    expect(a).toEqual({ ok: true, headers: { 'x-container-meta-a': 'v' } });
    expect(b).toEqual({ ok: true, headers: { 'x-container-meta-a': 'v' } });
  });

  test('sysmeta only from middleware', () => {
    expect(requestMetadata('account', { 'x-account-sysmeta-q': '1' }, { allowSysmeta: true })).toEqual({ ok: true, headers: { 'x-account-sysmeta-q': '1' } });
    expect(requestMetadata('account', { 'x-account-sysmeta-q': '1' }, { allowSysmeta: false })).toEqual({ ok: true, headers: {} });
  });

  test('account: no ACL headers', () => {
    expect(requestMetadata('account', { 'x-account-meta-a': '1', 'x-container-read': 'x', 'x-remove-account-meta-b': 'y' }, { allowSysmeta: false })).toEqual({
      ok: true,
      headers: { 'x-account-meta-a': '1', 'x-account-meta-b': '' },
    });
  });

  test.each<[string, Record<string, string>, RegExp]>([
    ['name too long', { [`x-container-meta-${'n'.repeat(129)}`]: 'v' }, /container metadata name too long/],
    ['value too long', { 'x-container-meta-n': 'v'.repeat(257) }, /container metadata value for n longer than 256/],
    ['too many', Object.fromEntries(Array.from({ length: 91 }, (_, i) => [`x-container-meta-m${i}`, 'v'])), /too many metadata items/],
    ['too large overall', Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`x-container-meta-m${i}`, 'v'.repeat(250)])), /total metadata too large/],
  ])('limits: %s', (_, headers, message) => {
    const r = requestMetadata('container', headers, { allowSysmeta: false });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });

  test('limits at the edge pass', () => {
    expect(requestMetadata('account', { [`x-account-meta-${'n'.repeat(128)}`]: 'v'.repeat(256) }, { allowSysmeta: false }).ok).toBe(true);
  });
});

describe('responseHeaders', () => {
  const backend = {
    'x-container-object-count': '2',
    'x-container-bytes-used': '10',
    'x-timestamp': '1700000000.00000',
    'x-put-timestamp': '1700000000.50000',
    'x-backend-put-timestamp': '1700000000.50000',
    'x-backend-timestamp': '1700000000.00000',
    'x-container-meta-color': 'blue',
    'x-container-sysmeta-quota': 'x',
    'x-container-read': '.r:*',
    'x-trans-id': 'tx1',
    'content-length': '0',
    'content-type': 'application/json',
  };
  test('counts and metadata in Swift capitalization; internals never', () => {
    expect(responseHeaders('container', backend, { showAcl: false })).toEqual({
      'X-Container-Object-Count': '2',
      'X-Container-Bytes-Used': '10',
      'X-Timestamp': '1700000000.00000',
      'X-Put-Timestamp': '1700000000.50000',
      'X-Container-Meta-Color': 'blue',
      'Last-Modified': 'Tue, 14 Nov 2023 22:13:21 GMT',
      'Accept-Ranges': 'bytes',
      'X-Storage-Policy': 'Policy-0',
    });
    expect(responseHeaders('account', { 'x-account-object-count': '1' }, { showAcl: false })['X-Storage-Policy']).toBeUndefined();
  });
  test('ACLs for owners', () => {
    expect(responseHeaders('container', backend, { showAcl: true })['X-Container-Read']).toBe('.r:*');
  });
});

describe('info from replica headers', () => {
  test('container', () => {
    expect(
      containerInfoFromHeaders(204, {
        'x-container-object-count': '3',
        'x-container-bytes-used': '30',
        'x-container-read': '.r:*',
        'x-container-meta-quota-bytes': '1000',
        'x-container-meta-quota-count': 'lots',
        'x-container-sysmeta-s': '1',
        'x-timestamp': '1700000000.00000',
      }),
    ).toEqual({
      exists: true,
      objectCount: 3,
      bytesUsed: 30,
      acl: { read: '.r:*' },
      meta: { 'x-container-meta-quota-bytes': '1000', 'x-container-meta-quota-count': 'lots' },
      sysmeta: { 'x-container-sysmeta-s': '1' },
      quota: { bytes: 1000 },
      timestamp: '1700000000.00000',
    });
    expect(containerInfoFromHeaders(404, {}).exists).toBe(false);
  });
  test('account, deleted or not', () => {
    expect(accountInfoFromHeaders(404, { 'x-account-status': 'Deleted' })).toMatchObject({ exists: false, deleted: true });
    expect(accountInfoFromHeaders(404, {})).toMatchObject({ exists: false, deleted: false });
    expect(accountInfoFromHeaders(204, { 'x-account-container-count': '2', 'x-account-object-count': '5', 'x-account-bytes-used': '9', 'x-account-meta-quota-bytes': '7' })).toMatchObject({
      exists: true,
      containerCount: 2,
      objectCount: 5,
      bytesUsed: 9,
      quota: { bytes: 7 },
    });
  });
});
