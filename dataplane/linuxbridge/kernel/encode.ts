/**
 * Pure encoding of the rtnetlink request bodies the adapter sends. Inputs are already validated
 * and resolved (indexes, byte addresses); the socket code in rtnl.ts only sends these.
 */
import { AttrStream, ifla, rt, type StreamData } from 'netlink';
import { AF_BRIDGE } from './decode';

/** RTEXT_FILTER_SKIP_STATS: link dumps without counters are several times smaller. */
const RTEXT_FILTER_SKIP_STATS = 1 << 3;

/** Materializes a nested attribute stream; the package types nested link attributes as Buffers. */
function nested(data: StreamData): Buffer {
  const out = new AttrStream();
  out.emit(data);
  return Buffer.concat(out.bufs);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n, 0);
  return b;
}

function linkMessage(data: rt.Link, attrs: ifla.LinkAttrs): Uint8Array[] {
  const out = new AttrStream();
  rt.formatLinkMessage({ kind: 'link', data, attrs }, out);
  return out.bufs;
}

function neighborMessage(data: rt.Neighbor, attrs: rt.NeighborAttrs): Uint8Array[] {
  const out = new AttrStream();
  rt.formatNeighborMessage({ kind: 'neighbor', data, attrs }, out);
  return out.bufs;
}

export function encodeLinkDump(): Uint8Array[] {
  return linkMessage({}, { extMask: u32(RTEXT_FILTER_SKIP_STATS) });
}

export function encodeGetLink(name: string): Uint8Array[] {
  return linkMessage({}, { ifname: name, extMask: u32(RTEXT_FILTER_SKIP_STATS) });
}

export function encodeNewBridge(p: { name: string; mtu?: number }): Uint8Array[] {
  return linkMessage({}, { ifname: p.name, mtu: p.mtu, linkinfo: nested(ifla.formatInfo({ kind: 'bridge' })) });
}

export function encodeNewVxlan(p: { name: string; vni: number; local: Buffer; port: number; mtu?: number }): Uint8Array[] {
  const port = Buffer.alloc(2);
  port.writeUInt16BE(p.port, 0);
  // No group and no remote: flooding goes only to the all-zeros FDB entries we install (unicast
  // "head-end replication"), and learning off means only l2 population fills the FDB.
  const data = nested(ifla.formatVxlan({ id: p.vni, local: p.local, port, learning: 0 }));
  return linkMessage({}, { ifname: p.name, mtu: p.mtu, linkinfo: nested(ifla.formatInfo({ kind: 'vxlan', data })) });
}

export function encodeNewVlan(p: { name: string; parentIndex: number; vlanId: number; mtu?: number }): Uint8Array[] {
  const data = nested(ifla.formatVlan({ id: p.vlanId }));
  return linkMessage({}, { ifname: p.name, mtu: p.mtu, link: u32(p.parentIndex), linkinfo: nested(ifla.formatInfo({ kind: 'vlan', data })) });
}

/** RTM_SETLINK by name; `masterIndex` 0 releases the link from its master. */
export function encodeSetLink(p: { name: string; masterIndex?: number; mtu?: number; up?: boolean }): Uint8Array[] {
  const data: rt.Link = p.up === undefined ? {} : { flags: p.up ? { up: true } : {}, change: { up: true } };
  return linkMessage(data, { ifname: p.name, master: p.masterIndex, mtu: p.mtu });
}

export function encodeDelLink(name: string): Uint8Array[] {
  return linkMessage({}, { ifname: name });
}

export function encodeFdbDump(): Uint8Array[] {
  return neighborMessage({ family: AF_BRIDGE }, {});
}

/** A permanent NTF_SELF remote on a VXLAN device (what `bridge fdb add ... self permanent dst` sends). */
export function encodeFdb(p: { ifindex: number; mac: Buffer; dst: Buffer }): Uint8Array[] {
  return neighborMessage(
    { family: AF_BRIDGE, ifindex: p.ifindex, state: { permanent: true }, flags: { self: true } },
    { lladdr: p.mac, dst: p.dst },
  );
}
