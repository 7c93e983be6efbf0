/**
 * IPv4/IPv6 address and CIDR arithmetic on bigint.
 *
 * Addresses are plain bigints so that IPv6 (/64 subnets hold 2^64 addresses) needs no special
 * casing anywhere; the IP version always travels alongside, never inferred from magnitude.
 */

/** IP protocol version. */
export type IpVersion = 4 | 6;

/** An address together with the family it was parsed as. */
export interface ParsedAddress {
  readonly version: IpVersion;
  readonly value: bigint;
}

/** A network prefix whose host bits are all zero. */
export interface Cidr {
  readonly version: IpVersion;
  /** Network (lowest) address of the block. */
  readonly network: bigint;
  readonly prefixLen: number;
  /** Number of addresses in the block, 2^(bits - prefixLen). */
  readonly size: bigint;
}

/** Outcome of a parse that can explain why it failed. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Address width in bits for a version. */
export function addressBits(version: IpVersion): number {
  return version === 4 ? 32 : 128;
}

/** Largest address value of a version (all ones). */
export function maxAddress(version: IpVersion): bigint {
  return (1n << BigInt(addressBits(version))) - 1n;
}

// Leading zeros are refused: "010" is octal in inet_aton but decimal elsewhere, so accepting it
// would let two components disagree about which address a string names.
const V4_OCTET = /^(0|[1-9][0-9]{0,2})$/;
const V6_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** Parses strict dotted-quad IPv4 text (no leading zeros, no shorthand forms). */
export function parseIpv4(text: string): bigint | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!V4_OCTET.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

/** Parses the ':'-separated groups on one side of a "::"; an IPv4 tail counts as two groups. */
function parseGroups(part: string, allowV4Tail: boolean): number[] | null {
  if (part === '') return [];
  const fields = part.split(':');
  const groups: number[] = [];
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i];
    if (allowV4Tail && i === fields.length - 1 && field.includes('.')) {
      const v4 = parseIpv4(field);
      if (v4 === null) return null;
      groups.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
    } else if (V6_GROUP.test(field)) {
      groups.push(parseInt(field, 16));
    } else {
      return null;
    }
  }
  return groups;
}

/**
 * Parses IPv6 text in any RFC 4291 form (compressed, uncompressed, embedded IPv4 tail).
 * Zone identifiers ("%eth0") are refused: they are interface-local and mean nothing to a subnet.
 */
export function parseIpv6(text: string): bigint | null {
  const gap = text.indexOf('::');
  let groups: number[];
  if (gap === -1) {
    const all = parseGroups(text, true);
    if (all === null || all.length !== 8) return null;
    groups = all;
  } else {
    if (text.indexOf('::', gap + 1) !== -1) return null;
    const head = parseGroups(text.slice(0, gap), false);
    const tail = parseGroups(text.slice(gap + 2), true);
    // "::" stands for at least one zero group, so at most seven explicit groups may surround it.
    if (head === null || tail === null || head.length + tail.length > 7) return null;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  let value = 0n;
  for (const group of groups) value = (value << 16n) | BigInt(group);
  return value;
}

function checkRange(value: bigint, version: IpVersion): void {
  if (value < 0n || value > maxAddress(version)) {
    throw new RangeError(`${value} is not an IPv${version} address value`);
  }
}

/** Formats an IPv4 address value as dotted quad. Throws RangeError if out of range. */
export function formatIpv4(value: bigint): string {
  checkRange(value, 4);
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

/**
 * Formats an IPv6 address value in RFC 5952 canonical form: lowercase, no leading zeros, the
 * longest run (first on a tie) of two or more zero groups replaced by "::". IPv4-mapped
 * addresses are emitted in hex too, keeping one textual form per value.
 */
export function formatIpv6(value: bigint): string {
  checkRange(value, 6);
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));

  let bestStart = -1;
  let bestLen = 1; // a lone zero group is never compressed (RFC 5952 section 4.2.2)
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestStart === -1) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

/** Formats an address value of the given version. */
export function formatAddress(value: bigint, version: IpVersion): string {
  return version === 4 ? formatIpv4(value) : formatIpv6(value);
}

/** Parses an address of the given version, or of either version when omitted. */
export function parseAddress(text: string, version?: IpVersion): ParsedAddress | null {
  if (version !== 6) {
    const v4 = parseIpv4(text);
    if (v4 !== null) return { version: 4, value: v4 };
  }
  if (version !== 4) {
    const v6 = parseIpv6(text);
    if (v6 !== null) return { version: 6, value: v6 };
  }
  return null;
}

