/**
 * The L2 planner of the Linux-bridge backend: a pure function from (desired, observed) to the
 * ordered kernel actions that make the host match, in the style of Faucet's pure switch logic —
 * the executor is a thin adapter, and tests run plans against a simulated kernel.
 *
 * What "match" means (per network with ports on this host):
 * - bridge `net.bridge`, up, MTU = network MTU;
 * - the segment device enslaved to it: for VXLAN `vxlanName(vni)` (local = this host's tunnel IP,
 *   dstport 4789, learning off, no group/remote, MTU = network MTU, up); for VLAN the sub-interface
 *   `vlanName(nic, vid)` (MTU = network MTU, up); for flat the NIC itself (its MTU and admin state
 *   are the operator's: never changed); for local (a network that never leaves the host) none —
 *   the bridge carries only its taps;
 * - VXLAN FDB: one 00:00:00:00:00:00 entry per remote VTEP (flooding by head-end replication) and
 *   one entry per remote MAC (l2 population); nothing else;
 * - each port's tap enslaved, MTU = network MTU, up iff the port is admin-up. A tap that does not
 *   exist yet is skipped: the port waits for the compute side to plug it.
 *
 * Ownership: the planner deletes only links named `brq*` / `vxlan-*` that no desired network claims
 * (or that must be re-created: a VXLAN device whose VNI, local address, port or learning differs,
 * or a `brq*` that is not a bridge). Our bridges carry exactly the desired members: anything else
 * enslaved to one of them — typically the tap of a port that was deleted or moved away — is
 * released (nomaster) but never deleted or set down, because taps belong to the compute side.
 * A VLAN sub-interface that is no longer needed is left in place (its name is not ours to judge).
 *
 * Order: stale FDB entries, releases and deletions first (so a re-created device starts clean),
 * then per network in id order: bridge, segment device, FDB, ports. Within a network a device is
 * created before it is enslaved and its MTU is set before it joins the bridge (a bridge whose MTU
 * was never set by hand follows its smallest port).
 *
 * Idempotent: planning against the state produced by applying a plan yields []. One kernel
 * behaviour can take a second pass: a flat network's bridge created while no tap exists follows
 * the NIC's MTU until the planner pins it.
 */
import { VXLAN_PORT, VXLAN_PREFIX } from '../names';
import { describeAction } from './describe';
import type { ActionOwner, DesiredL2, L2Action, ObservedL2, ObservedLink, PortState } from './model';
import { ObservedIndex } from './observed-index';
import { buildTargets, isOurName, type NetworkTarget, type Targets } from './targets';

interface Analysis {
  targets: Targets;
  obs: ObservedIndex;
  actions: L2Action[];
}

function vxlanMismatch(link: ObservedLink, vni: number, local: string): string | undefined {
  if (link.kind !== 'vxlan' || !link.vxlan) return `kind ${link.kind || 'none'}, want vxlan`;
  const v = link.vxlan;
  if (v.vni !== vni) return `vni ${v.vni}, want ${vni}`;
  if (v.local !== local) return `local ${v.local ?? 'none'}, want ${local}`;
  if (v.port !== VXLAN_PORT) return `dstport ${v.port}, want ${VXLAN_PORT}`;
  if (v.learning) return 'learning on, want off';
  return undefined;
}

/** Names (ours) that exist but must be deleted and created again, with the reason. */
function recreations(t: Targets, obs: ObservedIndex): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of t.networks) {
    if (n.problem) continue;
    const br = obs.link(n.net.bridge);
    if (br && br.kind !== 'bridge') out.set(n.net.bridge, `kind ${br.kind || 'none'}, want bridge`);
    if (n.net.segment.kind === 'vxlan' && n.segmentDevice !== null) {
      const vx = obs.link(n.segmentDevice);
      const why = vx && vxlanMismatch(vx, n.net.segment.vni, t.localIp);
      if (why) out.set(n.segmentDevice, why);
    }
  }
  return out;
}

function fdbKey(mac: string, dst: string): string {
  return `${mac} ${dst}`;
}

/** Stale FDB entries, members to release, and links to delete — everything that tears down. */
function teardown(t: Targets, obs: ObservedIndex, recreate: Map<string, string>): L2Action[] {
  const out: L2Action[] = [];
  const deleted = new Set<string>();
  const deletions: { op: 'deleteLink'; name: string; reason: string }[] = [];
  for (const l of obs.observed.links) {
    if (!isOurName(l.name)) continue;
    const why = recreate.get(l.name) ?? (t.claimed.has(l.name) ? undefined : 'no longer desired');
    if (why) {
      deleted.add(l.name);
      deletions.push({ op: 'deleteLink', name: l.name, reason: why });
    }
  }
  // VXLAN devices go before bridges: a bridge's deletion then never has to release them first.
  const rank = (name: string): string => (name.startsWith(VXLAN_PREFIX) ? '0' : '1') + name;
  deletions.sort((a, b) => (rank(a.name) < rank(b.name) ? -1 : 1));

  const owners = new Map<string, NetworkTarget>();
  for (const n of t.networks) if (!n.problem) owners.set(n.net.bridge, n);
  for (const n of owners.values()) {
    if (n.net.segment.kind !== 'vxlan' || n.segmentDevice === null || deleted.has(n.segmentDevice)) continue;
    const wanted = new Set(n.fdb.map((e) => fdbKey(e.mac, e.dst)));
    for (const e of obs.fdb(n.segmentDevice)) {
      if (!wanted.has(fdbKey(e.mac, e.dst))) out.push({ op: 'removeFdb', device: e.device, mac: e.mac, dst: e.dst, networkId: n.net.networkId });
    }
  }
  for (const l of obs.observed.links) {
    const master = obs.masterOf(l);
    const n = master === null ? undefined : owners.get(master);
    if (!n || deleted.has(master ?? '') || deleted.has(l.name) || t.members.has(l.name)) continue;
    out.push({ op: 'setMaster', name: l.name, master: null, networkId: n.net.networkId });
  }
  return [...out, ...deletions];
}

