/**
 * Shared pieces of the identity commands: who the caller is, name → id resolution, password and
 * scope options, and the key/value views of identity resources.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { IssueTokenResponse, Scope, TokenInfo } from '../../../proto/gen/weft/identity/v1/identity_service';
import { Endpoint, type Project, type Role, type User } from '../../../proto/gen/weft/identity/v1/resources';
import type { Partial2 } from '../../../services/runtime/client/promisify';
import { UsageError, type OptionSpec, type Parsed } from '../args';
import { notLoggedIn, type Context } from '../context';
import type { CachedToken } from '../credentials';
import { CliError, isServiceError } from '../errors';
import { bool, lines, time } from '../format';
import { UUID_RE } from './common';

export type IdentityKind = 'project' | 'user' | 'role' | 'domain';

/** The caller as its token says. */
export interface Me {
  userId: string;
  userName: string;
  projectId: string;
  projectName: string;
  roles: string[];
}

export { notLoggedIn };

const whoCache = new WeakMap<Context, Promise<Me>>();

/** From the cached login when that is what authenticates, else by validating the token. */
export function whoami(ctx: Context): Promise<Me> {
  let p = whoCache.get(ctx);
  if (!p) {
    p = (async (): Promise<Me> => {
      const a = ctx.auth();
      if (a.cached) return a.cached;
      const token = a.credentials.token;
      if (!token) throw notLoggedIn();
      const info = (await ctx.identity.validateToken({ token })).info;
      return { userId: info?.userId ?? '', userName: info?.userName ?? '', projectId: info?.projectId ?? '', projectName: info?.projectName ?? '', roles: info?.roles ?? [] };
    })();
    whoCache.set(ctx, p);
  }
  return p;
}

async function idsNamed(ctx: Context, kind: IdentityKind, name: string, domainId: string): Promise<string[]> {
  const api = ctx.identity;
  switch (kind) {
    case 'project':
      return (await api.listProjects({ name, domainId, pageSize: 2 })).projects.map((x) => x.id);
    case 'user':
      return (await api.listUsers({ name, domainId, pageSize: 2 })).users.map((x) => x.id);
    case 'role':
      return (await api.listRoles({ name, pageSize: 2 })).roles.map((x) => x.id);
    case 'domain':
      return (await api.listDomains({ name, pageSize: 2 })).domains.map((x) => x.id);
  }
}

/**
 * Accepts an id as is; otherwise looks the name up (in `domainId`, default the default domain)
 * and requires exactly one match. A caller who may not list users or projects can still name
 * itself and its own project.
 */
export async function resolveIdentityId(ctx: Context, kind: IdentityKind, ref: string, domainId = ''): Promise<string> {
  if (UUID_RE.test(ref)) return ref;
  let ids: string[];
  try {
    ids = await idsNamed(ctx, kind, ref, domainId);
  } catch (e) {
    if (isServiceError(e) && e.code === GrpcStatus.PERMISSION_DENIED && !domainId && (kind === 'user' || kind === 'project')) {
      const me = await whoami(ctx);
      if (kind === 'user' && me.userName === ref) return me.userId;
      if (kind === 'project' && me.projectId && me.projectName === ref) return me.projectId;
    }
    throw e;
  }
  if (ids.length === 0) throw new CliError('NOT_FOUND', `no ${kind} with id or name "${ref}"`);
  if (ids.length > 1) throw new CliError('INVALID_ARGUMENT', `more than one ${kind} is named "${ref}"; use its id`);
  return ids[0];
}

/** --domain ID|NAME → id ('' when not given: the server's default domain). */
export async function domainOpt(ctx: Context, args: Parsed, option = 'domain'): Promise<string> {
  const ref = args.str(option);
  return ref === undefined ? '' : resolveIdentityId(ctx, 'domain', ref);
}

export const DOMAIN_OPTION: OptionSpec = { name: 'domain', type: 'string', value: 'DOMAIN', help: 'domain id or name (default: the default domain)' };

// ---------- passwords and token requests ----------

/** --password, else env WEFT_PASSWORD, else one line from stdin (prompting on a terminal). */
export async function passwordFrom(ctx: Context, args: Parsed, forWhom: string, topic: string, option = 'password'): Promise<string> {
  const given = args.str(option);
  if (given !== undefined) return given;
  if (ctx.env.WEFT_PASSWORD) return ctx.env.WEFT_PASSWORD;
  const read = ctx.readSecret ? await ctx.readSecret(`Password for ${forWhom}: `) : undefined;
  if (!read) throw new UsageError(`no password: give --${option}, set WEFT_PASSWORD, or type it on stdin`, topic);
  return read;
}

