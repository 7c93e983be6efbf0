/**
 * CPU cost per operation of the object cluster's processes during one bench phase. On a small
 * shared machine the rates move with whatever else runs; CPU milliseconds per operation of each
 * process do not (much), so they are what to compare between two versions of the code.
 */
import { readMachineCpu, readProcCpuSeconds, readThreadCpuSeconds } from './proc';

const CLOCK_TICKS_PER_SECOND = 100;

export interface CpuSnapshot {
  at: number;
  proc: Map<string, number | undefined>;
  /** Only with WEFT_BENCH_THREADS=1: per process, CPU seconds by thread name. */
  threads: Map<string, Map<string, number>>;
  self: number;
  machineBusyTicks: number | undefined;
}

export function cpuSnapshot(pids: Record<string, number>): CpuSnapshot {
  const proc = new Map<string, number | undefined>();
  const threads = new Map<string, Map<string, number>>();
  for (const [name, pid] of Object.entries(pids)) {
    proc.set(name, readProcCpuSeconds(pid));
    if (process.env.WEFT_BENCH_THREADS === '1') threads.set(name, readThreadCpuSeconds(pid));
  }
  const u = process.cpuUsage();
  return { at: performance.now(), proc, threads, self: (u.user + u.system) / 1e6, machineBusyTicks: readMachineCpu()?.busy };
}

/** "cpu ms/op: proxy 1.20, s1 2.10, ...; other processes 0.05 cores". */
export function cpuPerOpText(before: CpuSnapshot, after: CpuSnapshot, ops: number): string {
  if (ops <= 0) return 'cpu ms/op: n/a';
  const parts: string[] = [];
  let known = after.self - before.self;
  for (const [name, end] of after.proc) {
    const start = before.proc.get(name);
    if (start === undefined || end === undefined) continue;
    known += end - start;
    parts.push(`${name} ${(((end - start) * 1000) / ops).toFixed(2)}`);
  }
  parts.push(`bench ${(((after.self - before.self) * 1000) / ops).toFixed(2)}`);
  let text = `cpu ms/op: ${parts.join(', ')}`;
  if (before.machineBusyTicks !== undefined && after.machineBusyTicks !== undefined) {
    const wall = (after.at - before.at) / 1000;
    const other = (after.machineBusyTicks - before.machineBusyTicks) / CLOCK_TICKS_PER_SECOND - known;
    if (wall > 0) text += `; other processes ${Math.max(0, other / wall).toFixed(2)} cores`;
  }
  for (const [name, end] of after.threads) {
    const start = before.threads.get(name);
    if (!start) continue;
    const kinds = [...end].map(([kind, s]) => `${kind} ${(((s - (start.get(kind) ?? 0)) * 1000) / ops).toFixed(2)}`);
    text += `\n    ${name} by thread: ${kinds.join(', ')}`;
  }
  return text;
}
