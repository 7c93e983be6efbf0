/**
 * A service's effective policy: the defaults it ships in code, with an operator's override file
 * (JSON: `{ "rule name": "rule text" }`) replacing individual entries.
 *
 * Every problem with the file (unreadable, not JSON, wrong shape, a rule that does not parse, a
 * reference that breaks) is an error that names the file, so the service refuses to start rather
 * than run with a policy nobody wrote. An override whose name matches no default is only a warning
 * (returned, for the caller to log): it may be a helper rule other overrides use, or a typo, and
 * only the operator can tell; either way it is loaded as written and is harmless unless referenced.
 */
import { readFileSync } from 'node:fs';
import { PolicyEngine, PolicyLoadError } from './engine';

export interface LoadPolicyOptions {
  /** The service's shipped rules (usually `{ ...BASE_RULES, ...serviceRules }`). */
  defaults: Readonly<Record<string, string>>;
  /** Operator override file; when given it must exist (a configured-but-missing file is an error). */
  overrideFile?: string;
}

export interface LoadedPolicy {
  engine: PolicyEngine;
  /** Human-readable, one per unknown override name; empty when there is nothing to say. */
  warnings: string[];
  /** Names whose default rule the override file replaced, sorted. */
  overridden: string[];
}

export function loadPolicy(opts: LoadPolicyOptions): LoadedPolicy {
  const file = opts.overrideFile;
  const overrides = file ? readOverrides(file) : {};
  // Null prototype: a rule named "__proto__" in the file must stay a rule, not retarget the object.
  const rules: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, opts.defaults);
  const warnings: string[] = [];
  const overridden: string[] = [];
  for (const [name, text] of Object.entries(overrides)) {
    if (Object.prototype.hasOwnProperty.call(opts.defaults, name)) overridden.push(name);
    else warnings.push(`policy file ${file}: ${JSON.stringify(name)} matches no default rule (a typo?); loaded as an extra rule`);
    rules[name] = text;
  }
  const engine = new PolicyEngine(rules, {
    sourceOf: (name) => (file && Object.prototype.hasOwnProperty.call(overrides, name) ? file : undefined),
  });
  return { engine, warnings, overridden: overridden.sort() };
}

function readOverrides(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PolicyLoadError([`cannot read policy file ${file}: ${(err as Error).message}`]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new PolicyLoadError([`policy file ${file} is not valid JSON: ${(err as Error).message}`]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new PolicyLoadError([`policy file ${file} must hold a JSON object of rule name to rule string`]);
  }
  const problems: string[] = [];
  const out = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value === 'string') out[name] = value;
    else problems.push(`policy file ${file}: ${JSON.stringify(name)} must be a string, got ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value}`);
  }
  if (problems.length > 0) throw new PolicyLoadError(problems);
  return out;
}