/** Everything that builds one healthy network, in dependency order. */
function build(n: NetworkTarget, t: Targets, obs: ObservedIndex, recreate: Map<string, string>): L2Action[] {
  const out: L2Action[] = [];
  const { networkId, bridge, mtu, segment } = n.net;
  const current = (name: string): ObservedLink | undefined => (recreate.has(name) ? undefined : obs.link(name));
  const br = current(bridge);
  const attach = (name: string, link: ObservedLink | undefined, owner: ActionOwner): void => {
    if (!br || !link || obs.masterOf(link) !== bridge) out.push({ op: 'setMaster', name, master: bridge, ...owner });
  };
  const own: ActionOwner = { networkId };

  if (!br) out.push({ op: 'createBridge', name: bridge, mtu, ...own }, { op: 'setUp', name: bridge, up: true, ...own });
  else {
    if (br.mtu !== mtu) out.push({ op: 'setMtu', name: bridge, mtu, ...own });
    if (!br.up) out.push({ op: 'setUp', name: bridge, up: true, ...own });
  }

  // A local network has no segment device (and so no FDB): just the bridge and its taps.
  const dev = n.segmentDevice;
  if (dev !== null && segment.kind !== 'local') {
    const seg = current(dev);
    if (segment.kind === 'flat') attach(dev, seg, own);
    else {
      if (!seg) {
        out.push(
          segment.kind === 'vxlan'
            ? { op: 'createVxlan', name: dev, vni: segment.vni, local: t.localIp, port: VXLAN_PORT, mtu, ...own }
            : { op: 'createVlan', name: dev, parent: segment.physicalInterface, vlanId: segment.vlanId, mtu, ...own },
        );
      } else if (seg.mtu !== mtu) out.push({ op: 'setMtu', name: dev, mtu, ...own });
      attach(dev, seg, own);
      if (!seg?.up) out.push({ op: 'setUp', name: dev, up: true, ...own });
    }

    const present = new Set((seg ? obs.fdb(dev) : []).map((e) => fdbKey(e.mac, e.dst)));
    for (const e of n.fdb) if (!present.has(fdbKey(e.mac, e.dst))) out.push({ op: 'addFdb', device: dev, mac: e.mac, dst: e.dst, ...own });
  }

  for (const { port, problem } of n.ports) {
    const tap = problem ? undefined : obs.link(port.tap);
    if (!tap) continue;
    const owner: ActionOwner = { networkId, portId: port.portId };
    if (tap.mtu !== mtu) out.push({ op: 'setMtu', name: port.tap, mtu, ...owner });
    attach(port.tap, tap, owner);
    if (tap.up !== port.adminUp) out.push({ op: 'setUp', name: port.tap, up: port.adminUp, ...owner });
  }
  return out;
}

function analyze(desired: DesiredL2, observed: ObservedL2): Analysis {
  const obs = new ObservedIndex(observed);
  const targets = buildTargets(desired, obs);
  const recreate = recreations(targets, obs);
  const actions = teardown(targets, obs, recreate);
  for (const n of targets.networks) if (!n.problem) actions.push(...build(n, targets, obs, recreate));
  return { targets, obs, actions };
}

/** The ordered actions that take `observed` to `desired` (see the file comment for the rules). */
export function planL2(desired: DesiredL2, observed: ObservedL2): L2Action[] {
  return analyze(desired, observed).actions;
}

/** Teardown actions do not hold a port back: a stale entry elsewhere does not unwire this port. */
function isConstructive(a: L2Action): boolean {
  return a.op !== 'removeFdb' && a.op !== 'deleteLink' && !(a.op === 'setMaster' && a.master === null);
}

/**
 * The state of every desired port as the observation shows it: ACTIVE when its tap is up on the
 * right bridge and nothing is left to build for it or its network; DOWN while waiting for the tap
 * (`waiting for the device tapXXXX`), while actions are pending, or when admin-down; ERROR when the
 * network or the port cannot be built here. The caller turns executor failures into ERROR.
 */
export function portStates(desired: DesiredL2, observed: ObservedL2): Map<string, PortState> {
  const { targets, obs, actions } = analyze(desired, observed);
  const pending = actions.filter(isConstructive);
  const out = new Map<string, PortState>();
  for (const n of targets.networks) {
    const forNetwork = pending.find((a) => a.networkId === n.net.networkId && a.portId === undefined);
    for (const { port, problem } of n.ports) {
      if (out.has(port.portId)) continue;
      const error = n.problem ?? problem;
      if (error) {
        out.set(port.portId, { state: 'ERROR', reason: error });
        continue;
      }
      if (!obs.link(port.tap)) {
        out.set(port.portId, { state: 'DOWN', reason: `waiting for the device ${port.tap}` });
        continue;
      }
      const blocking = forNetwork ?? pending.find((a) => a.portId === port.portId);
      if (blocking) out.set(port.portId, { state: 'DOWN', reason: `not wired yet: ${describeAction(blocking)}` });
      else if (!port.adminUp) out.set(port.portId, { state: 'DOWN', reason: 'administratively down' });
      else out.set(port.portId, { state: 'ACTIVE' });
    }
  }
  return out;
}
