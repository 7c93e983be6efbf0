import { status } from '@grpc/grpc-js';
import { BASE_RULES } from '../../../../services/runtime/policy/base-rules';
import {
  type Credentials,
  PolicyDeniedError,
  PolicyEngine,
  PolicyLoadError,
} from '../../../../services/runtime/policy/engine';
import { WeftError } from '../../../../services/runtime/errors';

const creds = (roles: string[], project_id = 'p1', extra: Record<string, unknown> = {}): Credentials => ({
  roles,
  project_id,
  user_id: 'u1',
  ...extra,
});

function loadError(rules: Record<string, string>): PolicyLoadError {
  try {
    new PolicyEngine(rules);
  } catch (err) {
    if (err instanceof PolicyLoadError) return err;
    throw err;
  }
  throw new Error('expected a PolicyLoadError');
}

describe('evaluation', () => {
  const engine = new PolicyEngine({
    ...BASE_RULES,
    always: '',
    at: '@',
    never: '!',
    literal_true: 'True',
    literal_false: 'False',
    not_admin: 'not role:admin',
    member_and_reader: 'role:member and role:reader',
    three_way: 'role:a or role:b or role:c',
    all_three: 'role:a and role:b and role:c',
    user_match: 'user_id:%(user_id)s',
    nested_owner: 'project_id:%(target.network.project_id)s',
    domain: 'domain_id:default',
    shared: 'True:%(network.shared)s',
    role_from_target: 'role:%(role.name)s',
    literal_vs_literal: "'x':x",
    literal_vs_other: "'x':y",
    groups: 'groups:%(group_id)s',
    token_domain: 'token.domain.id:%(domain_id)s',
  });

  test('@, empty, True always allow; !, False never do', () => {
    for (const a of ['always', 'at', 'literal_true', 'literal_vs_literal']) expect(engine.enforce(a, {}, creds([]))).toBe(true);
    for (const a of ['never', 'literal_false', 'literal_vs_other']) expect(engine.enforce(a, {}, creds(['admin']))).toBe(false);
  });

  test('role checks, case-insensitive on both sides', () => {
    expect(engine.enforce('admin_required', {}, creds(['admin']))).toBe(true);
    expect(engine.enforce('admin_required', {}, creds(['ADMIN']))).toBe(true);
    expect(engine.enforce('admin_required', {}, creds(['Admin', 'reader']))).toBe(true);
    expect(engine.enforce('admin_required', {}, creds(['member']))).toBe(false);
    expect(engine.enforce('admin_required', {}, creds(['administrator']))).toBe(false);
    expect(engine.enforce('admin_required', {}, creds([]))).toBe(false);
    const upper = new PolicyEngine({ a: 'role:Admin' });
    expect(upper.enforce('a', {}, creds(['admin']))).toBe(true);
    expect(engine.enforce('role_from_target', { role: { name: 'Member' } }, creds(['member']))).toBe(true);
    expect(engine.enforce('role_from_target', { role: { name: 'admin' } }, creds(['member']))).toBe(false);
  });

  test('owner compares the target project with the caller project', () => {
    expect(engine.enforce('owner', { project_id: 'p1' }, creds([], 'p1'))).toBe(true);
    expect(engine.enforce('owner', { project_id: 'p2' }, creds([], 'p1'))).toBe(false);
    expect(engine.enforce('admin_or_owner', { project_id: 'p2' }, creds(['admin'], 'p1'))).toBe(true);
    expect(engine.enforce('user_match', { user_id: 'u1' }, creds([]))).toBe(true);
    expect(engine.enforce('user_match', { user_id: 'u2' }, creds([]))).toBe(false);
  });

  test('and / or / not', () => {
    expect(engine.enforce('not_admin', {}, creds(['member']))).toBe(true);
    expect(engine.enforce('not_admin', {}, creds(['admin']))).toBe(false);
    expect(engine.enforce('member_and_reader', {}, creds(['member', 'reader']))).toBe(true);
    expect(engine.enforce('member_and_reader', {}, creds(['member']))).toBe(false);
    for (const r of ['a', 'b', 'c']) expect(engine.enforce('three_way', {}, creds([r]))).toBe(true);
    expect(engine.enforce('three_way', {}, creds(['d']))).toBe(false);
    expect(engine.enforce('all_three', {}, creds(['c', 'b', 'a']))).toBe(true);
    expect(engine.enforce('all_three', {}, creds(['a', 'b']))).toBe(false);
  });

  test('rule: references evaluate the referenced rule', () => {
    const t = { project_id: 'p1' };
    expect(engine.enforce('admin_or_member_owner', t, creds(['member'], 'p1'))).toBe(true);
    expect(engine.enforce('admin_or_member_owner', t, creds(['reader'], 'p1'))).toBe(false);
    expect(engine.enforce('admin_or_reader_owner', t, creds(['reader'], 'p1'))).toBe(true);
    expect(engine.enforce('admin_or_reader_owner', t, creds(['auditor'], 'p1'))).toBe(false);
  });

  test('dotted target paths: nested objects, flat Keystone keys, and a leading target. prefix', () => {
    const c = creds([], 'p1');
    expect(engine.enforce('nested_owner', { network: { project_id: 'p1' } }, c)).toBe(true);
    expect(engine.enforce('nested_owner', { target: { network: { project_id: 'p1' } } }, c)).toBe(true);
    expect(engine.enforce('nested_owner', { 'target.network.project_id': 'p1' }, c)).toBe(true);
    expect(engine.enforce('nested_owner', { network: { project_id: 'p2' } }, c)).toBe(false);
    expect(engine.enforce('nested_owner', { network: 'p1' }, c)).toBe(false);
  });

  test('credential paths: literal values, nested credentials, arrays match any element', () => {
    expect(engine.enforce('domain', {}, creds([], 'p', { domain_id: 'default' }))).toBe(true);
    expect(engine.enforce('domain', {}, creds([], 'p', { domain_id: 'other' }))).toBe(false);
    expect(engine.enforce('domain', {}, creds([]))).toBe(false);
    expect(engine.enforce('token_domain', { domain_id: 'd1' }, creds([], 'p', { token: { domain: { id: 'd1' } } }))).toBe(true);
    expect(engine.enforce('groups', { group_id: 'g2' }, creds([], 'p', { groups: ['g1', 'g2'] }))).toBe(true);
    expect(engine.enforce('groups', { group_id: 'g3' }, creds([], 'p', { groups: ['g1', 'g2'] }))).toBe(false);
  });

  test('values compare as strings; booleans as true/false', () => {
    const e = new PolicyEngine({ n: 'level:%(level)s', b: 'enabled:True' });
    expect(e.enforce('n', { level: 3 }, creds([], 'p', { level: '3' }))).toBe(true);
    expect(e.enforce('n', { level: '3' }, creds([], 'p', { level: 3 }))).toBe(true);
    expect(e.enforce('n', { level: 3n }, creds([], 'p', { level: 3 }))).toBe(true);
    expect(e.enforce('n', { level: 4 }, creds([], 'p', { level: 3 }))).toBe(false);
    expect(e.enforce('b', {}, creds([], 'p', { enabled: true }))).toBe(true);
    expect(e.enforce('b', {}, creds([], 'p', { enabled: 'true' }))).toBe(true);
    expect(e.enforce('b', {}, creds([], 'p', { enabled: false }))).toBe(false);
    expect(engine.enforce('shared', { network: { shared: true } }, creds([]))).toBe(true);
    expect(engine.enforce('shared', { network: { shared: false } }, creds([]))).toBe(false);
  });

  test('missing or unusable target attributes make the check false, never throw', () => {
    const c = creds(['member'], 'p1');
    const odd: Record<string, unknown>[] = [
      {},
      { project_id: undefined },
      { project_id: null },
      { project_id: '' },
      { project_id: { id: 'p1' } },
      { project_id: ['p1'] },
      { project_id: NaN },
      { project_id: () => 'p1' },
    ];
    for (const t of odd) {
      expect(engine.enforce('owner', t, c)).toBe(false);
      expect(engine.enforce('admin_or_member_owner', t, c)).toBe(false);
    }
    for (const t of [{}, { network: null }, { network: 5 }, { network: { project_id: null } }]) {
      expect(engine.enforce('nested_owner', t, c)).toBe(false);
    }
    expect(engine.enforce('shared', {}, c)).toBe(false);
    expect(engine.enforce('role_from_target', {}, c)).toBe(false);
    // Inherited members are functions or objects, so they never satisfy a check.
    const proto = new PolicyEngine({ a: 'project_id:%(constructor)s', b: 'constructor:%(x)s', c: 'x:%(__proto__)s' });
    expect(proto.enforce('a', {}, c)).toBe(false);
    expect(proto.enforce('b', { x: 'y' }, c)).toBe(false);
    expect(proto.enforce('c', {}, creds([], 'p', { x: '[object Object]' }))).toBe(false);
  });

  test('an empty project never owns anything (unscoped caller vs unset project)', () => {
    expect(engine.enforce('owner', { project_id: '' }, creds([], ''))).toBe(false);
    expect(engine.enforce('owner', {}, creds([], ''))).toBe(false);
  });

  test('unknown actions are denied, by enforce and authorize', () => {
    expect(engine.enforce('no_such_action', {}, creds(['admin']))).toBe(false);
    expect(engine.has('no_such_action')).toBe(false);
    let caught: unknown;
    try {
      engine.authorize('no_such_action', {}, creds(['admin']));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PolicyDeniedError);
    expect((caught as PolicyDeniedError).unknownAction).toBe(true);
  });

  test('authorize throws a PERMISSION_DENIED WeftError naming only the action', () => {
    expect(() => engine.authorize('admin_required', {}, creds(['admin']))).not.toThrow();
    let caught: unknown;
    try {
      engine.authorize('admin_or_owner', { project_id: 'secret-project' }, creds(['member'], 'p1'));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PolicyDeniedError);
    expect(caught).toBeInstanceOf(WeftError);
    const err = caught as PolicyDeniedError;
    expect(err.code).toBe(status.PERMISSION_DENIED);
    expect(err.details.reason).toBe('PERMISSION_DENIED');
    expect(err.action).toBe('admin_or_owner');
    expect(err.unknownAction).toBe(false);
    expect(err.message).toBe('policy does not allow admin_or_owner to be performed');
  });

  test('actions lists every rule, sorted; ruleText returns the source', () => {
    const e = new PolicyEngine({ 'b:get': 'rule:a', a: 'role:x', 'a:list': '' });
    expect(e.actions()).toEqual(['a', 'a:list', 'b:get']);
    expect(e.ruleText('b:get')).toBe('rule:a');
    expect(e.ruleText('nope')).toBeUndefined();
  });
});

