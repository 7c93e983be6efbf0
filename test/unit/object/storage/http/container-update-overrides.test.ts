/**
 * Container update overrides (Swift's X-Backend-Container-Update-Override-* and
 * X-Object-Sysmeta-Container-Update-Override-*): what the object server puts in the container
 * row instead of the object's own etag, size or content type. The SLO middleware relies on the
 * sysmeta form to list a manifest with `<type>;swift_bytes=<SLO size>` and etag
 * `<manifest MD5>; slo_etag=<SLO ETag>`.
 */
import { SYSMETA_CONTAINER_UPDATE_OVERRIDE_CONTENT_TYPE, SYSMETA_CONTAINER_UPDATE_OVERRIDE_ETAG, sloEtagOverride } from '../../../../../services/object/common/object-headers';
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

  test('sysmeta etag override with slo_etag (what the SLO middleware sends) becomes the row\'s etag', () => {
    const override = sloEtagOverride('manifestmd5', 'sloetag');
    expect(override).toBe('manifestmd5; slo_etag=sloetag');
    expect(withUpdateOverrides(base, { [SYSMETA_CONTAINER_UPDATE_OVERRIDE_ETAG]: override, [SYSMETA_CONTAINER_UPDATE_OVERRIDE_CONTENT_TYPE]: 'a/b;swift_bytes=9' })).toEqual({ ...base, 'X-Etag': 'manifestmd5; slo_etag=sloetag', 'X-Content-Type': 'a/b;swift_bytes=9' });
  });

  test('etag overrides: sysmeta wins over backend, whichever order the headers come in', () => {
    const backend = { 'x-backend-container-update-override-etag': 'bbb; slo_etag=from-backend' };
    const sysmeta = { 'x-object-sysmeta-container-update-override-etag': 'ccc; slo_etag=from-sysmeta' };
    expect(withUpdateOverrides(base, { ...sysmeta, ...backend })).toEqual({ ...base, 'X-Etag': 'ccc; slo_etag=from-sysmeta' });
    expect(withUpdateOverrides(base, { ...backend, ...sysmeta })).toEqual({ ...base, 'X-Etag': 'ccc; slo_etag=from-sysmeta' });
    // A backend override alone applies (the proxy's own, for this request only).
    expect(withUpdateOverrides(base, backend)).toEqual({ ...base, 'X-Etag': 'bbb; slo_etag=from-backend' });
  });

  test('a slo_etag in the object\'s own etag is dropped (only overrides set it)', () => {
    expect(withUpdateOverrides({ ...base, 'X-Etag': 'aaa; slo_etag=fake' }, {})).toEqual(base);
    expect(withUpdateOverrides({ ...base, 'X-Etag': 'aaa;slo_etag=fake;slo_etag = again' }, {})).toEqual(base);
    expect(withUpdateOverrides({ ...base, 'X-Etag': 'aaa; x=y; slo_etag=fake' }, {})).toEqual({ ...base, 'X-Etag': 'aaa; x=y' });
    expect(withUpdateOverrides({ ...base, 'X-Etag': 'aaa; slo_etag=fake' }, { 'x-object-sysmeta-container-update-override-etag': 'm; slo_etag=real' })).toEqual({ ...base, 'X-Etag': 'm; slo_etag=real' });
  });

  test('unknown fields and sizes that are not sizes are ignored; the input is not changed', () => {
    const input = { ...base };
    const out = withUpdateOverrides(input, { 'x-backend-container-update-override-size': '-1', 'x-object-sysmeta-container-update-override-timestamp': '1', 'x-backend-container-update-override-': 'x' });
    expect(out).toEqual(base);
    expect(input).toEqual(base);
  });
});
