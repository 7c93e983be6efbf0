import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { metadataFor } from '../../../services/runtime/client/promisify';
import { parseArgs } from '../../../tools/cli/args';
import { createContext, GLOBAL_OPTIONS, resolveGlobals } from '../../../tools/cli/context';
import { isExpired, peekTokenFile, readTokenFile, removeTokenFile, resolveCredentials, tokenFilePath, writeTokenFile, type CachedToken } from '../../../tools/cli/credentials';
import { CliError } from '../../../tools/cli/errors';
import { run } from '../../../tools/cli/main';
import { readSecretLine } from '../../../tools/cli/prompt';

const HOUR = 3600_000;
const mode = (p: string): number => statSync(p).mode & 0o777;

function cached(over: Partial<CachedToken> = {}): CachedToken {
  return {
    token: 'tok-file',
    expiresAt: new Date(Date.now() + HOUR).toISOString(),
    identityUrl: '127.0.0.1:5999',
    userId: 'u1',
    userName: 'alice',
    projectId: 'p1',
    projectName: 'demo',
    roles: ['member'],
    catalog: [],
    ...over,
  };
}

let dir = '';
let savedUmask = 0;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'weft-cred-'));
  savedUmask = process.umask(0o022);
});
afterEach(() => {
  process.umask(savedUmask);
  rmSync(dir, { recursive: true, force: true });
});

describe('token file location', () => {
  test('WEFT_TOKEN_FILE wins; otherwise $HOME/.config/weft/token.json', () => {
    expect(tokenFilePath({ WEFT_TOKEN_FILE: path.join(dir, 't.json'), HOME: '/nowhere' })).toBe(path.join(dir, 't.json'));
    expect(tokenFilePath({ HOME: dir })).toBe(path.join(dir, '.config', 'weft', 'token.json'));
  });
});

describe('writing and reading the token file', () => {
  test('creates the directory 0700 and the file 0600, even with a permissive umask', () => {
    process.umask(0);
    const env = { HOME: dir };
    const file = tokenFilePath(env);
    writeTokenFile(file, cached(), env);
    expect(mode(path.join(dir, '.config', 'weft'))).toBe(0o700);
    expect(mode(file)).toBe(0o600);
    expect(readTokenFile(file)).toEqual(cached({ expiresAt: readTokenFile(file)!.expiresAt }));
    // no temp files left behind
    expect(readdirSync(path.dirname(file))).toEqual(['token.json']);
  });

  test('replaces an existing looser file with a 0600 one, and tightens the default directory', () => {
    const env = { HOME: dir };
    const file = tokenFilePath(env);
    mkdirSync(path.dirname(file), { recursive: true });
    chmodSync(path.dirname(file), 0o755);
    writeFileSync(file, '{}');
    chmodSync(file, 0o644);
    writeTokenFile(file, cached({ token: 'new' }), env);
    expect(mode(file)).toBe(0o600);
    expect(mode(path.dirname(file))).toBe(0o700);
    expect(readTokenFile(file)?.token).toBe('new');
  });

  test('does not touch the mode of an existing directory named by WEFT_TOKEN_FILE', () => {
    chmodSync(dir, 0o755);
    const file = path.join(dir, 'token.json');
    writeTokenFile(file, cached(), { WEFT_TOKEN_FILE: file });
    expect(mode(dir)).toBe(0o755);
    expect(mode(file)).toBe(0o600);
  });

  test('reading a file others can read tightens it to 0600 with a note', () => {
    const file = path.join(dir, 'token.json');
    writeFileSync(file, JSON.stringify(cached()));
    chmodSync(file, 0o644);
    const notes: string[] = [];
    expect(readTokenFile(file, (t) => notes.push(t))?.token).toBe('tok-file');
    expect(mode(file)).toBe(0o600);
    expect(notes).toEqual([`weft: note: the token file ${file} had mode 0644; it is now 0600`]);
  });

  test('a missing file is undefined; a corrupt one is a clear error; peek never throws', () => {
    const file = path.join(dir, 'token.json');
    expect(readTokenFile(file)).toBeUndefined();
    writeFileSync(file, 'not json', { mode: 0o600 });
    expect(() => readTokenFile(file)).toThrow(CliError);
    expect(() => readTokenFile(file)).toThrow(/not valid JSON.*weft login/);
    expect(peekTokenFile(file)).toBeUndefined();
    writeFileSync(file, JSON.stringify({ expiresAt: 'soon' }));
    expect(() => readTokenFile(file)).toThrow(/holds no token/);
    expect(removeTokenFile(file)).toBe(true);
    expect(removeTokenFile(file)).toBe(false);
    expect(existsSync(file)).toBe(false);
  });
});

