#!/usr/bin/env node
/**
 * Identity benchmark: `npm run bench:identity -- [--quick] [--json] [--scrypt-ln N] [--channels 1,2,4]`.
 * Not a test. It measures, on this machine:
 *   1. local token validation on one core (validateToken, TokenAuthenticator with ~1,000
 *      revocation events), in-process, before any child process runs;
 *   2. ValidateToken over gRPC against a real identity process, with one and with several client
 *      channels;
 *   3. token issuing: password (scrypt-bound; plus the time of one scrypt verify), rescoping with a
 *      token, and application credentials when the service implements them ("not implemented"
 *      when it answers UNIMPLEMENTED);
 *   4. the cost of authentication on a network API call: a controller in token mode sharing the
 *      identity keys, GetRevision at concurrency 1, next to the in-process cost of what its
 *      interceptor runs per call;
 * then prints the numbers next to the targets (PASS/MISS). Child processes are always killed and
 * the temp dir removed, also on errors and Ctrl-C.
 */
import { credentials, Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { IdentityServiceClient, ValidateTokenRequest, type IssueTokenResponse } from '../../proto/gen/weft/identity/v1/identity_service';
import { hashPassword, verifyPassword } from '../../services/identity/passwords/hash';
import { KeyRepository } from '../../services/identity/tokens/key-repository';
import { issueToken, newAuditId, systemClock, validateToken, type ValidatingKeys } from '../../services/identity/tokens/token-codec';
import { RevocationSet } from '../../services/runtime/auth/revocations';
import { TokenAuthenticator } from '../../services/runtime/auth/token-authenticator';
import { WeftError } from '../../services/runtime/errors';
import { connectIdentity, type IdentityApi } from '../../services/runtime/client/identity-client';
import { connectNetwork, metadataFor, type NetworkApi } from '../../services/runtime/client/network-client';
import { snapshotControllerBuild, startControllerProcess, type ControllerProcess } from './controller-process';
import { ceilingPerSecond, cpuMsPerCall, cpuText, isContended, otherCores, type CpuUse } from './cpu-share';
import { benchPayload, revocationMix, type IdSources } from './identity-fixtures';
import { IDENTITY_USAGE, IdentityUsageError, parseIdentityOptions, planFor, type BenchPlan, type IdentityBenchOptions } from './identity-options';
import { startIdentityProcess, type IdentityProcess } from './identity-process';
import { formatMicros, perIterationMs, PoolFailure, runTimedPool, runTimedSync, sampleTimedSync, splitConcurrency, type PoolResult } from './loops';
import { readMachineCpu } from './proc';
import {
  alignRows,
  checkTarget,
  formatCount,
  formatLatency,
  formatMiB,
  formatMs,
  formatRate,
  formatTarget,
  ratePerSecond,
  summarize,
  type LatencySummary,
  type ReportRow,
  type TargetResult,
} from './stats';

const TARGETS = { localPerSecond: 20_000, grpcValidatePerSecond: 5_000, interceptorP50Ms: 0.2 } as const;
const START_TIMEOUT_MS = 60_000;
const TOKEN_TTL_MS = 3_600_000;
/** Setup work (topping up tokens, revoking) runs at this concurrency, bounded by SETUP_MS. */
const SETUP_CONCURRENCY = 16;
const SETUP_MS = 60_000;
/** How long the controller may take to pick up identity's revocations before we stop looking. */
const FOLLOW_WAIT_MS = 10_000;
const FOLLOW_POLL_MS = 50;
const MAX_LATENCY_SAMPLES = 1_000_000;
const ADMIN_USER = 'admin';
const ADMIN_PROJECT = 'admin';

// ---------------------------------------------------------------- plumbing

const t0 = performance.now();
/** Set by the first SIGINT/SIGTERM/SIGHUP; calls failing after it are expected, not reported. */
let interrupted = false;

function progress(msg: string): void {
  process.stderr.write(`[bench +${((performance.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
}

class BenchError extends Error {}

function describeCallError(what: string, err: unknown): BenchError {
  let where = what;
  let cause = err;
  if (err instanceof PoolFailure) {
    where = `${what}: call #${err.callIndex + 1} (after ${err.completed} succeeded)`;
    cause = err.failure;
  }
  if (cause instanceof BenchError) return new BenchError(`${where}: ${cause.message}`);
  const e = cause as Partial<ServiceError>;
  if (typeof e?.code === 'number') {
    const name = GrpcStatus[e.code] ?? 'UNKNOWN';
    return new BenchError(`${where} failed: ${name} (${e.code}): ${e.details ?? e.message ?? ''}`);
  }
  return new BenchError(`${where} failed: ${(cause as Error)?.message ?? String(cause)}`);
}

function grpcCode(err: unknown): number | undefined {
  const code = (err as Partial<ServiceError> | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Busy CPUs of the machine over `ms` while this process sleeps; undefined without /proc/stat. */
async function machineBusy(ms: number): Promise<number | undefined> {
  const a = readMachineCpu();
  await sleep(ms);
  const b = readMachineCpu();
  if (!a || !b || b.total <= a.total) return undefined;
  return ((b.busy - a.busy) / (b.total - a.total)) * os.cpus().length;
}

interface Closable {
  close(): void;
}

/** Everything that must be released whatever happens: clients, both processes, the temp dir. */
class Resources {
  dir: string | undefined;
  identity: IdentityProcess | undefined;
  controller: ControllerProcess | undefined;
  clients: Closable[] = [];
  private released = false;

  closeClients(which: readonly Closable[]): void {
    for (const c of which) {
      c.close();
      const i = this.clients.indexOf(c);
      if (i >= 0) this.clients.splice(i, 1);
    }
  }

  async release(signal: NodeJS.Signals): Promise<void> {
    if (this.released) return;
    for (const c of this.clients.splice(0)) c.close();
    // The controller first: its revocation follower would otherwise log reconnect attempts.
    for (const [name, proc] of [
      ['controller', this.controller],
      ['identity service', this.identity],
    ] as const) {
      if (!proc) continue;
      try {
        await proc.stop({ signal, timeoutMs: 10_000 });
      } catch (err) {
        process.stderr.write(`bench: stopping the ${name}: ${(err as Error).message}\n`);
      }
    }
    this.removeDir();
    this.released = true;
  }

  /** Last resort from the 'exit' handler: no waiting possible. */
  releaseSync(): void {
    if (this.released) return;
    this.controller?.killNow();
    this.identity?.killNow();
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

// ---------------------------------------------------------------- CPU

function cpuMeter(servers: ReadonlyArray<readonly [string, ControllerProcess]>): () => CpuUse {
  const wall0 = performance.now();
  const s0 = servers.map(([, p]) => p.cpuSeconds());
  const client0 = process.cpuUsage();
  const machine0 = readMachineCpu();
  const cpus = os.cpus().length;
  return () => {
    const machine1 = readMachineCpu();
    const wallS = (performance.now() - wall0) / 1000;
    const c = process.cpuUsage(client0);
    const out: Record<string, number | undefined> = {};
    servers.forEach(([name, p], i) => {
      const a = s0[i];
      const b = p.cpuSeconds();
      out[name] = a !== undefined && b !== undefined && wallS > 0 ? (b - a) / wallS : undefined;
    });
    const dTotal = machine0 && machine1 ? machine1.total - machine0.total : 0;
    return {
      servers: out,
      clientCores: wallS > 0 ? (c.user + c.system) / 1e6 / wallS : 0,
      machineCores: machine0 && machine1 && dTotal > 0 ? ((machine1.busy - machine0.busy) / dTotal) * cpus : undefined,
      machineCpus: cpus,
    };
  };
}

// ---------------------------------------------------------------- results

interface LocalLoop {
  iterations: number;
  elapsedMs: number;
  perSecond: number;
  perCallMs: number;
  stoppedBy: 'time' | 'count';
}

interface LocalResult {
  tokenChars: number;
  keys: number;
  revocationEvents: number;
  validateToken: LocalLoop;
  authenticateToken: LocalLoop;
  /** TokenAuthenticator.authenticate(metadata): the header parsing plus authenticateToken. */
  authenticateMetadata: LocalLoop;
  cpu: CpuUse;
}

interface ScryptResult {
  ln: number;
  samplesMs: number[];
  p50Ms: number;
  minMs: number;
}

interface CallRun {
  concurrency: number;
  calls: number;
  elapsedMs: number;
  perSecond: number;
  latency: LatencySummary;
  stoppedBy: 'time' | 'count';
  cpu: CpuUse;
}

interface ValidateRun extends CallRun {
  channels: number;
  /** Concurrent calls per channel. */
  perChannel: number[];
}

interface InterceptorResult {
  controllerStartMs: number;
  /** Time until the controller rejected a token revoked in identity, or undefined if not seen. */
  revocationFollowMs: number | undefined;
  revocationEvents: number;
  /** authenticate(metadata) with the GetRevision token and identity's keys, in-process. */
  inProcess: LocalLoop;
  inProcessSampled: LatencySummary;
  inProcessCpu: CpuUse;
  getRevision: CallRun;
  /** In-process p50 as a share of the end-to-end GetRevision p50. */
  shareOfP50: number;
}

interface Report {
  tool: 'weft bench:identity';
  startedAt: string;
  host: { cpus: number; cpuModel: string; totalMemBytes: number; loadAvg1m: number; loadAvg1mAtEnd: number; node: string; platform: string };
  /** Busy CPUs over a short sample before the bench started (other processes only). */
  busyBeforeStart: number | undefined;
  options: IdentityBenchOptions;
  plan: BenchPlan;
  local?: LocalResult;
  scrypt?: ScryptResult;
  identity?: { startMs: number; loginMs: number; tokenChars: number; revocationsCreated: number; revoke?: CallRun };
  validateGrpc: ValidateRun[];
  issue?: {
    password: CallRun;
    rescope: CallRun;
    /** Undefined when the service does not implement it (or the bench could not set it up). */
    applicationCredential: CallRun | undefined;
    applicationCredentialNote: string;
  };
  interceptor?: InterceptorResult;
  targets: TargetResult[];
  totalMs: number;
}

function callRun(concurrency: number, r: PoolResult, cpu: CpuUse): CallRun {
  return { concurrency, calls: r.calls, elapsedMs: r.elapsedMs, perSecond: ratePerSecond(r.calls, r.elapsedMs), latency: summarize(r.latenciesMs), stoppedBy: r.stoppedBy, cpu };
}

// ---------------------------------------------------------------- in-process measurements

function localLoop(label: string, plan: BenchPlan, fn: () => void): LocalLoop {
  runTimedSync(fn, { durationMs: plan.localWarmupMs, maxIterations: plan.localMaxIterations });
  const r = runTimedSync(fn, { durationMs: plan.localMs, maxIterations: plan.localMaxIterations });
  const out = { iterations: r.iterations, elapsedMs: r.elapsedMs, perSecond: ratePerSecond(r.iterations, r.elapsedMs), perCallMs: perIterationMs(r), stoppedBy: r.stoppedBy };
  progress(`${label}: ${formatCount(out.iterations)} in ${formatMs(out.elapsedMs)} = ${formatRate(out.perSecond)} (${formatMicros(out.perCallMs)} per call)`);
  return out;
}

const ids: IdSources = { auditId: () => newAuditId(), uuid: () => randomUUID() };

/** An authenticator over `keys` whose RevocationSet holds `events` events, none revoking `token`. */
function benchAuthenticator(keys: ValidatingKeys, token: string, events: number): { auth: TokenAuthenticator; revocations: RevocationSet } {
  const opened = validateToken(token, keys, systemClock);
  if (!opened.ok) throw new BenchError(`the bench token does not validate: ${opened.reason}`);
  const revocations = new RevocationSet();
  for (const e of revocationMix(events, Date.now(), TOKEN_TTL_MS, ids, opened.payload)) revocations.add(e);
  const auth = new TokenAuthenticator(keys, revocations, systemClock);
  const check = auth.authenticateToken(token, 'bench');
  if (check instanceof WeftError) throw new BenchError(`the bench token is rejected by the authenticator: ${check.message}`);
  return { auth, revocations };
}

function bearer(token: string): Metadata {
  const md = new Metadata();
  md.set('authorization', `Bearer ${token}`);
  return md;
}

async function localPhase(root: string, plan: BenchPlan): Promise<LocalResult> {
  const keys = await KeyRepository.open(path.join(root, 'local-keys'));
  const token = issueToken(benchPayload(ids, Date.now(), TOKEN_TTL_MS), keys, systemClock);
  const { auth, revocations } = benchAuthenticator(keys, token, plan.localRevocationEvents);
  const md = bearer(token);
  progress(`local: token of ${token.length} chars, ${keys.keys().length} keys, ${revocations.size} revocation events; ${plan.localMs / 1000} s per loop after ${plan.localWarmupMs / 1000} s warm-up`);
  const cpu = cpuMeter([]);
  const v = localLoop('local validateToken', plan, () => {
    if (!validateToken(token, keys, systemClock).ok) throw new BenchError('validateToken rejected the bench token');
  });
  const a = localLoop('local authenticateToken', plan, () => {
    if (auth.authenticateToken(token, 'bench') instanceof WeftError) throw new BenchError('authenticateToken rejected the bench token');
  });
  const m = localLoop('local authenticate(metadata)', plan, () => {
    if (auth.authenticate(md, 'bench') instanceof WeftError) throw new BenchError('authenticate rejected the bench token');
  });
  return { tokenChars: token.length, keys: keys.keys().length, revocationEvents: revocations.size, validateToken: v, authenticateToken: a, authenticateMetadata: m, cpu: cpu() };
}

async function scryptPhase(ln: number, samples: number): Promise<ScryptResult> {
  progress(`scrypt: ${samples} single verifications at ln ${ln}`);
  const password = `bench ${randomBytes(12).toString('base64url')}`;
  const hash = await hashPassword(password, { ln, r: 8, p: 1 });
  const samplesMs: number[] = [];
  for (let i = 0; i < samples; i++) {
    const s = performance.now();
    const ok = await verifyPassword(password, hash);
    samplesMs.push(performance.now() - s);
    if (!ok) throw new BenchError('scrypt verification of the bench password failed');
  }
  const sum = summarize(samplesMs);
  return { ln, samplesMs, p50Ms: sum.p50Ms, minMs: sum.minMs };
}

// ---------------------------------------------------------------- gRPC measurements

/** A warm-up pool (not kept) and a measured one, with CPU use over the measured one. */
async function timedCalls(
  label: string,
  concurrency: number,
  warmupMs: number,
  durationMs: number,
  plan: BenchPlan,
  servers: ReadonlyArray<readonly [string, ControllerProcess]>,
  call: (worker: number, index: number) => Promise<unknown>,
): Promise<CallRun> {
  try {
    if (warmupMs > 0) await runTimedPool({ concurrency, durationMs: warmupMs, maxCalls: plan.maxCallsPerPhase }, call);
    progress(`${label}: ${durationMs / 1000} s at concurrency ${concurrency}`);
    const cpu = cpuMeter(servers);
    const r = await runTimedPool({ concurrency, durationMs, maxCalls: plan.maxCallsPerPhase }, call);
    const run = callRun(concurrency, r, cpu());
    progress(`${label}: ${formatCount(run.calls)} in ${formatMs(run.elapsedMs)} = ${formatRate(run.perSecond)}, p50 ${formatMs(run.latency.p50Ms)}, p99 ${formatMs(run.latency.p99Ms)}`);
    return run;
  } catch (err) {
    throw describeCallError(label, err);
  }
}

function waitForReady(client: IdentityServiceClient, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => client.waitForReady(Date.now() + timeoutMs, (err) => (err ? reject(err) : resolve())));
}

async function validateOverGrpc(
  res: Resources,
  identity: IdentityProcess,
  opts: IdentityBenchOptions,
  plan: BenchPlan,
  channels: number,
  adminToken: string,
  adminUserId: string,
  subjects: readonly string[],
): Promise<ValidateRun> {
  const perChannel = splitConcurrency(plan.validateConcurrency, channels);
  // A local subchannel pool gives each client its own connection (grpc-js shares one otherwise).
  const clients = Array.from({ length: channels }, () => new IdentityServiceClient(identity.address, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }));
  res.clients.push(...clients);
  try {
    await Promise.all(clients.map((c) => waitForReady(c, 10_000)));
    const workerChannel = perChannel.flatMap((n, ci) => Array.from({ length: n }, () => ci));
    const requests = subjects.map((token) => ValidateTokenRequest.fromPartial({ token }));
    const md = metadataFor({ token: adminToken });
    const call = (w: number, i: number): Promise<void> =>
      new Promise((resolve, reject) => {
        clients[workerChannel[w]].validateToken(requests[i % requests.length], md, { deadline: Date.now() + opts.deadlineMs }, (err, r) => {
          if (err) reject(err);
          else if (r.info?.userId !== adminUserId) reject(new BenchError(`ValidateToken answered user '${r.info?.userId ?? ''}', expected '${adminUserId}'`));
          else resolve();
        });
      });
    const run = await timedCalls(`ValidateToken, ${channels} channel${channels === 1 ? '' : 's'}`, plan.validateConcurrency, plan.grpcWarmupMs, plan.grpcMs, plan, [['identity', identity]], call);
    return { ...run, channels, perChannel };
  } finally {
    res.closeClients(clients);
  }
}

/** Calls GetRevision with a revoked token until the controller rejects it (bounded). */
async function waitForRevocationFollow(net: NetworkApi, deadlineMs: number): Promise<number | undefined> {
  const start = performance.now();
  const maxTries = Math.ceil(FOLLOW_WAIT_MS / FOLLOW_POLL_MS) + 1;
  for (let i = 0; i < maxTries && performance.now() - start < FOLLOW_WAIT_MS; i++) {
    try {
      await net.getRevision({}, { deadlineMs });
    } catch (err) {
      if (grpcCode(err) === GrpcStatus.UNAUTHENTICATED) return performance.now() - start;
      throw describeCallError('GetRevision with a revoked token', err);
    }
    await sleep(FOLLOW_POLL_MS);
  }
  return undefined;
}

/**
 * IssueToken by application credential, when the service has it: one credential created with the
 * admin token, then issued from at the rescoping concurrency. "not implemented" when the service
 * answers UNIMPLEMENTED (the state when this bench was written).
 */
async function applicationCredentialPhase(
  authed: IdentityApi,
  anon: IdentityApi,
  opts: IdentityBenchOptions,
  plan: BenchPlan,
  servers: ReadonlyArray<readonly [string, ControllerProcess]>,
): Promise<{ run: CallRun | undefined; note: string }> {
  const notImplemented = (err: unknown): boolean => grpcCode(err) === GrpcStatus.UNIMPLEMENTED;
  let id: string;
  let secret: string;
  try {
    const cred = await authed.createApplicationCredential({ applicationCredential: { name: `bench-${randomUUID()}` } }, { deadlineMs: opts.deadlineMs });
    id = cred.id;
    secret = cred.secret;
  } catch (err) {
    if (notImplemented(err)) return { run: undefined, note: 'not implemented (CreateApplicationCredential answers UNIMPLEMENTED)' };
    throw describeCallError('CreateApplicationCredential', err);
  }
  const request = { method: { $case: 'applicationCredential' as const, value: { id, secret } } };
  try {
    await anon.issueToken(request, { deadlineMs: opts.deadlineMs });
  } catch (err) {
    if (notImplemented(err)) return { run: undefined, note: 'not implemented (IssueToken by application credential answers UNIMPLEMENTED)' };
    throw describeCallError('IssueToken by application credential', err);
  }
  const run = await timedCalls('IssueToken application credential', plan.rescopeConcurrency, plan.grpcWarmupMs, plan.rescopeMs, plan, servers, () => anon.issueToken(request, { deadlineMs: opts.deadlineMs }));
  return { run, note: 'secret checked by SHA-256 (no scrypt), one credential for all calls' };
}

// ---------------------------------------------------------------- report

/** A note for a target measured while unrelated processes used CPU, or undefined. */
function contentionNote(cpu: CpuUse | undefined): string | undefined {
  if (!cpu || !isContended(cpu)) return undefined;
  return `other processes used ${(otherCores(cpu) ?? 0).toFixed(2)} cores meanwhile`;
}

function joinNotes(...notes: Array<string | undefined>): string | undefined {
  const kept = notes.filter((n): n is string => !!n);
  return kept.length > 0 ? kept.join('; ') : undefined;
}

function targetsFor(r: Report): TargetResult[] {
  const one = r.validateGrpc.find((v) => v.channels === 1);
  const multi = r.validateGrpc.filter((v) => v.channels > 1);
  const best = multi.reduce<ValidateRun | undefined>((b, v) => (b === undefined || v.perSecond > b.perSecond ? v : b), undefined);
  const localNote = contentionNote(r.local?.cpu);
  const out = [
    checkTarget('validateToken, in-process, one core', 'atLeast', TARGETS.localPerSecond, '/s', r.local?.validateToken.perSecond, localNote),
    checkTarget(`authenticateToken (${formatCount(r.local?.revocationEvents ?? 0)} revocations), in-process`, 'atLeast', TARGETS.localPerSecond, '/s', r.local?.authenticateToken.perSecond, localNote),
    checkTarget(`ValidateToken over gRPC, 1 channel, C=${r.plan.validateConcurrency}`, 'atLeast', TARGETS.grpcValidatePerSecond, '/s', one?.perSecond, contentionNote(one?.cpu)),
  ];
  if (multi.length > 0) {
    out.push(
      checkTarget(
        `ValidateToken over gRPC, best of ${multi.map((v) => v.channels).join('/')} channels`,
        'atLeast',
        TARGETS.grpcValidatePerSecond,
        '/s',
        best?.perSecond,
        joinNotes(best ? `best: ${best.channels} channels` : undefined, contentionNote(best?.cpu)),
      ),
    );
  }
  out.push(
    checkTarget(
      'interceptor overhead per call (p50)',
      'below',
      TARGETS.interceptorP50Ms,
      'ms',
      r.interceptor?.inProcessSampled.p50Ms,
      joinNotes('in-process authenticate(metadata) with the GetRevision token', contentionNote(r.interceptor?.inProcessCpu)),
    ),
  );
  return out;
}

/** Phases during which unrelated processes used more than CONTENDED_CORES. */
function contendedPhases(r: Report): string[] {
  const phases: Array<[string, CpuUse | undefined]> = [
    ['local validation', r.local?.cpu],
    ...r.validateGrpc.map((v): [string, CpuUse] => [`ValidateToken ${v.channels} channel${v.channels === 1 ? '' : 's'}`, v.cpu]),
    ['password issuing', r.issue?.password.cpu],
    ['rescoping', r.issue?.rescope.cpu],
    ['application credential issuing', r.issue?.applicationCredential?.cpu],
    ['in-process authenticate (part 4)', r.interceptor?.inProcessCpu],
    ['GetRevision', r.interceptor?.getRevision.cpu],
  ];
  return phases.filter(([, c]) => c !== undefined && isContended(c)).map(([name, c]) => `${name} (${(otherCores(c!) ?? 0).toFixed(2)})`);
}

function loopText(l: LocalLoop): string {
  return `${formatCount(l.iterations)} in ${formatMs(l.elapsedMs)} = ${formatRate(l.perSecond)} (${formatMicros(l.perCallMs)} per call)${l.stoppedBy === 'count' ? ' [stopped by the iteration cap]' : ''}`;
}

function runRows(label: string, c: CallRun): ReportRow[] {
  return [
    [label, `${formatCount(c.calls)} in ${formatMs(c.elapsedMs)} = ${formatRate(c.perSecond)}${c.stoppedBy === 'count' ? ' [stopped by the call cap]' : ''}`],
    ['  latency', formatLatency(c.latency)],
    ['  CPU (cores)', cpuText(c.cpu)],
    ['  CPU per call', perCallText(c)],
  ];
}

function perCallText(c: CallRun): string {
  const per = cpuMsPerCall(c.cpu, c.calls, c.elapsedMs);
  const parts = Object.entries(per).map(([name, ms]) => `${name} ${formatMicros(ms)}`);
  if (parts.length === 0) return 'n/a';
  // Only meaningful for single-threaded work (not scrypt on the thread pool, which uses > 1 core).
  const multiThreaded = Object.values(c.cpu.servers).some((v) => v !== undefined && v > 1) || c.cpu.clientCores > 1;
  return multiThreaded ? parts.join(', ') : `${parts.join(', ')}  (a free core per process would cap this near ${formatRate(ceilingPerSecond(per))})`;
}

function renderText(r: Report): string {
  const o = r.options;
  const p = r.plan;
  const rows: ReportRow[] = [
    `Weft identity benchmark (${o.quick ? 'quick' : 'full'}) ${r.startedAt}`,
    ['host', `${r.host.cpus} CPUs (${r.host.cpuModel}), ${formatMiB(r.host.totalMemBytes)} RAM, load avg ${r.host.loadAvg1m.toFixed(2)} at start / ${r.host.loadAvg1mAtEnd.toFixed(2)} at end, Node ${r.host.node}`],
    ['machine before start', r.busyBeforeStart === undefined ? 'n/a (no /proc/stat)' : `${r.busyBeforeStart.toFixed(2)} of ${r.host.cpus} CPUs busy${r.busyBeforeStart > 0.25 ? ' [NOT IDLE]' : ''}`],
    ['settings', `scrypt ln ${o.scryptLn}, ValidateToken channels ${o.channels.join(',')}, deadline ${o.deadlineMs} ms; bench client and servers share this machine's CPUs`],
  ];
  if (r.local) {
    const l = r.local;
    rows.push('', `1. Local token validation (in-process on one core, before any child process started; ${p.localMs / 1000} s each after ${p.localWarmupMs / 1000} s warm-up)`);
    rows.push(['token', `${l.tokenChars} chars, project-scoped, 3 roles, audit chain of 1; key repository of ${l.keys} keys`]);
    rows.push(['validateToken', loopText(l.validateToken)]);
    rows.push([`authenticateToken`, `${loopText(l.authenticateToken)}  [RevocationSet of ${formatCount(l.revocationEvents)} events]`]);
    rows.push(['authenticate(metadata)', `${loopText(l.authenticateMetadata)}  [what the server interceptor runs per call]`]);
    rows.push(['CPU (cores)', cpuText(l.cpu)]);
  }
  rows.push('', `2. ValidateToken over gRPC (identity process; caller: the admin token, subject: one of ${p.validateConcurrency} rescoped admin tokens, so the server validates two tokens per call; concurrency ${p.validateConcurrency}, ${p.grpcMs / 1000} s after ${p.grpcWarmupMs / 1000} s warm-up)`);
  if (r.identity) {
    const i = r.identity;
    rows.push(['identity', `ready ${formatMs(i.startMs)} after spawn; admin password login ${formatMs(i.loginMs)}; ${formatCount(i.revocationsCreated)} tokens revoked beforehand (revocation events in force)`]);
  }
  if (r.validateGrpc.length === 0) rows.push(['ValidateToken', 'not measured']);
  for (const v of r.validateGrpc) rows.push(...runRows(`${v.channels} channel${v.channels === 1 ? '' : 's'} (${v.perChannel.join('+')} in flight)`, v));
  if (r.scrypt || r.issue) rows.push('', '3. Token issuing');
  if (r.scrypt) {
    const s = r.scrypt;
    rows.push([`one scrypt verify (ln ${s.ln}, in-process)`, `p50 ${formatMs(s.p50Ms)}, min ${formatMs(s.minMs)} (${s.samplesMs.length} samples, before the services started)`]);
  }
  if (r.issue) {
    const i = r.issue;
    rows.push(...runRows(`password (IssueToken, C=${i.password.concurrency})`, i.password));
    rows.push(...runRows(`rescope by token (C=${i.rescope.concurrency})`, i.rescope));
    if (i.applicationCredential) rows.push(...runRows(`application credential (C=${i.applicationCredential.concurrency})`, i.applicationCredential));
    rows.push([i.applicationCredential ? '  note' : 'application credential', i.applicationCredentialNote]);
  }
  if (r.identity?.revoke) rows.push(...runRows(`(setup) RevokeToken (C=${r.identity.revoke.concurrency})`, r.identity.revoke));
  if (r.interceptor) {
    const x = r.interceptor;
    rows.push('', `4. Authentication on a network API call (controller in token mode with identity's keys; GetRevision at concurrency 1, ${p.e2eMs / 1000} s after ${p.e2eWarmupMs / 1000} s warm-up)`);
    rows.push(['controller', `ready ${formatMs(x.controllerStartMs)} after spawn; ${x.revocationFollowMs === undefined ? `a token revoked in identity was NOT rejected within ${FOLLOW_WAIT_MS / 1000} s` : `rejects a token revoked in identity (seen after ${formatMs(x.revocationFollowMs)})`}`]);
    rows.push(['in-process authenticate(metadata)', `${loopText(x.inProcess)}  [same token and keys as the API calls, ${formatCount(x.revocationEvents)} revocation events]`]);
    const s = x.inProcessSampled;
    rows.push(['  CPU (cores)', cpuText(x.inProcessCpu)]);
    rows.push(['  per call, timed one by one', `p50 ${formatMicros(s.p50Ms)}  p90 ${formatMicros(s.p90Ms)}  p99 ${formatMicros(s.p99Ms)}  max ${formatMicros(s.maxMs)}  (${formatCount(s.count)} samples)`]);
    rows.push(...runRows('GetRevision end to end (C=1)', x.getRevision));
    rows.push(['interceptor share of p50', `${(x.shareOfP50 * 100).toFixed(1)} % (${formatMicros(s.p50Ms)} of ${formatMs(x.getRevision.latency.p50Ms)})`]);
  }
  if (r.targets.some((t) => t.verdict !== 'N/A')) {
    rows.push('', 'Targets');
    const contended = contendedPhases(r);
    if (contended.length > 0) {
      rows.push(`  WARNING: the machine was not idle: unrelated processes used CPU (cores) during ${contended.join(', ')}; rates are lower and latencies higher than on an idle machine.`);
    }
    for (const t of r.targets) rows.push([t.name, formatTarget(t, t.unit === 'ms' ? formatMicros : formatRate)]);
  }
  rows.push('', ['total bench time', formatMs(r.totalMs)]);
  return alignRows(rows);
}

// ---------------------------------------------------------------- main

async function run(opts: IdentityBenchOptions, res: Resources, report: Report): Promise<void> {
  const plan = report.plan;
  const root = mkdtempSync(path.join(os.tmpdir(), 'weft-bench-id-'));
  res.dir = root;

  // 1 and the scrypt time first, while no child process competes for the CPUs.
  report.local = await localPhase(root, plan);
  report.scrypt = await scryptPhase(opts.scryptLn, plan.scryptSamples);

  // <tmp>/weft-bench-id-XXXX/{app,identity,network}: a copy of the build (both services run it
  // even if someone rebuilds dist/ meanwhile) and each service's data dir.
  const controllerMain = await snapshotControllerBuild(path.join(root, 'app'));
  const adminPassword = randomBytes(18).toString('base64url');
  progress(`starting identity (scrypt ln ${opts.scryptLn})`);
  const identity = await startIdentityProcess({ buildRoot: path.join(root, 'app'), dataDir: path.join(root, 'identity'), adminPassword, scryptLn: opts.scryptLn, readyTimeoutMs: START_TIMEOUT_MS, orphanCleanupDir: root });
  res.identity = identity;
  progress(`identity pid ${identity.pid} ready on ${identity.address} after ${formatMs(identity.readyMs)}`);
  const anon: IdentityApi = connectIdentity(identity.address);
  res.clients.push(anon);
  const passwordRequest = { method: { $case: 'password' as const, value: { userName: ADMIN_USER, password: adminPassword } }, scope: { projectName: ADMIN_PROJECT } };
  const l0 = performance.now();
  let login: IssueTokenResponse;
  try {
    login = await anon.issueToken(passwordRequest, { deadlineMs: opts.deadlineMs });
  } catch (err) {
    throw describeCallError('admin login', err);
  }
  const loginMs = performance.now() - l0;
  const adminToken = login.token;
  const adminUserId = login.info?.userId ?? '';
  const projectId = login.info?.projectId ?? '';
  if (!adminUserId || !projectId) throw new BenchError(`admin login returned no user or project (user '${adminUserId}', project '${projectId}')`);
  report.identity = { startMs: identity.readyMs, loginMs, tokenChars: adminToken.length, revocationsCreated: 0 };
  const authed: IdentityApi = connectIdentity(identity.address, { token: adminToken });
  res.clients.push(authed);
  const idServers = [['identity', identity]] as const;

  // 3. Issuing: password (scrypt-bound), then rescoping (keeping tokens to revoke and validate).
  const password = await timedCalls('IssueToken password', plan.passwordConcurrency, 0, plan.passwordMs, plan, idServers, () => anon.issueToken(passwordRequest, { deadlineMs: opts.deadlineMs }));
  const wanted = plan.identityRevocations + plan.validateConcurrency;
  const tokens: string[] = [];
  const rescope = (): Promise<void> =>
    authed.issueToken({ method: { $case: 'token', value: {} }, scope: { projectId } }, { deadlineMs: opts.deadlineMs }).then((r) => {
      if (tokens.length < wanted) tokens.push(r.token);
    });
  const rescopeRun = await timedCalls('IssueToken rescope', plan.rescopeConcurrency, plan.grpcWarmupMs, plan.rescopeMs, plan, idServers, rescope);
  const appCred = await applicationCredentialPhase(authed, anon, opts, plan, idServers);
  report.issue = { password, rescope: rescopeRun, applicationCredential: appCred.run, applicationCredentialNote: appCred.note };

  // Revoke tokens so identity (and, later, the controller following it) hold real revocation events.
  if (tokens.length < wanted) {
    const missing = wanted - tokens.length;
    progress(`setup: issuing ${missing} more tokens to revoke and validate`);
    try {
      await runTimedPool({ concurrency: SETUP_CONCURRENCY, durationMs: SETUP_MS, maxCalls: missing }, rescope);
    } catch (err) {
      throw describeCallError('setup: issuing tokens', err);
    }
  }
  const toRevoke = tokens.slice(0, Math.min(plan.identityRevocations, Math.max(0, tokens.length - 1)));
  const subjects = tokens.slice(toRevoke.length);
  if (subjects.length === 0) subjects.push(adminToken);
  progress(`setup: revoking ${toRevoke.length} tokens`);
  if (toRevoke.length > 0) {
    const cpu = cpuMeter(idServers);
    let revoked: PoolResult;
    try {
      revoked = await runTimedPool({ concurrency: SETUP_CONCURRENCY, durationMs: SETUP_MS, maxCalls: toRevoke.length }, (_w, i) => authed.revokeToken({ token: toRevoke[i] }, { deadlineMs: opts.deadlineMs }));
    } catch (err) {
      throw describeCallError('setup: RevokeToken', err);
    }
    report.identity.revocationsCreated = revoked.calls;
    report.identity.revoke = callRun(SETUP_CONCURRENCY, revoked, cpu());
  }

  // 2. ValidateToken over gRPC with each channel count.
  for (const channels of opts.channels) {
    report.validateGrpc.push(await validateOverGrpc(res, identity, opts, plan, channels, adminToken, adminUserId, subjects));
  }

  // 4. A controller in token mode on identity's keys, following its revocations.
  progress('starting the network controller in token mode');
  const ctrl = await startControllerProcess({
    dataDir: path.join(root, 'network'),
    mainPath: controllerMain,
    readyTimeoutMs: START_TIMEOUT_MS,
    orphanCleanupDir: root,
    env: { WEFT_AUTH_MODE: 'token', WEFT_AUTH_KEYS_DIR: identity.keysDir, WEFT_IDENTITY_URL: identity.address, WEFT_NETWORK_CONFIG: '' },
  });
  res.controller = ctrl;
  progress(`controller pid ${ctrl.pid} ready on ${ctrl.address} after ${formatMs(ctrl.readyMs)}`);
  let revocationFollowMs: number | undefined;
  if (toRevoke.length > 0) {
    const revokedClient = connectNetwork(ctrl.address, { token: toRevoke[toRevoke.length - 1] });
    res.clients.push(revokedClient);
    revocationFollowMs = await waitForRevocationFollow(revokedClient, opts.deadlineMs);
    res.closeClients([revokedClient]);
    progress(revocationFollowMs === undefined ? 'controller did not reject a revoked token in time' : `controller rejects revoked tokens (after ${formatMs(revocationFollowMs)})`);
  }

  // What the controller's interceptor runs per call, in-process with the same token and keys.
  const identityKeys = await KeyRepository.openExisting(identity.keysDir);
  const { auth, revocations } = benchAuthenticator(identityKeys, adminToken, plan.localRevocationEvents);
  const md = bearer(adminToken);
  const authenticateOnce = (): void => {
    if (auth.authenticate(md, 'bench') instanceof WeftError) throw new BenchError('authenticate rejected the admin token');
  };
  const inProcessCpu = cpuMeter([
    ['controller', ctrl],
    ['identity', identity],
  ]);
  const inProcess = localLoop('in-process authenticate(metadata) with the API token', plan, authenticateOnce);
  const sampled = summarize(sampleTimedSync(authenticateOnce, { durationMs: plan.localMs, maxSamples: MAX_LATENCY_SAMPLES }));
  const inProcessCpuUse = inProcessCpu();

  const net = connectNetwork(ctrl.address, { token: adminToken });
  res.clients.push(net);
  const getRevision = await timedCalls('GetRevision', 1, plan.e2eWarmupMs, plan.e2eMs, plan, [
    ['controller', ctrl],
    ['identity', identity],
  ], () => net.getRevision({}, { deadlineMs: opts.deadlineMs }));
  report.interceptor = {
    controllerStartMs: ctrl.readyMs,
    revocationFollowMs,
    revocationEvents: revocations.size,
    inProcess,
    inProcessSampled: sampled,
    inProcessCpu: inProcessCpuUse,
    getRevision,
    shareOfP50: sampled.p50Ms / getRevision.latency.p50Ms,
  };
}

async function main(): Promise<number> {
  let opts: IdentityBenchOptions;
  try {
    opts = parseIdentityOptions(process.argv.slice(2));
  } catch (err) {
    if (err instanceof IdentityUsageError) {
      process.stderr.write(`bench:identity: ${err.message}\n\n${IDENTITY_USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (opts.help) {
    process.stdout.write(IDENTITY_USAGE + '\n');
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
    process.stderr.write(`\nbench:identity: ${sig}: stopping the child processes and removing the temp dir\n`);
    const hardStop = setTimeout(() => {
      res.releaseSync();
      process.exit(130);
    }, 15_000);
    hardStop.unref();
    res.release('SIGKILL').finally(() => process.exit(130));
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onSignal);

  const cpus = os.cpus();
  const report: Report = {
    tool: 'weft bench:identity',
    startedAt: new Date().toISOString(),
    host: { cpus: cpus.length, cpuModel: cpus[0]?.model.trim() ?? 'unknown', totalMemBytes: os.totalmem(), loadAvg1m: os.loadavg()[0], loadAvg1mAtEnd: 0, node: process.version, platform: `${os.platform()} ${os.release()}` },
    busyBeforeStart: undefined,
    options: opts,
    plan: planFor(opts),
    validateGrpc: [],
    targets: [],
    totalMs: 0,
  };
  try {
    report.busyBeforeStart = await machineBusy(opts.quick ? 300 : 1_000);
    if (report.busyBeforeStart !== undefined && report.busyBeforeStart > 0.25) progress(`warning: the machine is busy before the start (${report.busyBeforeStart.toFixed(2)} of ${cpus.length} CPUs); results will be lower than on an idle machine`);
    await run(opts, res, report);
    report.totalMs = performance.now() - t0;
    report.host.loadAvg1mAtEnd = os.loadavg()[0];
    report.targets = targetsFor(report);
    await res.release('SIGTERM');
    if (opts.json) process.stdout.write(JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v), 2) + '\n');
    else process.stdout.write(renderText(report) + '\n');
    return 0;
  } catch (err) {
    if (interrupted) {
      await new Promise<void>(() => undefined); // the signal handler releases everything and exits
    }
    process.stderr.write(`bench:identity: FAILED: ${err instanceof BenchError ? err.message : ((err as Error)?.stack ?? String(err))}\n`);
    for (const [name, proc] of [
      ['identity service', res.identity],
      ['controller', res.controller],
    ] as const) {
      const tail = proc?.logTail() ?? [];
      if (proc && !proc.exited()) process.stderr.write(`bench:identity: ${name} pid ${proc.pid} was still running\n`);
      if (tail.length > 0) process.stderr.write(`bench:identity: last ${name} log lines:\n${tail.slice(-30).join('\n')}\n`);
    }
    await res.release('SIGKILL');
    return 1;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench:identity: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
