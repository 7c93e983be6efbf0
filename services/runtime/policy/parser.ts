/**
 * Policy rule language (oslo.policy compatible for the parts Weft uses), parsed into an AST.
 *
 *   rule    := ''                       (empty: always allowed, as in oslo)
 *            | or
 *   or      := and ('or' and)*
 *   and     := not ('and' not)*
 *   not     := 'not' not | '(' or ')' | check
 *   check   := '@' | 'True'             always
 *            | '!' | 'False'            never
 *            | 'rule:' NAME             another rule by name
 *            | 'role:' VALUE            the caller holds the role (case-insensitive)
 *            | LEFT ':' VALUE           generic match, compared as strings
 *   LEFT    := credential path (`project_id`, `token.domain.id`)
 *            | literal ('quoted', "quoted", True, False, digits)   e.g. True:%(network.shared)s
 *   VALUE   := literal | %(target.path)s   (a substitution must be the whole value)
 *
 * Keywords are case-insensitive, as in oslo. Unlike oslo, anything it would silently turn into a
 * "never" check (an unknown word, a dangling operator) is a parse error with a position, because a
 * typo in an operator's override file should stop the service, not quietly deny everything.
 * This module is pure: no I/O, no evaluation (see engine.ts).
 */

/** Where a value comes from: a constant, or a path into the target (resolved per call). */
export type Operand = { kind: 'literal'; value: string } | { kind: 'target'; path: readonly string[] };

/** Where the left side of a generic check comes from: a credential path or a constant. */
export type Subject = { kind: 'credential'; path: readonly string[] } | { kind: 'literal'; value: string };

export type PolicyNode =
  | { kind: 'always'; pos: number }
  | { kind: 'never'; pos: number }
  | { kind: 'rule'; name: string; pos: number }
  | { kind: 'role'; role: Operand; pos: number }
  | { kind: 'match'; subject: Subject; value: Operand; pos: number }
  | { kind: 'and'; operands: readonly PolicyNode[] }
  | { kind: 'or'; operands: readonly PolicyNode[] }
  | { kind: 'not'; operand: PolicyNode };

export class PolicyParseError extends Error {
  constructor(
    readonly rule: string,
    /** 0-based offset into `rule` where the problem is. */
    readonly position: number,
    readonly detail: string,
  ) {
    super(`${detail} at position ${position} in ${JSON.stringify(rule)}`);
    this.name = 'PolicyParseError';
  }
}

type Token =
  | { type: 'lparen' | 'rparen' | 'and' | 'or' | 'not'; pos: number; text: string }
  | { type: 'check'; pos: number; text: string };

/** Nesting beyond this is certainly a mistake, and bounding it keeps recursion off the stack limit. */
const MAX_DEPTH = 64;

const KEYWORDS: Record<string, 'and' | 'or' | 'not'> = { and: 'and', or: 'or', not: 'not' };

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';
}

/**
 * Splits on whitespace and parentheses, except inside a `%(...)s` substitution or a quoted
 * literal, which may themselves contain parentheses (oslo's tokenizer relies on `)s` for the same
 * reason; scanning by character lets every error carry an exact position).
 */
function tokenize(rule: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = rule.length;
  while (i < n) {
    const c = rule[i];
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')') {
      tokens.push({ type: c === '(' ? 'lparen' : 'rparen', pos: i, text: c });
      i++;
      continue;
    }
    const start = i;
    while (i < n) {
      const d = rule[i];
      if (isSpace(d) || d === '(' || d === ')') break;
      if (d === '%' && rule[i + 1] === '(') {
        const close = rule.indexOf(')', i + 2);
        if (close < 0) throw new PolicyParseError(rule, i, 'unterminated substitution "%("');
        if (rule[close + 1] !== 's') throw new PolicyParseError(rule, close, 'a substitution must end with ")s"');
        i = close + 2;
        continue;
      }
      if (d === "'" || d === '"') {
        const close = rule.indexOf(d, i + 1);
        if (close < 0) throw new PolicyParseError(rule, i, `unterminated quoted literal ${d}`);
        i = close + 1;
        continue;
      }
      i++;
    }
    const text = rule.slice(start, i);
    const keyword = KEYWORDS[text.toLowerCase()];
    tokens.push(keyword ? { type: keyword, pos: start, text } : { type: 'check', pos: start, text });
  }
  return tokens;
}

/** Parses one rule string. Throws PolicyParseError (with a position) on any problem. */
export function parseRule(rule: string): PolicyNode {
  const tokens = tokenize(rule);
  if (tokens.length === 0) return { kind: 'always', pos: 0 };
  let at = 0;

  const describe = (t: Token | undefined): string => (t === undefined ? 'end of rule' : JSON.stringify(t.text));
  const here = (): number => (at < tokens.length ? tokens[at].pos : rule.length);

  const parseOr = (depth: number): PolicyNode => {
    const operands = [parseAnd(depth)];
    while (tokens[at]?.type === 'or') {
      at++;
      operands.push(parseAnd(depth));
    }
    return operands.length === 1 ? operands[0] : { kind: 'or', operands };
  };

  const parseAnd = (depth: number): PolicyNode => {
    const operands = [parseNot(depth)];
    while (tokens[at]?.type === 'and') {
      at++;
      operands.push(parseNot(depth));
    }
    return operands.length === 1 ? operands[0] : { kind: 'and', operands };
  };

  const parseNot = (depth: number): PolicyNode => {
    if (depth > MAX_DEPTH) throw new PolicyParseError(rule, here(), `nesting deeper than ${MAX_DEPTH}`);
    const t = tokens[at];
    if (t === undefined) throw new PolicyParseError(rule, rule.length, 'expected a check, "not" or "(" but found end of rule');
    switch (t.type) {
      case 'not':
        at++;
        return { kind: 'not', operand: parseNot(depth + 1) };
      case 'lparen': {
        at++;
        const inner = parseOr(depth + 1);
        if (tokens[at]?.type !== 'rparen') {
          throw new PolicyParseError(rule, here(), `expected ")" to close "(" at position ${t.pos} but found ${describe(tokens[at])}`);
        }
        at++;
        return inner;
      }
      case 'check':
        at++;
        return parseCheck(rule, t.text, t.pos);
      default:
        throw new PolicyParseError(rule, t.pos, `expected a check, "not" or "(" but found ${describe(t)}`);
    }
  };

  const root = parseOr(0);
  if (at < tokens.length) {
    const t = tokens[at];
    const detail = t.type === 'rparen' ? 'unbalanced ")"' : `expected "and", "or" or end of rule but found ${describe(t)}`;
    throw new PolicyParseError(rule, t.pos, detail);
  }
  return root;
}

