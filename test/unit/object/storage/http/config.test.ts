import { ConfigError } from '../../../../../services/runtime/config';
import { loadStorageConfig } from '../../../../../services/object/storage/config';

describe('storage server config', () => {
  test('defaults plus a hash suffix from the environment', () => {
    const c = loadStorageConfig(undefined, { WEFT_OBJECT_HASH_PATH_SUFFIX: 'secret' });
    expect(c).toMatchObject({ listen: '127.0.0.1:6200', hashPathSuffix: 'secret', fsync: true, maxObjectSize: 5 * 1024 ** 3 + 2, creations: 'auto' });
  });

  test('inode creations can be pinned inline or to the pool; anything else is refused', () => {
    expect(loadStorageConfig(undefined, { WEFT_OBJECT_HASH_PATH_SUFFIX: 's', WEFT_OBJECT_CREATIONS: 'pool' }).creations).toBe('pool');
    expect(loadStorageConfig(undefined, { WEFT_OBJECT_HASH_PATH_SUFFIX: 's', WEFT_OBJECT_CREATIONS: 'inline' }).creations).toBe('inline');
    expect(() => loadStorageConfig(undefined, { WEFT_OBJECT_HASH_PATH_SUFFIX: 's', WEFT_OBJECT_CREATIONS: 'sometimes' })).toThrow(/creations/);
  });

  test('refuses to start without a hash path prefix or suffix, and reports every problem', () => {
    try {
      loadStorageConfig(undefined, { WEFT_OBJECT_STORAGE_LISTEN: 'nonsense', WEFT_OBJECT_FSYNC: 'maybe' });
      throw new Error('expected ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      expect(problems).toMatch(/listen/);
      expect(problems).toMatch(/fsync/);
      expect(problems).toMatch(/hashPathPrefix/);
    }
  });
});
