/**
 * The network API's shipped policy: one rule per RPC (`network:<snake_case method>`), evaluated
 * before the handler runs. Operators override rules with a JSON file (`policyFile`) — e.g. to let
 * only admins create routers. Ownership and visibility (another project's resource is NOT_FOUND)
 * and admin-only attributes (shared/external/provider networks, port binding) are enforced by the
 * domain code on top of these rules, so a policy file can tighten access but not open another
 * project's resources.
 */
import { NetworkServiceService } from '../proto/gen/weft/network/v1/network_service';

const READ = 'rule:reader_or_above or role:service';
const WRITE = 'rule:member_or_admin';

export function actionName(rpcName: string): string {
  return `network:${rpcName.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()}`;
}

function defaults(): Record<string, string> {
  const rules: Record<string, string> = {};
  for (const method of Object.values(NetworkServiceService)) {
    const rpc = method.path.slice(method.path.lastIndexOf('/') + 1);
    rules[actionName(rpc)] = /^(Get|List|Watch)/.test(rpc) ? READ : WRITE;
  }
  return rules;
}

export const NETWORK_POLICY_DEFAULTS: Readonly<Record<string, string>> = Object.freeze(defaults());
