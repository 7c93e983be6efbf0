import { type Operand, parseRule, PolicyParseError, type PolicyNode, ruleRefs } from '../../../../services/runtime/policy/parser';

/** S-expression view of an AST (positions left out) so structure assertions stay readable. */
function show(node: PolicyNode): string {
  const operand = (o: Operand): string => (o.kind === 'literal' ? JSON.stringify(o.value) : `%${o.path.join('.')}`);
  switch (node.kind) {
    case 'always':
      return '@';
    case 'never':
      return '!';
    case 'rule':
      return `rule:${node.name}`;
    case 'role':
      return `role:${operand(node.role)}`;
    case 'match': {
      const s = node.subject;
      return `${s.kind === 'literal' ? JSON.stringify(s.value) : s.path.join('.')}=${operand(node.value)}`;
    }
    case 'not':
      return `(not ${show(node.operand)})`;
    case 'and':
    case 'or':
      return `(${node.kind} ${node.operands.map(show).join(' ')})`;
  }
}

const p = (rule: string): string => show(parseRule(rule));

function parseError(rule: string): PolicyParseError {
  try {
    parseRule(rule);
  } catch (err) {
    if (err instanceof PolicyParseError) return err;
    throw err;
  }
  throw new Error(`expected ${JSON.stringify(rule)} not to parse`);
}

describe('checks', () => {
  test('empty and blank rules always allow (oslo semantics)', () => {
    expect(p('')).toBe('@');
    expect(p('   \t\n')).toBe('@');
  });

  test.each([
    ['@', '@'],
    ['!', '!'],
    ['True', '@'],
    ['true', '@'],
    ['False', '!'],
    ['false', '!'],
    ['role:admin', 'role:"admin"'],
    ['role:Admin', 'role:"Admin"'],
    ['rule:admin_or_owner', 'rule:admin_or_owner'],
    ['project_id:%(project_id)s', 'project_id=%project_id'],
    ['user_id:%(target.user.id)s', 'user_id=%target.user.id'],
    ['project_id:%(target.network.project_id)s', 'project_id=%target.network.project_id'],
    ['domain_id:default', 'domain_id="default"'],
    ['token.domain.id:%(target.domain.id)s', 'token.domain.id=%target.domain.id'],
    ['role:%(target.role.name)s', 'role:%target.role.name'],
    ["'member':%(role.name)s", '"member"=%role.name'],
    ['True:%(network.shared)s', '"true"=%network.shared'],
    ['enabled:True', 'enabled="true"'],
    ["name:'a b (c)'", 'name="a b (c)"'],
    ['key:a:b', 'key="a:b"'],
    ['count:3', 'count="3"'],
  ])('%s', (rule, expected) => {
    expect(p(rule)).toBe(expected);
  });

  test('check nodes carry their start position', () => {
    const node = parseRule('  role:admin or project_id:%(project_id)s');
    expect(node).toEqual({
      kind: 'or',
      operands: [
        { kind: 'role', role: { kind: 'literal', value: 'admin' }, pos: 2 },
        {
          kind: 'match',
          subject: { kind: 'credential', path: ['project_id'] },
          value: { kind: 'target', path: ['project_id'] },
          pos: 16,
        },
      ],
    });
  });
});

