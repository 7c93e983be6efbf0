/**
 * The installed state: what the kernel holds after a plan for `ruleset` was applied, in the shape
 * observe.ts reads from `nft -j list` — so the planner can diff the next desired state against it
 * without asking the kernel (OVN keeps its installed flows apart from its desired flows the same
 * way).
 *
 * Why this is exact: the planner's contract is that applying its script leaves the kernel equal to
 * the ruleset in every field the observer reports (the planner tests re-observe after every apply
 * and require an empty second plan; the system tests do it against the real kernel). So the
 * observation that would follow a successful apply is a function of the ruleset alone. It is only
 * as good as "nobody else touched our tables since": callers re-read the kernel to verify
 * periodically and after any failure (reconciler.ts).
 *
 * Set elements are shared with the ruleset, not copied: neither side is changed after it is built.
 */
import type { ObservedChain, ObservedFirewall, ObservedSet, ObservedTable } from './observe';
import { chainHash, type Ruleset, type TableSpec } from './ruleset';

function installedTable(table: TableSpec): ObservedTable {
  const chains = new Map<string, ObservedChain>();
  for (const c of table.chains) {
    chains.set(c.name, { name: c.name, ...(c.base ? { base: { ...c.base } } : {}), ruleCount: c.rules.length, hash: chainHash(c) });
  }
  const sets = new Map<string, ObservedSet>();
  for (const s of table.sets) {
    sets.set(s.name, {
      kind: s.kind,
      name: s.name,
      keyType: s.shape.keyType,
      ...(s.shape.valueType !== undefined ? { valueType: s.shape.valueType } : {}),
      flags: [...s.shape.flags].sort(),
      elements: s.elements,
    });
  }
  return { chains, sets };
}

/** The observation a successful apply of a plan for `ruleset` leaves behind. */
export function installedState(ruleset: Ruleset): ObservedFirewall {
  return { bridge: installedTable(ruleset.bridge), inet: installedTable(ruleset.inet) };
}
