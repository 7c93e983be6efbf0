/**
 * Plug and unplug plans: pure functions from a spec and what is observed in the kernel to the
 * ordered `ip` commands that make the kernel match the spec.
 *
 * The topology plugged, for one port:
 *
 *     host namespace (hostNetns, or the current one)     instance namespace
 *     ┌───────────────────────────────┐                 ┌──────────────────────────────┐
 *     │ tapXXXXXXXXXXX  (veth, up,    │◄── veth pair ──►│ eth0  port MAC, MTU,          │
 *     │  no IPv6 link-local, no master│                 │  fixed IPs, default routes    │
 *     │  — the node agent enslaves it)│                 │ lo up                         │
 *     └───────────────────────────────┘                 └──────────────────────────────┘
 *
 * Guarantees: only devices named by the spec are created, changed or deleted; re-planning against
 * the result of a plan yields no creations (so plugging twice with the same spec is harmless and
 * does not bounce the link); every step other than creation is idempotent (`replace`, `set`), so a
 * plan interrupted half way is completed by planning again. The host end is never given a master:
 * which bridge it joins is the node agent's decision.
 */
import { PlugError } from './errors';
import { ipVersion, validateNames, validateSpec, type PlugAddress, type PlugSpec } from './spec';

/** One command, as argv (run without a shell). */
export type Argv = string[];

/** What plug.ts reads from the kernel before planning (see observe.ts). */
export interface PlugObservation {
  instanceExists: boolean;
  /**
   * The host-side device: absent; the veth whose peer is the instance's `ifname` ("paired"); or a
   * device by that name that is not ("stale": e.g. left from plugging the port somewhere else).
   */
  tap: 'absent' | 'paired' | 'stale';
  /** The instance-side name: absent, the tap's peer, or some other device ("foreign"). */
  ifname: 'absent' | 'paired' | 'foreign';
  /** Global-scope addresses on the instance-side device (when paired). */
  addresses: PlugAddress[];
  /** Gateways of the default routes through the instance-side device (when paired). */
  defaultRoutes: { v4?: string; v6?: string };
}

/** The observation of a kernel where nothing is plugged yet. */
export const NOTHING_PLUGGED: PlugObservation = { instanceExists: false, tap: 'absent', ifname: 'absent', addresses: [], defaultRoutes: {} };

/**
 * The host end's MAC: the port's with the first octet set to fe (as Nova does for taps), so the
 * bridge — which takes the lowest MAC among its ports unless told otherwise — does not take an
 * instance's address, and the port's MAC is seen on one side only. A port MAC that already starts
 * with fe gets fc: both are locally administered unicast.
 */
export function hostSideMac(mac: string): string {
  const first = mac.slice(0, 2).toLowerCase() === 'fe' ? 'fc' : 'fe';
  return first + mac.slice(2).toLowerCase();
}

function ipIn(ns: string | undefined): Argv {
  return ns === undefined ? ['ip'] : ['ip', '-n', ns];
}

const sameAddress = (a: PlugAddress, b: PlugAddress): boolean => a.ip === b.ip && a.prefixLength === b.prefixLength;

/**
 * The commands that plug `spec` given `observed` (default: nothing plugged yet). Throws PlugError
 * INVALID_SPEC for a malformed spec and IFNAME_IN_USE when the instance's device name belongs to
 * something else (deleting a device this port does not own is not the plug's call).
 */
