import { newest, Timestamp } from '../../../../../services/object/common/timestamp';
import { TimestampError } from '../../../../../services/object/common/timestamp-error';

describe('Timestamp', () => {
  test('normal form is fixed width with five decimals', () => {
    expect(Timestamp.parse('1700000000').normal).toBe('1700000000.00000');
    expect(Timestamp.parse('1700000000.5').normal).toBe('1700000000.50000');
    expect(Timestamp.parse('1').normal).toBe('0000000001.00000');
    expect(Timestamp.parse('.5').normal).toBe('0000000000.50000');
    expect(Timestamp.parse('1700000000.12345').normal).toBe('1700000000.12345');
  });

  test('more than five decimals round half-up like Swift rounds floats', () => {
    expect(Timestamp.parse('1700000000.123454').normal).toBe('1700000000.12345');
    expect(Timestamp.parse('1700000000.123455').normal).toBe('1700000000.12346');
    expect(Timestamp.parse('1699999999.999999').normal).toBe('1700000000.00000');
  });

  test('internal form appears only with an offset, as 16 hex digits', () => {
    const t = Timestamp.parse('1700000000.00001');
    expect(t.internal).toBe('1700000000.00001');
    const o = t.withOffset(10n);
    expect(o.internal).toBe('1700000000.00001_000000000000000a');
    expect(o.normal).toBe('1700000000.00001');
    expect(Timestamp.parse(o.internal).equals(o)).toBe(true);
    expect(Timestamp.parse('1700000000.00001_0000000000000000').internal).toBe('1700000000.00001');
  });

  test('the offset breaks ties but never beats a later time', () => {
    const a = Timestamp.parse('1700000000.00001');
    const a1 = a.withOffset(1n);
    const b = Timestamp.parse('1700000000.00002');
    expect(a1.isNewerThan(a)).toBe(true);
    expect(b.isNewerThan(a.withOffset(0xffffffffffffffffn))).toBe(true);
    expect(a.compare(Timestamp.parse('1700000000.000010'))).toBe(0);
  });

  test('internal strings sort like the timestamps they encode', () => {
    const ts = ['1700000000.00002', '1700000000.00001_0000000000000002', '1700000000.00001', '0000000001.00000', '1700000000.00001_0000000000000001'].map(
      (s) => Timestamp.parse(s),
    );
    const byValue = [...ts].sort((x, y) => x.compare(y)).map((t) => t.internal);
    const byString = ts.map((t) => t.internal).sort();
    expect(byString).toEqual(byValue);
  });

  test('refuses junk, negatives and year 2286', () => {
    for (const bad of ['', '.', 'abc', '-1', '1e9', '1,5', ' 1', '10000000000', '1_', '1_xyz', '1_00000000000000000']) {
      expect(() => Timestamp.parse(bad)).toThrow(TimestampError);
    }
    expect(Timestamp.parse('9999999999.99999').normal).toBe('9999999999.99999');
    expect(Timestamp.tryParse('nope')).toBeUndefined();
    expect(Timestamp.tryParse(undefined)).toBeUndefined();
  });

  test('from an injected clock; Last-Modified seconds round up', () => {
    const t = Timestamp.now(() => 1_700_000_000_123.4);
    expect(t.normal).toBe('1700000000.12340');
    expect(t.lastModifiedSeconds).toBe(1_700_000_001);
    expect(Timestamp.parse('1700000000').lastModifiedSeconds).toBe(1_700_000_000);
  });

  test('newest()', () => {
    const a = Timestamp.parse('1');
    const b = Timestamp.parse('2');
    expect(newest(a, b)).toBe(b);
    expect(newest(b, a)).toBe(b);
    expect(newest(undefined, a)).toBe(a);
    expect(newest(a, undefined)).toBe(a);
  });
});
