/**
 * The policy credentials of an authenticated caller: what `role:` and `project_id:` checks see.
 * One mapping, so the per-RPC guard and attribute-level checks can never disagree about who the
 * caller is.
 */
import type { Caller } from '../caller';
import type { Credentials } from './engine';

export function callerCredentials(caller: Caller): Credentials {
  return { roles: caller.roles, project_id: caller.projectId, user_id: caller.userId };
}
