/**
 * Traffic probes between namespaces: ping (counted, yes/no, continuous with per-sequence loss) and
 * packet capture around an action; TCP probes are in tcp.ts (re-exported here). Every probe ends
 * within a bound it states, and every process it starts belongs to the RunScope given.
 */
import type { RunScope } from './netns';
import { exec } from './proc';
import { parseCaptureCount, parsePingSummary, PingTally, type ContinuousPingResult } from './traffic-parse';

export { openTcpSession, tcpConnect, tcpServe, type TcpServer, type TcpSession, type TcpSessionOptions, type TcpSessionStatus } from './tcp';
export type { ContinuousPingResult } from './traffic-parse';

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface PingOptions {
  /** Echo requests to send; default 3. */
  count?: number;
  /** Between requests; default 200 ms (below 200 ms needs root, which these tests have). */
  intervalMs?: number;
  /** Whole run bound (whole seconds, rounded up); default count × interval + 2 s. */
  timeoutMs?: number;
}

export interface PingResult {
  sent: number;
  received: number;
  /** ping's own complaint when it could not send at all (e.g. "Network is unreachable"). */
  error?: string;
}

/** Pings ip from ns `count` times (IPv4 or IPv6, by the address). */
export async function ping(ns: string, ip: string, opts: PingOptions = {}): Promise<PingResult> {
  const count = opts.count ?? 3;
  const intervalMs = opts.intervalMs ?? 200;
  const timeoutMs = opts.timeoutMs ?? count * intervalMs + 2000;
  const deadlineS = Math.max(1, Math.ceil(timeoutMs / 1000));
  const argv = ['ping', '-n', '-c', String(count), '-i', (intervalMs / 1000).toFixed(3), '-w', String(deadlineS), ip];
  const r = await exec(ns, argv, { timeoutMs: deadlineS * 1000 + 5000, allowFailure: true });
  const res: PingResult = parsePingSummary(r.stdout);
  // Exit 1 = some replies missing (an answer); 2 = could not ping at all.
  if (r.code !== 0 && r.code !== 1) res.error = r.stderr.trim() || `ping exited ${r.code ?? r.signal}`;
  return res;
}

/**
 * True as soon as one echo reply arrives within deadlineMs (default 3 s); false when none did.
 * Retries when ping gives up early (no route, neighbour unresolved): a dataplane still being wired
 * may not have them yet.
 */
export async function canPing(ns: string, ip: string, opts: { deadlineMs?: number } = {}): Promise<boolean> {
  const end = Date.now() + (opts.deadlineMs ?? 3000);
  for (let attempt = 0; attempt < 1000; attempt++) {
    const left = end - Date.now();
    if (left <= 0) return false;
    // -c 1 with -w: stops at the first reply, sending every 200 ms until the deadline.
    const r = await exec(ns, ['ping', '-n', '-c', '1', '-i', '0.2', '-w', String(Math.max(1, Math.ceil(left / 1000))), ip], { timeoutMs: left + 5000, allowFailure: true });
    if (r.code === 0) return true;
    // Otherwise the deadline passed, or ping gave up early (no route; ARP failed, which iputils
    // counts towards -c): try again while time is left.
    await delay(Math.min(200, Math.max(0, end - Date.now())));
  }
  return false;
}

export interface CaptureResult<T> {
  /** Packets matching the filter seen on the interface while fn ran (plus settleMs). */
  count: number;
  /** tcpdump's one-line summaries of them (for failure messages). */
  packets: string[];
  /** What fn returned. */
  value: T;
}

export interface CaptureOptions {
  /** Wait after fn before stopping the capture, for packets still in flight; default 300 ms. */
  settleMs?: number;
  /** For tcpdump to start listening; default 5 s. */
  readyTimeoutMs?: number;
}

/**
 * Runs tcpdump on iface in ns (promiscuous, so frames for other MACs count too) while fn runs, and
 * reports what it saw: e.g. `expect((await capture(...)).count).toBe(0)` for "no packet crosses".
 * bpfFilter is tcpdump filter syntax ('' for everything); "any" captures on every device of ns.
 */
export async function capture<T>(scope: RunScope, ns: string, iface: string, bpfFilter: string, fn: () => Promise<T>, opts: CaptureOptions = {}): Promise<CaptureResult<T>> {
  const argv = ['tcpdump', '-i', iface, '-n', '-l', '--immediate-mode'];
  if (bpfFilter.trim()) argv.push(bpfFilter);
  const dump = scope.spawnIn(ns, argv);
  try {
    await dump.waitFor(/listening on/, opts.readyTimeoutMs ?? 5000);
    const value = await fn();
    await delay(opts.settleMs ?? 300);
    // SIGINT makes tcpdump flush and print its "N packets captured" summary.
    dump.kill('SIGINT');
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([dump.exited, new Promise<null>((r) => (timer = setTimeout(() => r(null), 5000)))]);
    clearTimeout(timer);
    if (exit === null) throw new Error(`tcpdump did not stop within 5 s\n${dump.logs()}`);
    const packets = dump.stdout().split('\n').filter((l) => l.trim());
    return { count: parseCaptureCount(dump.stderr()) ?? packets.length, packets, value };
  } finally {
    await dump.stop(1000);
  }
}

/** Just the count (see capture). */
export async function capturedCount(scope: RunScope, ns: string, iface: string, bpfFilter: string, fn: () => Promise<unknown>, opts?: CaptureOptions): Promise<number> {
  return (await capture(scope, ns, iface, bpfFilter, fn, opts)).count;
}

export interface ContinuousPing {
  /** The tally so far (over what is certainly sent). */
  snapshot(): ContinuousPingResult;
  /**
   * Stops: counts up to the last request certainly sent now, waits graceMs (default 1 s) for its
   * late replies, then stops ping. `ended` says why ping stopped on its own earlier, if it did.
   */
  stop(graceMs?: number): Promise<ContinuousPingResult & { ended: string | null }>;
}

/**
 * Pings ip from ns every intervalMs until stop() (or maxDurationMs, default 10 min, as a bound),
 * recording which sequence numbers were answered: the probe for "zero lost packets".
 */
export function continuousPing(scope: RunScope, ns: string, ip: string, intervalMs: number, opts: { maxDurationMs?: number } = {}): ContinuousPing {
  const maxS = Math.ceil((opts.maxDurationMs ?? 600_000) / 1000);
  // -O: report unanswered requests as the next goes out, so "sent" is known line by line.
  const handle = scope.spawnIn(ns, ['ping', '-n', '-O', '-i', (intervalMs / 1000).toFixed(3), '-w', String(maxS), ip]);
  const tally = new PingTally();
  handle.onLine((l) => tally.feed(l));
  let ended: string | null = null;
  let stopping = false;
  void handle.exited.then((s) => {
    if (!stopping) ended = `ping exited by itself (${s.code ?? s.signal}): ${handle.stderr().trim() || 'no message'}`;
  });
  return {
    snapshot: () => tally.result(),
    async stop(graceMs = 1000) {
      const cutoff = tally.highestSent();
      await delay(graceMs);
      stopping = true;
      await handle.stop(1000);
      return { ...tally.result(cutoff), ended };
    },
  };
}
