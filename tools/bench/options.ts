/**
 * Command-line options of `npm run bench:api` (pure; unit-tested in test/unit/bench/options.test.ts).
 */

export interface BenchOptions {
  /** Ports created (and timed) in phase A. */
  ports: number;
  /** Total ports stored at the end of phase B (>= ports). */
  stored: number;
  concurrency: number;
  json: boolean;
  quick: boolean;
  /** Run only the GetRevision baseline. */
  baseline: boolean;
  baselineSeconds: number;
  /** Per-call deadline. */
  deadlineMs: number;
  help: boolean;
}

export const DEFAULTS = { ports: 10_000, stored: 100_000, concurrency: 64, baselineSeconds: 5, deadlineMs: 30_000 } as const;
export const QUICK = { ports: 2_000, stored: 10_000 } as const;
/** The subnet is a single IPv4 block under 10.0.0.0/8; /8 leaves room for ~16.7M ports. */
export const MAX_STORED = 16_000_000;

export const USAGE = `usage: npm run bench:api -- [options]

Spawns a controller on a temporary data dir and measures the port API.
  --ports N          ports created and timed in phase A (default ${DEFAULTS.ports})
  --stored N         total ports stored in phase B, >= --ports (default ${DEFAULTS.stored})
  --concurrency C    concurrent in-flight calls (default ${DEFAULTS.concurrency})
  --quick            smoke run: --ports ${QUICK.ports} --stored ${QUICK.stored} (explicit flags still win)
  --baseline         only measure GetRevision calls/s at the same concurrency
  --seconds S        baseline duration (default ${DEFAULTS.baselineSeconds})
  --deadline-ms MS   per-call deadline (default ${DEFAULTS.deadlineMs})
  --json             print one JSON document instead of the text report
  -h, --help         this text`;

export class UsageError extends Error {}

function positiveInt(flag: string, raw: string | undefined, max: number): number {
  if (raw === undefined || raw.startsWith('--')) throw new UsageError(`${flag} needs a value`);
  const text = raw.replace(/_/g, '');
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag}: expected a positive integer, got '${raw}'`);
  const n = Number(text);
  if (n < 1 || n > max) throw new UsageError(`${flag}: must be between 1 and ${max.toLocaleString('en-US')}, got ${raw}`);
  return n;
}

export function parseOptions(argv: readonly string[]): BenchOptions {
  const explicit: { ports?: number; stored?: number } = {};
  const out: BenchOptions = { ...DEFAULTS, json: false, quick: false, baseline: false, help: false };
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
      if (inline !== undefined) throw new UsageError(`${arg} takes no value`);
    };
    switch (arg) {
      case '--ports':
        explicit.ports = positiveInt(arg, value(), MAX_STORED);
        break;
      case '--stored':
        explicit.stored = positiveInt(arg, value(), MAX_STORED);
        break;
      case '--concurrency':
        out.concurrency = positiveInt(arg, value(), 10_000);
        break;
      case '--seconds':
        out.baselineSeconds = positiveInt(arg, value(), 3_600);
        break;
      case '--deadline-ms':
        out.deadlineMs = positiveInt(arg, value(), 600_000);
        break;
      case '--json':
        noValue();
        out.json = true;
        break;
      case '--quick':
        noValue();
        out.quick = true;
        break;
      case '--baseline':
        noValue();
        out.baseline = true;
        break;
      case '-h':
      case '--help':
        out.help = true;
        break;
      default:
        throw new UsageError(`unknown argument '${argv[i]}'`);
    }
  }
  out.ports = explicit.ports ?? (out.quick ? QUICK.ports : DEFAULTS.ports);
  out.stored = explicit.stored ?? (out.quick ? QUICK.stored : DEFAULTS.stored);
  if (explicit.stored === undefined && out.stored < out.ports) out.stored = out.ports;
  if (out.stored < out.ports) throw new UsageError(`--stored (${out.stored}) must be >= --ports (${out.ports})`);
  return out;
}

/**
 * The IPv4 CIDR the bench's subnet uses: 10.0.0.0/14 (262,141 usable addresses) unless `stored`
 * ports (plus a little headroom) need a larger block.
 */
export function benchCidr(stored: number): string {
  const needed = stored + 16; // network, broadcast, gateway and slack
  let prefix = 14;
  while (prefix > 8 && 2 ** (32 - prefix) < needed) prefix--;
  if (2 ** (32 - prefix) < needed) throw new UsageError(`${stored} ports do not fit in 10.0.0.0/8`);
  return `10.0.0.0/${prefix}`;
}
