/**
 * Shared pieces of the resource commands: the command shape, common options, paging through
 * lists, name-or-id resolution, update masks and printing one resource or a list.
 */
import {
  ListNetworksRequest,
  ListPortsRequest,
  ListRoutersRequest,
  ListSecurityGroupsRequest,
  ListSubnetsRequest,
} from '../../../proto/gen/weft/network/v1/network_service';
import { UsageError, type OptionSpec, type Parsed, type PositionalSpec } from '../args';
import type { Context } from '../context';
import { CliError } from '../errors';
import { jsonDoc, renderKeyValue, renderTable } from '../format';

export interface Command {
  summary: string;
  positionals: PositionalSpec[];
  options: OptionSpec[];
  /** Groups of options of which at most one may be given. */
  exclusive?: string[][];
  /** Extra lines for --help. */
  notes?: string[];
  /** The service the command talks to (named in connection errors); default network. */
  service?: 'network' | 'identity';
  run(ctx: Context, args: Parsed, topic: string): Promise<void>;
}

export interface Resource {
  name: string;
  aliases: string[];
  summary: string;
  verbs: Record<string, Command>;
}

/** Lists stop here unless --all or --limit says otherwise. */
export const DEFAULT_LIST_CAP = 10_000;

export const opt = {
  description: { name: 'description', type: 'string', value: 'TEXT', help: 'free-form description' },
  tag: { name: 'tag', type: 'string', value: 'TAG', repeatable: true, help: 'tag (repeatable)' },
  tagsReplace: { name: 'tag', type: 'string', value: 'TAG', repeatable: true, help: 'replace the tags with these (repeatable)' },
  clearTags: { name: 'clear-tags', type: 'boolean', help: 'remove all tags' },
  revision: { name: 'revision', type: 'int', value: 'N', help: 'fail with ABORTED unless the resource is at this revision_number' },
  name: { name: 'name', type: 'string', value: 'NAME', help: 'new name' },
  adminUp: { name: 'admin-up', type: 'boolean', help: 'set the administrative state up' },
  adminDown: { name: 'admin-down', type: 'boolean', help: 'set the administrative state down' },
  projectFilter: { name: 'project-id', type: 'string', value: 'PROJECT', help: "admin only: list another project's resources" },
} satisfies Record<string, OptionSpec>;

export const LIST_OPTIONS: OptionSpec[] = [
  { name: 'tag', type: 'string', value: 'TAG', repeatable: true, help: 'only resources carrying this tag (repeatable: all of them)' },
  { name: 'page-size', type: 'int', value: 'N', help: 'results per request (server default 100, maximum 1000)' },
  { name: 'limit', type: 'int', value: 'N', help: 'show at most N results' },
  { name: 'all', type: 'boolean', help: `follow every page (without it, lists stop after ${DEFAULT_LIST_CAP} results)` },
];
export const LIST_EXCLUSIVE = [['all', 'limit']];

export const ID_ARG: PositionalSpec[] = [{ name: 'ID', required: true, help: 'id (or unique name, where the resource has one)' }];

