/**
 * Pure decoding of rtnetlink payloads into the adapter's plain types. The `netlink` package parses
 * the outer structures but leaves IFLA_LINKINFO (kind + per-kind data) as raw bytes; this file
 * finishes that job for the kinds the Linux-bridge backend cares about.
 */
import { ifla, rt } from 'netlink';
import { bytesToIp, bytesToMac } from './addresses';
import type { ObservedLink, VlanInfo, VxlanInfo } from './types';

/** AF_BRIDGE: the family of FDB (neighbour) messages and of the bridge's own link notifications. */
export const AF_BRIDGE = 7;

function decodeVxlan(data: Buffer): VxlanInfo {
  const v = ifla.parseVxlan(data);
  const local = v.local ?? v.local6;
  return {
    vni: v.id ?? 0,
    local: local && local.length > 0 ? bytesToIp(local) : null,
    port: v.port && v.port.length === 2 ? v.port.readUInt16BE(0) : 0,
    learning: (v.learning ?? 0) !== 0,
  };
}

function decodeVlan(data: Buffer, link: Buffer | undefined): VlanInfo {
  const v = ifla.parseVlan(data);
  return { id: v.id ?? 0, parentIndex: link && link.length >= 4 ? link.readUInt32LE(0) : 0 };
}

/** One RTM_NEWLINK / RTM_DELLINK payload (already parsed by the package) as an ObservedLink. */
export function decodeLink(msg: rt.LinkMessage): ObservedLink {
  const { data, attrs } = msg;
  const info = attrs.linkinfo ? ifla.parseInfo(attrs.linkinfo) : {};
  const kind = info.kind ?? '';
  const link: ObservedLink = {
    index: data.index ?? 0,
    name: attrs.ifname ?? '',
    kind,
    masterIndex: attrs.master ? attrs.master : null,
    mtu: attrs.mtu ?? 0,
    up: data.flags?.up === true,
    mac: attrs.address ? bytesToMac(attrs.address) : '',
  };
  if (kind === 'vxlan' && info.data) link.vxlan = decodeVxlan(info.data);
  if (kind === 'vlan' && info.data) link.vlan = decodeVlan(info.data, attrs.link);
  return link;
}

/** A VXLAN FDB remote as read from an AF_BRIDGE neighbour dump; null for anything else. */
export function decodeFdbRemote(msg: rt.NeighborMessage): { ifindex: number; mac: string; dst: string } | null {
  const { data, attrs } = msg;
  // Entries the bridge keeps about its ports are NTF_MASTER and have no NDA_DST; a VXLAN
  // device's own remotes are NTF_SELF with a destination. Only the latter are ours to manage.
  if (data.family !== AF_BRIDGE || !data.flags?.self || !attrs.dst || !attrs.lladdr) return null;
  return { ifindex: data.ifindex ?? 0, mac: bytesToMac(attrs.lladdr), dst: bytesToIp(attrs.dst) };
}
