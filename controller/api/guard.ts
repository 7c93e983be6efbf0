/**
 * Runs each RPC's policy rule before its handler (see controller/policy.ts). The rule sees the
 * caller's roles and project; ownership and visibility stay in the domain code, which also checks
 * the per-attribute rules (controller/domain/attribute-policy.ts).
 */
import type { Caller } from '../../services/runtime/caller';
import { callerCredentials } from '../../services/runtime/policy/caller-credentials';
import type { PolicyEngine } from '../../services/runtime/policy/engine';

type Handler = (req: never, caller: Caller, ...rest: never[]) => Promise<unknown>;

export function guarded<H extends Handler>(policy: PolicyEngine | undefined, action: string, handler: H): H {
  if (!policy) return handler;
  return (async (req: never, caller: Caller, ...rest: never[]) => {
    policy.authorize(action, { project_id: caller.projectId }, callerCredentials(caller));
    return handler(req, caller, ...rest);
  }) as H;
}

/** Wraps every handler of a service with its rule, `action(rpcName)`. */
export function guardAll(policy: PolicyEngine | undefined, action: (rpc: string) => string, handlers: Record<string, unknown>): Record<string, never> {
  return Object.fromEntries(Object.entries(handlers).map(([rpc, h]) => [rpc, guarded(policy, action(rpc), h as Handler)])) as Record<string, never>;
}
