/**
 * Address helpers for the firewall: MAC normalization, EUI-64 link-local addresses, and prefixes
 * rendered the way `nft -j` prints set elements back, so desired and observed elements compare as
 * plain strings.
 */
import { addressBits, formatAddress, parseAddress, type IpVersion } from '../../../controller/domain/ipam/address';

/** An address block; a host is a full-length prefix. Host bits are always zero. */
export interface Prefix {
  version: IpVersion;
  network: bigint;
  len: number;
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** Lowercase colon form (what nft prints), or null if text is not a MAC. '-' separators are accepted. */
export function normalizeMac(text: string): string | null {
  const mac = text.trim().toLowerCase().replace(/-/g, ':');
  return MAC.test(mac) ? mac : null;
}

/** The fe80::/64 address a host derives from its MAC (RFC 4291 appendix A): flip the U/L bit, insert ff:fe. */
export function eui64LinkLocal(mac: string): string {
  const o = mac.split(':').map((h) => parseInt(h, 16));
  const iid = [o[0] ^ 0x02, o[1], o[2], 0xff, 0xfe, o[3], o[4], o[5]];
  let value = 0xfe80n << 112n;
  iid.forEach((byte, i) => {
    value |= BigInt(byte) << BigInt(8 * (7 - i));
  });
  return formatAddress(value, 6);
}

/**
 * Parses "addr" or "addr/len". Host bits are cleared rather than refused: the controller has
 * validated the input already, and the dataplane must enforce the block the user meant.
 */
export function parsePrefix(text: string, version?: IpVersion): Prefix | null {
  const [addrText, lenText, extra] = text.trim().split('/');
  if (extra !== undefined) return null;
  const addr = parseAddress(addrText, version);
  if (addr === null) return null;
  const bits = addressBits(addr.version);
  const len = lenText === undefined ? bits : /^\d{1,3}$/.test(lenText) ? Number(lenText) : NaN;
  if (!(len >= 0 && len <= bits)) return null;
  const hostMask = (1n << BigInt(bits - len)) - 1n;
  return { version: addr.version, network: addr.value & ~hostMask, len };
}

/** "a.b.c.d" for a host, "net/len" for a block: nft's own spelling of interval-set elements. */
export function formatPrefix(p: Prefix): string {
  const addr = formatAddress(p.network, p.version);
  return p.len === addressBits(p.version) ? addr : `${addr}/${p.len}`;
}

function lastOf(p: Prefix): bigint {
  return p.network + (1n << BigInt(addressBits(p.version) - p.len)) - 1n;
}

/**
 * The minimal, sorted, non-overlapping list of prefixes covering `texts` of one version (unparsable
 * or other-version entries are skipped). Interval sets refuse overlapping elements, and a canonical
 * list makes "which elements to add or delete" a plain string diff.
 */
export function canonicalPrefixes(texts: readonly string[], version: IpVersion): string[] {
  const parsed = texts.map((t) => parsePrefix(t, version)).filter((p): p is Prefix => p !== null);
  return canonicalBlocks(parsed.map((prefix) => ({ prefix }))).map((b) => formatPrefix(b.prefix));
}

/**
 * canonicalPrefixes on prefixes parsed already (one version), each carried with whatever the
 * caller keeps beside it: sorted, with those covered by another dropped. Items are returned as
 * given, so a caller that parses and formats each address once (render-memo.ts) pays only for
 * sorting when a list changes.
 */
export function canonicalBlocks<T extends { prefix: Prefix }>(blocks: readonly T[]): T[] {
  // Widest first among equal starts, so a covering block is kept and what it covers is dropped.
  const sorted = [...blocks].sort((a, b) => (a.prefix.network < b.prefix.network ? -1 : a.prefix.network > b.prefix.network ? 1 : a.prefix.len - b.prefix.len));
  const out: T[] = [];
  let end = -1n;
  for (const b of sorted) {
    if (out.length > 0 && b.prefix.network <= end) continue;
    out.push(b);
    end = lastOf(b.prefix);
  }
  return out;
}

/** The prefix as an inclusive range of 128-bit hex integers, for raw payload matches (ND targets). */
export function prefixHexRange(p: Prefix): string {
  const hex = (v: bigint): string => '0x' + v.toString(16).padStart(32, '0');
  return p.len === 128 ? hex(p.network) : `${hex(p.network)}-${hex(lastOf(p))}`;
}