function parseCheck(rule: string, text: string, pos: number): PolicyNode {
  if (text === '@' || text === 'True' || text === 'true') return { kind: 'always', pos };
  if (text === '!' || text === 'False' || text === 'false') return { kind: 'never', pos };
  const colon = findColon(text);
  if (colon < 0) {
    throw new PolicyParseError(rule, pos, `unknown check ${JSON.stringify(text)} (expected kind:value, "@", "!", True or False)`);
  }
  const kind = text.slice(0, colon);
  const valueText = text.slice(colon + 1);
  const valuePos = pos + colon + 1;
  if (kind === '') throw new PolicyParseError(rule, pos, 'missing check kind before ":"');
  if (valueText === '') throw new PolicyParseError(rule, valuePos, `missing value after "${kind}:"`);

  if (kind === 'rule') {
    if (!/^[^\s%'"()]+$/.test(valueText)) throw new PolicyParseError(rule, valuePos, `invalid rule name ${JSON.stringify(valueText)}`);
    return { kind: 'rule', name: valueText, pos };
  }
  // oslo would make these HTTP callouts; a policy check must never do I/O, so refuse them loudly.
  if (kind === 'http' || kind === 'https') throw new PolicyParseError(rule, pos, `${kind}: checks are not supported`);
  const value = parseOperand(rule, valueText, valuePos);
  if (kind === 'role') return { kind: 'role', role: value, pos };
  return { kind: 'match', subject: parseSubject(rule, kind, pos), value, pos };
}

/** The first ':' outside quotes, so `'a:b':%(x)s` splits after the literal. */
function findColon(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === ':') return i;
    if (c === "'" || c === '"') {
      const close = text.indexOf(c, i + 1);
      if (close < 0) return -1;
      i = close;
    }
  }
  return -1;
}

function parseOperand(rule: string, text: string, pos: number): Operand {
  const sub = text.indexOf('%(');
  if (sub < 0) return { kind: 'literal', value: literalValue(rule, text, pos) };
  const m = /^%\(([^)]*)\)s$/.exec(text);
  if (m === null) throw new PolicyParseError(rule, pos + sub, 'a substitution must be the whole value, as in %(project_id)s');
  return { kind: 'target', path: parsePath(rule, m[1], pos + 2, 'substitution') };
}

function parseSubject(rule: string, text: string, pos: number): Subject {
  const c = text[0];
  if (c === "'" || c === '"' || /^(True|False|-?\d+)$/.test(text)) return { kind: 'literal', value: literalValue(rule, text, pos) };
  if (text.includes('%(')) throw new PolicyParseError(rule, pos, 'a substitution is only allowed on the right of ":"');
  return { kind: 'credential', path: parsePath(rule, text, pos, 'credential') };
}

/**
 * Unquoted True/False become "true"/"false", the form booleans compare as (engine.ts), so oslo's
 * `True:%(network.shared)s` works whether the target holds a boolean or the string "true".
 */
function literalValue(rule: string, text: string, pos: number): string {
  const q = text[0];
  if (q === "'" || q === '"') {
    if (text.length < 2 || text[text.length - 1] !== q || text.indexOf(q, 1) !== text.length - 1) {
      throw new PolicyParseError(rule, pos, `malformed quoted literal ${text}`);
    }
    return text.slice(1, -1);
  }
  if (text === 'True') return 'true';
  if (text === 'False') return 'false';
  if (text.includes("'") || text.includes('"')) throw new PolicyParseError(rule, pos, `stray quote in ${JSON.stringify(text)}`);
  return text;
}

const SEGMENT_RE = /^[A-Za-z0-9_-]+$/;

function parsePath(rule: string, text: string, pos: number, what: string): string[] {
  const segments = text.split('.');
  let offset = pos;
  for (const s of segments) {
    if (!SEGMENT_RE.test(s)) {
      const detail = s === '' ? `empty segment in ${what} path ${JSON.stringify(text)}` : `invalid ${what} path segment ${JSON.stringify(s)}`;
      throw new PolicyParseError(rule, offset, detail);
    }
    offset += s.length + 1;
  }
  return segments;
}

/** Every `rule:` name referenced by a node, in order of appearance, with positions. */
export function ruleRefs(node: PolicyNode, out: { name: string; pos: number }[] = []): { name: string; pos: number }[] {
  switch (node.kind) {
    case 'rule':
      out.push({ name: node.name, pos: node.pos });
      break;
    case 'and':
    case 'or':
      for (const o of node.operands) ruleRefs(o, out);
      break;
    case 'not':
      ruleRefs(node.operand, out);
      break;
    default:
      break;
  }
  return out;
}
