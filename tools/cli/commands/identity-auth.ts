/** weft login | logout | token show|issue | catalog */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { IssueTokenResponse, TokenInfo } from '../../../proto/gen/weft/identity/v1/identity_service';
import { Endpoint } from '../../../proto/gen/weft/identity/v1/resources';
import { UsageError, type Parsed } from '../args';
import type { Context } from '../context';
import { isExpired, readTokenFile, removeTokenFile, writeTokenFile, type CachedToken } from '../credentials';
import { CliError, isServiceError } from '../errors';
import { jsonDoc, renderKeyValue } from '../format';
import { printList, printOne, type Command, type Resource } from './common';
import { cachedFrom, describeTokenInfo, issueWithPassword, LOGIN_EXCLUSIVE, LOGIN_OPTIONS, named, notLoggedIn, scopeFrom, whoami } from './identity-common';

const USERNAME = { name: 'username', type: 'string', value: 'NAME', help: 'user name (or id)' } as const;

function loginView(c: CachedToken, file: string, showToken: boolean): [string, string][] {
  return [
    ['user', named(c.userName, c.userId)],
    ['project', c.projectId ? named(c.projectName, c.projectId) : '(unscoped)'],
    ['roles', c.roles.join(', ')],
    ['expires_at', c.expiresAt],
    ['identity_url', c.identityUrl],
    ['token_file', file],
    ...(showToken ? ([['token', c.token]] as [string, string][]) : []),
  ];
}

const APP_CRED = { name: 'application-credential', type: 'string', value: 'ID', help: 'log in with this application credential instead of a password' } as const;
const SECRET = { name: 'secret', type: 'string', value: 'SECRET', help: "the application credential's secret (else env WEFT_APP_CRED_SECRET, else one line from stdin)" } as const;

/** IssueToken with an application credential (its project and roles are fixed by the credential). */
async function issueWithAppCred(ctx: Context, args: Parsed, topic: string): Promise<IssueTokenResponse> {
  for (const o of ['username', 'password', 'user-domain', 'project', 'project-domain', 'unscoped']) {
    if (args.has(o)) throw new UsageError(`--${o} does not combine with --application-credential (the credential fixes user, project and roles)`, topic);
  }
  const id = args.str('application-credential')!;
  const secret = args.str('secret') ?? (ctx.env.WEFT_APP_CRED_SECRET || (ctx.readSecret ? await ctx.readSecret(`Secret for application credential ${id}: `) : undefined));
  if (!secret) throw new UsageError('no secret: give --secret, set WEFT_APP_CRED_SECRET, or type it on stdin', topic);
  return ctx.identityWith({}).issueToken({ method: { $case: 'applicationCredential', value: { id, secret } } });
}

export const loginCommand: Command = {
  summary: 'log in (password or application credential) and cache a token for the following commands',
  service: 'identity',
  positionals: [],
  options: [USERNAME, ...LOGIN_OPTIONS, APP_CRED, SECRET, { name: 'print-token', type: 'boolean', help: 'also print the token' }],
  exclusive: [...LOGIN_EXCLUSIVE, ['username', 'application-credential']],
  notes: [
    'The token is cached in env WEFT_TOKEN_FILE (default ~/.config/weft/token.json, mode 0600) and sent',
    'as "authorization: Bearer" by every command until it expires; env WEFT_TOKEN takes precedence.',
  ],
  async run(ctx, args, topic) {
    if (!args.has('username') && !args.has('application-credential')) throw new UsageError('give --username (password login) or --application-credential', topic);
    const res = args.has('application-credential') ? await issueWithAppCred(ctx, args, topic) : await issueWithPassword(ctx, args, topic);
    const cached = cachedFrom(res, ctx.identityUrl);
    writeTokenFile(ctx.tokenFile, cached, ctx.env);
    if (ctx.env.WEFT_TOKEN) ctx.err('weft: note: WEFT_TOKEN is set, so commands use it instead of this login until it is unset');
    const showToken = args.flag('print-token');
    if (ctx.json) {
      const { token, catalog: _catalog, ...rest } = cached;
      ctx.out(jsonDoc({ ...rest, tokenFile: ctx.tokenFile, ...(showToken ? { token } : {}) }));
    } else {
      ctx.out(renderKeyValue(loginView(cached, ctx.tokenFile, showToken)));
    }
  },
};

