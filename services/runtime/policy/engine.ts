/**
 * Policy enforcement: a named set of rules (oslo.policy style), validated once and compiled to
 * closures, then evaluated on every API call.
 *
 * Validation happens at construction and reports every problem at once (parse errors, `rule:`
 * references to rules that do not exist, reference cycles), so a bad default or operator override
 * stops the service at start rather than failing requests later.
 *
 * Evaluation semantics:
 *  - an unknown action is denied (fail closed), like a rule that says "!";
 *  - role checks are case-insensitive (oslo lower-cases both sides);
 *  - generic checks compare strings: strings as-is, finite numbers and bigints in decimal,
 *    booleans as "true"/"false"; a credential that is an array matches if any element does;
 *  - a missing, empty, null, object or otherwise non-scalar value makes that check false, never
 *    an exception. Empty strings count as missing so an unscoped caller (project_id "") cannot
 *    "own" a record whose project_id was never set.
 *
 * Pure: no I/O, no clock, no logging; loading files is load.ts's job.
 */
import { status as Status } from '@grpc/grpc-js';
import { WeftError } from '../errors';
import { type Operand, parseRule, PolicyParseError, type PolicyNode, ruleRefs, type Subject } from './parser';

/** What the caller is, as policy sees it (Keystone token attributes; extra keys are allowed). */
export interface Credentials {
  roles: readonly string[];
  project_id: string;
  user_id: string;
  domain_id?: string;
  [key: string]: unknown;
}

export type Target = Readonly<Record<string, unknown>>;

type Check = (target: Target, creds: Credentials) => boolean;

