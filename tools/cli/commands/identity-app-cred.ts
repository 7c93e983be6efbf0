/** weft app-cred create|list|show|delete (application credentials of the logged-in user) */
import { ApplicationCredential } from '../../../proto/gen/weft/identity/v1/resources';
import { UsageError } from '../args';
import { printDeleted, printList, printOne, type Command, type Resource } from './common';

function describe(a: ApplicationCredential): [string, string][] {
  return [
    ['id', a.id],
    ['name', a.name],
    ['description', a.description],
    ['project_id', a.projectId],
    ['user_id', a.userId],
    ['roles', a.roles.join(', ')],
    ['expires_at', a.expiresAt ? a.expiresAt.toISOString() : 'never'],
    ...(a.secret ? ([['secret', `${a.secret}   (shown once: store it now)`]] as [string, string][]) : []),
    ['created_at', a.createdAt ? a.createdAt.toISOString() : ''],
  ];
}

const create: Command = {
  summary: "delegate (some of) your roles on your token's project to a secret for automation",
  service: 'identity',
  positionals: [{ name: 'NAME', required: true, help: 'credential name (unique per user)' }],
  options: [
    { name: 'role', type: 'string', value: 'ROLE', repeatable: true, help: "a role to delegate (default: all of the token's roles)" },
    { name: 'expires', type: 'string', value: 'ISO-TIME', help: 'when the credential stops working (default: never)' },
    { name: 'description', type: 'string', value: 'TEXT', help: 'description' },
  ],
  async run(ctx, args, topic) {
    const expires = args.str('expires');
    const expiresAt = expires === undefined ? undefined : new Date(expires);
    if (expiresAt && Number.isNaN(expiresAt.getTime())) throw new UsageError(`--expires: not a date/time: ${expires}`, topic);
    const cred = await ctx.identity.createApplicationCredential({
      applicationCredential: { name: args.positional(0)!, description: args.str('description') ?? '', roles: args.list('role'), expiresAt },
    });
    printOne(ctx, cred, ApplicationCredential.toJSON, describe);
  },
};

const list: Command = {
  summary: 'list your application credentials',
  service: 'identity',
  positionals: [],
  options: [],
  async run(ctx) {
    const { applicationCredentials } = await ctx.identity.listApplicationCredentials({ pageSize: 1000 });
    printList(ctx, applicationCredentials, ApplicationCredential.toJSON, ['ID', 'NAME', 'PROJECT', 'ROLES', 'EXPIRES'], (a) => [a.id, a.name, a.projectId, a.roles.join(','), a.expiresAt ? a.expiresAt.toISOString() : 'never']);
  },
};

const show: Command = {
  summary: 'show an application credential (never its secret)',
  service: 'identity',
  positionals: [{ name: 'ID', required: true, help: 'credential id' }],
  options: [],
  async run(ctx, args) {
    printOne(ctx, await ctx.identity.getApplicationCredential({ id: args.positional(0)! }), ApplicationCredential.toJSON, describe);
  },
};

const del: Command = {
  summary: 'delete an application credential (its tokens stop working at once)',
  service: 'identity',
  positionals: [{ name: 'ID', required: true, help: 'credential id' }],
  options: [],
  async run(ctx, args) {
    const id = args.positional(0)!;
    await ctx.identity.deleteApplicationCredential({ id });
    printDeleted(ctx, 'application credential', id);
  },
};

export const appCredResource: Resource = {
  name: 'app-cred',
  aliases: ['application-credential'],
  summary: 'application credentials (delegated secrets for automation)',
  verbs: { create, list, show, delete: del },
};
