/**
 * `weft-ring` end to end in a temp dir: in-process for the many small cases, and the compiled
 * binary for a full session. Bad input must exit 2 with one line on stderr and leave every file
 * exactly as it was (no stray temp files either).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { RingReader, decodeBuilderFile, decodeRingFile } from '../../../../services/object/ring';
import { runRingTool } from '../../../../tools/ring/run';

const BIN = path.join(__dirname, '..', '..', '..', '..', 'tools', 'ring', 'main.js');
let dir = '';
let builder = '';
let ringFile = '';

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'weft-ring-cli-'));
  builder = path.join(dir, 'object.builder');
  ringFile = path.join(dir, 'object.ring');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number;
  out: string[];
  err: string[];
}

async function run(...argv: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runRingTool(argv, { out: (l) => out.push(l), err: (l) => err.push(l), now: () => 0 });
  return { code, out, err };
}

async function ok(...argv: string[]): Promise<string[]> {
  const r = await run(...argv);
  if (r.code !== 0) throw new Error(`weft-ring ${argv.join(' ')} exited ${r.code}: ${r.err.join('\n')}`);
  expect(r.err).toEqual([]);
  return r.out;
}

/** A builder with 4 zones x 2 devices, rebalanced into ringFile. */
async function cluster(): Promise<void> {
  await ok('create', builder, '8', '3', '--seed', '5');
  for (let z = 1; z <= 4; z++) {
    for (const d of ['sda', 'sdb']) await ok('add', builder, '--region', '1', '--zone', String(z), '--ip', `10.0.0.${z}`, '--port', '6200', '--device', d, '--weight', '100');
  }
  await ok('rebalance', builder, ringFile);
}

/** Every file in the dir with its bytes, to prove a refused command wrote nothing. */
function files(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir).sort()) out[f] = readFileSync(path.join(dir, f)).toString('base64');
  return out;
}

test('create, add, rebalance, show: a valid ring servers can load', async () => {
  await cluster();
  const ring = decodeRingFile(readFileSync(ringFile));
  expect(ring).toMatchObject({ version: 1, partPower: 8, replicas: 3 });
  expect(ring.devices).toHaveLength(8);
  const reader = await RingReader.open({ path: ringFile, hash: { prefix: 'p', suffix: 's' } });
  expect(reader.getNodes('AUTH_a', 'c', 'o').nodes).toHaveLength(3);

  const show = (await ok('show', builder)).join('\n');
  expect(show).toContain('ring version 1, 256 partitions (power 8), 3 replicas');
  expect(show).toContain('1 regions, 4 zones, 4 servers, 8 devices');
  expect(show).toContain('balance 0.00, dispersion 0.00');
  expect(show).toMatch(/^\s+0\s+1\s+1\s+10\.0\.0\.1:6200\s+sda\s+100\.00\s+96\s+96\s+0\.00/m);
  expect(show).toMatch(/zone \(4\)\s+256\s+0\s+0\s+0/);
});

test('rebalance is incremental and idempotent: same ring bytes, no version bump', async () => {
  await cluster();
  const first = readFileSync(ringFile);
  const builderBefore = readFileSync(builder);
  const again = await ok('rebalance', builder, ringFile);
  expect(again.join('\n')).toContain('nothing to move; ring version 1 unchanged');
  expect(readFileSync(ringFile).equals(first)).toBe(true);
  expect(readFileSync(builder).equals(builderBefore)).toBe(true);
});

test('add, set-weight and remove take effect at the next rebalance', async () => {
  await cluster();
  expect(await ok('add', builder, '--region', '1', '--zone', '2', '--ip', '10.0.0.2', '--port', '6200', '--device', 'sdc', '--weight', '50', '--meta', 'new disk')).toEqual([
    'device d8r1z2-10.0.0.2:6200/sdc with weight 50 got id 8',
  ]);
  expect(await ok('set-weight', builder, '0', '150.5')).toEqual(['device d0r1z1-10.0.0.1:6200/sda weight 100 -> 150.5']);
  expect((await ok('remove', builder, '7')).join()).toContain('marked for removal');
  const pending = (await ok('show', builder)).join('\n');
  expect(pending).toContain('devices changed since the last rebalance');
  expect(pending).toMatch(/7 .* \(removing at the next rebalance\)/);
  const out = (await ok('rebalance', builder, ringFile)).join('\n');
  expect(out).toMatch(/reassigned \d+ partition replicas .* ring version 2/);
  expect(out).toContain('removed device d7r1z4-10.0.0.4:6200/sdb');
  const ring = decodeRingFile(readFileSync(ringFile));
  expect(ring.devices.map((d) => d.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 8]);
  expect(ring.devices.find((d) => d.id === 8)?.meta).toBe('new disk');
  expect(decodeBuilderFile(readFileSync(builder, 'utf8')).dirty).toBe(false);
});

test('show works before the first rebalance, even with fewer devices than replicas', async () => {
  await ok('create', builder, '6', '3', '--min-part-hours', '2');
  await ok('add', builder, '--region', '1', '--zone', '1', '--ip', 'fd00::1', '--port', '6200', '--device', 'sda', '--weight', '1.5', '--meta', 'rack 4');
  const show = (await ok('show', builder)).join('\n');
  expect(show).toContain('not rebalanced yet');
  expect(show).toMatch(/0\s+1\s+1\s+\[fd00::1\]:6200\s+sda\s+1\.50\s+0\s+0\s+-100\.00\s+rack 4/);
});

