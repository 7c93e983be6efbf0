/**
 * Subnet gateway and allocation-pool validation, with Neutron's defaults.
 *
 * Problems are reported as a list of field violations instead of thrown, so an API layer can
 * return every mistake in a request at once (mapped onto google.rpc.BadRequest-style details).
 */
import {
  Cidr,
  IpVersion,
  formatAddress,
  formatCidr,
  lastAddress,
  parseAddress,
  tryParseCidr,
} from './address';

/** An inclusive address range as bigints. */
export interface PoolRange {
  readonly start: bigint;
  readonly end: bigint;
}

/** An inclusive address range as text, as it appears in the API. */
export interface AllocationPool {
  readonly start: string;
  readonly end: string;
}

/** Addressing fields of a subnet create/update request. */
export interface SubnetAddressingInput {
  readonly cidr: string;
  /** undefined = default to the first usable address; null = the subnet has no gateway. */
  readonly gatewayIp?: string | null;
  /** undefined = derive from the CIDR; [] = explicitly no pools (only fixed IPs can be used). */
  readonly allocationPools?: readonly AllocationPool[];
}

/** One problem with one request field. */
export interface Violation {
  readonly field: string;
  readonly description: string;
}

/** Either a value or the list of everything wrong with the input. */
export type ValidationResult<T> =
  | { ok: true; value: T }
  | { ok: false; violations: Violation[] };

/** Normalized addressing of a valid subnet; all addresses in canonical text form. */
export interface SubnetAddressing {
  readonly gatewayIp: string | null;
  /** Sorted by start address, non-overlapping. */
  readonly pools: AllocationPool[];
}

/** Number of addresses in an inclusive range. */
export function poolSize(pool: PoolRange): bigint {
  return pool.end - pool.start + 1n;
}

/**
 * Addresses a port may ever hold: network+1 through the last address, minus the IPv4 broadcast.
 * The IPv6 network address is the subnet-router anycast address (RFC 4291 2.6.1), hence excluded
 * too. Returns null when nothing is usable (IPv4 /31 and /32, IPv6 /128): RFC 3021 point-to-point
 * /31s are deliberately not special-cased, matching Neutron.
 */
export function usableRange(cidr: Cidr): PoolRange | null {
  const start = cidr.network + 1n;
  const end = cidr.version === 4 ? lastAddress(cidr) - 1n : lastAddress(cidr);
  return start <= end ? { start, end } : null;
}

/** True for the addresses no port may hold: the network address and the IPv4 broadcast. */
export function isReservedAddress(cidr: Cidr, value: bigint): boolean {
  return value === cidr.network || (cidr.version === 4 && value === lastAddress(cidr));
}

/** Default pools: the usable range with the gateway (if inside it) cut out. */
export function defaultPools(cidr: Cidr, gateway: bigint | null): PoolRange[] {
  const usable = usableRange(cidr);
  if (usable === null) return [];
  if (gateway === null || gateway < usable.start || gateway > usable.end) return [usable];
  const pools: PoolRange[] = [];
  if (gateway > usable.start) pools.push({ start: usable.start, end: gateway - 1n });
  if (gateway < usable.end) pools.push({ start: gateway + 1n, end: usable.end });
  return pools;
}

function otherVersion(version: IpVersion): IpVersion {
  return version === 4 ? 6 : 4;
}

/** Parses text as an address of cidr's version, explaining a family mismatch distinctly. */
function parseInFamily(cidr: Cidr, text: string, field: string, out: Violation[]): bigint | null {
  const parsed = parseAddress(text, cidr.version);
  if (parsed !== null) return parsed.value;
  const description =
    parseAddress(text, otherVersion(cidr.version)) !== null
      ? `'${text}' is an IPv${otherVersion(cidr.version)} address but cidr ${formatCidr(cidr)} is IPv${cidr.version}`
      : `'${text}' is not a valid IPv${cidr.version} address`;
  out.push({ field, description });
  return null;
}