/** True if text is a valid address (of the given version, when supplied). */
export function isValidAddress(text: string, version?: IpVersion): boolean {
  return parseAddress(text, version) !== null;
}

/** Returns the canonical text of an address, or null if it is not valid. */
export function canonicalAddress(text: string, version?: IpVersion): string | null {
  const parsed = parseAddress(text, version);
  return parsed === null ? null : formatAddress(parsed.value, parsed.version);
}

/** Builds a Cidr from its parts. Throws RangeError if host bits are set or the prefix is bad. */
export function makeCidr(version: IpVersion, network: bigint, prefixLen: number): Cidr {
  const bits = addressBits(version);
  if (!Number.isInteger(prefixLen) || prefixLen < 0 || prefixLen > bits) {
    throw new RangeError(`prefix length ${prefixLen} is out of range for IPv${version}`);
  }
  checkRange(network, version);
  const size = 1n << BigInt(bits - prefixLen);
  if ((network & (size - 1n)) !== 0n) {
    throw new RangeError(`${formatAddress(network, version)}/${prefixLen} has host bits set`);
  }
  return { version, network, prefixLen, size };
}

/** Thrown by {@link parseCidr}; the message says what is wrong, fit for an API error. */
export class CidrParseError extends Error {
  override readonly name = 'CidrParseError';
}

/**
 * Parses "address/prefix" text, reporting failure as a value. Rejects malformed text and CIDRs
 * with host bits set (e.g. 10.0.0.1/24): silently masking them would hide typos in which subnet
 * the user meant, so the reason suggests the intended network instead.
 */
export function tryParseCidr(text: string): ParseResult<Cidr> {
  const slash = text.indexOf('/');
  if (slash === -1 || slash !== text.lastIndexOf('/')) {
    return { ok: false, reason: `'${text}' is not in ADDRESS/PREFIX form` };
  }
  const addrText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  const addr = parseAddress(addrText);
  if (addr === null) return { ok: false, reason: `'${addrText}' is not a valid IP address` };
  const bits = addressBits(addr.version);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > bits) {
    return { ok: false, reason: `prefix length '${prefixText}' must be an integer from 0 to ${bits}` };
  }
  const prefixLen = Number(prefixText);
  const size = 1n << BigInt(bits - prefixLen);
  const network = addr.value & ~(size - 1n);
  if (network !== addr.value) {
    const suggestion = `${formatAddress(network, addr.version)}/${prefixLen}`;
    return { ok: false, reason: `'${text}' has host bits set; did you mean ${suggestion}?` };
  }
  return { ok: true, value: { version: addr.version, network, prefixLen, size } };
}

/**
 * Parses "address/prefix" text with the rules of {@link tryParseCidr}.
 * Throws CidrParseError (message = the reason) on malformed text or host bits set.
 */
export function parseCidr(text: string): Cidr {
  const result = tryParseCidr(text);
  if (!result.ok) throw new CidrParseError(result.reason);
  return result.value;
}

/** Canonical "address/prefix" text of a Cidr. */
export function formatCidr(cidr: Cidr): string {
  return `${formatAddress(cidr.network, cidr.version)}/${cidr.prefixLen}`;
}

/** Lowest address of the block (the network address). */
export function firstAddress(cidr: Cidr): bigint {
  return cidr.network;
}

/** Highest address of the block (the IPv4 broadcast address). */
export function lastAddress(cidr: Cidr): bigint {
  return cidr.network + cidr.size - 1n;
}

/**
 * True if addr lies inside cidr. A string is parsed as the CIDR's version and a ParsedAddress
 * must match it, so an address of the other family is never contained; a bare bigint is taken
 * to be of the CIDR's version. null (a failed parseAddress) is contained nowhere, so the two
 * calls chain without a separate check.
 */
export function cidrContains(cidr: Cidr, addr: bigint | string | ParsedAddress | null): boolean {
  let value: bigint;
  if (addr === null) return false;
  if (typeof addr === 'bigint') {
    value = addr;
  } else if (typeof addr === 'string') {
    const parsed = parseAddress(addr, cidr.version);
    if (parsed === null) return false;
    value = parsed.value;
  } else {
    if (addr.version !== cidr.version) return false;
    value = addr.value;
  }
  return value >= cidr.network && value <= lastAddress(cidr);
}

/** True if two blocks share at least one address. Blocks of different versions never overlap. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.version === b.version && a.network <= lastAddress(b) && b.network <= lastAddress(a);
}
