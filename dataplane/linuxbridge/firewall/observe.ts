/**
 * Reads our two tables back from the kernel (`nft -j list table …`) into the shape the planner
 * compares against: chains with their rule count and hash comment, sets and maps with their
 * declared types and elements spelled as canonical strings. A missing table is an empty observation,
 * not an error; output we cannot understand is (NFT_BAD_OUTPUT), and the caller's reaction should
 * be a full rebuild, which does not depend on the observation.
 */
import { FirewallError } from './errors';
import { HASH_COMMENT_PREFIX, TABLE_NAME, type Family } from './ruleset';

export interface ObservedChain {
  name: string;
  base?: { type: string; hook: string; priority: number; policy: string };
  ruleCount: number;
  /** The hash from the last rule's `weft:` comment; null when missing (a flushed or foreign chain). */
  hash: string | null;
}

export interface ObservedSet {
  kind: 'set' | 'map';
  name: string;
  keyType: string;
  valueType?: string;
  flags: string[];
  /** key → value ('' for sets), spelled like SetSpec.elements. */
  elements: Map<string, string>;
}

export interface ObservedTable {
  chains: Map<string, ObservedChain>;
  sets: Map<string, ObservedSet>;
}

/** null: the table does not exist. */
export interface ObservedFirewall {
  bridge: ObservedTable | null;
  inet: ObservedTable | null;
}

export const EMPTY_OBSERVED: ObservedFirewall = { bridge: null, inet: null };

/** Reads one table; resolves to null when it does not exist. */
export type ListTable = (family: Family, table: string) => Promise<unknown>;

/** Observes both tables through `list` (normally NftExecutor.listTable). */
export async function observeFirewall(list: ListTable): Promise<ObservedFirewall> {
  const [bridge, inet] = await Promise.all([list('bridge', TABLE_NAME), list('inet', TABLE_NAME)]);
  return { bridge: bridge === null ? null : parseObservedTable(bridge), inet: inet === null ? null : parseObservedTable(inet) };
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function bad(what: string): never {
  throw new FirewallError('NFT_BAD_OUTPUT', `nft -j output: ${what}`);
}

function str(v: unknown, what: string): string {
  return typeof v === 'string' ? v : bad(`${what} is not a string`);
}

/** Canonical spelling of a set key or map value as nft -j prints it. */
export function elementText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return bad('unexpected array in an element');
  if (!isObject(v)) return bad('unexpected element');
  if (isObject(v.elem)) return elementText(v.elem.val);
  if (isObject(v.prefix)) return `${elementText(v.prefix.addr)}/${elementText(v.prefix.len)}`;
  if (Array.isArray(v.range) && v.range.length === 2) return `${elementText(v.range[0])}-${elementText(v.range[1])}`;
  if (Array.isArray(v.concat)) return v.concat.map(elementText).join(' . ');
  for (const verb of ['jump', 'goto']) {
    const target = v[verb];
    if (isObject(target)) return `${verb} ${str(target.target, `${verb} target`)}`;
  }
  const keys = Object.keys(v);
  // Plain verdicts print as {"accept": null}.
  if (keys.length === 1 && v[keys[0]] === null) return keys[0];
  return bad(`unknown element ${JSON.stringify(v)}`);
}

function typeText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(typeText).join(' . ');
  return bad('set type is neither a string nor a list');
}

function parseSet(kind: 'set' | 'map', o: Json): ObservedSet {
  const elements = new Map<string, string>();
  const elems = o.elem === undefined ? [] : Array.isArray(o.elem) ? o.elem : bad('elem is not a list');
  for (const e of elems) {
    if (kind === 'map') {
      const pair = Array.isArray(e) && e.length === 2 ? e : bad('map element is not a [key, value] pair');
      elements.set(elementText(pair[0]), elementText(pair[1]));
    } else {
      elements.set(elementText(e), '');
    }
  }
  const flags = Array.isArray(o.flags) ? o.flags.map((f) => str(f, 'flag')).sort() : [];
  return {
    kind,
    name: str(o.name, 'set name'),
    keyType: typeText(o.type),
    ...(kind === 'map' ? { valueType: typeText(o.map) } : {}),
    flags,
    elements,
  };
}

/** Parses the output of `nft -j list table <family> weft`. */
export function parseObservedTable(output: unknown): ObservedTable {
  const items = isObject(output) && Array.isArray(output.nftables) ? output.nftables : bad('no "nftables" list');
  const table: ObservedTable = { chains: new Map(), sets: new Map() };
  const lastComment = new Map<string, string | null>();
  for (const item of items) {
    if (!isObject(item)) bad('list item is not an object');
    if (isObject(item.set)) {
      const s = parseSet('set', item.set);
      table.sets.set(s.name, s);
    } else if (isObject(item.map)) {
      const s = parseSet('map', item.map);
      table.sets.set(s.name, s);
    } else if (isObject(item.chain)) {
      const c = item.chain;
      const name = str(c.name, 'chain name');
      const base =
        c.hook === undefined
          ? undefined
          : { type: str(c.type, 'chain type'), hook: str(c.hook, 'hook'), priority: Number(c.prio), policy: str(c.policy, 'policy') };
      table.chains.set(name, { name, ...(base ? { base } : {}), ruleCount: 0, hash: null });
    } else if (isObject(item.rule)) {
      const chain = table.chains.get(str(item.rule.chain, 'rule chain'));
      if (chain === undefined) bad('rule of an unknown chain');
      chain.ruleCount++;
      const comment = item.rule.comment;
      lastComment.set(chain.name, typeof comment === 'string' ? comment : null);
    }
  }
  for (const [name, comment] of lastComment) {
    const chain = table.chains.get(name);
    if (chain && comment !== null && comment.startsWith(HASH_COMMENT_PREFIX)) chain.hash = comment.slice(HASH_COMMENT_PREFIX.length);
  }
  return table;
}