/** Checks an address lies in the CIDR and is neither the network nor the IPv4 broadcast. */
function checkPlacement(cidr: Cidr, value: bigint, field: string, out: Violation[]): boolean {
  const text = formatAddress(value, cidr.version);
  if (value < cidr.network || value > lastAddress(cidr)) {
    out.push({ field, description: `${text} is outside cidr ${formatCidr(cidr)}` });
    return false;
  }
  if (value === cidr.network) {
    out.push({ field, description: `${text} is the network address of ${formatCidr(cidr)}` });
    return false;
  }
  if (isReservedAddress(cidr, value)) {
    out.push({ field, description: `${text} is the broadcast address of ${formatCidr(cidr)}` });
    return false;
  }
  return true;
}

function resolveGateway(
  cidr: Cidr,
  gatewayIp: string | null | undefined,
  out: Violation[],
): bigint | null | undefined {
  if (gatewayIp === undefined) return usableRange(cidr)?.start ?? null;
  if (gatewayIp === null) return null;
  const value = parseInFamily(cidr, gatewayIp, 'gateway_ip', out);
  if (value === null || !checkPlacement(cidr, value, 'gateway_ip', out)) return undefined;
  return value;
}

interface IndexedPool extends PoolRange {
  readonly index: number;
}

function checkRequestedPools(
  cidr: Cidr,
  requested: readonly AllocationPool[],
  gateway: bigint | null | undefined,
  out: Violation[],
): PoolRange[] {
  const valid: IndexedPool[] = [];
  requested.forEach((pool, index) => {
    const field = `allocation_pools[${index}]`;
    const start = parseInFamily(cidr, pool.start, `${field}.start`, out);
    const end = parseInFamily(cidr, pool.end, `${field}.end`, out);
    if (start === null || end === null) return;
    const startOk = checkPlacement(cidr, start, `${field}.start`, out);
    const endOk = checkPlacement(cidr, end, `${field}.end`, out);
    if (!startOk || !endOk) return;
    const range = `${formatAddress(start, cidr.version)}-${formatAddress(end, cidr.version)}`;
    if (start > end) {
      out.push({ field, description: `start ${pool.start} is after end ${pool.end}` });
      return;
    }
    if (typeof gateway === 'bigint' && gateway >= start && gateway <= end) {
      const gw = formatAddress(gateway, cidr.version);
      out.push({ field, description: `pool ${range} contains gateway_ip ${gw}` });
      return;
    }
    valid.push({ start, end, index });
  });

  // A sweep over start-sorted pools finds every overlapping pool while staying O(n log n);
  // comparing against the furthest-reaching pool so far also catches one pool spanning several.
  const sorted = [...valid].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.index - b.index));
  let reach: IndexedPool | undefined;
  for (const pool of sorted) {
    if (reach !== undefined && pool.start <= reach.end) {
      const [first, second] = reach.index < pool.index ? [reach, pool] : [pool, reach];
      out.push({
        field: `allocation_pools[${second.index}]`,
        description: `overlaps allocation_pools[${first.index}]`,
      });
    }
    if (reach === undefined || pool.end > reach.end) reach = pool;
  }
  return sorted.map(({ start, end }) => ({ start, end }));
}

/**
 * Validates a subnet's cidr, gateway_ip and allocation_pools together and computes the
 * effective gateway and pools. See {@link SubnetAddressingInput} for the meaning of
 * undefined/null/[]; an empty computed default (e.g. an IPv4 /31) is not an error.
 */
export function validateSubnetAddressing(
  input: SubnetAddressingInput,
): ValidationResult<SubnetAddressing> {
  const parsed = tryParseCidr(input.cidr);
  if (!parsed.ok) return { ok: false, violations: [{ field: 'cidr', description: parsed.reason }] };
  const cidr = parsed.value;
  const violations: Violation[] = [];

  // undefined here means "gateway invalid": pools are still checked for their own mistakes.
  const gateway = resolveGateway(cidr, input.gatewayIp, violations);
  const pools =
    input.allocationPools === undefined
      ? defaultPools(cidr, gateway ?? null)
      : checkRequestedPools(cidr, input.allocationPools, gateway, violations);

  if (violations.length > 0) return { ok: false, violations };
  const fmt = (value: bigint): string => formatAddress(value, cidr.version);
  return {
    ok: true,
    value: {
      gatewayIp: gateway === null || gateway === undefined ? null : fmt(gateway),
      pools: pools.map((p) => ({ start: fmt(p.start), end: fmt(p.end) })),
    },
  };
}
