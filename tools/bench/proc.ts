/**
 * Reading another process's memory and CPU from Linux /proc. The parsers are pure (unit-tested);
 * the readers return undefined when /proc is unavailable or the process is gone.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcMemory {
  /** Resident set size now (VmRSS), bytes. */
  rssBytes: number;
  /** Peak resident set size since start (VmHWM), bytes. */
  hwmBytes: number;
}

/** Extracts VmRSS and VmHWM ("VmRSS:\t  12345 kB") from /proc/<pid>/status text. */
export function parseProcStatus(text: string): ProcMemory | undefined {
  const kb = (field: string): number | undefined => {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB\\s*$`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  const rss = kb('VmRSS');
  const hwm = kb('VmHWM');
  if (rss === undefined || hwm === undefined) return undefined;
  return { rssBytes: rss, hwmBytes: hwm };
}

/**
 * User + system CPU time in clock ticks from /proc/<pid>/stat text (fields 14 and 15; the command
 * name in field 2 may contain spaces and parentheses, so fields are counted after the last ')').
 */
export function parseProcStatCpuTicks(text: string): number | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const rest = text.slice(close + 2).trim().split(/\s+/);
  // rest[0] is field 3 (state), so field n is rest[n - 3].
  const utime = Number(rest[14 - 3]);
  const stime = Number(rest[15 - 3]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return utime + stime;
}

/** USER_HZ: 100 on every mainstream Linux build (sysconf(_SC_CLK_TCK) is not reachable from Node). */
export const CLOCK_TICKS_PER_SECOND = 100;

export function readProcMemory(pid: number): ProcMemory | undefined {
  try {
    return parseProcStatus(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) the process has used so far. */
export function readProcCpuSeconds(pid: number): number | undefined {
  try {
    const ticks = parseProcStatCpuTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return ticks === undefined ? undefined : ticks / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds of a process's threads: its main thread ("main": the event loop) and the others
 * grouped by thread name (Node 20 names libuv's pool threads "node" too, V8's helpers
 * "V8 DefaultWorke"): shows whether a cost is on the event loop.
 */
export function readThreadCpuSeconds(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return byName;
  }
  for (const tid of tids) {
    try {
      const name = tid === String(pid) ? 'main' : readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const ticks = parseProcStatCpuTicks(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
      if (ticks !== undefined) byName.set(name, (byName.get(name) ?? 0) + ticks / CLOCK_TICKS_PER_SECOND);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return byName;
}

export interface MachineCpuTicks {
  /** Ticks spent neither idle nor waiting for I/O, summed over all CPUs. */
  busy: number;
  total: number;
}

/** Busy and total ticks from the aggregate "cpu" line of /proc/stat. */
export function parseProcStatMachine(text: string): MachineCpuTicks | undefined {
  const line = text.split('\n').find((l) => /^cpu\s/.test(l));
  if (!line) return undefined;
  // user nice system idle iowait irq softirq steal [guest guest_nice, already counted in user/nice]
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (v.length < 4 || v.some((n) => !Number.isFinite(n))) return undefined;
  const total = v.reduce((a, b) => a + b, 0);
  const idle = v[3] + (v[4] ?? 0);
  return { busy: total - idle, total };
}

export function readMachineCpu(): MachineCpuTicks | undefined {
  try {
    return parseProcStatMachine(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return undefined;
  }
}
