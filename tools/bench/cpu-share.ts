/**
 * Who used the CPUs during a measured phase, and what that means per call (pure; unit-tested in
 * test/unit/bench/cpu-share.test.ts). The identity bench runs its client and up to two servers on
 * a small machine, so a rate alone does not say whether the servers, the bench itself or some
 * unrelated process was the limit.
 */

export interface CpuUse {
  /** CPU seconds of each server process divided by wall seconds (1.0 = one core busy). */
  servers: Record<string, number | undefined>;
  /** The bench process's CPU seconds divided by wall seconds. */
  clientCores: number;
  /** Busy CPUs of the whole machine (all processes), and how many it has. */
  machineCores: number | undefined;
  machineCpus: number;
}

/** Above this many cores used by unrelated processes, a phase counts as contended. */
export const CONTENDED_CORES = 0.25;

/** Cores busy with processes other than the bench and its servers; undefined if unknown. */
export function otherCores(c: CpuUse): number | undefined {
  if (c.machineCores === undefined) return undefined;
  const known = Object.values(c.servers).reduce<number>((a, v) => a + (v ?? 0), 0) + c.clientCores;
  return Math.max(0, c.machineCores - known);
}

export function isContended(c: CpuUse): boolean {
  const other = otherCores(c);
  return other !== undefined && other > CONTENDED_CORES;
}

/** "identity 0.45, bench 0.50, other 0.03 (machine 0.98 of 2 CPUs busy)". */
export function cpuText(c: CpuUse): string {
  const parts = Object.entries(c.servers).map(([name, v]) => `${name} ${v === undefined ? 'n/a' : v.toFixed(2)}`);
  parts.push(`bench ${c.clientCores.toFixed(2)}`);
  let text = parts.join(', ');
  const other = otherCores(c);
  if (other !== undefined && c.machineCores !== undefined) {
    text += `, other ${other.toFixed(2)} (machine ${c.machineCores.toFixed(2)} of ${c.machineCpus} CPUs busy)`;
    if (other > CONTENDED_CORES) text += ' [CONTENDED]';
  }
  return text;
}

/**
 * CPU milliseconds each process spent per call ('bench' is the client); processes whose CPU use
 * is unknown are left out. Empty when no call completed.
 */
export function cpuMsPerCall(c: CpuUse, calls: number, elapsedMs: number): Record<string, number> {
  const out: Record<string, number> = {};
  if (calls <= 0 || !(elapsedMs > 0)) return out;
  for (const [name, cores] of Object.entries(c.servers)) {
    if (cores !== undefined && cores > 0) out[name] = (cores * elapsedMs) / calls;
  }
  out.bench = (c.clientCores * elapsedMs) / calls;
  return out;
}

/**
 * The rate each single-threaded process would cap the calls at if it had a core to itself:
 * 1000 / the largest per-call CPU cost. Infinity when nothing cost anything measurable.
 */
export function ceilingPerSecond(msPerCall: Record<string, number>): number {
  const worst = Math.max(0, ...Object.values(msPerCall));
  return worst > 0 ? 1000 / worst : Infinity;
}
