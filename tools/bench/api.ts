#!/usr/bin/env node
/**
 * API benchmark: `npm run bench:api -- [--ports N] [--stored N] [--concurrency C] [--quick] [--json]`
 * or `-- --baseline`. Not a test: it spawns a real controller on a fresh temporary data dir and
 * measures CreatePort throughput and latency, paged ListPorts, the server's memory with many ports
 * stored and a restart on that data, then prints the numbers next to the targets. The controller is
 * always killed and the data dir removed, also on errors and Ctrl-C.
 */
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CreatePortRequest, GetRevisionRequest, ListPortsRequest } from '../../proto/gen/weft/network/v1/network_service';
import { Network, Port, Subnet } from '../../proto/gen/weft/network/v1/resources';
import { connectNetwork, type NetworkApi } from '../../services/runtime/client/network-client';
import { KeyRepository } from '../../services/identity/tokens/key-repository';
import { issueToken, newAuditId, systemClock } from '../../services/identity/tokens/token-codec';
import { snapshotControllerBuild, startControllerProcess, type ControllerProcess, type StopResult } from './controller-process';
import { benchCidr, parseOptions, UsageError, USAGE, type BenchOptions } from './options';
import { readMachineCpu, type ProcMemory } from './proc';
import {
  alignRows,
  checkTarget,
  formatCount,
  formatLatency,
  formatMiB,
  formatMs,
  formatRate,
  formatTarget,
  MIB,
  ratePerSecond,
  summarize,
  type LatencySummary,
  type ReportRow,
  type TargetResult,
} from './stats';

const PROJECT = 'bench';

/** A member token for the bench project, valid for a day. */
function benchToken(keys: KeyRepository): string {
  const now = Date.now();
  return issueToken(
    { version: 0, userId: 'bench-user', projectId: PROJECT, domainId: 'default', roles: ['member'], methods: ['password'], issuedAtMs: now, expiresAtMs: now + 86_400_000, auditId: newAuditId(), auditChain: [], appCredId: '' },
    keys,
    systemClock,
  );
}
const PAGE_SIZE = 1000;
const TARGETS = { createsPerSecond: 2_000, p99Ms: 25, rssMiB: 300, atConcurrency: 64, atStored: 100_000 } as const;
const START_TIMEOUT_MS = 60_000;
const RESTART_TIMEOUT_MS = 300_000;
const STOP_TIMEOUT_MS = 60_000;
const PROGRESS_EVERY_MS = 5_000;

// ---------------------------------------------------------------- results

interface CpuUse {
  /** Server CPU seconds divided by wall seconds (1.0 = one core busy). */
  serverCores: number | undefined;
  /** This process's CPU seconds divided by wall seconds. */
  clientCores: number;
  /** Busy CPUs of the whole machine (all processes), and how many it has. */
  machineCores: number | undefined;
  machineCpus: number;
}

interface CreateResult {
  count: number;
  elapsedMs: number;
  perSecond: number;
  latency: LatencySummary;
  cpu: CpuUse;
}

interface ListResult {
  ports: number;
  uniqueIds: number;
  expected: number;
  pages: number;
  elapsedMs: number;
  pagesPerSecond: number;
  portsPerSecond: number;
  pageLatency: LatencySummary;
  cpu: CpuUse;
}

interface BaselineResult {
  seconds: number;
  calls: number;
  perSecond: number;
  latency: LatencySummary;
  cpu: CpuUse;
}

interface RestartResult {
  stop: StopResult;
  startToReadyMs: number;
  totalMs: number;
  memory: ProcMemory | undefined;
  listAfterRestart: ListResult;
}

