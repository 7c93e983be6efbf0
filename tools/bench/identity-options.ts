/**
 * Command-line options of `npm run bench:identity` and the durations and sizes they imply (pure;
 * unit-tested in test/unit/bench/identity-options.test.ts).
 */

export interface IdentityBenchOptions {
  json: boolean;
  quick: boolean;
  help: boolean;
  /** scrypt cost (log2 N) the identity process hashes and verifies passwords with. */
  scryptLn: number;
  /** Client channel counts ValidateToken is measured with (each run at the same total concurrency). */
  channels: number[];
  /** Per-call deadline for every gRPC call. */
  deadlineMs: number;
}

/** How long and how much each phase runs; derived from --quick. */
export interface BenchPlan {
  /** Warm-up before each in-process loop, and its measured duration. */
  localWarmupMs: number;
  localMs: number;
  /** Most iterations of one in-process loop (a bound well above any plausible rate). */
  localMaxIterations: number;
  /** Revocation events in the in-process RevocationSet. */
  localRevocationEvents: number;
  /** Single scrypt verifications timed in-process. */
  scryptSamples: number;
  /** ValidateToken over gRPC: concurrency, warm-up and measured duration per channel setting. */
  validateConcurrency: number;
  grpcWarmupMs: number;
  grpcMs: number;
  /** Token issuing: password at low concurrency (scrypt-bound), rescoping at high concurrency. */
  passwordConcurrency: number;
  passwordMs: number;
  rescopeConcurrency: number;
  rescopeMs: number;
  /** Tokens revoked in the identity service (so its and the controller's sets are not empty). */
  identityRevocations: number;
  /** GetRevision through the network controller at concurrency 1. */
  e2eWarmupMs: number;
  e2eMs: number;
  /** Upper bound on calls in any one timed gRPC phase. */
  maxCallsPerPhase: number;
}

export const DEFAULT_SCRYPT_LN = 15;
export const QUICK_SCRYPT_LN = 10;
/** What the identity config accepts. */
export const SCRYPT_LN_RANGE = [10, 20] as const;
export const DEFAULT_CHANNELS: readonly number[] = [1, 2, 4];
export const QUICK_CHANNELS: readonly number[] = [1, 2];
export const DEFAULT_DEADLINE_MS = 30_000;
export const MAX_CHANNELS = 64;

export const FULL_PLAN: Readonly<BenchPlan> = Object.freeze({
  localWarmupMs: 1_000,
  localMs: 3_000,
  localMaxIterations: 50_000_000,
  localRevocationEvents: 1_000,
  scryptSamples: 5,
  validateConcurrency: 64,
  grpcWarmupMs: 1_000,
  grpcMs: 5_000,
  passwordConcurrency: 8,
  passwordMs: 5_000,
  rescopeConcurrency: 64,
  rescopeMs: 5_000,
  identityRevocations: 1_000,
  e2eWarmupMs: 500,
  e2eMs: 3_000,
  maxCallsPerPhase: 2_000_000,
});

export const QUICK_PLAN: Readonly<BenchPlan> = Object.freeze({
  ...FULL_PLAN,
  localWarmupMs: 200,
  localMs: 500,
  scryptSamples: 2,
  grpcWarmupMs: 300,
  grpcMs: 1_000,
  passwordMs: 1_000,
  rescopeMs: 1_000,
  identityRevocations: 100,
  e2eWarmupMs: 200,
  e2eMs: 1_000,
});

export const IDENTITY_USAGE = `usage: npm run bench:identity -- [options]

Measures token validation and issuing: in-process, against a real identity service process, and
the authentication cost on a network controller API call. Not a test; prints PASS/MISS per target.
  --quick            smoke run: short phases, scrypt ln ${QUICK_SCRYPT_LN}, channels ${QUICK_CHANNELS.join(',')}
  --scrypt-ln N      identity's scrypt cost, ${SCRYPT_LN_RANGE[0]}..${SCRYPT_LN_RANGE[1]} (default ${DEFAULT_SCRYPT_LN}, --quick ${QUICK_SCRYPT_LN})
  --channels LIST    client channel counts for ValidateToken, e.g. 1,2,4 (default ${DEFAULT_CHANNELS.join(',')})
  --deadline-ms MS   per-call deadline (default ${DEFAULT_DEADLINE_MS})
  --json             print one JSON document instead of the text report
  -h, --help         this text`;

export class IdentityUsageError extends Error {}

function intIn(flag: string, raw: string | undefined, min: number, max: number): number {
  if (raw === undefined || raw.startsWith('--')) throw new IdentityUsageError(`${flag} needs a value`);
  const text = raw.replace(/_/g, '');
  if (!/^\d+$/.test(text)) throw new IdentityUsageError(`${flag}: expected an integer, got '${raw}'`);
  const n = Number(text);
  if (n < min || n > max) throw new IdentityUsageError(`${flag}: must be between ${min} and ${max}, got ${raw}`);
  return n;
}

/** "1,2,4" → [1, 2, 4]: distinct, ascending, each in 1..MAX_CHANNELS. */
export function parseChannelList(flag: string, raw: string | undefined): number[] {
  if (raw === undefined || raw.startsWith('--') || raw.trim() === '') throw new IdentityUsageError(`${flag} needs a value like 1,2,4`);
  const out = new Set<number>();
  for (const part of raw.split(',')) out.add(intIn(flag, part.trim(), 1, MAX_CHANNELS));
  return [...out].sort((a, b) => a - b);
}

export function parseIdentityOptions(argv: readonly string[]): IdentityBenchOptions {
  const explicit: { scryptLn?: number; channels?: number[] } = {};
  const out: IdentityBenchOptions = { json: false, quick: false, help: false, scryptLn: DEFAULT_SCRYPT_LN, channels: [...DEFAULT_CHANNELS], deadlineMs: DEFAULT_DEADLINE_MS };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let inline: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const value = (): string | undefined => (inline !== undefined ? inline : argv[++i]);
    const noValue = (): void => {
      if (inline !== undefined) throw new IdentityUsageError(`${arg} takes no value`);
    };
    switch (arg) {
      case '--scrypt-ln':
        explicit.scryptLn = intIn(arg, value(), SCRYPT_LN_RANGE[0], SCRYPT_LN_RANGE[1]);
        break;
      case '--channels':
        explicit.channels = parseChannelList(arg, value());
        break;
      case '--deadline-ms':
        out.deadlineMs = intIn(arg, value(), 1, 600_000);
        break;
      case '--json':
        noValue();
        out.json = true;
        break;
      case '--quick':
        noValue();
        out.quick = true;
        break;
      case '-h':
      case '--help':
        out.help = true;
        break;
      default:
        throw new IdentityUsageError(`unknown argument '${argv[i]}'`);
    }
  }
  out.scryptLn = explicit.scryptLn ?? (out.quick ? QUICK_SCRYPT_LN : DEFAULT_SCRYPT_LN);
  out.channels = explicit.channels ?? [...(out.quick ? QUICK_CHANNELS : DEFAULT_CHANNELS)];
  return out;
}

export function planFor(opts: Pick<IdentityBenchOptions, 'quick'>): BenchPlan {
  return { ...(opts.quick ? QUICK_PLAN : FULL_PLAN) };
}