export const logoutCommand: Command = {
  summary: 'revoke the cached token and delete the token file',
  service: 'identity',
  positionals: [],
  options: [],
  async run(ctx) {
    const file = ctx.tokenFile;
    let cached: CachedToken | undefined;
    try {
      cached = readTokenFile(file, ctx.err);
    } catch (e) {
      if (!(e instanceof CliError)) throw e;
      removeTokenFile(file);
      if (!ctx.json) ctx.out(`Removed the unreadable token file ${file}`);
      return;
    }
    if (!cached) {
      if (!ctx.json) ctx.out(`Not logged in (no token file at ${file})`);
      return;
    }
    let what = 'token revoked';
    if (isExpired(cached)) {
      what = 'the token had already expired';
    } else {
      try {
        await ctx.identityWith({ token: cached.token }).revokeToken({ token: cached.token });
      } catch (e) {
        // Already revoked, or from an identity service that no longer knows its key: nothing to undo.
        if (!isServiceError(e) || (e.code !== GrpcStatus.UNAUTHENTICATED && e.code !== GrpcStatus.NOT_FOUND)) throw e;
        what = 'the token was no longer valid';
      }
    }
    removeTokenFile(file);
    if (!ctx.json) ctx.out(`Logged out ${cached.userName || cached.userId} (${what}); removed ${file}`);
  },
};

/** The token the commands would use (WEFT_TOKEN or the cached login). */
function currentToken(ctx: Context): string {
  const token = ctx.auth().credentials.token;
  if (!token) throw notLoggedIn();
  return token;
}

const show: Command = {
  summary: 'show what the current token says (validated by the identity service)',
  service: 'identity',
  positionals: [],
  options: [],
  async run(ctx) {
    const token = currentToken(ctx);
    const a = ctx.auth();
    const info = (await ctx.identity.validateToken({ token })).info ?? TokenInfo.fromPartial({});
    printOne(ctx, info, TokenInfo.toJSON, (i) => [...describeTokenInfo(i), ['source', a.source === 'env' ? 'env WEFT_TOKEN' : a.file], ['identity_url', ctx.identityUrl]]);
  },
};

const issue: Command = {
  summary: 'issue a new token (from the current one, or with --username and a password) without caching it',
  service: 'identity',
  positionals: [],
  options: [
    { ...USERNAME, help: 'authenticate this user with a password instead of the current token' },
    ...LOGIN_OPTIONS,
    { name: 'print', type: 'boolean', help: 'print only the token (for scripts)' },
  ],
  exclusive: LOGIN_EXCLUSIVE,
  notes: ["Without --username the current token is rescoped (to --project, else to the current token's project)."],
  async run(ctx, args, topic) {
    let res: IssueTokenResponse;
    if (args.has('username')) {
      res = await issueWithPassword(ctx, args, topic);
    } else {
      if (args.has('password') || args.has('user-domain')) throw new UsageError('--password and --user-domain need --username', topic);
      currentToken(ctx);
      let scope = scopeFrom(args, topic);
      if (!scope) {
        const me = await whoami(ctx);
        scope = me.projectId ? { projectId: me.projectId } : { unscoped: true };
      }
      res = await ctx.identity.issueToken({ method: { $case: 'token', value: {} }, scope });
    }
    if (args.flag('print')) {
      ctx.out(res.token);
      return;
    }
    printOne(ctx, res, IssueTokenResponse.toJSON, (r) => [['token', r.token], ...describeTokenInfo(r.info ?? TokenInfo.fromPartial({}))]);
  },
};

export const tokenResource: Resource = {
  name: 'token',
  aliases: [],
  summary: 'identity tokens',
  verbs: { show, issue },
};

export const catalogCommand: Command = {
  summary: 'list the service catalog (endpoints of every service)',
  service: 'identity',
  positionals: [],
  options: [
    { name: 'type', type: 'string', value: 'TYPE', help: 'only this service type, e.g. network' },
    { name: 'region', type: 'string', value: 'REGION', help: 'only this region' },
  ],
  async run(ctx, args) {
    const { endpoints } = await ctx.identity.listEndpoints({ serviceType: args.str('type') ?? '', region: args.str('region') ?? '' });
    const sorted = [...endpoints].sort((a, b) => a.serviceType.localeCompare(b.serviceType) || a.region.localeCompare(b.region) || a.interface.localeCompare(b.interface));
    printList(ctx, sorted, Endpoint.toJSON, ['TYPE', 'NAME', 'REGION', 'INTERFACE', 'ADDRESS'], (e) => [e.serviceType, e.serviceName, e.region, e.interface, e.address]);
  },
};
