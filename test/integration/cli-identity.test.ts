/**
 * The compiled `weft` CLI against a real identity service process: login (password on stdin and
 * with --password), the token file and its modes, projects, users, roles and assignments, a
 * member's view, the catalog, token show/issue, logout with revocation, and the error paths.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ADMIN_PASSWORD, startIdentity, type IdentityHandle } from './identity/harness';

const ROOT = path.join(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'tools', 'cli', 'main.js');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

let identity: IdentityHandle | undefined;
let dir = '';
let adminFile = '';
let memberFile = '';

/** The environment without any WEFT_* settings of the developer, and a HOME of our own. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('WEFT_')) env[k] = v;
  env.HOME = path.join(dir, 'home');
  return env;
}

interface RunOptions {
  tokenFile?: string;
  env?: Record<string, string>;
  stdin?: string;
  /** Leave WEFT_IDENTITY_URL unset (the cached login's address is used). */
  noUrl?: boolean;
}

function weft(args: string[], opts: RunOptions = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...cleanEnv(), WEFT_TOKEN_FILE: opts.tokenFile ?? adminFile, ...(opts.noUrl ? {} : { WEFT_IDENTITY_URL: identity!.address }), ...opts.env };
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.on('error', () => undefined); // the CLI may exit without reading stdin
    child.stdin.end(opts.stdin ?? '');
  });
}

