/**
 * MAC and IP text <-> bytes for netlink attributes. Text forms are canonical (lower-case MACs,
 * dotted-quad IPv4) so that planner comparisons are plain string equality.
 *
 * Tunnel endpoints are IPv4 only: VXLAN_OVERHEAD assumes an IPv4 outer header, and nothing in
 * Weft configures an IPv6 underlay yet. IPv6 addresses read from the kernel are still rendered
 * (uncompressed) so they show up as "different" instead of crashing a dump.
 */
import { isIPv4 } from 'node:net';

const MAC_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

export const ZERO_MAC = '00:00:00:00:00:00';

/** Canonical form of a MAC, or null when `mac` is not one. */
export function normalizeMac(mac: string): string | null {
  return MAC_RE.test(mac) ? mac.toLowerCase() : null;
}

export function macToBytes(mac: string): Buffer | null {
  const norm = normalizeMac(mac);
  return norm === null ? null : Buffer.from(norm.split(':').map((h) => parseInt(h, 16)));
}

export function bytesToMac(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** True for the all-zeros flood MAC and group (multicast/broadcast) MACs: the kernel keeps several remotes for those. */
export function isMultiRemoteMac(mac: string): boolean {
  const first = parseInt(mac.slice(0, 2), 16);
  return mac === ZERO_MAC || (first & 1) === 1;
}

export function ipv4ToBytes(ip: string): Buffer | null {
  return isIPv4(ip) ? Buffer.from(ip.split('.').map(Number)) : null;
}

export function bytesToIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  const groups: string[] = [];
  for (let i = 0; i + 1 < bytes.length; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return groups.join(':');
}