interface Report {
  tool: 'weft bench:api';
  startedAt: string;
  mode: 'full' | 'baseline';
  host: { cpus: number; cpuModel: string; totalMemBytes: number; loadAvg1m: number; loadAvg1mAtEnd: number; node: string; platform: string };
  options: BenchOptions;
  subnetCidr?: string;
  controller: { firstStartMs: number };
  baseline?: BaselineResult;
  phaseA?: { create: CreateResult; list: ListResult; memory: ProcMemory | undefined };
  phaseB?: {
    stored: number;
    create: CreateResult | undefined;
    memoryAfterCreate: ProcMemory | undefined;
    list: ListResult;
    memoryAfterList: ProcMemory | undefined;
    restart: RestartResult;
    dataDirBytes: number;
  };
  targets: TargetResult[];
  totalMs: number;
}

// ---------------------------------------------------------------- plumbing

const t0 = performance.now();
/** Set by the first SIGINT/SIGTERM/SIGHUP; calls failing after it are expected, not reported. */
let interrupted = false;

function progress(msg: string): void {
  process.stderr.write(`[bench +${((performance.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
}

class BenchError extends Error {}

function describeCallError(what: string, err: unknown): BenchError {
  const e = err as Partial<ServiceError>;
  if (typeof e?.code === 'number') {
    const name = GrpcStatus[e.code] ?? 'UNKNOWN';
    return new BenchError(`${what} failed: ${name} (${e.code}): ${e.details ?? e.message ?? ''}`);
  }
  return new BenchError(`${what} failed: ${(err as Error)?.message ?? String(err)}`);
}

/** Everything that must be released whatever happens: clients, the controller, the temp dir. */
class Resources {
  dir: string | undefined;
  controller: ControllerProcess | undefined;
  clients: NetworkApi[] = [];
  private released = false;

  async release(signal: NodeJS.Signals): Promise<void> {
    if (this.released) return;
    for (const c of this.clients.splice(0)) c.close();
    if (this.controller) {
      try {
        await this.controller.stop({ signal, timeoutMs: 10_000 });
      } catch (err) {
        process.stderr.write(`bench: stopping the controller: ${(err as Error).message}\n`);
      }
    }
    this.removeDir();
    this.released = true;
  }

  /** Last resort from the 'exit' handler: no waiting possible. */
  releaseSync(): void {
    if (this.released) return;
    this.controller?.killNow();
    this.removeDir();
    this.released = true;
  }

  private removeDir(): void {
    if (!this.dir) return;
    try {
      rmSync(this.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
      this.dir = undefined;
    } catch (err) {
      process.stderr.write(`bench: could not remove ${this.dir}: ${(err as Error).message}\n`);
    }
  }
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) total += dirBytes(p);
    else if (entry.isFile()) total += statSync(p).size;
  }
  return total;
}

/** Measures server and client CPU over an interval. */
function cpuMeter(ctrl: ControllerProcess): () => CpuUse {
  const wall0 = performance.now();
  const server0 = ctrl.cpuSeconds();
  const client0 = process.cpuUsage();
  const machine0 = readMachineCpu();
  const cpus = os.cpus().length;
  return () => {
    const machine1 = readMachineCpu();
    const dTotal = machine0 && machine1 ? machine1.total - machine0.total : 0;
    const wallS = (performance.now() - wall0) / 1000;
    const server1 = ctrl.cpuSeconds();
    const c = process.cpuUsage(client0);
    return {
      serverCores: server0 !== undefined && server1 !== undefined && wallS > 0 ? (server1 - server0) / wallS : undefined,
      clientCores: wallS > 0 ? (c.user + c.system) / 1e6 / wallS : 0,
      machineCores: machine0 && machine1 && dTotal > 0 ? ((machine1.busy - machine0.busy) / dTotal) * cpus : undefined,
      machineCpus: cpus,
    };
  };
}

/**
 * Runs `count` calls through `concurrency` workers, each awaiting its calls one after another.
 * Stops handing out work at the first failure and rethrows it once in-flight calls have settled.
 */
async function runPool(count: number, concurrency: number, label: string, call: (i: number) => Promise<unknown>): Promise<{ elapsedMs: number; latencies: Float64Array }> {
  const latencies = new Float64Array(count);
  let next = 0;
  let done = 0;
  let failure: BenchError | undefined;
  const start = performance.now();
  const timer = setInterval(() => {
    const s = (performance.now() - start) / 1000;
    progress(`${label}: ${formatCount(done)}/${formatCount(count)} (${formatRate(done / s)})`);
  }, PROGRESS_EVERY_MS);
  timer.unref();
  const worker = async (): Promise<void> => {
    while (failure === undefined) {
      const i = next++;
      if (i >= count) return;
      const c0 = performance.now();
      try {
        await call(i);
      } catch (err) {
        failure ??= describeCallError(`${label}: call #${i + 1} of ${count} (after ${done} succeeded)`, err);
        return;
      }
      latencies[i] = performance.now() - c0;
      done++;
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  } finally {
    clearInterval(timer);
  }
  if (failure) throw failure;
  return { elapsedMs: performance.now() - start, latencies };
}