export function planPlug(spec: PlugSpec, observed: PlugObservation = NOTHING_PLUGGED): Argv[] {
  const s = validateSpec(spec);
  const host = ipIn(s.hostNetns);
  const inst = ipIn(s.instance);
  const paired = observed.tap === 'paired' && observed.ifname === 'paired';
  if (!paired && observed.ifname !== 'absent') {
    throw new PlugError('IFNAME_IN_USE', `instance ${s.instance} already has a device named ${s.ifname} that is not the peer of ${s.tap}`);
  }
  const out: Argv[] = [];
  if (!observed.instanceExists) out.push(['ip', 'netns', 'add', s.instance]);
  out.push([...inst, 'link', 'set', 'lo', 'up']);
  if (!paired) {
    if (observed.tap !== 'absent') out.push([...host, 'link', 'del', s.tap]);
    // The peer is created inside the instance under its final name, so no temporary name can
    // collide with anything in either namespace.
    out.push([...host, 'link', 'add', s.tap, 'mtu', String(s.mtu), 'type', 'veth', 'peer', 'name', s.ifname, 'netns', s.instance]);
  }
  // addrgenmode before up: a link-local address is made when the link comes up, and the host end
  // has no business sending IPv6 (router/neighbour solicitations, MLD) into the instance's network.
  out.push([...host, 'link', 'set', s.tap, 'address', hostSideMac(s.mac), 'addrgenmode', 'none']);
  out.push([...host, 'link', 'set', s.tap, 'mtu', String(s.mtu), 'up']);
  // The MAC is set before the instance side comes up, so it never sends from the random one.
  out.push([...inst, 'link', 'set', s.ifname, 'address', s.mac, 'mtu', String(s.mtu)]);
  out.push([...inst, 'link', 'set', s.ifname, 'up']);
  if (paired) {
    for (const a of observed.addresses) {
      if (!s.addresses.some((w) => sameAddress(w, a))) out.push([...inst, 'addr', 'del', `${a.ip}/${a.prefixLength}`, 'dev', s.ifname]);
    }
  }
  for (const a of s.addresses) {
    const cmd = [...inst, 'addr', 'replace', `${a.ip}/${a.prefixLength}`, 'dev', s.ifname];
    // IPAM already made the address unique; without nodad it stays "tentative" (unusable) ~1-2 s.
    if (ipVersion(a.ip) === 6) cmd.push('nodad');
    out.push(cmd);
  }
  for (const family of ['v4', 'v6'] as const) {
    const flag = family === 'v4' ? '-4' : '-6';
    const gw = s.gateways[family];
    if (gw !== undefined) out.push([...inst, flag, 'route', 'replace', 'default', 'via', gw, 'dev', s.ifname]);
    else if (paired && observed.defaultRoutes[family] !== undefined) out.push([...inst, flag, 'route', 'del', 'default', 'dev', s.ifname]);
  }
  return out;
}

export interface UnplugSpec {
  instance: string;
  /** Namespace holding the host end; undefined = the current one. */
  hostNetns?: string;
  tap: string;
  /** Also delete the instance namespace (the instance is gone, not just this port). */
  deleteInstance?: boolean;
}

export interface UnplugObservation {
  tapExists: boolean;
  instanceExists: boolean;
}

/**
 * The commands that unplug: deleting the host end deletes its peer in the instance too (a veth
 * pair lives and dies together), then the instance namespace if asked. Nothing to do → [].
 */
export function planUnplug(spec: UnplugSpec, observed: UnplugObservation): Argv[] {
  validateNames(spec);
  const out: Argv[] = [];
  if (observed.tapExists) out.push([...ipIn(spec.hostNetns), 'link', 'del', spec.tap]);
  if (spec.deleteInstance && observed.instanceExists) out.push(['ip', 'netns', 'del', spec.instance]);
  return out;
}

/** One process to run: either a single command, or several `ip` commands fed to `ip -batch -`. */
export interface Invocation {
  argv: Argv;
  /** stdin for `-batch -`: one command per line. */
  input?: string;
  /** The commands this invocation carries (for error messages and results). */
  commands: Argv[];
}

/** `ip [-n NS]` prefix of a batchable command, or undefined (other tools, per-line options). */
function batchPrefix(argv: Argv): Argv | undefined {
  if (argv[0] !== 'ip') return undefined;
  const prefix = argv[1] === '-n' ? argv.slice(0, 3) : argv.slice(0, 1);
  const rest = argv.slice(prefix.length);
  // Global options (-4, -6, -j) are not read per line in batch mode.
  if (rest.length === 0 || rest[0].startsWith('-')) return undefined;
  // Batch lines are split on blanks: an argument with whitespace cannot be carried.
  if (rest.some((a) => /\s/.test(a) || a === '')) return undefined;
  return prefix;
}

/**
 * Groups consecutive `ip` commands for the same namespace into one `ip [-n NS] -batch -`, keeping
 * the order: plugging sits on the port-to-wire path, and each process costs a few milliseconds.
 * `ip -batch` stops at the first failing line, like running the commands one by one.
 */
export function batchCommands(commands: readonly Argv[]): Invocation[] {
  const out: Invocation[] = [];
  let open: { prefix: Argv; commands: Argv[] } | undefined;
  const flush = (): void => {
    if (!open) return;
    if (open.commands.length === 1) out.push({ argv: open.commands[0], commands: open.commands });
    else out.push({ argv: [...open.prefix, '-batch', '-'], input: open.commands.map((c) => c.slice(open!.prefix.length).join(' ')).join('\n') + '\n', commands: open.commands });
    open = undefined;
  };
  for (const argv of commands) {
    const prefix = batchPrefix(argv);
    if (prefix && open && prefix.join('\0') === open.prefix.join('\0')) {
      open.commands.push(argv);
      continue;
    }
    flush();
    if (prefix) open = { prefix, commands: [argv] };
    else out.push({ argv, commands: [argv] });
  }
  flush();
  return out;
}