export const LOGIN_OPTIONS: OptionSpec[] = [
  { name: 'password', type: 'string', value: 'PASSWORD', help: 'password (else env WEFT_PASSWORD, else one line from stdin); note other local users can see command lines' },
  { name: 'user-domain', type: 'string', value: 'DOMAIN', help: "the user's domain, name or id (default: the default domain)" },
  { name: 'project', type: 'string', value: 'PROJECT', help: "scope the token to this project, name or id (default: the user's default project)" },
  { name: 'project-domain', type: 'string', value: 'DOMAIN', help: "the project's domain, name or id (default: the user's domain)" },
  { name: 'unscoped', type: 'boolean', help: 'an unscoped token, even if the user has a default project' },
];
export const LOGIN_EXCLUSIVE = [
  ['unscoped', 'project'],
  ['unscoped', 'project-domain'],
];

/** The requested scope; undefined when no scope option was given. */
export function scopeFrom(args: Parsed, topic: string): Partial2<Scope> | undefined {
  if (args.flag('unscoped')) return { unscoped: true };
  const project = args.str('project');
  const domain = args.str('project-domain');
  if (project === undefined) {
    if (domain !== undefined) throw new UsageError('--project-domain needs --project', topic);
    return undefined;
  }
  if (UUID_RE.test(project)) return { projectId: project };
  const scope: Partial2<Scope> = { projectName: project };
  if (domain !== undefined) {
    if (UUID_RE.test(domain)) scope.projectDomainId = domain;
    else scope.projectDomainName = domain;
  }
  return scope;
}

/** IssueToken with the password method (anonymous call). */
export async function issueWithPassword(ctx: Context, args: Parsed, topic: string): Promise<IssueTokenResponse> {
  const user = args.str('username')!;
  const domain = args.str('user-domain');
  const password = await passwordFrom(ctx, args, user, topic);
  const scope = scopeFrom(args, topic);
  const method = {
    userId: UUID_RE.test(user) ? user : '',
    userName: UUID_RE.test(user) ? '' : user,
    userDomainId: domain !== undefined && UUID_RE.test(domain) ? domain : '',
    userDomainName: domain !== undefined && !UUID_RE.test(domain) ? domain : '',
    password,
  };
  return ctx.identityWith({}).issueToken({ method: { $case: 'password', value: method }, ...(scope ? { scope } : {}) });
}

/** What `weft login` caches from an IssueToken answer. */
export function cachedFrom(res: IssueTokenResponse, identityUrl: string): CachedToken {
  const info = res.info;
  return {
    token: res.token,
    expiresAt: time(info?.expiresAt),
    identityUrl,
    userId: info?.userId ?? '',
    userName: info?.userName ?? '',
    projectId: info?.projectId ?? '',
    projectName: info?.projectName ?? '',
    roles: info?.roles ?? [],
    catalog: res.catalog.map((e) => Endpoint.toJSON(e)),
  };
}

// ---------- views ----------

export const named = (name: string, id: string): string => (name ? `${name} (${id})` : id);

export function describeTokenInfo(i: TokenInfo): [string, string][] {
  return [
    ['user', named(i.userName, i.userId)],
    ['domain_id', i.domainId],
    ['project', i.projectId ? named(i.projectName, i.projectId) : '(unscoped)'],
    ['roles', i.roles.join(', ')],
    ['methods', i.methods.join(', ')],
    ['issued_at', time(i.issuedAt)],
    ['expires_at', time(i.expiresAt)],
    ['audit_id', i.auditId],
    ['audit_chain', lines(i.auditChain)],
    ...(i.appCredId ? ([['app_cred_id', i.appCredId]] as [string, string][]) : []),
  ];
}

export function describeProject(p: Project): [string, string][] {
  return [
    ['id', p.id],
    ['name', p.name],
    ['domain_id', p.domainId],
    ['description', p.description],
    ['enabled', bool(p.enabled)],
    ['tags', p.tags.join(', ')],
    ['revision_number', String(p.revisionNumber)],
    ['created_at', time(p.createdAt)],
    ['updated_at', time(p.updatedAt)],
  ];
}

export function describeUser(u: User): [string, string][] {
  return [
    ['id', u.id],
    ['name', u.name],
    ['domain_id', u.domainId],
    ['description', u.description],
    ['enabled', bool(u.enabled)],
    ['default_project_id', u.defaultProjectId],
    ['tags', u.tags.join(', ')],
    ['revision_number', String(u.revisionNumber)],
    ['created_at', time(u.createdAt)],
    ['updated_at', time(u.updatedAt)],
  ];
}

export function describeRole(r: Role): [string, string][] {
  return [
    ['id', r.id],
    ['name', r.name],
    ['description', r.description],
    ['revision_number', String(r.revisionNumber)],
    ['created_at', time(r.createdAt)],
    ['updated_at', time(r.updatedAt)],
  ];
}

export function describeEndpoint(e: Endpoint): [string, string][] {
  return [
    ['id', e.id],
    ['service_type', e.serviceType],
    ['service_name', e.serviceName],
    ['region', e.region],
    ['interface', e.interface],
    ['address', e.address],
    ['created_at', time(e.createdAt)],
  ];
}
