import {
  accountNameProblem,
  containerNameProblem,
  decodePathPart,
  deviceNameProblem,
  objectNameProblem,
  partitionProblem,
} from '../../../../../services/object/common/names';

describe('name rules', () => {
  test('lengths are UTF-8 bytes: 256 / 256 / 1024', () => {
    expect(accountNameProblem('a'.repeat(256))).toBeUndefined();
    expect(accountNameProblem('a'.repeat(257))).toMatch(/257 bytes is longer than 256/);
    expect(containerNameProblem('é'.repeat(128))).toBeUndefined();
    expect(containerNameProblem('é'.repeat(129))).toMatch(/258 bytes/);
    expect(objectNameProblem('o'.repeat(1024))).toBeUndefined();
    expect(objectNameProblem('o'.repeat(1025))).toMatch(/longer than 1024/);
  });

  test('empty, NUL and unpaired surrogates are refused', () => {
    expect(objectNameProblem('')).toMatch(/empty/);
    expect(objectNameProblem('a\u0000b')).toMatch(/NUL/);
    expect(containerNameProblem('a\ud800')).toMatch(/UTF-8/);
  });

  test("'/' is allowed in object names only", () => {
    expect(objectNameProblem('dir/sub/file')).toBeUndefined();
    expect(containerNameProblem('c/d')).toMatch(/'\/'/);
    expect(accountNameProblem('a/b')).toMatch(/'\/'/);
  });

  test('device and partition are safe path components', () => {
    expect(deviceNameProblem('sdb1')).toBeUndefined();
    for (const bad of ['', '.', '..', 'a/b', 'x'.repeat(65)]) expect(deviceNameProblem(bad)).toBeDefined();
    expect(partitionProblem('0')).toBeUndefined();
    expect(partitionProblem('1023')).toBeUndefined();
    for (const bad of ['', '-1', '1.5', '..', 'x']) expect(partitionProblem(bad)).toBeDefined();
  });

  test('percent-decoding requires valid UTF-8', () => {
    expect(decodePathPart('/a%20b/d%C3%A9j%C3%A0')).toBe('/a b/déjà');
    expect(decodePathPart('%2F')).toBe('/');
    expect(decodePathPart('%ff')).toBeUndefined();
    expect(decodePathPart('%C3')).toBeUndefined();
    expect(decodePathPart('%zz')).toBeUndefined();
    expect(decodePathPart('%4')).toBeUndefined();
    // Node hands raw non-ASCII request-target bytes over as latin1 chars.
    expect(decodePathPart(Buffer.from('é', 'utf8').toString('latin1'))).toBe('é');
  });
});