/** Fetches pages until done, --limit, or the default cap (with a note on stderr when cut short). */
export async function collect<T>(ctx: Context, args: Parsed, kind: string, fetch: (pageSize: number, pageToken: string) => Promise<{ items: T[]; next: string }>): Promise<T[]> {
  const limit = args.int('limit');
  const cap = limit ?? (args.flag('all') ? Infinity : DEFAULT_LIST_CAP);
  let pageSize = args.int('page-size') ?? 0;
  if (!pageSize && limit !== undefined) pageSize = Math.min(Math.max(limit, 1), 1000);
  const out: T[] = [];
  let token = '';
  if (cap === 0) return out;
  for (;;) {
    const page = await fetch(pageSize, token);
    out.push(...page.items);
    token = page.next;
    if (!token) return out.slice(0, cap);
    if (out.length >= cap) {
      if (limit === undefined) ctx.err(`weft: note: showing the first ${out.length} ${kind}; use --all for every one or --limit N`);
      return out.slice(0, cap);
    }
  }
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type NamedKind = 'network' | 'subnet' | 'port' | 'router' | 'security group';

/** Accepts an id as is; otherwise looks the name up and requires exactly one match. */
export async function resolveId(ctx: Context, kind: NamedKind, ref: string): Promise<string> {
  if (UUID_RE.test(ref) || ref === '') return ref;
  const api = ctx.api;
  let ids: string[];
  switch (kind) {
    case 'network':
      ids = (await api.listNetworks(ListNetworksRequest.fromPartial({ name: ref, pageSize: 2 }))).networks.map((x) => x.id);
      break;
    case 'subnet':
      ids = (await api.listSubnets(ListSubnetsRequest.fromPartial({ name: ref, pageSize: 2 }))).subnets.map((x) => x.id);
      break;
    case 'port':
      ids = (await api.listPorts(ListPortsRequest.fromPartial({ name: ref, pageSize: 2 }))).ports.map((x) => x.id);
      break;
    case 'router':
      ids = (await api.listRouters(ListRoutersRequest.fromPartial({ name: ref, pageSize: 2 }))).routers.map((x) => x.id);
      break;
    case 'security group':
      ids = (await api.listSecurityGroups(ListSecurityGroupsRequest.fromPartial({ name: ref, pageSize: 2 }))).securityGroups.map((x) => x.id);
      break;
  }
  if (ids.length === 0) throw new CliError('NOT_FOUND', `no ${kind} with id or name "${ref}"`);
  if (ids.length > 1) throw new CliError('INVALID_ARGUMENT', `more than one ${kind} is named "${ref}"; use its id`);
  return ids[0];
}

/** Resolves an optional reference option (undefined stays undefined). */
export async function resolveOpt(ctx: Context, kind: NamedKind, ref: string | undefined): Promise<string | undefined> {
  return ref === undefined ? undefined : resolveId(ctx, kind, ref);
}

/** Collects update_mask paths; refuses an update that changes nothing. */
export class Mask {
  readonly paths: string[] = [];

  add(path: string): void {
    if (!this.paths.includes(path)) this.paths.push(path);
  }

  /** Adds the "tags" path from --tag / --clear-tags and returns the new tags, if changing. */
  tags(args: Parsed): string[] | undefined {
    if (!args.has('tag') && !args.flag('clear-tags')) return undefined;
    this.add('tags');
    return args.list('tag');
  }

  require(topic: string, flags: readonly string[]): string[] {
    if (this.paths.length === 0) throw new UsageError(`nothing to update; give at least one of ${flags.map((f) => `--${f}`).join(', ')}`, topic);
    return this.paths;
  }
}

/** Flag names of the options of a command except the listed ones (for "nothing to update"). */
export function flagNames(options: readonly OptionSpec[], except: readonly string[] = ['revision']): string[] {
  return options.map((o) => o.name).filter((n) => !except.includes(n));
}

/** --admin-up / --admin-down → the optional bool (undefined when neither). */
export function adminState(args: Parsed): boolean | undefined {
  if (args.flag('admin-up')) return true;
  if (args.flag('admin-down')) return false;
  return undefined;
}

/** "DEST,NEXTHOP" → route. */
export function parseRoute(option: string, text: string, topic: string): { destination: string; nexthop: string } {
  const parts = text.split(',');
  if (parts.length !== 2 || !parts[0] || !parts[1]) throw new UsageError(`--${option}: expected DEST,NEXTHOP (e.g. 10.1.0.0/24,10.0.0.254), got "${text}"`, topic);
  return { destination: parts[0].trim(), nexthop: parts[1].trim() };
}

export function printOne<T>(ctx: Context, value: T, toJSON: (v: T) => unknown, describe: (v: T) => [string, string][]): void {
  ctx.out(ctx.json ? jsonDoc(toJSON(value)) : renderKeyValue(describe(value)));
}

export function printList<T>(ctx: Context, items: readonly T[], toJSON: (v: T) => unknown, headers: readonly string[], row: (v: T) => string[]): void {
  ctx.out(ctx.json ? jsonDoc(items.map(toJSON)) : renderTable(headers, items.map(row)));
}

/** The show verb of a named network resource: resolve the id (or unique name), get, print. */
export function showCommand<T>(kind: NamedKind, get: (ctx: Context, req: { id: string }) => Promise<T>, print: (ctx: Context, value: T) => void): Command {
  return {
    summary: `show a ${kind}`,
    positionals: ID_ARG,
    options: [],
    async run(ctx, args) {
      print(ctx, await get(ctx, { id: await resolveId(ctx, kind, args.positional(0)!) }));
    },
  };
}

/**
 * The delete verb of a named network resource: resolve the id (or unique name), call the API with
 * the optional expected --revision, report.
 */
export function deleteCommand(kind: NamedKind, summary: string, remove: (ctx: Context, req: { id: string; revisionNumber: number }) => Promise<unknown>): Command {
  return {
    summary,
    positionals: ID_ARG,
    options: [opt.revision],
    async run(ctx, args) {
      const id = await resolveId(ctx, kind, args.positional(0)!);
      await remove(ctx, { id, revisionNumber: args.int('revision') ?? 0 });
      printDeleted(ctx, kind, id);
    },
  };
}

export function printDeleted(ctx: Context, kind: string, id: string): void {
  if (!ctx.json) ctx.out(`Deleted ${kind} ${id}`);
}

/** Shared fields at the end of every key/value view. */
export function trailer(r: { projectId: string; tags: string[]; revisionNumber: number; createdAt?: Date; updatedAt?: Date }, time: (d?: Date) => string): [string, string][] {
  return [
    ['project_id', r.projectId],
    ['tags', r.tags.join(', ')],
    ['revision_number', String(r.revisionNumber)],
    ['created_at', time(r.createdAt)],
    ['updated_at', time(r.updatedAt)],
  ];
}