async function ok(args: string[], opts: RunOptions = {}): Promise<string> {
  const r = await weft(args, opts);
  if (r.code !== 0) throw new Error(`weft ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
  expect(r.stderr).toBe('');
  return r.stdout;
}

async function okJson<T>(args: string[], opts: RunOptions = {}): Promise<T> {
  return JSON.parse(await ok([...args, '--json'], opts)) as T;
}

/** Expects exit 1 with exactly one "weft: CODE: ..." line. */
async function fails(code: string, args: string[], opts: RunOptions = {}): Promise<string> {
  const r = await weft(args, opts);
  expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 1, stdout: '' });
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines[0]).toMatch(new RegExp(`^weft: ${code}: \\S`));
  return r.stderr;
}

function field(view: string, key: string): string | undefined {
  const m = new RegExp(`^${key} +(.*)$`, 'm').exec(view);
  return m ? m[1] : undefined;
}

interface Cached {
  token: string;
  expiresAt: string;
  identityUrl: string;
  userId: string;
  userName: string;
  projectId: string;
  projectName: string;
  roles: string[];
  catalog: unknown[];
}
const readCache = (file: string): Cached => JSON.parse(readFileSync(file, 'utf8')) as Cached;
const mode = (p: string): number => statSync(p).mode & 0o777;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'weft-cli-id-'));
  adminFile = path.join(dir, 'cfg', 'admin', 'token.json');
  memberFile = path.join(dir, 'cfg', 'member', 'token.json');
  identity = await startIdentity();
}, 30_000);

afterAll(async () => {
  await identity?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('weft CLI against an identity service', () => {
  test('login, resources, a member, logout', async () => {
    // login with the password on stdin: no prompt (not a terminal), no token printed
    const login = await weft(['login', '--username', 'admin'], { stdin: `${ADMIN_PASSWORD}\n` });
    expect(login).toMatchObject({ code: 0, stderr: '' });
    expect(field(login.stdout, 'user')).toMatch(/^admin \([0-9a-f-]{36}\)$/);
    expect(field(login.stdout, 'project')).toMatch(/^admin \([0-9a-f-]{36}\)$/);
    expect(field(login.stdout, 'roles')).toBe('admin');
    expect(field(login.stdout, 'token_file')).toBe(adminFile);
    expect(mode(adminFile)).toBe(0o600);
    expect(mode(path.dirname(adminFile))).toBe(0o700);
    const first = readCache(adminFile);
    expect(first).toMatchObject({ userName: 'admin', projectName: 'admin', roles: ['admin'], identityUrl: identity!.address });
    expect(Date.parse(first.expiresAt)).toBeGreaterThan(Date.now());
    expect(login.stdout).not.toContain(first.token);
    expect(login.stdout).not.toContain(ADMIN_PASSWORD);

    // login with --password (and --print-token) replaces the file, still 0600
    const again = await ok(['login', '--username', 'admin', '--password', ADMIN_PASSWORD, '--print-token']);
    const second = readCache(adminFile);
    expect(second.token).not.toBe(first.token);
    expect(field(again, 'token')).toBe(second.token);
    expect(mode(adminFile)).toBe(0o600);

    // the cached login also says where identity is
    const shown = await ok(['token', 'show'], { noUrl: true });
    expect(field(shown, 'user')).toBe(`admin (${second.userId})`);
    expect(field(shown, 'methods')).toBe('password');
    expect(field(shown, 'source')).toBe(adminFile);

    // project, user, role assignment (by name)
    const projectId = field(await ok(['project', 'create', 'cli-proj', '--description', 'CLI tests']), 'id')!;
    expect(projectId).toMatch(/^[0-9a-f-]{36}$/);
    const projects = await okJson<{ id: string; name: string }[]>(['project', 'list']);
    expect(projects.map((p) => p.name).sort()).toEqual(['admin', 'cli-proj']);
    expect(field(await ok(['project', 'show', 'cli-proj']), 'id')).toBe(projectId);
    const user = await ok(['user', 'create', 'cli-user', '--password', 'member-pw', '--default-project', 'cli-proj']);
    const userId = field(user, 'id')!;
    expect(field(user, 'default_project_id')).toBe(projectId);
    expect(await ok(['role', 'add', '--user', 'cli-user', '--project', 'cli-proj', 'member'])).toBe('Added role member to user cli-user on project cli-proj\n');
    const grants = (await ok(['role', 'assignments', '--project', 'cli-proj'])).trimEnd().split('\n');
    expect(grants[0]).toMatch(/^ROLE +USER +USER ID +SCOPE$/);
    expect(grants.slice(1)).toEqual([expect.stringMatching(new RegExp(`^member +cli-user +${userId} +project cli-proj \\(${projectId}\\)$`))]);
    await fails('NOT_FOUND', ['role', 'add', '--user', 'cli-user', '--project', 'cli-proj', 'no-such-role']);

    // the member logs in scoped to the project (by name) into its own token file
    const memberLogin = await ok(['login', '--username', 'cli-user', '--password', 'member-pw', '--project', 'cli-proj'], { tokenFile: memberFile });
    expect(field(memberLogin, 'project')).toBe(`cli-proj (${projectId})`);
    expect(field(memberLogin, 'roles')).toBe('member');
    expect(mode(memberFile)).toBe(0o600);
    const memberToken = readCache(memberFile).token;

    const memberShow = await ok(['token', 'show'], { tokenFile: memberFile });
    expect(field(memberShow, 'user')).toBe(`cli-user (${userId})`);
    expect(field(memberShow, 'project')).toBe(`cli-proj (${projectId})`);
    expect(field(memberShow, 'roles')).toBe('member');

    // the member delegates its role to an application credential and logs in with it (secret on stdin)
    const cred = await ok(['app-cred', 'create', 'ci-bot', '--role', 'member'], { tokenFile: memberFile });
    const credId = field(cred, 'id')!;
    const secret = field(cred, 'secret')!.split(' ')[0];
    expect(secret.length).toBeGreaterThan(30);
    expect(field(await ok(['app-cred', 'show', credId], { tokenFile: memberFile }), 'roles')).toBe('member');
    const botFile = path.join(dir, 'bot-token.json');
    const botLogin = await ok(['login', '--application-credential', credId], { tokenFile: botFile, stdin: `${secret}\n` });
    expect(field(botLogin, 'project')).toBe(`cli-proj (${projectId})`);
    expect(field(botLogin, 'roles')).toBe('member');
    await fails('UNAUTHENTICATED', ['login', '--application-credential', credId, '--secret', 'wrong'], { tokenFile: path.join(dir, 'bad.json') });
    expect(await ok(['app-cred', 'delete', credId], { tokenFile: memberFile })).toContain(credId);
    await fails('UNAUTHENTICATED', ['token', 'show'], { tokenFile: botFile });

    // a member sees its own assignments (no filter needed) and may name itself and its project
    const own = (await ok(['role', 'assignments'], { tokenFile: memberFile })).trimEnd().split('\n');
    expect(own.slice(1)).toEqual([expect.stringMatching(/^member +cli-user +\S+ +project cli-proj /)]);
    expect(field(await ok(['project', 'show', 'cli-proj'], { tokenFile: memberFile }), 'id')).toBe(projectId);
    expect(field(await ok(['user', 'show', 'cli-user'], { tokenFile: memberFile }), 'id')).toBe(userId);

    // but not create projects
    const denied = await fails('PERMISSION_DENIED', ['project', 'create', 'not-allowed'], { tokenFile: memberFile });
    expect(denied.trimEnd().split('\n')).toHaveLength(1);

    // WEFT_TOKEN takes precedence over the token file
    expect(field(await ok(['token', 'show'], { env: { WEFT_TOKEN: memberToken } }), 'user')).toBe(`cli-user (${userId})`);
    expect(field(await ok(['token', 'show'], { env: { WEFT_TOKEN: memberToken } }), 'source')).toBe('env WEFT_TOKEN');

    // a wrong password is UNAUTHENTICATED and leaves the cached login alone
    const wrong = await weft(['login', '--username', 'cli-user', '--password', 'nope'], { tokenFile: memberFile });
    expect(wrong).toEqual({ code: 1, stdout: '', stderr: 'weft: UNAUTHENTICATED: invalid username or password\n' });
    expect(readCache(memberFile).token).toBe(memberToken);

    // logout revokes the token and removes the file
    const logout = await ok(['logout'], { tokenFile: memberFile });
    expect(logout).toBe(`Logged out cli-user (token revoked); removed ${memberFile}\n`);
    expect(existsSync(memberFile)).toBe(false);
    await fails('UNAUTHENTICATED', ['token', 'show'], { tokenFile: memberFile, env: { WEFT_TOKEN: memberToken } });
    await fails('UNAUTHENTICATED', ['project', 'list'], { tokenFile: memberFile, env: { WEFT_TOKEN: memberToken } });
    expect(await ok(['logout'], { tokenFile: memberFile })).toBe(`Not logged in (no token file at ${memberFile})\n`);
    await fails('UNAUTHENTICATED', ['token', 'show'], { tokenFile: memberFile });

    // usage errors exit 2 and call nothing
    const unknown = await weft(['login', '--username', 'admin', '--bogus']);
    expect(unknown).toEqual({ code: 2, stdout: '', stderr: "weft: unknown option --bogus (see 'weft login --help')\n" });
    const missing = await weft(['role', 'add', 'member', '--user', 'cli-user']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing required option --project/);
  }, 120_000);

  test('admin tasks: user set/delete, role create/remove, endpoints and catalog, token issue', async () => {
    await ok(['login', '--username', 'admin'], { env: { WEFT_PASSWORD: ADMIN_PASSWORD } });
    await ok(['project', 'create', 'ops-proj']);
    const userId = field(await ok(['user', 'create', 'ops-user', '--password', 'pw-1', '--default-project', 'ops-proj']), 'id')!;
    const role = await ok(['role', 'create', 'operator', '--description', 'runs things']);
    expect(field(role, 'name')).toBe('operator');
    expect((await okJson<{ name: string }[]>(['role', 'list'])).map((r) => r.name)).toEqual(expect.arrayContaining(['admin', 'member', 'reader', 'operator']));
    await ok(['role', 'add', '--user', userId, '--project', 'ops-proj', 'operator']);
    const opsFile = path.join(dir, 'cfg', 'ops', 'token.json');

    // the default project applies when --project is not given
    expect(field(await ok(['login', '--username', 'ops-user', '--password', 'pw-1'], { tokenFile: opsFile }), 'roles')).toBe('operator');

    // disabling the user ends its tokens and its logins; a new password works once enabled again
    const disabled = await ok(['user', 'set', 'ops-user', '--disable', '--name', 'ops-user2']);
    expect(field(disabled, 'enabled')).toBe('false');
    expect(field(disabled, 'name')).toBe('ops-user2');
    await fails('UNAUTHENTICATED', ['token', 'show'], { tokenFile: opsFile });
    await fails('UNAUTHENTICATED', ['login', '--username', 'ops-user2', '--password', 'pw-1'], { tokenFile: opsFile });
    const nothing = await weft(['user', 'set', 'ops-user2']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/^weft: nothing to update/);
    await ok(['user', 'set', 'ops-user2', '--enable', '--password', 'pw-2']);
    await fails('UNAUTHENTICATED', ['login', '--username', 'ops-user2', '--password', 'pw-1'], { tokenFile: opsFile });
    await ok(['login', '--username', 'ops-user2', '--password', 'pw-2', '--unscoped'], { tokenFile: opsFile });
    expect(field(await ok(['token', 'show'], { tokenFile: opsFile }), 'project')).toBe('(unscoped)');

    // a raw token for scripts, usable through WEFT_TOKEN; rescoped from the current token
    const raw = (await ok(['token', 'issue', '--print'])).trimEnd();
    expect(raw).not.toContain('\n');
    expect(raw).not.toBe(readCache(adminFile).token);
    const viaRaw = await ok(['token', 'show'], { env: { WEFT_TOKEN: raw } });
    expect(field(viaRaw, 'project')).toMatch(/^admin /);
    expect(field(viaRaw, 'methods')).toBe('password, token');
    const byPassword = (await ok(['token', 'issue', '--print', '--username', 'ops-user2', '--project', 'ops-proj'], { stdin: 'pw-2\n' })).trimEnd();
    expect(field(await ok(['token', 'show'], { env: { WEFT_TOKEN: byPassword } }), 'roles')).toBe('operator');

    // role remove
    expect(await ok(['role', 'remove', '--user', 'ops-user2', '--project', 'ops-proj', 'operator'])).toBe('Removed role operator from user ops-user2 on project ops-proj\n');
    expect(await okJson<unknown[]>(['role', 'assignments', '--user', 'ops-user2'])).toEqual([]);

    // endpoints and the catalog
    const ep = await ok(['endpoint', 'register', '--type', 'network', '--name', 'weft-network', '--address', '127.0.0.1:9696', '--interface', 'internal']);
    const epId = field(ep, 'id')!;
    expect(field(ep, 'region')).toBe('RegionOne');
    const bad = await weft(['endpoint', 'register', '--type', 'network', '--name', 'x', '--address', 'a:1', '--interface', 'private']);
    expect(bad.code).toBe(2);
    expect((await okJson<{ id: string }[]>(['endpoint', 'list', '--type', 'network'])).map((e) => e.id)).toEqual([epId]);
    const catalog = (await ok(['catalog'])).trimEnd().split('\n');
    expect(catalog[0]).toMatch(/^TYPE +NAME +REGION +INTERFACE +ADDRESS$/);
    expect(catalog).toContainEqual(expect.stringMatching(/^network +weft-network +RegionOne +internal +127\.0\.0\.1:9696$/));
    expect(await ok(['endpoint', 'delete', epId])).toBe(`Deleted endpoint ${epId}\n`);

    // user delete; then names no longer resolve
    expect(await ok(['user', 'delete', 'ops-user2'])).toBe(`Deleted user ${userId}\n`);
    const gone = await fails('NOT_FOUND', ['user', 'show', 'ops-user2']);
    expect(gone).toBe('weft: NOT_FOUND: no user with id or name "ops-user2"\n');
    await fails('UNAUTHENTICATED', ['token', 'show'], { tokenFile: opsFile });
  }, 120_000);

  test('an unreachable identity service fails fast with one line naming the address', async () => {
    const r = await weft(['--identity-url', '127.0.0.1:1', 'login', '--username', 'admin', '--password', 'x'], { tokenFile: path.join(dir, 'never.json') });
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^weft: (UNAVAILABLE|DEADLINE_EXCEEDED): .*identity service at 127\.0\.0\.1:1/);
    expect(existsSync(path.join(dir, 'never.json'))).toBe(false);
  }, 30_000);
});