describe('expiry', () => {
  test('a token is expired from its expiry instant on', () => {
    const at = Date.parse('2030-01-01T00:00:00Z');
    expect(isExpired({ expiresAt: '2030-01-01T00:00:00.000Z' }, at - 1)).toBe(false);
    expect(isExpired({ expiresAt: '2030-01-01T00:00:00.000Z' }, at)).toBe(true);
  });

  test('an expired cached token is a one-line UNAUTHENTICATED error suggesting weft login', () => {
    const file = path.join(dir, 'token.json');
    writeTokenFile(file, cached({ expiresAt: new Date(Date.now() - 1000).toISOString() }));
    const env = { WEFT_TOKEN_FILE: file };
    let err: unknown;
    try {
      resolveCredentials({ env });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).codeName).toBe('UNAUTHENTICATED');
    expect((err as CliError).message).toMatch(/^the cached token \(user alice, project demo\) in .* expired at .*; run 'weft login' again/);
    expect((err as CliError).message).not.toContain('\n');
    // WEFT_TOKEN still works: the file is not consulted then
    expect(resolveCredentials({ env: { ...env, WEFT_TOKEN: 'env-tok' } }).credentials).toEqual({ token: 'env-tok' });
    // and an injected clock before the expiry accepts it
    expect(resolveCredentials({ env, nowMs: Date.now() - HOUR }).source).toBe('file');
  });
});

describe('precedence: WEFT_TOKEN > token file > nothing', () => {
  test('WEFT_TOKEN wins over the token file, which wins over nothing; only the bearer token is sent', () => {
    const file = path.join(dir, 'token.json');
    writeTokenFile(file, cached());
    const env = { WEFT_TOKEN_FILE: file, WEFT_TOKEN: 'env-tok' };

    const fromEnv = resolveCredentials({ env });
    expect(fromEnv).toMatchObject({ source: 'env', credentials: { token: 'env-tok' } });
    expect(fromEnv.credentials).toEqual({ token: 'env-tok' });
    expect(fromEnv.cached).toBeUndefined();

    const fromFile = resolveCredentials({ env: { WEFT_TOKEN_FILE: file } });
    expect(fromFile).toMatchObject({ source: 'file', credentials: { token: 'tok-file' }, cached: { userName: 'alice' } });
    expect(fromFile.credentials).toEqual({ token: 'tok-file' });

    const md = metadataFor(fromFile.credentials);
    expect(md.get('authorization')).toEqual(['Bearer tok-file']);
    expect(md.get('x-weft-project')).toEqual([]);
    expect(md.get('x-weft-roles')).toEqual([]);
    expect(Object.keys(md.getMap())).toEqual(['authorization']);
  });

  test('without any token nothing is sent (WEFT_PROJECT / WEFT_ROLES are ignored)', () => {
    const env = { WEFT_TOKEN_FILE: path.join(dir, 'none.json'), WEFT_PROJECT: 'demo', WEFT_ROLES: 'member' };
    const r = resolveCredentials({ env });
    expect(r).toEqual({ source: 'none', credentials: {}, file: path.join(dir, 'none.json') });
    expect(Object.keys(metadataFor(r.credentials).getMap())).toEqual([]);
  });

  test('the context authenticates with the token only, whatever the environment says about projects', () => {
    const file = path.join(dir, 'token.json');
    writeTokenFile(file, cached());
    const parse = (argv: string[]) => parseArgs(argv, GLOBAL_OPTIONS).parsed;
    const io = { out: () => undefined, err: () => undefined };
    const envOnly = { WEFT_TOKEN_FILE: file, WEFT_PROJECT: 'p-env', WEFT_ROLES: 'admin' };
    const c1 = createContext(resolveGlobals([parse([])], envOnly), io, envOnly);
    expect(c1.auth().credentials).toEqual({ token: 'tok-file' });
    expect(c1.identityUrl).toBe('127.0.0.1:5999'); // the cached login's address
    const c2 = createContext(resolveGlobals([parse(['--identity-url', 'id:1'])], envOnly), io, envOnly);
    expect(c2.identityUrl).toBe('id:1');
    const none = { WEFT_TOKEN_FILE: path.join(dir, 'none.json') };
    const c3 = createContext(resolveGlobals([parse([])], none), io, none);
    expect(c3.identityUrl).toBe('127.0.0.1:5000');
    expect(c3.auth()).toMatchObject({ source: 'none', credentials: {} });
    expect(() => c3.api).toThrow("not logged in: run 'weft login --username NAME' (or set WEFT_TOKEN)");
    expect(() => c3.identity).toThrow(/^not logged in/);
  });
});

