/** weft project create|list|show */
import { ListProjectsRequest } from '../../../proto/gen/weft/identity/v1/identity_service';
import { Project } from '../../../proto/gen/weft/identity/v1/resources';
import { bool } from '../format';
import { collect, ID_ARG, LIST_EXCLUSIVE, LIST_OPTIONS, opt, printList, printOne, type Command, type Resource } from './common';
import { describeProject, DOMAIN_OPTION, domainOpt, resolveIdentityId } from './identity-common';

const create: Command = {
  summary: 'create a project (admin)',
  service: 'identity',
  positionals: [{ name: 'NAME', required: true }],
  options: [DOMAIN_OPTION, opt.description, { name: 'disabled', type: 'boolean', help: 'create it disabled (no tokens can be scoped to it)' }, opt.tag],
  async run(ctx, args) {
    const project = Project.fromPartial({
      name: args.positional(0),
      domainId: await domainOpt(ctx, args),
      description: args.str('description') ?? '',
      tags: args.list('tag'),
    });
    if (args.flag('disabled')) project.enabled = false;
    printOne(ctx, await ctx.identity.createProject({ project }), Project.toJSON, describeProject);
  },
};

const list: Command = {
  summary: 'list projects (admin)',
  service: 'identity',
  positionals: [],
  options: [{ name: 'name', type: 'string', value: 'NAME', help: 'only the project with this name' }, { ...DOMAIN_OPTION, help: 'only projects of this domain, id or name (default: the default domain)' }, ...LIST_OPTIONS],
  exclusive: LIST_EXCLUSIVE,
  async run(ctx, args) {
    const base = ListProjectsRequest.fromPartial({ name: args.str('name') ?? '', domainId: await domainOpt(ctx, args), tags: args.list('tag') });
    const items = await collect(ctx, args, 'projects', async (pageSize, pageToken) => {
      const r = await ctx.identity.listProjects({ ...base, pageSize, pageToken });
      return { items: r.projects, next: r.nextPageToken };
    });
    printList(ctx, items, Project.toJSON, ['ID', 'NAME', 'DOMAIN', 'ENABLED', 'DESCRIPTION'], (p) => [p.id, p.name, p.domainId, bool(p.enabled), p.description]);
  },
};

const show: Command = {
  summary: 'show a project',
  service: 'identity',
  positionals: ID_ARG,
  options: [{ ...DOMAIN_OPTION, help: 'domain to look the name up in (default: the default domain)' }],
  async run(ctx, args) {
    const id = await resolveIdentityId(ctx, 'project', args.positional(0)!, await domainOpt(ctx, args));
    printOne(ctx, await ctx.identity.getProject({ id }), Project.toJSON, describeProject);
  },
};

export const projectResource: Resource = {
  name: 'project',
  aliases: [],
  summary: 'identity projects (tenants)',
  verbs: { create, list, show },
};
