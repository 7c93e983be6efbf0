/**
 * Output for people: aligned tables (lists), key/value tables (single resources), and the words
 * enums are shown (and typed) as — "vxlan", "active", "ingress", "dhcpv6-stateful".
 */
import {
  Direction,
  directionToJSON,
  Ethertype,
  ethertypeToJSON,
  Ipv6Mode,
  ipv6ModeToJSON,
  NetworkType,
  networkTypeToJSON,
  PortStatus,
  portStatusToJSON,
  Status,
  statusToJSON,
  VnicType,
  vnicTypeToJSON,
} from '../../proto/gen/weft/network/v1/resources';

const GAP = '  ';

function cellLines(cell: string): string[] {
  return cell === '' ? [''] : cell.split('\n');
}

/**
 * Renders rows under upper-case headers, columns separated by two spaces, no trailing blanks.
 * A cell may hold several lines (e.g. a port's fixed IPs); its row then spans them.
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h) => h.length);
  for (const row of rows) {
    row.forEach((cell, i) => {
      for (const line of cellLines(cell)) widths[i] = Math.max(widths[i] ?? 0, line.length);
    });
  }
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join(GAP)
      .trimEnd();
  const out = [line(headers.map((h) => h.toUpperCase()))];
  for (const row of rows) {
    const split = row.map(cellLines);
    const height = Math.max(1, ...split.map((s) => s.length));
    for (let k = 0; k < height; k++) out.push(line(split.map((s) => s[k] ?? '')));
  }
  return out.join('\n');
}

/** One "key  value" line per field, values aligned; multi-line values continue under the value. */
export function renderKeyValue(pairs: readonly (readonly [string, string])[]): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length));
  const out: string[] = [];
  for (const [k, v] of pairs) {
    const lines = cellLines(v);
    out.push(`${k.padEnd(width)}${GAP}${lines[0]}`.trimEnd());
    for (const more of lines.slice(1)) out.push(`${' '.repeat(width)}${GAP}${more}`.trimEnd());
  }
  return out.join('\n');
}

/**
 * The word for a proto enum value name: prefix stripped, lower case, underscores as hyphens
 * ("NETWORK_TYPE_VXLAN" → "vxlan", "IPV6_MODE_DHCPV6_STATEFUL" → "dhcpv6-stateful").
 * UNSPECIFIED becomes "" and unknown values their number-free proto name in lower case.
 */
export function enumWord(protoName: string, prefix: string): string {
  if (protoName.endsWith('_UNSPECIFIED')) return '';
  const bare = protoName.startsWith(prefix) ? protoName.slice(prefix.length) : protoName;
  return bare.toLowerCase().replace(/_/g, '-');
}

export const statusName = (s: Status): string => enumWord(statusToJSON(s), 'STATUS_');
export const portStatusName = (s: PortStatus): string => enumWord(portStatusToJSON(s), 'PORT_STATUS_');
export const networkTypeName = (t: NetworkType): string => enumWord(networkTypeToJSON(t), 'NETWORK_TYPE_');
export const vnicTypeName = (t: VnicType): string => enumWord(vnicTypeToJSON(t), 'VNIC_TYPE_');
export const directionName = (d: Direction): string => enumWord(directionToJSON(d), 'DIRECTION_');
export const ipv6ModeName = (m: Ipv6Mode): string => enumWord(ipv6ModeToJSON(m), 'IPV6_MODE_');
/** Ethertypes keep their usual spelling, IPv4 / IPv6 (also what --ethertype accepts). */
export const ethertypeName = (e: Ethertype): string => {
  const w = enumWord(ethertypeToJSON(e), 'ETHERTYPE_');
  return w.startsWith('ipv') ? `IPv${w.slice(3)}` : w;
};

/** Words accepted on the command line, derived from the same names the output shows. */
function choicesOf<T extends number>(values: readonly T[], name: (v: T) => string): Record<string, T> {
  const out: Record<string, T> = {};
  for (const v of values) out[name(v)] = v;
  return out;
}

export const NETWORK_TYPES = choicesOf([NetworkType.NETWORK_TYPE_VXLAN, NetworkType.NETWORK_TYPE_VLAN, NetworkType.NETWORK_TYPE_FLAT, NetworkType.NETWORK_TYPE_LOCAL], networkTypeName);
export const VNIC_TYPES = choicesOf([VnicType.VNIC_TYPE_NORMAL, VnicType.VNIC_TYPE_DIRECT, VnicType.VNIC_TYPE_MACVTAP], vnicTypeName);
export const DIRECTIONS = choicesOf([Direction.DIRECTION_INGRESS, Direction.DIRECTION_EGRESS], directionName);
export const ETHERTYPES = choicesOf([Ethertype.ETHERTYPE_IPV4, Ethertype.ETHERTYPE_IPV6], ethertypeName);
export const IPV6_MODES = choicesOf([Ipv6Mode.IPV6_MODE_SLAAC, Ipv6Mode.IPV6_MODE_DHCPV6_STATEFUL, Ipv6Mode.IPV6_MODE_DHCPV6_STATELESS], ipv6ModeName);

/** ISO 8601 in UTC, or "" when unset. */
export function time(d: Date | undefined): string {
  return d ? d.toISOString() : '';
}

export function bool(b: boolean | undefined): string {
  return b === undefined ? '' : String(b);
}

/** Multi-valued field as one item per line. */
export function lines(items: readonly string[]): string {
  return items.join('\n');
}

export function map(m: Readonly<Record<string, string>>): string {
  return Object.entries(m)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
}

/** Pretty JSON document (what --json prints). */
export function jsonDoc(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
