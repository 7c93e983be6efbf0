/**
 * Who may do what on an account, container or object: Swift's keystoneauth rules adapted to
 * Weft tokens. Pure: a decision from the request, the caller and the container's ACL.
 *
 * - Accounts are `<resellerPrefix><project_id>`; anything else is nobody's (denied).
 * - The reseller admin role (on any project) reaches every account, like Swift's ResellerAdmin.
 * - An operator role (admin, member) on the account's project makes the caller its owner: full
 *   access to the account, its containers and objects, and the right to set ACLs.
 * - A reader role on the account's project: GET/HEAD anywhere in the account, nothing else.
 * - Everyone else only through the container's ACLs: the read ACL allows GET/HEAD of objects
 *   (and of the container itself with a user/project grant or `.rlistings`), the write ACL
 *   PUT/POST/DELETE of objects. Creating, changing or deleting containers stays with owners.
 * - `service` gets no special treatment: a service token reads nobody's data.
 * - Account PUT/DELETE (creating and deleting whole accounts) is for reseller admins only, as in
 *   Swift, where those need allow_account_management and a reseller request.
 *
 * A refusal is 401 for anonymous callers (a token might help) and 403 for authenticated ones.
 */
import type { AuthTarget, ObjectCaller, ProxyRequest, ProxyResponse } from '../app/types';
import { mayListContainer, mayReadObjects, mayWriteObjects, readAcl, type AclIdentity } from './acl';

export interface AuthorizeRules {
  resellerPrefix: string;
  operatorRoles: readonly string[];
  readerRoles: readonly string[];
  resellerAdminRole: string;
}

export const DEFAULT_AUTHORIZE_RULES: AuthorizeRules = {
  resellerPrefix: 'AUTH_',
  operatorRoles: ['admin', 'member'],
  readerRoles: ['reader'],
  resellerAdminRole: 'admin',
};

export type Decision = { allow: true; reason: string } | { allow: false; reason: string };

/** What the decision depends on (a view of ProxyRequest, so tests can build it in one line). */
export interface AccessRequest {
  method: string;
  account: string;
  container?: string;
  object?: string;
  caller?: ObjectCaller;
  /** Lower-case header names. */
  headers: Record<string, string>;
}

const READ_METHODS = new Set(['GET', 'HEAD']);

const allow = (reason: string): Decision => ({ allow: true, reason });
const deny = (reason: string): Decision => ({ allow: false, reason });

/** The project id an account belongs to, or undefined when the account is not under the prefix. */
export function accountProject(account: string, rules: AuthorizeRules): string | undefined {
  if (!account.startsWith(rules.resellerPrefix)) return undefined;
  const project = account.slice(rules.resellerPrefix.length);
  return project ? project : undefined;
}

/** Does the caller hold the reseller admin role? */
export function isResellerAdmin(caller: ObjectCaller | undefined, rules: AuthorizeRules): boolean {
  return !!caller && (caller.isResellerAdmin || caller.roles.includes(rules.resellerAdminRole.toLowerCase()));
}

/** Swift's swift_owner: the reseller admin, or an operator of the account's project. */
export function isOwner(caller: ObjectCaller | undefined, account: string, rules: AuthorizeRules): boolean {
  if (!caller) return false;
  if (isResellerAdmin(caller, rules)) return true;
  const project = accountProject(account, rules);
  return project !== undefined && caller.projectId === project && caller.roles.some((r) => rules.operatorRoles.includes(r));
}

/** The decision for one request against its target (see the module comment for the rules). */
export function decide(req: AccessRequest, target: AuthTarget, rules: AuthorizeRules): Decision {
  const project = accountProject(req.account, rules);
  if (project === undefined) return deny(`account ${JSON.stringify(req.account)} is not under the reseller prefix ${rules.resellerPrefix}`);
  const caller = req.caller;
  const isRead = READ_METHODS.has(req.method);
  const accountLevel = req.container === undefined;
  const containerLevel = req.container !== undefined && req.object === undefined;

  if (isResellerAdmin(caller, rules)) return allow('reseller admin');
  if (accountLevel && (req.method === 'PUT' || req.method === 'DELETE')) return deny('creating or deleting accounts needs the reseller admin role');

  if (caller && caller.projectId === project) {
    if (caller.roles.some((r) => rules.operatorRoles.includes(r))) return allow('operator of the account');
    if (isRead && caller.roles.some((r) => rules.readerRoles.includes(r))) return allow('reader of the account');
  }
  // Only owners reach accounts, and create, change or delete containers.
  if (accountLevel) return deny('not an owner of the account');
  if (containerLevel && !isRead) return deny('changing a container needs an owner of the account');
  if (!target.containerAcl) return deny('no container ACL grants access');

  const who: AclIdentity | undefined = caller && {
    projectId: caller.projectId,
    userId: caller.userId,
    userName: caller.userName,
    roles: caller.roles,
    sameProject: caller.projectId === project,
  };
  const referer = req.headers['referer'];
  if (isRead) {
    const read = readAcl(target.containerAcl.read);
    if (containerLevel) return mayListContainer(read, who, referer) ? allow('read ACL allows listing') : deny('the read ACL does not allow listing');
    return mayReadObjects(read, who, referer) ? allow('read ACL') : deny('the read ACL does not grant access');
  }
  if (req.method === 'PUT' || req.method === 'POST' || req.method === 'DELETE' || req.method === 'COPY') {
    return mayWriteObjects(readAcl(target.containerAcl.write), who) ? allow('write ACL') : deny('the write ACL does not grant access');
  }
  return deny(`${req.method} needs an owner of the account`);
}

/** The response for a refusal: 401 without a caller (a token might help), else 403. */
export function denial(req: { method: string; account: string; caller?: ObjectCaller }): ProxyResponse {
  const head = req.method === 'HEAD';
  if (!req.caller) {
    const body = '<html><h1>Unauthorized</h1><p>This server could not verify that you are authorized to access the document you requested.</p></html>';
    return { status: 401, headers: { 'Content-Type': 'text/html; charset=UTF-8', 'Www-Authenticate': `Swift realm="${encodeURIComponent(req.account)}"` }, body: head ? undefined : body };
  }
  const body = '<html><h1>Forbidden</h1><p>Access was denied to this resource.</p></html>';
  return { status: 403, headers: { 'Content-Type': 'text/html; charset=UTF-8' }, body: head ? undefined : body };
}

/** The Authorize function the auth middleware puts on each request. */
export function createAuthorize(rules: AuthorizeRules, onDeny?: (req: ProxyRequest, reason: string) => void): (req: ProxyRequest, target: AuthTarget) => ProxyResponse | undefined {
  return (req, target) => {
    const d = decide(req, target, rules);
    if (d.allow) return undefined;
    onDeny?.(req, d.reason);
    return denial(req);
  };
}
