/**
 * desired × observed → the nft script that makes the kernel match, or null when it already does.
 * Pure; nft.ts applies the script, observe.ts produced the observation — or installed.ts derived
 * it from the plan applied last, which is what the kernel holds when nobody else touched it.
 *
 * Incremental by default, per table:
 * - a chain whose observed hash comment and rule count match the desired chain is left alone;
 *   a changed or drifted chain is flushed and refilled, a missing one created, a stale one deleted;
 * - sets and maps are diffed element by element (remote-group membership, port ids, zones,
 *   dispatch entries), so a membership change is an `add element`/`delete element` and no rule moves;
 * - the order inside the script keeps every reference valid while nft checks it: sets and chains
 *   exist before anything names them, map entries pointing at a chain go before the chain does.
 * The whole script is one nft transaction, so no packet sees a half-applied change.
 *
 * Full recompute (replace the table in the same transaction) when the table is missing, when a set
 * or base chain has the wrong shape (e.g. written by an older agent), or when the caller forces it
 * (`full: true`), which is what it should do after an incremental script failed to apply: a full
 * script depends on nothing in the observation except the ids it keeps.
 */
import { allocateIds, type FirewallIds } from './ids';
import type { FirewallDesired } from './model';
import type { ObservedChain, ObservedFirewall, ObservedSet, ObservedTable } from './observe';
import { buildRuleset, type RenderProblem } from './render';
import type { RenderMemo } from './render-memo';
import {
  addChainCommand,
  addElementsCommand,
  addRulesCommands,
  addSetCommand,
  chainHash,
  deleteChainCommand,
  deleteElementsCommand,
  deleteSetCommand,
  flushChainCommand,
  fullTableCommands,
  pushIf,
  type ChainSpec,
  type Family,
  type Ruleset,
  type SetSpec,
  type TableSpec,
} from './ruleset';

/** What a plan does, for counters, logs and tests asserting incrementality. Names are "<family> <name>". */
export interface PlanSummary {
  /** Tables replaced from scratch. */
  full: Family[];
  chainsCreated: string[];
  chainsRewritten: string[];
  chainsDeleted: string[];
  setsCreated: string[];
  setsDeleted: string[];
  elementsAdded: number;
  elementsDeleted: number;
}

export interface FirewallPlan {
  /** null: the kernel already matches. */
  script: string | null;
  summary: PlanSummary;
  ids: FirewallIds;
  problems: RenderProblem[];
  /** The desired ruleset: what the kernel holds once `script` is applied (see installed.ts). */
  ruleset: Ruleset;
}

export interface PlanOptions {
  /** Replace both tables regardless of what was observed. */
  full?: boolean;
  /** Reuse the parts of the ruleset whose input did not change since the memo's last build. */
  memo?: RenderMemo;
}

function emptySummary(): PlanSummary {
  return { full: [], chainsCreated: [], chainsRewritten: [], chainsDeleted: [], setsCreated: [], setsDeleted: [], elementsAdded: 0, elementsDeleted: 0 };
}

function sameShape(want: SetSpec, have: ObservedSet): boolean {
  return (
    want.kind === have.kind &&
    want.shape.keyType === have.keyType &&
    want.shape.valueType === have.valueType &&
    want.shape.flags.join(',') === [...have.flags].sort().join(',')
  );
}

function sameHook(want: ChainSpec, have: ObservedChain): boolean {
  const w = want.base;
  const h = have.base;
  if (w === undefined || h === undefined) return w === h;
  return w.type === h.type && w.hook === h.hook && w.priority === h.priority && w.policy === h.policy;
}

/** True when the observed table cannot be brought in line by element and chain edits alone. */
function needsRebuild(want: TableSpec, have: ObservedTable): boolean {
  for (const set of want.sets) {
    const h = have.sets.get(set.name);
    if (h !== undefined && !sameShape(set, h)) return true;
  }
  for (const chain of want.chains) {
    const h = have.chains.get(chain.name);
    if (h !== undefined && !sameHook(chain, h)) return true;
  }
  return false;
}

/**
 * Keys to delete (absent or with another value), sorted, and to add (missing or changed), in the
 * desired order. Sorting the deletions makes the script independent of the order the observation
 * listed them in (the kernel's, or the installed state's).
 */
