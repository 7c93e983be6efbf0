/**
 * Which namespaces belong to which test run, so a crashed run's leftovers can be swept without
 * ever touching anything else — including the namespaces of another run going on right now.
 *
 * Every name a RunScope creates is `<prefix>-<suffix>` with prefix `wt` + 4 base36 characters.
 * Before creating anything, a run writes an owner record `<RUNS_DIR>/<prefix>.json` holding its pid
 * and that process's start time (pids are reused; pid + start time is not). A namespace is stale
 * only when its name has our shape, a record for its prefix exists, and the recorded process is
 * gone. A name of our shape with no record is left alone: it is not provably ours.
 */
import { readFileSync } from 'node:fs';

export const PREFIX_MARK = 'wt';
const PREFIX_RE = /^wt[0-9a-z]{4}$/;
const NAME_RE = /^(wt[0-9a-z]{4})-[a-z0-9-]+$/;
/** tmpfs (gone after a reboot, as are the namespaces), root-only like the tests. */
export const RUNS_DIR = '/run/weft-test-netns';

export interface OwnerRecord {
  pid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks since boot): tells a reused pid apart. */
  startTime: string;
}

/** A prefix from any integer: `wt` + 4 base36 digits (36^4 ≈ 1.7 M values). */
export function makePrefix(seed: number): string {
  const n = ((Math.trunc(seed) % 36 ** 4) + 36 ** 4) % 36 ** 4;
  return PREFIX_MARK + n.toString(36).padStart(4, '0');
}

export function isPrefix(text: string): boolean {
  return PREFIX_RE.test(text);
}

/** The run prefix of a namespace name of our shape, else null. */
export function prefixOf(name: string): string | null {
  return NAME_RE.exec(name)?.[1] ?? null;
}

/** The start time field of a /proc/<pid>/stat line (the command name may hold spaces and parens). */
export function parseStartTime(stat: string): string | null {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the name start at field 3 (state); starttime is field 22.
  return rest[19] ?? null;
}

export function processStartTime(pid: number): string | null {
  try {
    return parseStartTime(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

export function ownerAlive(r: OwnerRecord): boolean {
  return processStartTime(r.pid) === r.startTime;
}

export function parseOwnerRecord(text: string): OwnerRecord | undefined {
  try {
    const v = JSON.parse(text) as { pid?: unknown; startTime?: unknown };
    if (typeof v.pid === 'number' && typeof v.startTime === 'string') return { pid: v.pid, startTime: v.startTime };
  } catch {
    // A torn or foreign file proves nothing: treated as no record.
  }
  return undefined;
}

/**
 * The namespaces to sweep, given all namespace names, the owner record of each prefix (undefined:
 * none) and a liveness check. Pure: the rule in one place.
 */
export function staleNamespaces(names: readonly string[], recordOf: (prefix: string) => OwnerRecord | undefined, alive: (r: OwnerRecord) => boolean): string[] {
  return names.filter((name) => {
    const prefix = prefixOf(name);
    if (prefix === null) return false;
    const record = recordOf(prefix);
    return record !== undefined && !alive(record);
  });
}