describe('the CLI with local credential problems (no server needed)', () => {
  async function weft(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string[]; err: string[] }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await run(argv, env, { out: (t) => out.push(t), err: (t) => err.push(t) });
    return { code, out, err };
  }

  test('an expired cached token stops identity and network commands with one line', async () => {
    const file = path.join(dir, 'token.json');
    writeTokenFile(file, cached({ expiresAt: '2001-01-01T00:00:00.000Z' }));
    for (const argv of [['token', 'show'], ['project', 'list'], ['--url', '127.0.0.1:1', 'network', 'list']]) {
      const r = await weft(argv, { WEFT_TOKEN_FILE: file });
      expect(r.code).toBe(1);
      expect(r.out).toEqual([]);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(/^weft: UNAUTHENTICATED: the cached token .* expired at 2001-01-01T00:00:00.000Z; run 'weft login' again/);
    }
  });

  test('identity and network commands need a token (a hint, without calling any server)', async () => {
    // 127.0.0.1:1 would fail as UNAVAILABLE if the CLI called it
    for (const argv of [['user', 'list'], ['--url', '127.0.0.1:1', 'network', 'list'], ['--url', '127.0.0.1:1', 'network', 'show', 'x']]) {
      const r = await weft(argv, { WEFT_TOKEN_FILE: path.join(dir, 'none.json'), WEFT_PROJECT: 'demo', WEFT_ROLES: 'admin' });
      expect(r).toEqual({ code: 1, out: [], err: ["weft: UNAUTHENTICATED: not logged in: run 'weft login --username NAME' (or set WEFT_TOKEN)"] });
    }
  });

  test('the old development options are usage errors', async () => {
    const r = await weft(['--project', 'demo', 'network', 'list'], { WEFT_TOKEN_FILE: path.join(dir, 'none.json') });
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/--project/);
  });

  test('logout without a token file says so and succeeds', async () => {
    const file = path.join(dir, 'none.json');
    const r = await weft(['logout'], { WEFT_TOKEN_FILE: file });
    expect(r).toEqual({ code: 0, out: [`Not logged in (no token file at ${file})`], err: [] });
  });

  test('logout of an expired token just removes the file', async () => {
    const file = path.join(dir, 'token.json');
    writeTokenFile(file, cached({ expiresAt: '2001-01-01T00:00:00.000Z' }));
    const r = await weft(['logout'], { WEFT_TOKEN_FILE: file });
    expect(r.code).toBe(0);
    expect(r.out).toEqual([`Logged out alice (the token had already expired); removed ${file}`]);
    expect(existsSync(file)).toBe(false);
  });

  test('login without any password source is a usage error', async () => {
    const r = await weft(['login', '--username', 'admin'], { WEFT_TOKEN_FILE: path.join(dir, 't.json') });
    expect(r.code).toBe(2);
    expect(r.err).toEqual(["weft: no password: give --password, set WEFT_PASSWORD, or type it on stdin (see 'weft login --help')"]);
  });

  test('an unreachable identity service is named in the error', async () => {
    const file = path.join(dir, 'token.json');
    writeTokenFile(file, cached());
    const r = await weft(['--identity-url', '127.0.0.1:1', 'project', 'list'], { WEFT_TOKEN_FILE: file });
    expect(r.code).toBe(1);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/^weft: (UNAVAILABLE|DEADLINE_EXCEEDED): .*identity service at 127\.0\.0\.1:1/);
  }, 20_000);

  test('a command keeps its own --project option', async () => {
    const r = await weft(['role', 'add', 'member', '--user', 'u', '--project', 'p', '--bogus'], {});
    expect(r.code).toBe(2);
    expect(r.err).toEqual(["weft: unknown option --bogus (see 'weft role add --help')"]);
    const help = await weft(['role', 'add', '--help'], {});
    expect(help.out[0].match(/--project PROJECT/g)).toHaveLength(1);
  });
});

describe('reading a password from a pipe', () => {
  function pipe(text: string | undefined): PassThrough {
    const p = new PassThrough();
    if (text !== undefined) p.end(text);
    else p.end();
    return p;
  }

  test('takes the first line without its newline, and prints no prompt', async () => {
    const prompts: string[] = [];
    expect(await readSecretLine('pw: ', pipe('s3cret\nmore\n'), { write: (t: string) => prompts.push(t) })).toBe('s3cret');
    expect(await readSecretLine('pw: ', pipe('crlf\r\n'))).toBe('crlf');
    expect(await readSecretLine('pw: ', pipe('no newline'))).toBe('no newline');
    expect(await readSecretLine('pw: ', pipe(undefined))).toBeUndefined();
    expect(prompts).toEqual([]);
  });
});

test('the written file is valid JSON with the documented fields', () => {
  const file = path.join(dir, 'token.json');
  writeTokenFile(file, cached());
  expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')) as object).sort()).toEqual(['catalog', 'expiresAt', 'identityUrl', 'projectId', 'projectName', 'roles', 'token', 'userId', 'userName']);
});
