/** weft user create|list|show|set|delete */
import { ListUsersRequest } from '../../../proto/gen/weft/identity/v1/identity_service';
import { User } from '../../../proto/gen/weft/identity/v1/resources';
import type { OptionSpec, Parsed } from '../args';
import type { Context } from '../context';
import { bool } from '../format';
import { collect, flagNames, ID_ARG, LIST_EXCLUSIVE, LIST_OPTIONS, Mask, opt, printDeleted, printList, printOne, type Command, type Resource } from './common';
import { describeUser, DOMAIN_OPTION, domainOpt, resolveIdentityId } from './identity-common';

const show1 = (ctx: Context, u: User): void => printOne(ctx, u, User.toJSON, describeUser);

const LOOKUP_DOMAIN: OptionSpec = { ...DOMAIN_OPTION, help: 'domain to look the name up in (default: the default domain)' };
const PASSWORD_PROMPT: OptionSpec = { name: 'password-prompt', type: 'boolean', help: 'read the password from stdin (prompting on a terminal) instead of --password' };

async function newPassword(ctx: Context, args: Parsed, user: string): Promise<string | undefined> {
  if (args.has('password')) return args.str('password');
  if (!args.flag('password-prompt')) return undefined;
  return (await ctx.readSecret?.(`New password for ${user}: `)) ?? '';
}

const create: Command = {
  summary: 'create a user (admin)',
  service: 'identity',
  positionals: [{ name: 'NAME', required: true }],
  options: [
    { name: 'password', type: 'string', value: 'PASSWORD', help: 'password (without one the user cannot log in)' },
    PASSWORD_PROMPT,
    { name: 'default-project', type: 'string', value: 'PROJECT', help: 'project a login without --project is scoped to (id or name)' },
    DOMAIN_OPTION,
    opt.description,
    { name: 'disabled', type: 'boolean', help: 'create the user disabled' },
    opt.tag,
  ],
  exclusive: [['password', 'password-prompt']],
  async run(ctx, args) {
    const name = args.positional(0)!;
    const domainId = await domainOpt(ctx, args);
    const project = args.str('default-project');
    const user = User.fromPartial({
      name,
      domainId,
      description: args.str('description') ?? '',
      password: (await newPassword(ctx, args, name)) ?? '',
      defaultProjectId: project === undefined ? '' : await resolveIdentityId(ctx, 'project', project, domainId),
      tags: args.list('tag'),
    });
    if (args.flag('disabled')) user.enabled = false;
    show1(ctx, await ctx.identity.createUser({ user }));
  },
};

const list: Command = {
  summary: 'list users (admin)',
  service: 'identity',
  positionals: [],
  options: [{ name: 'name', type: 'string', value: 'NAME', help: 'only the user with this name' }, { ...DOMAIN_OPTION, help: 'only users of this domain, id or name (default: the default domain)' }, ...LIST_OPTIONS],
  exclusive: LIST_EXCLUSIVE,
  async run(ctx, args) {
    const base = ListUsersRequest.fromPartial({ name: args.str('name') ?? '', domainId: await domainOpt(ctx, args), tags: args.list('tag') });
    const items = await collect(ctx, args, 'users', async (pageSize, pageToken) => {
      const r = await ctx.identity.listUsers({ ...base, pageSize, pageToken });
      return { items: r.users, next: r.nextPageToken };
    });
    printList(ctx, items, User.toJSON, ['ID', 'NAME', 'DOMAIN', 'ENABLED', 'DEFAULT PROJECT'], (u) => [u.id, u.name, u.domainId, bool(u.enabled), u.defaultProjectId]);
  },
};

const show: Command = {
  summary: 'show a user',
  service: 'identity',
  positionals: ID_ARG,
  options: [LOOKUP_DOMAIN],
  async run(ctx, args) {
    const id = await resolveIdentityId(ctx, 'user', args.positional(0)!, await domainOpt(ctx, args));
    show1(ctx, await ctx.identity.getUser({ id }));
  },
};

const setOptions: OptionSpec[] = [
  opt.name,
  { name: 'password', type: 'string', value: 'PASSWORD', help: "new password (ends the user's tokens)" },
  PASSWORD_PROMPT,
  { name: 'enable', type: 'boolean', help: 'enable the user' },
  { name: 'disable', type: 'boolean', help: "disable the user (ends the user's tokens)" },
  opt.description,
  { name: 'default-project', type: 'string', value: 'PROJECT', help: 'new default project (id or name; "" to clear)' },
  opt.tagsReplace,
  opt.clearTags,
  LOOKUP_DOMAIN,
  opt.revision,
];

const set: Command = {
  summary: 'change a user (only the fields given)',
  service: 'identity',
  positionals: ID_ARG,
  options: setOptions,
  exclusive: [['enable', 'disable'], ['password', 'password-prompt'], ['tag', 'clear-tags']],
  async run(ctx, args, topic) {
    const mask = new Mask();
    const user = User.fromPartial({ revisionNumber: args.int('revision') ?? 0 });
    const name = args.str('name');
    if (name !== undefined) { user.name = name; mask.add('name'); }
    const description = args.str('description');
    if (description !== undefined) { user.description = description; mask.add('description'); }
    if (args.flag('enable') || args.flag('disable')) { user.enabled = args.flag('enable'); mask.add('enabled'); }
    const project = args.str('default-project');
    if (project !== undefined) mask.add('default_project_id');
    const tags = mask.tags(args);
    if (tags) user.tags = tags;
    if (args.has('password') || args.flag('password-prompt')) mask.add('password');
    const updateMask = mask.require(topic, flagNames(setOptions, ['revision', 'domain']));
    const domainId = await domainOpt(ctx, args);
    user.id = await resolveIdentityId(ctx, 'user', args.positional(0)!, domainId);
    if (project) user.defaultProjectId = await resolveIdentityId(ctx, 'project', project, domainId);
    if (updateMask.includes('password')) user.password = (await newPassword(ctx, args, args.positional(0)!)) ?? '';
    show1(ctx, await ctx.identity.updateUser({ user, updateMask }));
  },
};

const del: Command = {
  summary: "delete a user (and the user's role assignments; ends the user's tokens)",
  service: 'identity',
  positionals: ID_ARG,
  options: [LOOKUP_DOMAIN, opt.revision],
  async run(ctx, args) {
    const id = await resolveIdentityId(ctx, 'user', args.positional(0)!, await domainOpt(ctx, args));
    await ctx.identity.deleteUser({ id, revisionNumber: args.int('revision') ?? 0 });
    printDeleted(ctx, 'user', id);
  },
};

export const userResource: Resource = {
  name: 'user',
  aliases: [],
  summary: 'identity users',
  verbs: { create, list, show, set, delete: del },
};
