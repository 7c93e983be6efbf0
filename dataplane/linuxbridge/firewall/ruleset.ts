/**
 * The desired ruleset as data, between render (which decides what the rules are) and the script
 * text nft reads. The planner diffs this against what `nft -j` reports, so every field here is one
 * the observer can read back: chain names, base-chain hooks, a content hash per chain, set and map
 * declarations and their elements as canonical strings.
 *
 * Drift detection: the last rule of every chain carries `comment "weft:<hash>"`, where the hash
 * covers the chain's hook and all its rule texts. A chain whose observed hash or rule count differs
 * from the desired one is rewritten; a rule edited in place that keeps its comment goes unnoticed
 * (only someone deliberately forging our comments does that).
 */
import { createHash } from 'node:crypto';

export type Family = 'bridge' | 'inet';

/** Both tables are called this; the family tells them apart. */
export const TABLE_NAME = 'weft';

export const HASH_COMMENT_PREFIX = 'weft:';

export interface BaseHook {
  type: 'filter';
  hook: 'prerouting' | 'forward';
  priority: number;
  policy: 'accept';
}

export interface ChainSpec {
  name: string;
  /** Set for base chains (attached to a hook); regular chains are only reached by jumps. */
  base?: BaseHook;
  /** Rule texts without the hash comment; never empty. */
  rules: string[];
}

export interface SetSpec {
  kind: 'set' | 'map';
  name: string;
  /** The declaration body nft reads, e.g. `type ifname : verdict;`. */
  declaration: string;
  /** The declaration as `nft -j` reports it, to detect a set that must be recreated. */
  shape: { keyType: string; valueType?: string; flags: string[] };
  /** The key starts with an interface name, which scripts must quote (nft -j prints it bare). */
  ifnameKey: boolean;
  /** Canonical key → value ('' for plain sets), in the spelling `nft -j` prints back. */
  elements: Map<string, string>;
  /** Values refer to chains, so elements are added after chains exist and removed before them. */
  verdicts: boolean;
}

export interface TableSpec {
  family: Family;
  sets: SetSpec[];
  chains: ChainSpec[];
}

export interface Ruleset {
  bridge: TableSpec;
  inet: TableSpec;
}

/** Hashes already computed, per chain object (ChainSpecs are never changed once built). */
const hashes = new WeakMap<ChainSpec, string>();

/**
 * Content hash of a chain (hook and rules), 16 hex digits. Computed once per ChainSpec object, so
 * a chain shared between builds (render-memo.ts) is not hashed again: a ChainSpec must not be
 * changed after it was hashed.
 */
export function chainHash(chain: ChainSpec): string {
  let hash = hashes.get(chain);
  if (hash === undefined) {
    hash = createHash('sha256')
      .update(JSON.stringify([chain.base ?? null, chain.rules]))
      .digest('hex')
      .slice(0, 16);
    hashes.set(chain, hash);
  }
  return hash;
}

const where = (family: Family): string => `${family} ${TABLE_NAME}`;

export function addTableCommand(family: Family): string {
  return `add table ${where(family)}`;
}

/** Deletes the table whether or not it exists (the `add` makes the `delete` always valid). */
export function replaceTableCommands(family: Family): string[] {
  return [addTableCommand(family), `delete table ${where(family)}`, addTableCommand(family)];
}

export function addSetCommand(family: Family, set: SetSpec): string {
  return `add ${set.kind} ${where(family)} ${set.name} { ${set.declaration} }`;
}

export function deleteSetCommand(family: Family, kind: 'set' | 'map', name: string): string {
  return `delete ${kind} ${where(family)} ${name}`;
}

function formatKey(set: SetSpec, key: string): string {
  if (!set.ifnameKey) return key;
  const [name, ...rest] = key.split(' . ');
  return [`"${name}"`, ...rest].join(' . ');
}

/** `add element` for the given keys (taken from set.elements), or null when there are none. */
export function addElementsCommand(family: Family, set: SetSpec, keys: readonly string[]): string | null {
  if (keys.length === 0) return null;
  const items = keys.map((k) => (set.kind === 'map' ? `${formatKey(set, k)} : ${set.elements.get(k)}` : formatKey(set, k)));
  return `add element ${where(family)} ${set.name} { ${items.join(', ')} }`;
}

/** `delete element` by key (maps delete by key alone), or null when there are none. */
export function deleteElementsCommand(family: Family, set: SetSpec, keys: readonly string[]): string | null {
  if (keys.length === 0) return null;
  return `delete element ${where(family)} ${set.name} { ${keys.map((k) => formatKey(set, k)).join(', ')} }`;
}

export function addChainCommand(family: Family, chain: ChainSpec): string {
  const b = chain.base;
  const hook = b ? ` { type ${b.type} hook ${b.hook} priority ${b.priority}; policy ${b.policy}; }` : '';
  return `add chain ${where(family)} ${chain.name}${hook}`;
}

export function flushChainCommand(family: Family, name: string): string {
  return `flush chain ${where(family)} ${name}`;
}

export function deleteChainCommand(family: Family, name: string): string {
  return `delete chain ${where(family)} ${name}`;
}

/** The chain's rules as `add rule` commands; the last one carries the hash comment. */
export function addRulesCommands(family: Family, chain: ChainSpec): string[] {
  const hash = chainHash(chain);
  return chain.rules.map((rule, i) => {
    const comment = i === chain.rules.length - 1 ? ` comment "${HASH_COMMENT_PREFIX}${hash}"` : '';
    return `add rule ${where(family)} ${chain.name} ${rule}${comment}`;
  });
}

/**
 * The whole table from scratch, replacing whatever is there in the same transaction. Order: sets,
 * then chains (their rules name sets), then verdict-map elements (they name chains).
 */
export function fullTableCommands(table: TableSpec): string[] {
  const { family } = table;
  const out = replaceTableCommands(family);
  for (const set of table.sets) {
    out.push(addSetCommand(family, set));
    if (!set.verdicts) pushIf(out, addElementsCommand(family, set, [...set.elements.keys()]));
  }
  for (const chain of table.chains) out.push(addChainCommand(family, chain));
  for (const chain of table.chains) out.push(...addRulesCommands(family, chain));
  for (const set of table.sets) {
    if (set.verdicts) pushIf(out, addElementsCommand(family, set, [...set.elements.keys()]));
  }
  return out;
}

export function pushIf(out: string[], command: string | null): void {
  if (command !== null) out.push(command);
}
