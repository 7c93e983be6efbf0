import { formatHttpDate } from '../../../../../services/object/common/http-date';
import { evaluateConditions, parseEtagList } from '../../../../../services/object/storage/http/conditions';

const etag = 'd41d8cd98f00b204e9800998ecf8427e';
const lastModified = 1_700_000_000;
const current = { etag, lastModified };
const before = formatHttpDate(lastModified - 10);
const at = formatHttpDate(lastModified);

describe('evaluateConditions (RFC 9110 §13.2.2 order)', () => {
  test('If-Match: quoted or not, lists, *, weak tags never match', () => {
    expect(evaluateConditions('GET', { ifMatch: `"${etag}"` }, current)).toBe('proceed');
    expect(evaluateConditions('GET', { ifMatch: etag.toUpperCase() }, current)).toBe('proceed');
    expect(evaluateConditions('GET', { ifMatch: `"x", "${etag}"` }, current)).toBe('proceed');
    expect(evaluateConditions('GET', { ifMatch: '*' }, current)).toBe('proceed');
    expect(evaluateConditions('GET', { ifMatch: '"other"' }, current)).toBe(412);
    expect(evaluateConditions('GET', { ifMatch: `W/"${etag}"` }, current)).toBe(412);
    expect(evaluateConditions('GET', { ifMatch: '*' }, undefined)).toBe(412);
  });

  test('If-None-Match: 304 for GET/HEAD, 412 otherwise; weak comparison', () => {
    expect(evaluateConditions('GET', { ifNoneMatch: `"${etag}"` }, current)).toBe(304);
    expect(evaluateConditions('HEAD', { ifNoneMatch: `W/"${etag}"` }, current)).toBe(304);
    expect(evaluateConditions('PUT', { ifNoneMatch: '*' }, current)).toBe(412);
    expect(evaluateConditions('GET', { ifNoneMatch: '"other"' }, current)).toBe('proceed');
    expect(evaluateConditions('GET', { ifNoneMatch: '*' }, undefined)).toBe('proceed');
  });

  test('If-Modified-Since / If-Unmodified-Since compare whole seconds; bad dates are ignored', () => {
    expect(evaluateConditions('GET', { ifModifiedSince: at }, current)).toBe(304);
    expect(evaluateConditions('GET', { ifModifiedSince: before }, current)).toBe('proceed');
    expect(evaluateConditions('GET', { ifModifiedSince: 'yesterday-ish' }, current)).toBe('proceed');
    expect(evaluateConditions('DELETE', { ifModifiedSince: at }, current)).toBe('proceed');
    expect(evaluateConditions('GET', { ifUnmodifiedSince: before }, current)).toBe(412);
    expect(evaluateConditions('GET', { ifUnmodifiedSince: at }, current)).toBe('proceed');
  });

  test('If-Match beats If-Unmodified-Since; If-None-Match beats If-Modified-Since', () => {
    expect(evaluateConditions('GET', { ifMatch: etag, ifUnmodifiedSince: before }, current)).toBe('proceed');
    expect(evaluateConditions('GET', { ifNoneMatch: '"other"', ifModifiedSince: at }, current)).toBe('proceed');
    expect(evaluateConditions('GET', { ifMatch: '"other"', ifNoneMatch: '"other"' }, current)).toBe(412);
  });

  test('parseEtagList', () => {
    expect(parseEtagList(' * ')).toBe('*');
    expect(parseEtagList('"a", W/"B",c')).toEqual([
      { weak: false, value: 'a' },
      { weak: true, value: 'b' },
      { weak: false, value: 'c' },
    ]);
  });
});
