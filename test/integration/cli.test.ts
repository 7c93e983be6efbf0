/**
 * The compiled `weft` CLI against a real controller process: a quick tour through create, list,
 * show, update, router interfaces, security groups, watch and delete, plus the error paths
 * (API errors exit 1 with one "weft: CODE: message" line, usage errors exit 2).
 */
import { execFile, spawn } from 'node:child_process';
import { startController, type ControllerHandle } from './harness';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'tools', 'cli', 'main.js');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

let ctl: ControllerHandle | undefined;
let token = '';
let tokenDir = '';
let url = '';

/** What the CLI child processes see: no developer WEFT_* settings, our token and token file. */
function cliEnv(): NodeJS.ProcessEnv {
  return { ...cleanEnv(), WEFT_TOKEN: token, WEFT_TOKEN_FILE: path.join(tokenDir, 'token.json') };
}

/** The environment without any WEFT_* settings of the developer running the tests. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('WEFT_')) env[k] = v;
  return env;
}

function weft(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, '--url', url, ...args], { timeout: 20_000, env: cliEnv() }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs a command that must succeed and returns its stdout. */
async function ok(...args: string[]): Promise<string> {
  const r = await weft(...args);
  if (r.code !== 0) throw new Error(`weft ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
  expect(r.stderr).toBe('');
  return r.stdout;
}

async function okJson<T>(...args: string[]): Promise<T> {
  return JSON.parse(await ok(...args, '--json')) as T;
}

/** The value of a key in a key/value view. */
function field(view: string, key: string): string | undefined {
  const m = new RegExp(`^${key} +(.*)$`, 'm').exec(view);
  return m ? m[1] : undefined;
}

beforeAll(async () => {
  // A real identity service and controller; the CLI authenticates with a member token of the
  // "cli-tour" project (WEFT_TOKEN), and a private token file so a developer's login never leaks in.
  ctl = await startController();
  token = await ctl.token('cli-tour');
  tokenDir = mkdtempSync(path.join(tmpdir(), 'weft-cli-token-'));
  url = ctl.address;
}, 60_000);

afterAll(async () => {
  await ctl?.stop();
  if (tokenDir) rmSync(tokenDir, { recursive: true, force: true });
});

describe('weft CLI against a controller', () => {
  test('a tour: create, list, show, update, routers, security groups, watch, delete', async () => {
    const startRev = (await okJson<{ revision?: number }>('revision')).revision ?? 0;

    // network → subnet → port
    const netView = await ok('network', 'create', 'tour-net', '--tag', 'tour', '--mtu', '1400');
    const netId = field(netView, 'id')!;
    expect(netId).toMatch(/^[0-9a-f-]{36}$/);
    expect(field(netView, 'status')).toBe('active');
    expect(field(netView, 'segments')).toMatch(/^vxlan \d+$/);
    expect(field(netView, 'mtu')).toBe('1400');

    const subnet = await okJson<{ id: string; cidr: string; gatewayIp: string }>('subnet', 'create', 'tour-sub', '--network', 'tour-net', '--cidr', '10.20.0.0/24', '--dns', '192.0.2.53');
    expect(subnet).toMatchObject({ cidr: '10.20.0.0/24', gatewayIp: '10.20.0.1' });

    const portView = await ok('port', 'create', 'tour-port', '--network', netId, '--fixed-ip', `subnet=${subnet.id},ip=10.20.0.50`);
    const portId = field(portView, 'id')!;
    expect(field(portView, 'fixed_ips')).toBe(`10.20.0.50 (subnet ${subnet.id})`);
    expect(field(portView, 'status')).toBe('down');

    // list as a table: aligned columns
    const table = (await ok('port', 'list', '--network', 'tour-net')).trimEnd().split('\n');
    expect(table[0]).toMatch(/^ID +NAME +NETWORK +MAC +FIXED IPS +STATUS$/);
    expect(table).toHaveLength(2);
    for (const col of ['NAME', 'NETWORK', 'FIXED IPS', 'STATUS']) {
      const at = table[0].indexOf(col);
      expect(table[1].slice(at)).toMatch({ NAME: /^tour-port /, NETWORK: new RegExp(`^${netId} `), 'FIXED IPS': /^10\.20\.0\.50 /, STATUS: /^down$/ }[col]!);
    }

    // list as JSON: one document, an array of Port.toJSON objects
    const ports = await okJson<{ id: string; name: string; fixedIps: { ipAddress: string }[] }[]>('port', 'list', '--network', netId);
    expect(ports).toHaveLength(1);
    expect(ports[0]).toMatchObject({ id: portId, name: 'tour-port', fixedIps: [{ ipAddress: '10.20.0.50' }] });

    // show and update (by name and by id); a stale --revision is ABORTED
    expect(field(await ok('port', 'show', 'tour-port'), 'id')).toBe(portId);
    const updated = await ok('port', 'update', portId, '--name', 'tour-port-2');
    expect(field(updated, 'name')).toBe('tour-port-2');
    expect(field(updated, 'revision_number')).toBe('2');
    const stale = await weft('port', 'update', portId, '--name', 'x', '--revision', '1');
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/^weft: ABORTED: .*revision 2/);

    // router + interface
    const routerId = field(await ok('router', 'create', 'tour-router'), 'id')!;
    const iface = await ok('router', 'add-interface', 'tour-router', '--subnet', 'tour-sub');
    expect(field(iface, 'subnet_id')).toBe(subnet.id);
    const routerView = await ok('router', 'show', routerId);
    expect(field(routerView, 'interfaces')).toBe(`subnet ${subnet.id} port ${field(iface, 'port_id')}`);

    // security group + rule
    const sgId = field(await ok('sg', 'create', 'tour-sg', '--description', 'ssh'), 'id')!;
    const rule = await ok('sg-rule', 'create', '--security-group', 'tour-sg', '--direction', 'ingress', '--protocol', 'tcp', '--port-range', '22', '--remote-ip', '0.0.0.0/0');
    const ruleId = field(rule, 'id')!;
    expect(field(rule, 'direction')).toBe('ingress');
    expect(field(rule, 'ethertype')).toBe('IPv4');
    expect(await ok('security-group', 'show', sgId)).toContain(`ingress IPv4 tcp 22 from 0.0.0.0/0 (${ruleId})`);

    // error: a network with ports cannot go; the holders are listed
    const busy = await weft('network', 'delete', 'tour-net');
    expect(busy.code).toBe(1);
    expect(busy.stdout).toBe('');
    const busyLines = busy.stderr.trimEnd().split('\n');
    expect(busyLines[0]).toMatch(/^weft: FAILED_PRECONDITION: network .* still has 2 port\(s\)/);
    expect(busyLines).toContain(`  port ${portId}: port on this network`);

    // error: bad CIDR names the field
    const bad = await weft('subnet', 'create', 'bad', '--network', netId, '--cidr', '10.0.0.0/33');
    expect(bad.code).toBe(1);
    const badLines = bad.stderr.trimEnd().split('\n');
    expect(badLines[0]).toMatch(/^weft: INVALID_ARGUMENT: /);
    expect(badLines.some((l) => /^ {2}subnet\.cidr: \S/.test(l))).toBe(true);

    // usage errors exit 2 with a hint and do not call the server
    const unknown = await weft('network', 'create', 'never', '--bogus');
    expect(unknown).toEqual({ code: 2, stdout: '', stderr: "weft: unknown option --bogus (see 'weft network create --help')\n" });
    const missing = await weft('subnet', 'create', 'x', '--cidr', '10.9.0.0/24');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing required option --network/);

    // delete in reverse order
    expect(await ok('sg-rule', 'delete', ruleId)).toBe(`Deleted security group rule ${ruleId}\n`);
    await ok('sg', 'delete', 'tour-sg');
    await ok('router', 'remove-interface', routerId, '--subnet', subnet.id);
    await ok('router', 'delete', routerId);
    await ok('port', 'delete', portId);
    await ok('subnet', 'delete', subnet.id);
    await ok('network', 'delete', netId);
    expect(await okJson<unknown[]>('network', 'list')).toEqual([]);
    expect(await okJson<unknown[]>('router', 'list')).toEqual([]);

    // watch replays everything since the start, one line per change, and stops on Ctrl-C
    const seen = await watchUntil(['watch', '--from', String(startRev + 1)], (out) => new RegExp(`network ${netId} deleted tour-net`).test(out));
    expect(seen.code).toBe(0);
    const lines = seen.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^${startRev + 1} network ${netId} created tour-net$`));
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^\\d+ port ${portId} updated tour-port-2$`))]));
  }, 120_000);

  test('an unreachable server fails fast with one line naming the address', async () => {
    const r = await new Promise<Result>((resolve) => {
      // with a token, so the CLI does try the server (without one it stops with a hint to log in)
      execFile(process.execPath, [CLI, '--url', '127.0.0.1:1', 'network', 'list'], { timeout: 20_000, env: cliEnv() }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
      );
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^weft: (UNAVAILABLE|DEADLINE_EXCEEDED): .*127\.0\.0\.1:1/);
  }, 30_000);
});

/** Runs `weft watch ...` until its output satisfies done, then sends SIGINT (Ctrl-C). */
function watchUntil(args: string[], done: (stdout: string) => boolean): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--url', url, ...args], { env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`watch did not see the expected change in 20 s; output:\n${stdout}\n${stderr}`));
    }, 20_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!signalled && done(stdout)) {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}