// ---------------------------------------------------------------- measurements

async function createPorts(api: NetworkApi, ctrl: ControllerProcess, opts: BenchOptions, networkId: string, firstIndex: number, count: number, label: string): Promise<CreateResult> {
  progress(`${label}: creating ${formatCount(count)} ports at concurrency ${opts.concurrency}`);
  const cpu = cpuMeter(ctrl);
  const { elapsedMs, latencies } = await runPool(count, opts.concurrency, label, (i) =>
    api.createPort(CreatePortRequest.fromPartial({ port: Port.fromPartial({ networkId, name: `bench-${firstIndex + i}` }) }), { deadlineMs: opts.deadlineMs }),
  );
  const result = { count, elapsedMs, perSecond: ratePerSecond(count, elapsedMs), latency: summarize(Array.from(latencies)), cpu: cpu() };
  progress(`${label}: ${formatCount(count)} in ${formatMs(elapsedMs)} = ${formatRate(result.perSecond)}`);
  return result;
}

async function listAllPorts(api: NetworkApi, ctrl: ControllerProcess, opts: BenchOptions, networkId: string, expected: number, label: string): Promise<ListResult> {
  progress(`${label}: listing ${formatCount(expected)} ports in pages of ${PAGE_SIZE}`);
  const maxPages = Math.ceil(expected / PAGE_SIZE) + 10;
  const ids = new Set<string>();
  const pageMs: number[] = [];
  let ports = 0;
  let token = '';
  const cpu = cpuMeter(ctrl);
  const start = performance.now();
  do {
    if (pageMs.length >= maxPages) throw new BenchError(`${label}: still not at the last page after ${pageMs.length} pages of ${PAGE_SIZE} (expected ${expected} ports)`);
    const p0 = performance.now();
    let res;
    try {
      res = await api.listPorts(ListPortsRequest.fromPartial({ networkId, pageSize: PAGE_SIZE, pageToken: token }), { deadlineMs: opts.deadlineMs });
    } catch (err) {
      throw describeCallError(`${label}: ListPorts page ${pageMs.length + 1}`, err);
    }
    pageMs.push(performance.now() - p0);
    ports += res.ports.length;
    for (const p of res.ports) ids.add(p.id);
    token = res.nextPageToken;
  } while (token);
  const elapsedMs = performance.now() - start;
  const result: ListResult = {
    ports,
    uniqueIds: ids.size,
    expected,
    pages: pageMs.length,
    elapsedMs,
    pagesPerSecond: ratePerSecond(pageMs.length, elapsedMs),
    portsPerSecond: ratePerSecond(ports, elapsedMs),
    pageLatency: summarize(pageMs),
    cpu: cpu(),
  };
  if (ports !== expected || ids.size !== ports) {
    throw new BenchError(`${label}: listing returned ${ports} ports (${ids.size} distinct ids) but ${expected} were created`);
  }
  progress(`${label}: ${formatCount(ports)} ports in ${result.pages} pages, ${formatMs(elapsedMs)}`);
  return result;
}