describe('bad input: exit 2, one line, nothing written', () => {
  test.each<[string, string[], RegExp]>([
    ['no command', [], /usage: weft-ring/],
    ['an unknown command', ['frob'], /unknown command "frob"/],
    ['a missing argument', ['remove', '@B'], /missing argument device-id/],
    ['an extra argument', ['show', '@B', 'extra'], /unexpected argument "extra"/],
    ['an unknown option', ['add', '@B', '--zones', '1'], /unknown option --zones \(did you mean --zone\?\)/],
    ['a missing required option', ['add', '@B', '--region', '1', '--zone', '1', '--ip', '10.0.0.9', '--port', '6200', '--device', 'sda'], /missing required option --weight/],
    ['a non-numeric zone', ['add', '@B', '--region', '1', '--zone', 'two', '--ip', '10.0.0.9', '--port', '6200', '--device', 'sda', '--weight', '1'], /--zone must be a non-negative integer/],
    ['a bad ip', ['add', '@B', '--region', '1', '--zone', '1', '--ip', '10.0.0.9/24', '--port', '6200', '--device', 'sda', '--weight', '1'], /INVALID_ARGUMENT: ip:/],
    ['a port out of range', ['add', '@B', '--region', '1', '--zone', '1', '--ip', '10.0.0.9', '--port', '70000', '--device', 'sda', '--weight', '1'], /INVALID_ARGUMENT: port/],
    ['a device name with a slash', ['add', '@B', '--region', '1', '--zone', '1', '--ip', '10.0.0.9', '--port', '6200', '--device', 'a/b', '--weight', '1'], /INVALID_ARGUMENT: device/],
    ['a duplicate device', ['add', '@B', '--region', '1', '--zone', '1', '--ip', '10.0.0.1', '--port', '6200', '--device', 'sda', '--weight', '1'], /DUPLICATE_DEVICE/],
    ['a negative weight', ['set-weight', '@B', '0', '-1'], /weight must be a non-negative number/],
    ['an unknown device id', ['remove', '@B', '42'], /DEVICE_NOT_FOUND: no device with id 42/],
    ['create over an existing builder', ['create', '@B', '8', '3'], /already exists/],
    ['create with part power 30', ['create', '@D/other.builder', '30', '3'], /INVALID_ARGUMENT: part_power/],
    ['a missing builder file', ['show', '@D/nope.builder'], /cannot read builder file .*nope.builder: ENOENT/],
  ])('%s', async (_name, argv, message) => {
    await cluster();
    const before = files();
    const r = await run(...argv.map((a) => a.replace('@B', builder).replace('@D', dir)));
    expect(r.code).toBe(2);
    expect(r.out).toEqual([]);
    expect(r.err[0]).toMatch(message);
    if (argv.length > 0) expect(r.err).toHaveLength(1);
    expect(files()).toEqual(before);
  });

  test('a corrupt builder file', async () => {
    await cluster();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(builder, '{"format":"weft-ring-builder","version":1}');
    const before = files();
    const r = await run('rebalance', builder, ringFile);
    expect(r).toMatchObject({ code: 2, out: [] });
    expect(r.err).toEqual([expect.stringMatching(/^weft-ring: BAD_BUILDER_FILE: bad builder file: part_power/)]);
    expect(files()).toEqual(before);
  });

  test('rebalance with too few devices writes neither file', async () => {
    await ok('create', builder, '6', '3');
    await ok('add', builder, '--region', '1', '--zone', '1', '--ip', '10.0.0.1', '--port', '6200', '--device', 'sda', '--weight', '1');
    const before = files();
    const r = await run('rebalance', builder, ringFile);
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/INSUFFICIENT_DEVICES/);
    expect(files()).toEqual(before);
    expect(existsSync(ringFile)).toBe(false);
  });
});

test('the compiled binary: a session through the process boundary', async () => {
  const sh = (...argv: string[]) =>
    new Promise<Run>((resolve) => {
      execFile(process.execPath, [BIN, ...argv], { timeout: 20_000 }, (e, stdout, stderr) => {
        const code = e ? (typeof e.code === 'number' ? e.code : -1) : 0;
        resolve({ code, out: stdout.split('\n').filter(Boolean), err: stderr.split('\n').filter(Boolean) });
      });
    });
  expect((await sh('create', builder, '6', '3', '--seed', '1', '--min-part-hours', '1')).code).toBe(0);
  for (let z = 1; z <= 3; z++) expect((await sh('add', builder, '--region', '1', '--zone', String(z), '--ip', `10.0.0.${z}`, '--port', '6200', '--device', 'sda', '--weight', '1')).code).toBe(0);
  const reb = await sh('rebalance', builder, ringFile);
  expect(reb.code).toBe(0);
  expect(reb.out.join('\n')).toMatch(/placed 192 partition replicas; ring version 1; balance 0\.00, dispersion 0\.00/);
  expect(decodeRingFile(readFileSync(ringFile)).partPower).toBe(6);
  const bad = await sh('set-weight', builder, '9', '1');
  expect(bad).toMatchObject({ code: 2, out: [], err: ['weft-ring: DEVICE_NOT_FOUND: no device with id 9'] });
  expect((await sh('--help')).out[0]).toBe('usage: weft-ring <command> ...');
});
