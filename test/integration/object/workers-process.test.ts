/**
 * The workers process itself (dist/services/object/workers/main.js): ready line, passes on their
 * timers, SIGTERM ends it cleanly (exit 0) within a bound, bad arguments and config exit 2.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SECRET, WORKERS_MAIN } from './workers-harness';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'weft-workers-proc-'));
  mkdirSync(path.join(dir, 'devices', 'sda'), { recursive: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config(v: Record<string, unknown>): string {
  const f = path.join(dir, `w-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(f, JSON.stringify({ devicesRoot: path.join(dir, 'devices'), ringDir: path.join(dir, 'rings'), ...SECRET, storageAddress: '127.0.0.1:1', fsync: false, ...v }));
  return f;
}

function run(args: string[], untilReady: boolean): Promise<{ code: number | null; out: string; err: string; signal: () => void; exited: Promise<number | null> }> {
  const proc = spawn(process.execPath, [WORKERS_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
  const killer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
  void exited.then(() => clearTimeout(killer));
  return new Promise((resolve) => {
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (untilReady && out.includes('"ready":true')) resolve({ code: null, out, err, signal: () => proc.kill('SIGTERM'), exited });
    });
    void exited.then((code) => resolve({ code, out, err, signal: () => undefined, exited }));
  });
}

test('prints ready, runs passes on its timer, and exits 0 on SIGTERM', async () => {
  const r = await run(['--config', config({ log: { level: 'info' }, workers: { updater: { intervalMs: 50 } } }), '--only', 'updater'], true);
  expect(r.out).toContain('{"ready":true,"workers":["updater"]}');
  await new Promise((res) => setTimeout(res, 400));
  const started = Date.now();
  r.signal();
  const code = await r.exited;
  expect(code).toBe(0);
  expect(Date.now() - started).toBeLessThan(5000);
});

test('--once runs one pass and exits 0 with the counters on stdout', async () => {
  const r = await run(['--config', config({}), '--once', '--only', 'updater'], false);
  expect(r.code).toBe(0);
  const line = r.out.split('\n').find((l) => l.includes('"worker":"updater"'));
  expect(JSON.parse(line!)).toEqual({ worker: 'updater', stats: expect.objectContaining({ devices: 1, found: 0 }) });
});

test('an unknown worker name or a bad config exits 2', async () => {
  expect((await run(['--config', config({}), '--once', '--only', 'nope'], false)).code).toBe(2);
  const bad = await run(['--config', config({ storageAddress: 'x' }), '--once'], false);
  expect(bad.code).toBe(2);
  expect(bad.err).toContain('storageAddress');
});
