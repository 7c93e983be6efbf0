/**
 * Reads what a plan depends on from the kernel with `ip -j` (JSON output) and reduces it to a
 * PlugObservation / UnplugObservation. The parsers are pure and exported for tests.
 */
import { PlugError } from './errors';
import type { Argv, PlugObservation, UnplugObservation, UnplugSpec } from './plan';
import { describeFailure, runChecked, type RunResult, type Runner } from './run';
import { canonicalIp, DEFAULT_IFNAME, type PlugAddress, type PlugSpec } from './spec';

/** The fields of `ip -j -d link show` this module reads. */
export interface LinkJson {
  ifindex: number;
  ifname: string;
  /** ifindex of a veth's peer, in the peer's namespace. */
  link_index?: number;
  /** The peer's namespace as this namespace numbers it (see `ip netns list-id`). */
  link_netnsid?: number;
  linkinfo?: { info_kind?: string };
}

function parseJsonArray<T>(what: string, text: string): T[] {
  if (text.trim() === '') return [];
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new PlugError('COMMAND_FAILED', `cannot parse ${what}: ${text.slice(0, 200)}`);
  }
  if (!Array.isArray(v)) throw new PlugError('COMMAND_FAILED', `unexpected ${what}: ${text.slice(0, 200)}`);
  return v as T[];
}

/** Names from `ip -j netns list`. */
export function parseNetnsList(text: string): string[] {
  return parseJsonArray<{ name?: unknown }>('namespace list', text)
    .map((n) => n.name)
    .filter((n): n is string => typeof n === 'string');
}

/** nsid → name from `ip -j netns list-id` (ids without a name are left out). */
export function parseNsids(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const e of parseJsonArray<{ nsid?: unknown; name?: unknown }>('namespace ids', text)) {
    if (typeof e.nsid === 'number' && typeof e.name === 'string') out.set(e.nsid, e.name);
  }
  return out;
}

/** The one link of `ip -j -d link show dev X`. */
export function parseLink(text: string): LinkJson | undefined {
  return parseJsonArray<LinkJson>('link', text)[0];
}

/** Global-scope addresses of `ip -j addr show dev X scope global`. */
export function parseAddresses(text: string): PlugAddress[] {
  const out: PlugAddress[] = [];
  for (const link of parseJsonArray<{ addr_info?: { local?: unknown; prefixlen?: unknown; scope?: unknown }[] }>('addresses', text)) {
    for (const a of link.addr_info ?? []) {
      if (a.scope !== 'global' || typeof a.local !== 'string' || typeof a.prefixlen !== 'number') continue;
      const ip = canonicalIp(a.local);
      if (ip !== null) out.push({ ip, prefixLength: a.prefixlen });
    }
  }
  return out;
}

/** The gateway of the default route in `ip -j route show default dev X`, if any. */
export function parseDefaultGateway(text: string): string | undefined {
  for (const r of parseJsonArray<{ dst?: unknown; gateway?: unknown }>('routes', text)) {
    if (r.dst === 'default' && typeof r.gateway === 'string') return canonicalIp(r.gateway) ?? undefined;
  }
  return undefined;
}

/**
 * Whether `tap` (host side) and `peer` (instance side) are the two ends of one veth: each names the
 * other's ifindex, and the host side's peer lives in another namespace, the instance (when the host
 * can name it).
 */
export function isPair(tap: LinkJson, peer: LinkJson, instance: string, hostNsids: Map<number, string>): boolean {
  if (tap.linkinfo?.info_kind !== 'veth' || peer.linkinfo?.info_kind !== 'veth') return false;
  if (tap.link_index !== peer.ifindex || peer.link_index !== tap.ifindex) return false;
  // No peer nsid: the peer is in the host's own namespace, so it cannot be the instance's device.
  if (tap.link_netnsid === undefined) return false;
  const peerNs = hostNsids.get(tap.link_netnsid);
  return peerNs === undefined || peerNs === instance;
}

function ipIn(ns: string | undefined): Argv {
  return ns === undefined ? ['ip', '-j'] : ['ip', '-j', '-n', ns];
}

/** "Device does not exist" is an answer; anything else is a failure to observe. */
async function showLink(run: Runner, ns: string | undefined, dev: string): Promise<LinkJson | undefined> {
  const argv = [...ipIn(ns), '-d', 'link', 'show', 'dev', dev];
  const r: RunResult = await run(argv);
  if (r.code === 0) return parseLink(r.stdout);
  if (/does not exist/i.test(r.stderr)) return undefined;
  throw new PlugError('COMMAND_FAILED', describeFailure(argv, r));
}

export async function listNetns(run: Runner): Promise<string[]> {
  return parseNetnsList((await runChecked(run, ['ip', '-j', 'netns', 'list'])).stdout);
}

/** Reads the state planPlug compares against. */
export async function observePlug(run: Runner, spec: PlugSpec): Promise<PlugObservation> {
  const ifname = spec.ifname ?? DEFAULT_IFNAME;
  const names = await listNetns(run);
  if (spec.hostNetns !== undefined && !names.includes(spec.hostNetns)) {
    throw new PlugError('INVALID_SPEC', `host namespace ${spec.hostNetns} does not exist`);
  }
  const instanceExists = names.includes(spec.instance);
  const tap = await showLink(run, spec.hostNetns, spec.tap);
  const peer = instanceExists ? await showLink(run, spec.instance, ifname) : undefined;
  let paired = false;
  if (tap && peer) {
    const nsids = parseNsids((await runChecked(run, [...ipIn(spec.hostNetns), 'netns', 'list-id'])).stdout);
    paired = isPair(tap, peer, spec.instance, nsids);
  }
  const obs: PlugObservation = {
    instanceExists,
    tap: tap === undefined ? 'absent' : paired ? 'paired' : 'stale',
    ifname: peer === undefined ? 'absent' : paired ? 'paired' : 'foreign',
    addresses: [],
    defaultRoutes: {},
  };
  if (paired) {
    const inst = ipIn(spec.instance);
    obs.addresses = parseAddresses((await runChecked(run, [...inst, 'addr', 'show', 'dev', ifname, 'scope', 'global'])).stdout);
    for (const family of ['v4', 'v6'] as const) {
      const flag = family === 'v4' ? '-4' : '-6';
      const gw = parseDefaultGateway((await runChecked(run, [...inst, flag, 'route', 'show', 'default', 'dev', ifname])).stdout);
      if (gw !== undefined) obs.defaultRoutes[family] = gw;
    }
  }
  return obs;
}

/** Reads the state planUnplug compares against. */
export async function observeUnplug(run: Runner, spec: UnplugSpec): Promise<UnplugObservation> {
  const names = await listNetns(run);
  const hostGone = spec.hostNetns !== undefined && !names.includes(spec.hostNetns);
  // A deleted host namespace took the tap with it: nothing left to delete there.
  const tapExists = hostGone ? false : (await showLink(run, spec.hostNetns, spec.tap)) !== undefined;
  return { tapExists, instanceExists: names.includes(spec.instance) };
}
