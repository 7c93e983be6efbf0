/** weft role list|create|add|remove|assignments */
import { ListRolesRequest } from '../../../proto/gen/weft/identity/v1/identity_service';
import { Role, RoleAssignment } from '../../../proto/gen/weft/identity/v1/resources';
import type { OptionSpec, Parsed } from '../args';
import type { Context } from '../context';
import { jsonDoc, renderTable } from '../format';
import { collect, LIST_EXCLUSIVE, LIST_OPTIONS, opt, printList, printOne, type Command, type Resource } from './common';
import { describeRole, DOMAIN_OPTION, domainOpt, named, resolveIdentityId, whoami } from './identity-common';

const LOOKUP_DOMAIN: OptionSpec = { ...DOMAIN_OPTION, help: 'domain to look user and project names up in (default: the default domain)' };

const list: Command = {
  summary: 'list roles',
  service: 'identity',
  positionals: [],
  options: [{ name: 'name', type: 'string', value: 'NAME', help: 'only the role with this name' }, ...LIST_OPTIONS.filter((o) => o.name !== 'tag')],
  exclusive: LIST_EXCLUSIVE,
  async run(ctx, args) {
    const base = ListRolesRequest.fromPartial({ name: args.str('name') ?? '' });
    const items = await collect(ctx, args, 'roles', async (pageSize, pageToken) => {
      const r = await ctx.identity.listRoles({ ...base, pageSize, pageToken });
      return { items: r.roles, next: r.nextPageToken };
    });
    printList(ctx, items, Role.toJSON, ['ID', 'NAME', 'DESCRIPTION'], (r) => [r.id, r.name, r.description]);
  },
};

const create: Command = {
  summary: 'create a role (admin)',
  service: 'identity',
  positionals: [{ name: 'NAME', required: true, help: 'lowercase letters, digits, "_" or "-"' }],
  options: [opt.description],
  async run(ctx, args) {
    const role = Role.fromPartial({ name: args.positional(0), description: args.str('description') ?? '' });
    printOne(ctx, await ctx.identity.createRole({ role }), Role.toJSON, describeRole);
  },
};

const GRANT = {
  positionals: [{ name: 'ROLE', required: true, help: 'role name or id' }],
  options: [
    { name: 'user', type: 'string', value: 'USER', required: true, help: 'user id or name' },
    { name: 'project', type: 'string', value: 'PROJECT', required: true, help: 'project id or name' },
    LOOKUP_DOMAIN,
  ] satisfies OptionSpec[],
};

/** Resolves ROLE --user --project to ids, keeping what the user typed for messages. */
async function assignment(ctx: Context, args: Parsed): Promise<{ a: RoleAssignment; text: string }> {
  const domainId = await domainOpt(ctx, args);
  const role = args.positional(0)!;
  const user = args.str('user')!;
  const project = args.str('project')!;
  const [roleId, userId, projectId] = await Promise.all([
    resolveIdentityId(ctx, 'role', role),
    resolveIdentityId(ctx, 'user', user, domainId),
    resolveIdentityId(ctx, 'project', project, domainId),
  ]);
  return { a: RoleAssignment.fromPartial({ roleId, userId, projectId }), text: `role ${role} %s user ${user} on project ${project}` };
}

const add: Command = {
  summary: 'grant a role to a user on a project (admin)',
  service: 'identity',
  ...GRANT,
  async run(ctx, args) {
    const { a, text } = await assignment(ctx, args);
    const created = await ctx.identity.createRoleAssignment({ assignment: a });
    ctx.out(ctx.json ? jsonDoc(RoleAssignment.toJSON(created)) : `Added ${text.replace('%s', 'to')}`);
  },
};

const remove: Command = {
  summary: "revoke a user's role on a project (admin; ends the user's tokens for the project)",
  service: 'identity',
  ...GRANT,
  async run(ctx, args) {
    const { a, text } = await assignment(ctx, args);
    await ctx.identity.deleteRoleAssignment({ assignment: a });
    if (!ctx.json) ctx.out(`Removed ${text.replace('%s', 'from')}`);
  },
};

/** Names for ids, looked up one by one; an id the caller may not read stays an id. */
async function namesOf(ids: Iterable<string>, get: (id: string) => Promise<string>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const unique = [...new Set(ids)].filter((id) => id).slice(0, 200);
  await Promise.all(
    unique.map(async (id) => {
      try {
        out.set(id, await get(id));
      } catch {
        // not visible to the caller: show the id
      }
    }),
  );
  return out;
}

const assignments: Command = {
  summary: 'list role assignments (non-admins see their own)',
  service: 'identity',
  positionals: [],
  options: [
    { name: 'user', type: 'string', value: 'USER', help: 'only this user (id or name)' },
    { name: 'project', type: 'string', value: 'PROJECT', help: 'only this project (id or name)' },
    { name: 'role', type: 'string', value: 'ROLE', help: 'only this role (name or id)' },
    LOOKUP_DOMAIN,
  ],
  async run(ctx, args) {
    const domainId = await domainOpt(ctx, args);
    const user = args.str('user');
    const project = args.str('project');
    const role = args.str('role');
    let userId = user === undefined ? '' : await resolveIdentityId(ctx, 'user', user, domainId);
    const projectId = project === undefined ? '' : await resolveIdentityId(ctx, 'project', project, domainId);
    const roleId = role === undefined ? '' : await resolveIdentityId(ctx, 'role', role);
    if (!userId) {
      // Only admins may list other users' assignments; anyone may list their own.
      const me = await whoami(ctx);
      if (!me.roles.includes('admin')) userId = me.userId;
    }
    const { assignments: items } = await ctx.identity.listRoleAssignments({ userId, projectId, roleId });
    if (ctx.json) {
      ctx.out(jsonDoc(items.map((a) => RoleAssignment.toJSON(a))));
      return;
    }
    const api = ctx.identity;
    const [roles, users, projects, domains] = await Promise.all([
      namesOf(
        items.map((a) => a.roleId),
        async (id) => (await api.getRole({ id })).name,
      ),
      namesOf(
        items.map((a) => a.userId),
        async (id) => (await api.getUser({ id })).name,
      ),
      namesOf(
        items.map((a) => a.projectId),
        async (id) => (await api.getProject({ id })).name,
      ),
      namesOf(
        items.map((a) => a.domainId),
        async (id) => (await api.getDomain({ id })).name,
      ),
    ]);
    const rows = items.map((a) => {
      const scope = a.projectId ? `project ${named(projects.get(a.projectId) ?? '', a.projectId)}` : `domain ${named(domains.get(a.domainId) ?? '', a.domainId)}`;
      return [roles.get(a.roleId) ?? a.roleId, a.userId ? (users.get(a.userId) ?? '') : '', a.userId || a.groupId, scope];
    });
    ctx.out(renderTable(['ROLE', 'USER', 'USER ID', 'SCOPE'], rows));
  },
};

export const roleResource: Resource = {
  name: 'role',
  aliases: [],
  summary: 'roles and role assignments',
  verbs: { list, create, add, remove, assignments },
};