async function baseline(api: NetworkApi, ctrl: ControllerProcess, opts: BenchOptions): Promise<BaselineResult> {
  const runFor = async (ms: number): Promise<number[]> => {
    const end = performance.now() + ms;
    const lat: number[] = [];
    let failure: BenchError | undefined;
    const worker = async (): Promise<void> => {
      while (failure === undefined && performance.now() < end) {
        const c0 = performance.now();
        try {
          await api.getRevision(GetRevisionRequest.fromPartial({}), { deadlineMs: opts.deadlineMs });
        } catch (err) {
          failure ??= describeCallError(`baseline: GetRevision (after ${lat.length} succeeded)`, err);
          return;
        }
        lat.push(performance.now() - c0);
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
    if (failure) throw failure;
    return lat;
  };
  progress('baseline: 1 s warm-up');
  await runFor(1_000);
  progress(`baseline: GetRevision for ${opts.baselineSeconds} s at concurrency ${opts.concurrency}`);
  const cpu = cpuMeter(ctrl);
  const start = performance.now();
  const lat = await runFor(opts.baselineSeconds * 1000);
  const elapsedMs = performance.now() - start;
  return { seconds: elapsedMs / 1000, calls: lat.length, perSecond: ratePerSecond(lat.length, elapsedMs), latency: summarize(lat), cpu: cpu() };
}

// ---------------------------------------------------------------- report

function targetsFor(r: Report): TargetResult[] {
  const o = r.options;
  const cNote = o.concurrency === TARGETS.atConcurrency ? undefined : `target defined at C=${TARGETS.atConcurrency}, measured at C=${o.concurrency}`;
  const storedNote = r.phaseB && r.phaseB.stored !== TARGETS.atStored ? `target defined at ${formatCount(TARGETS.atStored)} ports, measured at ${formatCount(r.phaseB.stored)}` : undefined;
  const rss = r.phaseB ? Math.max(r.phaseB.memoryAfterCreate?.rssBytes ?? 0, r.phaseB.memoryAfterList?.rssBytes ?? 0) : undefined;
  return [
    checkTarget('create rate (phase A)', 'atLeast', TARGETS.createsPerSecond, '/s', r.phaseA?.create.perSecond, cNote),
    checkTarget('create p99 latency (phase A)', 'below', TARGETS.p99Ms, 'ms', r.phaseA?.create.latency.p99Ms, cNote),
    checkTarget(`server RSS with stored ports`, 'below', TARGETS.rssMiB * MIB, 'bytes', rss || undefined, storedNote),
  ];
}

function cpuText(c: CpuUse): string {
  const server = c.serverCores === undefined ? 'n/a' : c.serverCores.toFixed(2);
  let text = `server ${server}, bench client ${c.clientCores.toFixed(2)}`;
  if (c.machineCores !== undefined) {
    const other = Math.max(0, c.machineCores - (c.serverCores ?? 0) - c.clientCores);
    text += `, other processes ${other.toFixed(2)} (machine ${c.machineCores.toFixed(2)} of ${c.machineCpus} CPUs busy)`;
  }
  return text;
}

function memText(m: ProcMemory | undefined): string {
  return m ? `${formatMiB(m.rssBytes)} (peak so far ${formatMiB(m.hwmBytes)})` : 'n/a (could not read /proc)';
}

/** Server CPU milliseconds per operation and the rate one otherwise idle core would allow. */
function perOpText(cpu: CpuUse, count: number, elapsedMs: number, what: string): string {
  if (cpu.serverCores === undefined || count === 0) return 'n/a';
  const ms = (cpu.serverCores * elapsedMs) / count;
  return `${ms.toFixed(2)} ms (one fully available core would cap ${what} near ${formatRate(1000 / ms)})`;
}

function createRows(prefix: string, c: CreateResult): ReportRow[] {
  return [
    [`${prefix}creates`, `${formatCount(c.count)} in ${formatMs(c.elapsedMs)} = ${formatRate(c.perSecond)}`],
    [`${prefix}create latency`, formatLatency(c.latency)],
    [`${prefix}CPU while creating (cores)`, cpuText(c.cpu)],
    [`${prefix}server CPU per create`, perOpText(c.cpu, c.count, c.elapsedMs, 'creates')],
  ];
}

function listRows(label: string, l: ListResult): ReportRow[] {
  return [
    [label, `${formatCount(l.ports)} ports, ${l.pages} pages in ${formatMs(l.elapsedMs)} = ${l.pagesPerSecond.toFixed(1)} pages/s (${formatRate(l.portsPerSecond)} ports)`],
    [`  page latency`, formatLatency(l.pageLatency)],
    [`  CPU while listing (cores)`, cpuText(l.cpu)],
  ];
}

function renderText(r: Report): string {
  const o = r.options;
  const rows: ReportRow[] = [
    `Weft API benchmark (${r.mode}${o.quick ? ', --quick' : ''}) ${r.startedAt}`,
    ['host', `${r.host.cpus} CPUs (${r.host.cpuModel}), ${formatMiB(r.host.totalMemBytes)} RAM, load avg ${r.host.loadAvg1m.toFixed(2)} at start / ${r.host.loadAvg1mAtEnd.toFixed(2)} at end, Node ${r.host.node}`],
    ['settings', r.mode === 'baseline' ? `concurrency ${o.concurrency}, ${o.baselineSeconds} s, deadline ${o.deadlineMs} ms` : `ports ${formatCount(o.ports)}, stored ${formatCount(o.stored)}, concurrency ${o.concurrency}, page size ${PAGE_SIZE}, deadline ${o.deadlineMs} ms, subnet ${r.subnetCidr}`],
    ['controller start', `${formatMs(r.controller.firstStartMs)} to ready (empty data dir; client and server share this machine's CPUs)`],
  ];
  if (r.baseline) {
    const b = r.baseline;
    rows.push('', `Baseline: GetRevision at concurrency ${o.concurrency} (after 1 s warm-up)`);
    rows.push(['calls', `${formatCount(b.calls)} in ${formatMs(b.seconds * 1000)} = ${formatRate(b.perSecond)}`]);
    rows.push(['latency', formatLatency(b.latency)]);
    rows.push(['CPU (cores)', cpuText(b.cpu)]);
    rows.push(['server CPU per call', perOpText(b.cpu, b.calls, b.seconds * 1000, 'calls')]);
  }
  if (r.phaseA) {
    const a = r.phaseA;
    rows.push('', `Phase A: create ${formatCount(a.create.count)} ports on an empty store, then list them`);
    rows.push(...createRows('', a.create));
    rows.push(...listRows(`list all ${formatCount(a.list.ports)}`, a.list));
    rows.push(['server RSS after phase A', memText(a.memory)]);
  }
  if (r.phaseB) {
    const b = r.phaseB;
    rows.push('', `Phase B: grow to ${formatCount(b.stored)} stored ports, list them, restart`);
    if (b.create) rows.push(...createRows(`+${formatCount(b.create.count)} `, b.create));
    else rows.push(['creates', 'none needed (--stored equals --ports)']);
    rows.push(['server RSS after creates', memText(b.memoryAfterCreate)]);
    rows.push(...listRows(`list all ${formatCount(b.list.ports)}`, b.list));
    rows.push(['server RSS after list', memText(b.memoryAfterList)]);
    rows.push(['data dir on disk', formatMiB(b.dataDirBytes)]);
    const s = b.restart.stop;
    rows.push(['restart: SIGTERM to exit', `${formatMs(s.ms)} (exit code ${s.code}${s.signal ? `, signal ${s.signal}` : ''}${s.forced ? ', had to SIGKILL' : ''})`]);
    rows.push(['restart: spawn to ready', formatMs(b.restart.startToReadyMs)]);
    rows.push(['restart: total', formatMs(b.restart.totalMs)]);
    rows.push(['server RSS after restart', memText(b.restart.memory)]);
    rows.push(...listRows(`list all after restart`, b.restart.listAfterRestart));
  }
  if (r.targets.some((t) => t.verdict !== 'N/A')) {
    rows.push('', 'Targets');
    for (const t of r.targets) {
      const fmt = t.unit === 'bytes' ? (v: number) => formatMiB(v) : t.unit === 'ms' ? formatMs : formatRate;
      rows.push([t.name, formatTarget(t, fmt)]);
    }
  }
  rows.push('', ['total bench time', formatMs(r.totalMs)]);
  return alignRows(rows);
}

// ---------------------------------------------------------------- main

async function run(opts: BenchOptions, res: Resources): Promise<Report> {
  const cpus = os.cpus();
  const report: Report = {
    tool: 'weft bench:api',
    startedAt: new Date().toISOString(),
    mode: opts.baseline ? 'baseline' : 'full',
    host: { cpus: cpus.length, cpuModel: cpus[0]?.model.trim() ?? 'unknown', totalMemBytes: os.totalmem(), loadAvg1m: os.loadavg()[0], loadAvg1mAtEnd: 0, node: process.version, platform: `${os.platform()} ${os.release()}` },
    options: opts,
    controller: { firstStartMs: 0 },
    targets: [],
    totalMs: 0,
  };
  // <tmp>/weft-bench-XXXX/{data,app}: a fresh data dir, and a copy of the compiled controller so
  // both starts run the same build even if someone rebuilds dist/ meanwhile.
  const root = mkdtempSync(path.join(os.tmpdir(), 'weft-bench-'));
  res.dir = root;
  const dataDir = path.join(root, 'data');
  const mainPath = await snapshotControllerBuild(path.join(root, 'app'));
  // The controller validates tokens with the identity service's keys; the bench holds a key
  // repository of its own and seals the project token itself, so no identity process competes
  // for the two cores. (Its revocation follower finds no identity service and keeps retrying
  // once a second in the background.)
  const keysDir = path.join(root, 'keys');
  const keys = await KeyRepository.open(keysDir);
  const token = benchToken(keys);
  const env = { WEFT_AUTH_MODE: 'token', WEFT_AUTH_KEYS_DIR: keysDir, WEFT_IDENTITY_URL: '127.0.0.1:1' };
  const launch = (readyTimeoutMs: number): Promise<ControllerProcess> => startControllerProcess({ dataDir, mainPath, readyTimeoutMs, orphanCleanupDir: root, env });
  progress(`starting controller ${mainPath} on data dir ${dataDir}`);
  let ctrl = await launch(START_TIMEOUT_MS);
  res.controller = ctrl;
  report.controller.firstStartMs = ctrl.readyMs;
  progress(`controller pid ${ctrl.pid} ready on ${ctrl.address} after ${formatMs(ctrl.readyMs)}`);
  let api = connectNetwork(ctrl.address, { token });
  res.clients.push(api);
  try {
    await api.getRevision(GetRevisionRequest.fromPartial({}), { deadlineMs: opts.deadlineMs });
  } catch (err) {
    throw describeCallError('first GetRevision', err);
  }

  if (opts.baseline) {
    report.baseline = await baseline(api, ctrl, opts);
    return report;
  }

  const cidr = benchCidr(opts.stored);
  report.subnetCidr = cidr;
  let networkId: string;
  try {
    const net = await api.createNetwork({ network: Network.fromPartial({ name: 'bench-net' }) }, { deadlineMs: opts.deadlineMs });
    networkId = net.id;
    await api.createSubnet({ subnet: Subnet.fromPartial({ networkId, name: 'bench-subnet', ipVersion: 4, cidr }) }, { deadlineMs: opts.deadlineMs });
  } catch (err) {
    throw describeCallError('creating the bench network and subnet', err);
  }

  // Phase A
  const createA = await createPorts(api, ctrl, opts, networkId, 0, opts.ports, 'phase A');
  const listA = await listAllPorts(api, ctrl, opts, networkId, opts.ports, 'phase A list');
  report.phaseA = { create: createA, list: listA, memory: ctrl.memory() };

  // Phase B
  const extra = opts.stored - opts.ports;
  const createB = extra > 0 ? await createPorts(api, ctrl, opts, networkId, opts.ports, extra, 'phase B') : undefined;
  const memoryAfterCreate = ctrl.memory();
  const listB = await listAllPorts(api, ctrl, opts, networkId, opts.stored, 'phase B list');
  const memoryAfterList = ctrl.memory();
  const dataDirBytes = dirBytes(dataDir);

  progress('restart: SIGTERM');
  api.close();
  res.clients = [];
  const r0 = performance.now();
  const stop = await ctrl.stop({ signal: 'SIGTERM', timeoutMs: STOP_TIMEOUT_MS });
  progress(`restart: old controller exited after ${formatMs(stop.ms)} (code ${stop.code}); starting again`);
  res.controller = undefined;
  ctrl = await launch(RESTART_TIMEOUT_MS);
  res.controller = ctrl;
  const totalRestartMs = performance.now() - r0;
  const memoryAfterRestart = ctrl.memory();
  progress(`restart: ready after ${formatMs(ctrl.readyMs)}`);
  api = connectNetwork(ctrl.address, { token });
  res.clients.push(api);
  const listAfter = await listAllPorts(api, ctrl, opts, networkId, opts.stored, 'after restart list');
  report.phaseB = {
    stored: opts.stored,
    create: createB,
    memoryAfterCreate,
    list: listB,
    memoryAfterList,
    restart: { stop, startToReadyMs: ctrl.readyMs, totalMs: totalRestartMs, memory: memoryAfterRestart, listAfterRestart: listAfter },
    dataDirBytes,
  };
  return report;
}

async function main(): Promise<number> {
  let opts: BenchOptions;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`bench:api: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (opts.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const res = new Resources();
  process.on('exit', () => res.releaseSync());
  const onSignal = (sig: NodeJS.Signals): void => {
    if (interrupted) {
      res.releaseSync();
      process.exit(130);
    }
    interrupted = true;
    process.stderr.write(`\nbench:api: ${sig}: stopping the controller and removing its data dir\n`);
    const hardStop = setTimeout(() => {
      res.releaseSync();
      process.exit(130);
    }, 15_000);
    hardStop.unref();
    res.release('SIGKILL').finally(() => process.exit(130));
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onSignal);

  try {
    const report = await run(opts, res);
    report.totalMs = performance.now() - t0;
    report.host.loadAvg1mAtEnd = os.loadavg()[0];
    report.targets = opts.baseline ? [] : targetsFor(report);
    await res.release('SIGTERM');
    if (opts.json) process.stdout.write(JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v), 2) + '\n');
    else process.stdout.write(renderText(report) + '\n');
    return 0;
  } catch (err) {
    if (interrupted) {
      await new Promise<void>(() => undefined); // the signal handler releases everything and exits
    }
    const tail = res.controller?.logTail() ?? [];
    const alive = res.controller && !res.controller.exited() ? `controller pid ${res.controller.pid} was still running; ` : '';
    const mem = res.controller?.memory();
    process.stderr.write(`bench:api: FAILED: ${err instanceof BenchError ? err.message : ((err as Error)?.stack ?? String(err))}\n`);
    process.stderr.write(`bench:api: ${alive}server memory ${memText(mem)}\n`);
    if (tail.length > 0) process.stderr.write(`bench:api: last controller log lines:\n${tail.slice(-30).join('\n')}\n`);
    await res.release('SIGKILL');
    return 1;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench:api: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
