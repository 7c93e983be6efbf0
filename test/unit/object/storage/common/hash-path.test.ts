import { hashPath, hashSuffix } from '../../../../../services/object/common/hash-path';

// Golden vectors computed outside this code base with Python's hashlib, exactly as Swift's
// hash_path does: md5(HASH_PATH_PREFIX + b'/' + b'/'.join(names) + HASH_PATH_SUFFIX).hexdigest().
// Deliberately fragile: every object's partition and directory depends on these bytes.
describe('hashPath (Swift hash_path)', () => {
  test('golden vectors', () => {
    expect(hashPath('pre', 'suf', 'a', 'c', 'o')).toBe('3c455f4c36c2927865b8822a4cef8a1f');
    expect(hashPath('', 'endcap', 'a', 'c', 'o')).toBe('06fbf0b514e5199dfc4e00f42eb5ea83');
    expect(hashPath('pre', 'suf', 'a')).toBe('ab349048c4d787b8cac7454c3dc7c95b');
    expect(hashPath('pre', 'suf', 'a', 'c')).toBe('0d25b61566837c3531c8a377fbabc763');
    expect(hashPath('pre', 'suf', 'AUTH_x', 'cont', 'déjà/vu.txt')).toBe('8f7b4c3f5629ebd7fabd8f322042f115');
  });

  test('an object needs a container', () => {
    expect(() => hashPath('p', 's', 'a', undefined, 'o')).toThrow();
  });

  test('suffix is the last three hex digits', () => {
    expect(hashSuffix('3c455f4c36c2927865b8822a4cef8a1f')).toBe('a1f');
  });
});
