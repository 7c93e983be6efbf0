/**
 * Pure helpers for the benchmarks: latency percentiles, rates, target checks and the aligned text
 * report. Nothing here does I/O, so it is unit-tested in test/unit/bench/stats.test.ts.
 */

export interface LatencySummary {
  count: number;
  minMs: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * The p-th percentile (0 < p <= 100) of ascending-sorted samples by the nearest-rank method: the
 * smallest sample such that at least p% of all samples are <= it. NaN for no samples.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Count, min, mean, p50/p90/p99 and max of unsorted samples (the input is not modified). */
export function summarize(samples: readonly number[]): LatencySummary {
  if (samples.length === 0) return { count: 0, minMs: NaN, meanMs: NaN, p50Ms: NaN, p90Ms: NaN, p99Ms: NaN, maxMs: NaN };
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const s of sorted) sum += s;
  const arr = Array.from(sorted);
  return {
    count: sorted.length,
    minMs: sorted[0],
    meanMs: sum / sorted.length,
    p50Ms: percentile(arr, 50),
    p90Ms: percentile(arr, 90),
    p99Ms: percentile(arr, 99),
    maxMs: sorted[sorted.length - 1],
  };
}

/** Operations per second; 0 when nothing was done, Infinity for work done in no measurable time. */
export function ratePerSecond(count: number, elapsedMs: number): number {
  if (count === 0) return 0;
  if (elapsedMs <= 0) return Infinity;
  return (count * 1000) / elapsedMs;
}

export type Comparison = 'atLeast' | 'below';

export interface TargetResult {
  name: string;
  comparison: Comparison;
  target: number;
  unit: string;
  /** Undefined when the run did not measure it (e.g. a phase was skipped). */
  actual: number | undefined;
  verdict: 'PASS' | 'MISS' | 'N/A';
  note?: string;
}

/** PASS when actual >= target ('atLeast') or actual < target ('below'); N/A when not measured. */
export function checkTarget(name: string, comparison: Comparison, target: number, unit: string, actual: number | undefined, note?: string): TargetResult {
  let verdict: TargetResult['verdict'] = 'N/A';
  if (actual !== undefined && Number.isFinite(actual)) {
    const ok = comparison === 'atLeast' ? actual >= target : actual < target;
    verdict = ok ? 'PASS' : 'MISS';
  }
  return note === undefined ? { name, comparison, target, unit, actual, verdict } : { name, comparison, target, unit, actual, verdict, note };
}

export const MIB = 1024 * 1024;

/** "123.4 MiB" (bytes shown in MiB with one decimal); "n/a" for undefined. */
export function formatMiB(bytes: number | undefined): string {
  return bytes === undefined ? 'n/a' : `${(bytes / MIB).toFixed(1)} MiB`;
}

/** Milliseconds with precision that suits their size: "0.42 ms", "12.3 ms", "1234 ms". */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms)} ms`;
}

/** A rate with thousands separators and no decimals above 100/s ("12,345/s", "4.5/s"). */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return String(perSecond);
  const v = perSecond >= 100 ? Math.round(perSecond).toLocaleString('en-US') : perSecond.toFixed(1);
  return `${v}/s`;
}

/** Integer with thousands separators. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function formatLatency(s: LatencySummary): string {
  if (s.count === 0) return 'no samples';
  return `p50 ${formatMs(s.p50Ms)}  p90 ${formatMs(s.p90Ms)}  p99 ${formatMs(s.p99Ms)}  max ${formatMs(s.maxMs)}  (mean ${formatMs(s.meanMs)})`;
}

/** One report line: a label and its value; a line with an empty label and value is a blank line. */
export type ReportRow = readonly [label: string, value: string] | string;

/**
 * Renders rows as aligned "label  value" lines; plain strings are headings printed as they are.
 * Labels are padded to the longest label (plus two spaces) within the whole report.
 */
export function alignRows(rows: readonly ReportRow[], indent = '  '): string {
  let width = 0;
  for (const r of rows) if (typeof r !== 'string') width = Math.max(width, r[0].length);
  return rows
    .map((r) => {
      if (typeof r === 'string') return r;
      const [label, value] = r;
      if (!label && !value) return '';
      return `${indent}${label.padEnd(width + 2)}${value}`.trimEnd();
    })
    .join('\n');
}

/** Describes a target result in one line: "PASS  1,234/s (target >= 2,000/s)". */
export function formatTarget(t: TargetResult, format: (v: number) => string): string {
  const actual = t.actual === undefined || !Number.isFinite(t.actual) ? 'not measured' : format(t.actual);
  const op = t.comparison === 'atLeast' ? '>=' : '<';
  return `${t.verdict.padEnd(4)}  ${actual} (target ${op} ${format(t.target)})${t.note ? `  [${t.note}]` : ''}`;
}
