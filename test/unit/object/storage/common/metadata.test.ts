import { metadataProblem, SWIFT_METADATA_LIMITS } from '../../../../../services/object/common/metadata-limits';
import { storedHeadersFrom, titleCaseHeader, userMetadata } from '../../../../../services/object/common/object-headers';
import type { HeaderBag } from '../../../../../services/object/common/object-headers';

function meta(entries: [string, string][]): HeaderBag {
  return Object.fromEntries(entries.map(([k, v]) => [`x-object-meta-${k}`, v]));
}

describe('metadata limits (Swift defaults)', () => {
  test('defaults', () => {
    expect(SWIFT_METADATA_LIMITS).toEqual({ maxCount: 90, maxNameLength: 128, maxValueLength: 256, maxOverallSize: 4096 });
  });

  test('at the limits is fine, one past is refused', () => {
    expect(metadataProblem(meta([['n'.repeat(128), 'v'.repeat(256)]]))).toBeUndefined();
    expect(metadataProblem(meta([['n'.repeat(129), 'v']]))).toMatch(/name too long/);
    expect(metadataProblem(meta([['n', 'v'.repeat(257)]]))).toMatch(/longer than 256/);
    const ninety = Array.from({ length: 90 }, (_, i): [string, string] => [`k${i}`, 'v']);
    expect(metadataProblem(meta(ninety))).toBeUndefined();
    expect(metadataProblem(meta([...ninety, ['k90', 'v']]))).toMatch(/too many/);
  });

  test('total size counts names without the prefix, plus values, in bytes', () => {
    // 16 items of 16-byte names + 240-byte values = 4096 bytes exactly.
    const fits = Array.from({ length: 16 }, (_, i): [string, string] => [`name-${String(i).padStart(11, '0')}`, 'v'.repeat(240)]);
    expect(metadataProblem(meta(fits))).toBeUndefined();
    expect(metadataProblem(meta([...fits, ['x', '']]))).toMatch(/total metadata too large/);
    // A UTF-8 value arrives as one latin1 char per byte and is counted that way.
    const e = Buffer.from('é'.repeat(128), 'utf8').toString('latin1');
    expect(metadataProblem(meta([['n', e]]))).toBeUndefined();
    expect(metadataProblem(meta([['n', e + 'x']]))).toMatch(/longer than 256/);
  });

  test('an empty name is refused; other headers are not counted', () => {
    expect(metadataProblem({ 'x-object-meta-': 'v' })).toMatch(/empty/);
    expect(metadataProblem({ 'content-disposition': 'x'.repeat(5000) })).toBeUndefined();
  });
});

describe('object headers', () => {
  test('user metadata and allowed headers are replaceable, sysmeta is separate, others dropped', () => {
    const s = storedHeadersFrom({
      'x-object-meta-color': 'blue',
      'content-disposition': 'attachment',
      'x-delete-at': '1800000000',
      'x-object-sysmeta-slo-etag': 'abc',
      'x-timestamp': '1',
      'content-type': 'text/plain',
      authorization: 'secret',
    });
    expect(s.replaceable).toEqual({ 'x-object-meta-color': 'blue', 'content-disposition': 'attachment', 'x-delete-at': '1800000000' });
    expect(s.sys).toEqual({ 'x-object-sysmeta-slo-etag': 'abc' });
    expect(userMetadata(s.replaceable)).toEqual({ color: 'blue' });
  });

  test('title case like Python str.title()', () => {
    expect(titleCaseHeader('x-object-meta-color')).toBe('X-Object-Meta-Color');
    expect(titleCaseHeader('x-object-meta-my_key2x')).toBe('X-Object-Meta-My_Key2X');
    expect(titleCaseHeader('etag')).toBe('Etag');
  });
});