export class PolicyLoadError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid policy:\n  - ${problems.join('\n  - ')}`);
    this.name = 'PolicyLoadError';
  }
}

/**
 * Thrown by `authorize`. A WeftError with PERMISSION_DENIED, so handlers can let it propagate and
 * the RpcServer maps it like any other domain error. The message names only the action: the rule
 * text and the caller's attributes stay server-side.
 */
export class PolicyDeniedError extends WeftError {
  constructor(
    readonly action: string,
    /** True when no rule named `action` exists: a bug in the service, worth logging loudly. */
    readonly unknownAction: boolean,
  ) {
    super(Status.PERMISSION_DENIED, `policy does not allow ${action} to be performed`, { reason: 'PERMISSION_DENIED' });
    this.name = 'PolicyDeniedError';
  }
}

export interface PolicyEngineOptions {
  /** Labels a rule's origin in load errors, e.g. the override file that supplied it. */
  sourceOf?: (name: string) => string | undefined;
}

const ALWAYS: Check = () => true;
const NEVER: Check = () => false;

export class PolicyEngine {
  private readonly checks = new Map<string, Check>();
  private readonly texts = new Map<string, string>();

  constructor(rules: Readonly<Record<string, string>>, opts: PolicyEngineOptions = {}) {
    const problems: string[] = [];
    const label = (name: string): string => {
      const source = opts.sourceOf?.(name);
      return source ? `rule ${JSON.stringify(name)} (from ${source})` : `rule ${JSON.stringify(name)}`;
    };
    const asts = new Map<string, PolicyNode>();
    for (const [name, text] of Object.entries(rules)) {
      if (name.trim() === '') {
        problems.push('a rule has an empty name');
        continue;
      }
      // Rules may come from JSON the type system never saw.
      if (typeof text !== 'string') {
        problems.push(`${label(name)}: must be a string, got ${text === null ? 'null' : typeof text}`);
        continue;
      }
      this.texts.set(name, text);
      try {
        asts.set(name, parseRule(text));
      } catch (err) {
        if (!(err instanceof PolicyParseError)) throw err;
        problems.push(`${label(name)}: ${err.message}`);
      }
    }

    const edges = new Map<string, string[]>();
    for (const [name, ast] of asts) {
      const targets: string[] = [];
      for (const ref of ruleRefs(ast)) {
        if (this.texts.has(ref.name)) targets.push(ref.name);
        else problems.push(`${label(name)}: references unknown rule ${JSON.stringify(ref.name)} at position ${ref.pos}`);
      }
      edges.set(name, targets);
    }
    for (const cycle of findCycles(edges)) problems.push(`rule reference cycle: ${cycle.join(' -> ')}`);
    if (problems.length > 0) throw new PolicyLoadError(problems);

    // Acyclic from here on, so memoized compilation terminates and every `rule:` reference is
    // the referenced rule's own closure (no name lookup at evaluation time).
    const compileRule = (name: string): Check => {
      let check = this.checks.get(name);
      if (check === undefined) {
        check = compile(asts.get(name) as PolicyNode, compileRule);
        this.checks.set(name, check);
      }
      return check;
    };
    for (const name of asts.keys()) compileRule(name);
  }

  /** True when `action`'s rule allows `creds` to act on `target`; unknown actions are denied. */
  enforce(action: string, target: Target, creds: Credentials): boolean {
    const check = this.checks.get(action);
    return check !== undefined && check(target, creds);
  }

  /** Like `enforce`, but throws PolicyDeniedError (PERMISSION_DENIED) instead of returning false. */
  authorize(action: string, target: Target, creds: Credentials): void {
    const check = this.checks.get(action);
    if (check === undefined) throw new PolicyDeniedError(action, true);
    if (!check(target, creds)) throw new PolicyDeniedError(action, false);
  }

  /** Every rule name (actions and the helper rules they reference share one namespace, as in oslo). */
  actions(): string[] {
    return [...this.checks.keys()].sort();
  }

  has(action: string): boolean {
    return this.checks.has(action);
  }

  /** The rule text in effect for `action` (e.g. for a "show effective policy" command). */
  ruleText(action: string): string | undefined {
    return this.texts.get(action);
  }
}

/**
 * Each distinct cycle once, as names ending where they start (a -> b -> a), starting from its
 * smallest name so the report is stable whatever the map order.
 */
function findCycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const seen = new Set<string>();
  const cycles: string[][] = [];
  const visit = (name: string): void => {
    state.set(name, 'active');
    stack.push(name);
    for (const next of edges.get(name) ?? []) {
      const s = state.get(next);
      if (s === 'active') {
        const loop = stack.slice(stack.lastIndexOf(next));
        const min = loop.indexOf([...loop].sort()[0]);
        const rotated = [...loop.slice(min), ...loop.slice(0, min)];
        const key = rotated.join('\u0000');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push([...rotated, rotated[0]]);
        }
      } else if (s === undefined) {
        visit(next);
      }
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of edges.keys()) if (!state.has(name)) visit(name);
  return cycles;
}

// ---- compilation -------------------------------------------------------------------------------

function compile(node: PolicyNode, ruleCheck: (name: string) => Check): Check {
  switch (node.kind) {
    case 'always':
      return ALWAYS;
    case 'never':
      return NEVER;
    case 'rule':
      return ruleCheck(node.name);
    case 'role':
      return compileRole(node.role);
    case 'match':
      return compileMatch(node.subject, node.value);
    case 'not': {
      const inner = compile(node.operand, ruleCheck);
      return (t, c) => !inner(t, c);
    }
    case 'and': {
      const parts = node.operands.map((o) => compile(o, ruleCheck));
      if (parts.length === 2) {
        const [a, b] = parts;
        return (t, c) => a(t, c) && b(t, c);
      }
      return (t, c) => {
        for (const p of parts) if (!p(t, c)) return false;
        return true;
      };
    }
    case 'or': {
      const parts = node.operands.map((o) => compile(o, ruleCheck));
      if (parts.length === 2) {
        const [a, b] = parts;
        return (t, c) => a(t, c) || b(t, c);
      }
      return (t, c) => {
        for (const p of parts) if (p(t, c)) return true;
        return false;
      };
    }
  }
}

/** `want` must already be lower case. Exact match first so the common case never allocates. */
function hasRole(roles: readonly string[], want: string): boolean {
  for (let i = 0; i < roles.length; i++) {
    const r = roles[i];
    if (r === want || (r.length === want.length && r.toLowerCase() === want)) return true;
  }
  return false;
}

function compileRole(role: Operand): Check {
  if (role.kind === 'literal') {
    const want = role.value.toLowerCase();
    return (_t, c) => hasRole(c.roles, want);
  }
  const resolve = targetResolver(role.path);
  return (t, c) => {
    const v = scalar(resolve(t));
    return v !== undefined && hasRole(c.roles, v.toLowerCase());
  };
}

function compileMatch(subject: Subject, value: Operand): Check {
  if (subject.kind === 'literal') {
    const constant = subject.value;
    if (value.kind === 'literal') return value.value === constant ? ALWAYS : NEVER;
    const resolve = targetResolver(value.path);
    return (t) => scalar(resolve(t)) === constant;
  }
  const cred = pathResolver(subject.path);
  if (value.kind === 'literal') {
    const constant = value.value;
    return (_t, c) => credentialMatches(cred(c), constant);
  }
  const resolve = targetResolver(value.path);
  return (t, c) => {
    const want = scalar(resolve(t));
    return want !== undefined && credentialMatches(cred(c), want);
  };
}

function credentialMatches(have: unknown, want: string): boolean {
  if (Array.isArray(have)) {
    for (const h of have) if (scalar(h) === want) return true;
    return false;
  }
  return scalar(have) === want;
}

/** The string a value compares as, or undefined when it cannot match anything (see header). */
function scalar(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return v === '' ? undefined : v;
    case 'number':
      return Number.isFinite(v) ? String(v) : undefined;
    case 'bigint':
      return String(v);
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      return undefined;
  }
}

type Resolver = (root: object) => unknown;

/**
 * A dotted path: first as one flat key (Keystone passes `{'target.project.id': ...}`), then as
 * nested objects. Only own data is reachable in practice: inherited members such as `constructor`
 * are functions, which `scalar` rejects.
 */
function pathResolver(path: readonly string[]): Resolver {
  if (path.length === 1) {
    const key = path[0];
    return (root) => (root as Record<string, unknown>)[key];
  }
  const flat = path.join('.');
  return (root) => {
    const direct = (root as Record<string, unknown>)[flat];
    if (direct !== undefined) return direct;
    let node: unknown = root;
    for (const key of path) {
      if (typeof node !== 'object' || node === null) return undefined;
      node = (node as Record<string, unknown>)[key];
    }
    return node;
  };
}

/**
 * Target paths additionally accept a leading `target.` naming the target itself, so the Keystone
 * spelling `%(target.network.project_id)s` works against `{ network: { project_id } }` as well as
 * against a target that really has a `target` key or the flat key.
 */
function targetResolver(path: readonly string[]): Resolver {
  const full = pathResolver(path);
  if (path.length < 2 || path[0] !== 'target') return full;
  const rest = pathResolver(path.slice(1));
  return (root) => {
    const v = full(root);
    return v !== undefined ? v : rest(root);
  };
}
