import { TtlCache } from '../../../../../services/object/proxy/app/ttl-cache';

describe('TtlCache', () => {
  test('entries expire after the TTL on the injected clock', () => {
    let now = 1000;
    const c = new TtlCache<string>(50, () => now);
    c.set('a', 'x');
    expect(c.get('a')).toBe('x');
    now = 1049;
    expect(c.get('a')).toBe('x');
    now = 1050;
    expect(c.get('a')).toBeUndefined();
    expect(c.size).toBe(0);
  });

  test('delete and deletePrefix', () => {
    const c = new TtlCache<number>(1000, () => 0);
    c.set('container/a/c1', 1);
    c.set('container/a/c2', 2);
    c.set('container/b/c1', 3);
    c.delete('container/a/c1');
    expect(c.get('container/a/c1')).toBeUndefined();
    c.deletePrefix('container/a/');
    expect(c.get('container/a/c2')).toBeUndefined();
    expect(c.get('container/b/c1')).toBe(3);
  });

  test('a zero TTL caches nothing; the size is bounded (oldest out)', () => {
    const off = new TtlCache<number>(0, () => 0);
    off.set('a', 1);
    expect(off.get('a')).toBeUndefined();
    const small = new TtlCache<number>(1000, () => 0, 2);
    small.set('a', 1);
    small.set('b', 2);
    small.set('c', 3);
    expect(small.get('a')).toBeUndefined();
    expect(small.get('b')).toBe(2);
    expect(small.get('c')).toBe(3);
  });
});