function elementDiff(want: SetSpec, have: ObservedSet | undefined): { remove: string[]; add: string[] } {
  const remove: string[] = [];
  const add: string[] = [];
  const current = have?.elements ?? new Map<string, string>();
  for (const [k, v] of current) if (want.elements.get(k) !== v) remove.push(k);
  for (const [k, v] of want.elements) if (current.get(k) !== v) add.push(k);
  return { remove: remove.sort(), add };
}

function planIncremental(want: TableSpec, have: ObservedTable, s: PlanSummary): string[] {
  const { family } = want;
  const name = (n: string): string => `${family} ${n}`;
  const setsFirst: string[] = [];
  const verdictRemovals: string[] = [];
  const chainWork: string[] = [];
  const verdictAdds: string[] = [];
  const staleFlushes: string[] = [];
  const setDeletes: string[] = [];
  const chainDeletes: string[] = [];

  for (const set of want.sets) {
    const h = have.sets.get(set.name);
    if (h === undefined) {
      setsFirst.push(addSetCommand(family, set));
      s.setsCreated.push(name(set.name));
    }
    const { remove, add } = elementDiff(set, h);
    // A dispatch entry must go before the chain it names is deleted, and be added after it exists.
    pushIf(set.verdicts ? verdictRemovals : setsFirst, h === undefined ? null : deleteElementsCommand(family, set, remove));
    pushIf(set.verdicts ? verdictAdds : setsFirst, addElementsCommand(family, set, add));
    s.elementsDeleted += h === undefined ? 0 : remove.length;
    s.elementsAdded += add.length;
  }

  const created: ChainSpec[] = [];
  const rewritten: ChainSpec[] = [];
  for (const chain of want.chains) {
    const h = have.chains.get(chain.name);
    if (h === undefined) created.push(chain);
    else if (h.hash !== chainHash(chain) || h.ruleCount !== chain.rules.length) rewritten.push(chain);
  }
  for (const chain of created) {
    chainWork.push(addChainCommand(family, chain));
    s.chainsCreated.push(name(chain.name));
  }
  for (const chain of rewritten) {
    chainWork.push(flushChainCommand(family, chain.name));
    s.chainsRewritten.push(name(chain.name));
  }
  for (const chain of [...created, ...rewritten]) chainWork.push(...addRulesCommands(family, chain));

  const wantedChains = new Set(want.chains.map((c) => c.name));
  const staleChains = [...have.chains.keys()].filter((c) => !wantedChains.has(c)).sort();
  for (const chain of staleChains) {
    staleFlushes.push(flushChainCommand(family, chain));
    chainDeletes.push(deleteChainCommand(family, chain));
    s.chainsDeleted.push(name(chain));
  }
  const wantedSets = new Set(want.sets.map((x) => x.name));
  const staleSets = [...have.sets.values()].filter((x) => !wantedSets.has(x.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const set of staleSets) {
    setDeletes.push(deleteSetCommand(family, set.kind, set.name));
    s.setsDeleted.push(name(set.name));
  }
  // Stale chains are emptied so no rule names a stale set; stale sets go next, so no stale map
  // names a stale chain; the chains go last.
  return [...setsFirst, ...verdictRemovals, ...chainWork, ...verdictAdds, ...staleFlushes, ...setDeletes, ...chainDeletes];
}

function planTable(want: TableSpec, have: ObservedTable | null, force: boolean, s: PlanSummary): string[] {
  if (force || have === null || needsRebuild(want, have)) {
    s.full.push(want.family);
    return fullTableCommands(want);
  }
  return planIncremental(want, have, s);
}

/** The plan with its summary, ids and input problems (see the module comment). */
export function planFirewallChanges(desired: FirewallDesired, observed: ObservedFirewall, options: PlanOptions = {}): FirewallPlan {
  const ids = allocateIds(desired, observed);
  const { ruleset, problems } = buildRuleset(desired, ids, options.memo);
  const summary = emptySummary();
  const force = options.full === true;
  const commands = [...planTable(ruleset.bridge, observed.bridge, force, summary), ...planTable(ruleset.inet, observed.inet, force, summary)];
  return { script: commands.length === 0 ? null : commands.join('\n') + '\n', summary, ids, problems, ruleset };
}

/** The nft script that brings the kernel to `desired`, or null when nothing needs doing. */
export function planFirewall(desired: FirewallDesired, observed: ObservedFirewall): string | null {
  return planFirewallChanges(desired, observed).script;
}