describe('operators', () => {
  test.each([
    ['a:1 or b:2 and c:3', '(or a="1" (and b="2" c="3"))'],
    ['a:1 and b:2 or c:3', '(or (and a="1" b="2") c="3")'],
    ['not a:1 and b:2', '(and (not a="1") b="2")'],
    ['not a:1 or b:2', '(or (not a="1") b="2")'],
    ['not not a:1', '(not (not a="1"))'],
    ['a:1 and not b:2 or not c:3 and d:4', '(or (and a="1" (not b="2")) (and (not c="3") d="4"))'],
    ['a:1 and b:2 and c:3', '(and a="1" b="2" c="3")'],
    ['a:1 or b:2 or c:3', '(or a="1" b="2" c="3")'],
  ])('precedence: %s', (rule, expected) => {
    expect(p(rule)).toBe(expected);
  });

  test.each([
    ['(a:1 or b:2) and c:3', '(and (or a="1" b="2") c="3")'],
    ['a:1 and (b:2 or c:3)', '(and a="1" (or b="2" c="3"))'],
    ['not (a:1 or b:2)', '(not (or a="1" b="2"))'],
    ['((a:1))', 'a="1"'],
    ['(role:admin)or(role:member)', '(or role:"admin" role:"member")'],
    ['rule:admin_required or (rule:owner and (role:member))', '(or rule:admin_required (and rule:owner role:"member"))'],
    ['(project_id:%(project_id)s)', 'project_id=%project_id'],
    ['(role:admin or project_id:%(project_id)s)', '(or role:"admin" project_id=%project_id)'],
  ])('parentheses: %s', (rule, expected) => {
    expect(p(rule)).toBe(expected);
  });

  test('keywords are case-insensitive; words merely containing them are checks', () => {
    expect(p('a:1 AND b:2 Or NOT c:3')).toBe('(or (and a="1" b="2") (not c="3"))');
    expect(p('role:order and role:android')).toBe('(and role:"order" role:"android")');
  });

  test('deep but sane nesting parses', () => {
    expect(p(`${'('.repeat(50)}@${')'.repeat(50)}`)).toBe('@');
    expect(p(`${'not '.repeat(4)}@`)).toBe('(not (not (not (not @))))');
  });
});

describe('errors name a position', () => {
  test.each<[string, number, string]>([
    ['role:admin and', 14, 'expected a check, "not" or "(" but found end of rule'],
    ['or role:admin', 0, 'expected a check, "not" or "(" but found "or"'],
    ['role:admin and or role:x', 15, 'expected a check, "not" or "(" but found "or"'],
    ['(role:admin', 11, 'expected ")" to close "(" at position 0 but found end of rule'],
    ['(a:1 b:2)', 5, 'expected ")" to close "(" at position 0 but found "b:2"'],
    ['role:admin)', 10, 'unbalanced ")"'],
    ['role:a role:b', 7, 'expected "and", "or" or end of rule but found "role:b"'],
    ['()', 1, 'expected a check, "not" or "(" but found ")"'],
    ['admin', 0, 'unknown check "admin" (expected kind:value, "@", "!", True or False)'],
    ['role:x and admin', 11, 'unknown check "admin"'],
    [':admin', 0, 'missing check kind before ":"'],
    ['role:', 5, 'missing value after "role:"'],
    ['a:1 or project_id:%(project_id', 18, 'unterminated substitution "%("'],
    ['project_id:%(project_id)x', 23, 'a substitution must end with ")s"'],
    ['project_id:p-%(project_id)s', 13, 'a substitution must be the whole value'],
    ['project_id:%()s', 13, 'empty segment in substitution path ""'],
    ['project_id:%(a..b)s', 15, 'empty segment in substitution path "a..b"'],
    ['project_id:%(a.b c)s', 15, 'invalid substitution path segment "b c"'],
    ['%(x)s:1', 0, 'a substitution is only allowed on the right of ":"'],
    ['a..b:1', 2, 'empty segment in credential path "a..b"'],
    ['rule:%(x)s', 5, 'invalid rule name'],
    ["name:'abc", 5, 'unterminated quoted literal'],
    ["name:ab'c'", 5, 'stray quote'],
    ['http://example.com/check', 0, 'http: checks are not supported'],
  ])('%j', (rule, position, detail) => {
    const err = parseError(rule);
    expect(err.position).toBe(position);
    expect(err.detail).toContain(detail);
    expect(err.rule).toBe(rule);
    expect(err.message).toBe(`${err.detail} at position ${position} in ${JSON.stringify(rule)}`);
  });

  test('runaway nesting is an error, not a stack overflow', () => {
    const err = parseError(`${'('.repeat(200)}@${')'.repeat(200)}`);
    expect(err.detail).toContain('nesting deeper than');
    expect(parseError(`${'not '.repeat(200)}@`).detail).toContain('nesting deeper than');
  });
});

test('ruleRefs lists every rule: reference with its position', () => {
  expect(ruleRefs(parseRule('rule:a or (not rule:b and role:x) or rule:a'))).toEqual([
    { name: 'a', pos: 0 },
    { name: 'b', pos: 15 },
    { name: 'a', pos: 37 },
  ]);
  expect(ruleRefs(parseRule('role:x'))).toEqual([]);
});
