import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BASE_RULES } from '../../../../services/runtime/policy/base-rules';
import { type Credentials, PolicyLoadError } from '../../../../services/runtime/policy/engine';
import { loadPolicy } from '../../../../services/runtime/policy/load';

const DEFAULTS: Record<string, string> = {
  ...BASE_RULES,
  'image:get_image': 'rule:admin_or_reader_owner',
  'image:delete_image': 'rule:admin_or_member_owner',
};

const member: Credentials = { roles: ['member'], project_id: 'p1', user_id: 'u1' };

function loadError(fn: () => unknown): PolicyLoadError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PolicyLoadError) return err;
    throw err;
  }
  throw new Error('expected a PolicyLoadError');
}

describe('loadPolicy', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'weft-policy-test-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const write = (text: string): string => {
    const p = path.join(dir, 'policy.json');
    writeFileSync(p, text);
    return p;
  };

  test('defaults alone', () => {
    const { engine, warnings, overridden } = loadPolicy({ defaults: DEFAULTS });
    expect(warnings).toEqual([]);
    expect(overridden).toEqual([]);
    expect(engine.enforce('image:delete_image', { project_id: 'p1' }, member)).toBe(true);
    expect(engine.actions()).toEqual(Object.keys(DEFAULTS).sort());
  });

  test('override entries replace defaults, including helper rules other actions use', () => {
    const file = write(JSON.stringify({ 'image:delete_image': 'rule:admin_required', reader_or_above: 'role:auditor or role:admin' }));
    const { engine, warnings, overridden } = loadPolicy({ defaults: DEFAULTS, overrideFile: file });
    expect(warnings).toEqual([]);
    expect(overridden).toEqual(['image:delete_image', 'reader_or_above']);
    expect(engine.enforce('image:delete_image', { project_id: 'p1' }, member)).toBe(false);
    expect(engine.ruleText('image:delete_image')).toBe('rule:admin_required');
    // admin_or_reader_owner now sees the overridden reader_or_above.
    expect(engine.enforce('image:get_image', { project_id: 'p1' }, member)).toBe(false);
    expect(engine.enforce('image:get_image', { project_id: 'p1' }, { ...member, roles: ['auditor'] })).toBe(true);
    // The defaults object itself is untouched.
    expect(DEFAULTS['image:delete_image']).toBe('rule:admin_or_member_owner');
  });

  test('unknown override names are warnings, and still loaded as written', () => {
    const file = write(JSON.stringify({ 'image:delte_image': '@', my_helper: 'role:ops', 'image:get_image': 'rule:my_helper' }));
    const { engine, warnings, overridden } = loadPolicy({ defaults: DEFAULTS, overrideFile: file });
    expect(overridden).toEqual(['image:get_image']);
    expect(warnings).toEqual([
      `policy file ${file}: "image:delte_image" matches no default rule (a typo?); loaded as an extra rule`,
      `policy file ${file}: "my_helper" matches no default rule (a typo?); loaded as an extra rule`,
    ]);
    expect(engine.enforce('image:get_image', {}, { ...member, roles: ['ops'] })).toBe(true);
  });

  test('an empty override object changes nothing', () => {
    const { warnings, overridden } = loadPolicy({ defaults: DEFAULTS, overrideFile: write('{}') });
    expect(warnings).toEqual([]);
    expect(overridden).toEqual([]);
  });

  test('a "__proto__" entry stays an ordinary (unknown) rule', () => {
    const file = write('{"__proto__": "role:x"}');
    const { engine, warnings } = loadPolicy({ defaults: DEFAULTS, overrideFile: file });
    expect(warnings).toHaveLength(1);
    expect(engine.has('__proto__')).toBe(true);
  });

  test('a missing, non-JSON or wrongly shaped file is an error naming it', () => {
    const missing = path.join(dir, 'nope.json');
    expect(loadError(() => loadPolicy({ defaults: DEFAULTS, overrideFile: missing })).problems[0]).toMatch(
      new RegExp(`^cannot read policy file ${missing}: .*ENOENT`),
    );
    const notJson = write('{ "a": ');
    expect(loadError(() => loadPolicy({ defaults: DEFAULTS, overrideFile: notJson })).problems[0]).toContain(`policy file ${notJson} is not valid JSON`);
    for (const text of ['[]', '"x"', 'null', '3']) {
      const file = write(text);
      expect(loadError(() => loadPolicy({ defaults: DEFAULTS, overrideFile: file })).problems).toEqual([
        `policy file ${file} must hold a JSON object of rule name to rule string`,
      ]);
    }
  });

  test('non-string values are all reported', () => {
    const file = write(JSON.stringify({ a: true, b: ['role:x'], c: null, d: 'role:x' }));
    expect(loadError(() => loadPolicy({ defaults: DEFAULTS, overrideFile: file })).problems).toEqual([
      `policy file ${file}: "a" must be a string, got boolean`,
      `policy file ${file}: "b" must be a string, got array`,
      `policy file ${file}: "c" must be a string, got null`,
    ]);
  });

  test('broken overrides are errors that name the file', () => {
    const file = write(JSON.stringify({ 'image:get_image': 'role:admin or', owner: 'rule:ghost', admin_required: 'rule:admin_or_owner' }));
    const err = loadError(() => loadPolicy({ defaults: DEFAULTS, overrideFile: file }));
    expect(err.problems).toEqual([
      `rule "image:get_image" (from ${file}): expected a check, "not" or "(" but found end of rule at position 13 in "role:admin or"`,
      `rule "owner" (from ${file}): references unknown rule "ghost" at position 0`,
      'rule reference cycle: admin_or_owner -> admin_required -> admin_or_owner',
    ]);
  });
});
