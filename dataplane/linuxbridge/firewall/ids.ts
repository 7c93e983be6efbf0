/**
 * Small integer ids the rules need: a port id per filtered port (carried in the packet mark from
 * the bridge chains to the inet chains) and a conntrack zone per bridge (so networks with
 * overlapping addresses never share connection state).
 *
 * Ids live in the tables themselves (`port_ids` and `zones` maps) and are read back, so a
 * restarted agent computes the very same rules and rewrites nothing. Port ids are also recovered
 * from the inet dispatch maps when the bridge table alone was lost. Zone stability matters most:
 * a bridge that changed zones would orphan its connections. New ids are the lowest free ones,
 * handed out in name order, so allocation is deterministic.
 */
import { FirewallError } from './errors';
import type { FirewallDesired } from './model';
import { EGRESS_MAP, EGRESS_PREFIX, INGRESS_MAP, INGRESS_PREFIX, PORT_IDS_MAP, ZONES_MAP, isSafeIfname } from './naming';
import type { ObservedFirewall, ObservedTable } from './observe';

/** Ids are 16 bits (the mark holds two); 0 means "not a port" / the default zone. */
export const MAX_ID = 0xffff;

export interface FirewallIds {
  /** tap → port id, for every filtered port. */
  ports: Map<string, number>;
  /** bridge → conntrack zone, for every bridge with a port. */
  zones: Map<string, number>;
}

function validId(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= MAX_ID;
}

/** name → id pairs read from a map whose keys or values name the object. */
function fromMap(table: ObservedTable | null, map: string, decode: (key: string, value: string) => [string, number] | null): [string, number][] {
  const set = table?.sets.get(map);
  if (set === undefined) return [];
  const out: [string, number][] = [];
  for (const [k, v] of set.elements) {
    const pair = decode(k, v);
    if (pair !== null && validId(pair[1])) out.push(pair);
  }
  return out;
}

function jumpTarget(value: string, prefix: string): string | null {
  return value.startsWith(`jump ${prefix}`) ? value.slice(`jump ${prefix}`.length) : null;
}

/** Ids already in use in the kernel, most authoritative source first. */
export function recoverIds(observed: ObservedFirewall): { ports: [string, number][]; zones: [string, number][] } {
  const ports = [
    ...fromMap(observed.bridge, PORT_IDS_MAP, (k, v) => [k, Number(v)]),
    ...fromMap(observed.inet, EGRESS_MAP, (k, v) => {
      const tap = jumpTarget(v, EGRESS_PREFIX);
      return tap === null ? null : [tap, Math.floor(Number(k) / 0x10000)];
    }),
    ...fromMap(observed.inet, INGRESS_MAP, (k, v) => {
      const tap = jumpTarget(v, INGRESS_PREFIX);
      return tap === null ? null : [tap, Number(k)];
    }),
  ];
  const zones = fromMap(observed.inet, ZONES_MAP, (k, v) => [k, Number(v)]);
  return { ports, zones };
}

/** Keeps each wanted name's recovered id unless taken, then gives the rest the lowest free ids. */
function assign(wanted: string[], recovered: [string, number][], what: string): Map<string, number> {
  const want = new Set(wanted);
  const out = new Map<string, number>();
  const used = new Set<number>();
  for (const [name, id] of recovered) {
    if (want.has(name) && !out.has(name) && !used.has(id)) {
      out.set(name, id);
      used.add(id);
    }
  }
  let next = 1;
  for (const name of [...want].sort()) {
    if (out.has(name)) continue;
    while (used.has(next)) next++;
    if (next > MAX_ID) throw new FirewallError('IDS_EXHAUSTED', `more than ${MAX_ID} ${what} on one host`);
    out.set(name, next);
    used.add(next);
  }
  return out;
}

/** Ids for `desired`, keeping every id the kernel already uses for a port or bridge still wanted. */
export function allocateIds(desired: FirewallDesired, observed: ObservedFirewall): FirewallIds {
  const recovered = recoverIds(observed);
  const taps = desired.ports.filter((p) => p.portSecurityEnabled && isSafeIfname(p.tap)).map((p) => p.tap);
  const bridges = desired.ports.filter((p) => isSafeIfname(p.bridge)).map((p) => p.bridge);
  return { ports: assign(taps, recovered.ports, 'filtered ports'), zones: assign(bridges, recovered.zones, 'bridges') };
}
