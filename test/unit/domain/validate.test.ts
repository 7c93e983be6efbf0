import { status } from '@grpc/grpc-js';
import { checkUpdateMask, normalizeTags, UUID_RE, Violations } from '../../../controller/domain/validate';
import { WeftError } from '../../../services/runtime/errors';

const UUID = '0f8e2b1c-3d4a-4b5c-8d6e-7f8091a2b3c4';

function thrown(fn: () => void): WeftError {
  try {
    fn();
  } catch (err) {
    if (err instanceof WeftError) return err;
    throw err;
  }
  throw new Error('expected a WeftError');
}

describe('Violations basics', () => {
  test('starts empty and throwIfAny is a no-op', () => {
    const v = new Violations();
    expect(v.empty).toBe(true);
    expect(v.list).toEqual([]);
    expect(() => v.throwIfAny()).not.toThrow();
  });

  test('add and check collect violations in order; check returns its condition', () => {
    const v = new Violations();
    v.add('a', 'first');
    expect(v.check(true, 'b', 'never recorded')).toBe(true);
    expect(v.check(false, 'c', 'second')).toBe(false);
    expect(v.empty).toBe(false);
    expect(v.list).toEqual([
      { field: 'a', description: 'first' },
      { field: 'c', description: 'second' },
    ]);
  });

  test('throwIfAny throws one INVALID_ARGUMENT carrying every violation', () => {
    const v = new Violations();
    v.add('name', 'too long');
    v.add('tags[1]', 'bad tag');
    const err = thrown(() => v.throwIfAny());
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.message).toBe('name: too long; tags[1]: bad tag');
    expect(err.details.fieldViolations).toEqual([
      { field: 'name', description: 'too long' },
      { field: 'tags[1]', description: 'bad tag' },
    ]);
    expect(err.details.reason).toBe('INVALID_ARGUMENT');
  });
});

describe('Violations.name / description', () => {
  test('accepts up to 255 characters, rejects 256', () => {
    const v = new Violations();
    v.name('name', 'x'.repeat(255));
    v.name('name', '');
    v.description('description', 'd'.repeat(255));
    expect(v.list).toEqual([]);
    v.name('name', 'x'.repeat(256));
    v.description('description', 'd'.repeat(256));
    expect(v.list).toEqual([
      { field: 'name', description: 'must be at most 255 characters' },
      { field: 'description', description: 'must be at most 255 characters' },
    ]);
  });

  test.each(['a\nb', 'tab\there', '\u0000', 'esc\u001b'])('name rejects control characters (%j)', (value) => {
    const v = new Violations();
    v.name('network.name', value);
    expect(v.list).toEqual([{ field: 'network.name', description: 'must not contain control characters' }]);
  });

  test('name allows ordinary punctuation and unicode', () => {
    const v = new Violations();
    v.name('name', 'web-tier / prod, #1 — ünïcode ✓ \u007f');
    expect(v.empty).toBe(true);
  });

  test('a long name with control characters reports both problems', () => {
    const v = new Violations();
    v.name('name', '\n' + 'x'.repeat(300));
    expect(v.list.map((x) => x.description)).toEqual(['must be at most 255 characters', 'must not contain control characters']);
  });

  test('description allows newlines (only its length is checked)', () => {
    const v = new Violations();
    v.description('description', 'line one\nline two');
    expect(v.empty).toBe(true);
  });
});

describe('Violations.tags', () => {
  test('accepts valid tags', () => {
    const v = new Violations();
    v.tags('tags', ['a', 'prod', 'x'.repeat(60), 'with space', 'k=v']);
    v.tags('tags', []);
    expect(v.list).toEqual([]);
  });

  test('rejects empty, over-long, comma and control-character tags, naming the index', () => {
    const v = new Violations();
    v.tags('tags', ['ok', '', 'x'.repeat(61), 'a,b', 'nl\n']);
    expect(v.list).toEqual([
      { field: 'tags[1]', description: 'must be 1-60 characters' },
      { field: 'tags[2]', description: 'must be 1-60 characters' },
      { field: 'tags[3]', description: 'must not contain commas or control characters' },
      { field: 'tags[4]', description: 'must not contain commas or control characters' },
    ]);
  });

  test('at most 50 tags', () => {
    const fifty = Array.from({ length: 50 }, (_, i) => `t${i}`);
    const v = new Violations();
    v.tags('tags', fifty);
    expect(v.empty).toBe(true);
    v.tags('tags', [...fifty, 't50']);
    expect(v.list).toEqual([{ field: 'tags', description: 'at most 50 tags' }]);
  });

  test('rejects repeated tags once', () => {
    const v = new Violations();
    v.tags('port.tags', ['a', 'b', 'a', 'a']);
    expect(v.list).toEqual([{ field: 'port.tags', description: 'must not repeat a tag' }]);
  });
});

describe('Violations.uuid', () => {
  test('accepts a lowercase canonical UUID', () => {
    const v = new Violations();
    expect(v.uuid('id', UUID, true)).toBe(true);
    expect(v.empty).toBe(true);
    expect(UUID_RE.test(UUID)).toBe(true);
  });

  test('empty: an error only when required', () => {
    const v = new Violations();
    expect(v.uuid('network_id', '', false)).toBe(true);
    expect(v.empty).toBe(true);
    expect(v.uuid('network_id', '', true)).toBe(false);
    expect(v.list).toEqual([{ field: 'network_id', description: 'is required' }]);
  });

  test.each([UUID.toUpperCase(), UUID.replace(/-/g, ''), `{${UUID}}`, UUID + '0', UUID.slice(1), 'not-a-uuid', ` ${UUID}`, UUID.replace('0', 'g')])(
    'rejects %j',
    (value) => {
      const v = new Violations();
      expect(v.uuid('id', value, false)).toBe(false);
      expect(v.list).toEqual([{ field: 'id', description: 'must be a UUID' }]);
    },
  );
});

describe('checkUpdateMask', () => {
  const allowed = ['name', 'description', 'tags'] as const;

  test.each([undefined, []])('a missing mask (%j) is a violation listing the updatable fields', (mask) => {
    const v = new Violations();
    expect(checkUpdateMask(v, mask, allowed)).toEqual([]);
    expect(v.list).toEqual([{ field: 'update_mask', description: 'is required; updatable fields: name, description, tags' }]);
  });

  test('returns the allowed paths in mask order', () => {
    const v = new Violations();
    expect(checkUpdateMask(v, ['tags', 'name'], allowed)).toEqual(['tags', 'name']);
    expect(v.empty).toBe(true);
  });

  test('reports every disallowed path and still returns the allowed ones', () => {
    const v = new Violations();
    expect(checkUpdateMask(v, ['name', 'id', 'project_id', 'description'], allowed)).toEqual(['name', 'description']);
    expect(v.list).toEqual([
      { field: 'update_mask', description: 'field "id" cannot be updated; updatable fields: name, description, tags' },
      { field: 'update_mask', description: 'field "project_id" cannot be updated; updatable fields: name, description, tags' },
    ]);
  });

  test('matching is exact (no prefixes, case or nested paths)', () => {
    const v = new Violations();
    expect(checkUpdateMask(v, ['Name', 'name.first', 'nam', ''], allowed)).toEqual([]);
    expect(v.list).toHaveLength(4);
  });
});

describe('normalizeTags', () => {
  test('keeps order and returns a copy', () => {
    const input = ['b', 'a', 'c'];
    const out = normalizeTags(input);
    expect(out).toEqual(['b', 'a', 'c']);
    expect(out).not.toBe(input);
  });
});
