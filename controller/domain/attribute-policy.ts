/**
 * Attribute-level authorization for the network API: whether a caller may set a restricted
 * attribute (a shared network, a port's binding host, ...), decided by the `network:<action>:
 * <attribute>` rules of controller/policy.ts through the same engine, and the same operator
 * overrides, as the per-RPC rules.
 *
 * This answers only "may this caller set this attribute". Whether the caller may see or change
 * the resource at all (NOT_FOUND for another project's, `readsAllProjects`) is tenancy and stays
 * in state.ts, so no rule can open another project's resources.
 */
import type { Caller } from '../../services/runtime/caller';
import { permissionDenied } from '../../services/runtime/errors';
import { callerCredentials } from '../../services/runtime/policy/caller-credentials';
import { PolicyLoadError, type PolicyEngine } from '../../services/runtime/policy/engine';
import { ATTRIBUTE_RULES, attributeRuleName, type AttributeAction, type AttributeOf } from '../policy';

/** What an attribute rule sees as its target (`%(project_id)s`). */
export interface AttributeTarget {
  /** The project that owns the resource, or will own it on create. */
  project_id: string;
}

export class AttributePolicy {
  /** Throws PolicyLoadError if `engine` lacks an attribute rule (it was built without the network defaults). */
  constructor(private readonly engine: PolicyEngine) {
    const missing: string[] = [];
    for (const action of Object.keys(ATTRIBUTE_RULES) as AttributeAction[]) {
      for (const attribute of ATTRIBUTE_RULES[action]) {
        const name = attributeRuleName(action, attribute as AttributeOf<typeof action>);
        if (!engine.has(name)) missing.push(`attribute rule ${JSON.stringify(name)} is not defined`);
      }
    }
    // Checked once here so a wrongly assembled engine stops the controller at start instead of
    // denying every request that sets one of these attributes.
    if (missing.length > 0) throw new PolicyLoadError(missing);
  }

  /** Returns normally if `caller` may set `attribute` in `action` on `target`; PERMISSION_DENIED otherwise. */
  authorize<A extends AttributeAction>(caller: Caller, action: A, attribute: AttributeOf<A>, target: AttributeTarget): void {
    const rule = attributeRuleName(action, attribute);
    if (!this.engine.enforce(rule, { project_id: target.project_id }, callerCredentials(caller))) {
      const what = attribute === 'project_id' ? 'for another project' : `to set ${attribute}`;
      throw permissionDenied(`policy does not allow ${action} ${what} (rule ${rule})`);
    }
  }
}