describe('validation at load', () => {
  test('missing rule references are rejected, naming rule and position', () => {
    const err = loadError({ a: 'role:x or rule:nope', b: 'rule:a' });
    expect(err.problems).toEqual(['rule "a": references unknown rule "nope" at position 10']);
    expect(err.message).toContain('invalid policy:');
  });

  test('cycles are rejected, each reported once', () => {
    expect(loadError({ a: 'rule:a' }).problems).toEqual(['rule reference cycle: a -> a']);
    expect(loadError({ b: 'rule:c', a: 'role:x or rule:b', c: 'not rule:a' }).problems).toEqual(['rule reference cycle: a -> b -> c -> a']);
    const two = loadError({ a: 'rule:b', b: 'rule:a or rule:c', c: 'rule:d', d: 'rule:c', ok: 'rule:a' });
    expect(two.problems.sort()).toEqual(['rule reference cycle: a -> b -> a', 'rule reference cycle: c -> d -> c']);
  });

  test('a diamond (shared dependency) is not a cycle', () => {
    const e = new PolicyEngine({ top: 'rule:l and rule:r', l: 'rule:base', r: 'rule:base', base: 'role:x' });
    expect(e.enforce('top', {}, creds(['x']))).toBe(true);
  });

  test('every problem is reported at once', () => {
    const err = loadError({
      bad_syntax: 'role:admin or',
      missing: 'rule:ghost',
      loop1: 'rule:loop2',
      loop2: 'rule:loop1',
      fine: 'role:admin',
    });
    expect(err.problems).toHaveLength(3);
    expect(err.problems[0]).toMatch(/^rule "bad_syntax": expected a check.*at position 13/);
    expect(err.problems[1]).toBe('rule "missing": references unknown rule "ghost" at position 0');
    expect(err.problems[2]).toBe('rule reference cycle: loop1 -> loop2 -> loop1');
  });

  test('non-string rules (from untyped JSON) and empty names are problems', () => {
    const rules = { a: 5, '': 'role:x' } as unknown as Record<string, string>;
    expect(loadError(rules).problems).toEqual(['rule "a": must be a string, got number', 'a rule has an empty name']);
  });
});

test(`a typical rule evaluates at >= 1,000,000/s (loose floor here; see report for the measured rate)`, () => {
  const engine = new PolicyEngine({ ...BASE_RULES });
  const c = creds(['member'], 'p1');
  const t = { project_id: 'p1' };
  const n = 200_000;
  let allowed = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) if (engine.enforce('admin_or_member_owner', t, c)) allowed++;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  expect(allowed).toBe(n);
  // A floor far below the target: CI machines and coverage instrumentation vary, this only catches
  // an accidental return to re-parsing or per-call allocation.
  expect(n / seconds).toBeGreaterThan(200_000);
});
