/**
 * Container update overrides (Swift's X-Backend-Container-Update-Override-* and
 * X-Object-Sysmeta-Container-Update-Override-*): what the object server puts in the container
 * row instead of the object's own etag, size or content type. The SLO middleware relies on the
 * sysmeta form to list a manifest with `<type>;swift_bytes=<SLO size>`.
 */
import { withUpdateOverrides } from '../../../../../services/object/storage/http/container-update';

const base = { 'X-Timestamp': '1700000000.00000', 'X-Size': '120', 'X-Etag': 'aaa', 'X-Content-Type': 'application/x-big' };

describe('withUpdateOverrides', () => {
  test('no override: the update as it was', () => {
    expect(withUpdateOverrides(base, { 'content-type': 'text/plain', 'x-object-sysmeta-slo-size': '5' })).toEqual(base);
  });

  test('sysmeta override of the content type (what the SLO middleware sends)', () => {
    expect(withUpdateOverrides(base, { 'x-object-sysmeta-container-update-override-content-type': 'application/x-big;swift_bytes=212345' })).toEqual({ ...base, 'X-Content-Type': 'application/x-big;swift_bytes=212345' });
  });

  test('backend overrides of etag, size and type; sysmeta wins over backend', () => {
    const out = withUpdateOverrides(base, {
      'x-backend-container-update-override-etag': 'bbb',
      'x-backend-container-update-override-size': '7',
      'x-backend-container-update-override-content-type': 'a/backend',
      'x-object-sysmeta-container-update-override-content-type': 'a/sysmeta',
    });
    expect(out).toEqual({ ...base, 'X-Etag': 'bbb', 'X-Size': '7', 'X-Content-Type': 'a/sysmeta' });
  });

  test('a swift_bytes the object\'s own content type carries is dropped (only overrides set it)', () => {
    expect(withUpdateOverrides({ ...base, 'X-Content-Type': 'text/plain;swift_bytes=999999' }, {})).toEqual({ ...base, 'X-Content-Type': 'text/plain' });
    expect(withUpdateOverrides({ ...base, 'X-Content-Type': 'text/plain; swift_bytes=1; charset=utf-8' }, {})).toEqual({ ...base, 'X-Content-Type': 'text/plain; charset=utf-8' });
    expect(withUpdateOverrides({ ...base, 'X-Content-Type': 'a/b;swift_bytes=1' }, { 'x-object-sysmeta-container-update-override-content-type': 'a/b;swift_bytes=5' })).toEqual({ ...base, 'X-Content-Type': 'a/b;swift_bytes=5' });
  });

  test('unknown fields and sizes that are not sizes are ignored; the input is not changed', () => {
    const input = { ...base };
    const out = withUpdateOverrides(input, { 'x-backend-container-update-override-size': '-1', 'x-object-sysmeta-container-update-override-timestamp': '1', 'x-backend-container-update-override-': 'x' });
    expect(out).toEqual(base);
    expect(input).toEqual(base);
  });
});
