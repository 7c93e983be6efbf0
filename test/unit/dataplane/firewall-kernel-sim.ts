/**
 * A stand-in for nftables, just big enough for the scripts the firewall planner writes: it applies
 * a script as one transaction (all or nothing) and enforces the reference rules the kernel does —
 * a rule may only name an existing set or jump to an existing chain, a map element may only jump
 * to an existing chain, and a set or chain still referenced cannot be deleted. So a plan whose commands are in an order nft
 * would refuse fails here too. observe() reports the state the way observe.ts would read it; the
 * fixture test (real `nft -j` output) pins that spelling to the kernel's.
 */
import type { ObservedFirewall, ObservedTable } from '../../../dataplane/linuxbridge/firewall/observe';
import { HASH_COMMENT_PREFIX, type Family } from '../../../dataplane/linuxbridge/firewall/ruleset';

interface SimSet {
  kind: 'set' | 'map';
  keyType: string;
  valueType?: string;
  flags: string[];
  elements: Map<string, string>;
}

interface SimChain {
  base?: { type: string; hook: string; priority: number; policy: string };
  rules: { text: string; comment: string | null }[];
}

interface SimTable {
  sets: Map<string, SimSet>;
  chains: Map<string, SimChain>;
}

type State = Map<Family, SimTable>;

function clone(state: State): State {
  const out: State = new Map();
  for (const [f, t] of state) {
    out.set(f, {
      sets: new Map([...t.sets].map(([n, s]) => [n, { ...s, flags: [...s.flags], elements: new Map(s.elements) }])),
      chains: new Map([...t.chains].map(([n, c]) => [n, { ...c, rules: [...c.rules] }])),
    });
  }
  return out;
}

/** Datatypes nft -j reports for the `typeof` expressions our declarations use. */
const TYPEOF: Record<string, string> = { iifname: 'ifname', oifname: 'ifname', 'ct zone': 'integer', 'meta mark': 'mark' };

function typeofType(expr: string): string {
  if (expr.startsWith('@')) return 'integer'; // raw payload
  const t = TYPEOF[expr];
  if (t === undefined) throw new Error(`typeof ${expr} is not simulated`);
  return t;
}

/** `type K . K2 [: V];`, `typeof E . E2 [: V];`, `flags interval;` → the shape nft -j reports. */
function parseDeclaration(decl: string): Pick<SimSet, 'keyType' | 'valueType' | 'flags'> {
  const flags = /flags ([\w, ]+);/.exec(decl)?.[1].split(/,\s*/) ?? [];
  const m = /^(type|typeof) (.+?)(?: : (.+?))?;/.exec(decl);
  if (!m) throw new Error(`cannot parse declaration "${decl}"`);
  const conv = m[1] === 'typeof' ? typeofType : (t: string): string => t;
  const keyType = m[2].split(' . ').map(conv).join(' . ');
  return { keyType, ...(m[3] ? { valueType: conv(m[3]) } : {}), flags };
}

/** Chains a rule jumps to (or goes to). */
const chainRefs = (rule: string): string[] => [...rule.matchAll(/\b(?:jump|goto) ([\w-]+)/g)].map((m) => m[1]);

const setRefs = (rule: string): string[] => rule.split(' ').filter((w) => /^@[\w-]+$/.test(w)).map((w) => w.slice(1));

/** Keys as nft -j prints them: interface names (in concatenations too) without their quotes. */
const unquote = (k: string): string =>
  k
    .split(' . ')
    .map((p) => (p.startsWith('"') && p.endsWith('"') ? p.slice(1, -1) : p))
    .join(' . ');

export class NftSim {
  private state: State = new Map();
  /** Commands applied so far (successful transactions only), for tests that count work. */
  readonly applied: string[] = [];

  /** Applies `script` atomically; throws (changing nothing) on the first command nft would refuse. */
  apply(script: string): void {
    const next = clone(this.state);
    const lines = script.split('\n').filter((l) => l.trim() !== '');
    lines.forEach((line, i) => {
      try {
        this.exec(next, line);
      } catch (e) {
        throw new Error(`line ${i + 1} "${line}": ${(e as Error).message}`);
      }
    });
    this.state = next;
    this.applied.push(...lines);
  }

  private table(state: State, family: string): SimTable {
    const t = state.get(family as Family);
    if (!t) throw new Error(`no table ${family} weft`);
    return t;
  }

  private exec(state: State, line: string): void {
    let m: RegExpExecArray | null;
    if ((m = /^add table (bridge|inet) weft$/.exec(line))) {
      if (!state.has(m[1] as Family)) state.set(m[1] as Family, { sets: new Map(), chains: new Map() });
    } else if ((m = /^delete table (\w+) weft$/.exec(line))) {
      this.table(state, m[1]);
      state.delete(m[1] as Family);
    } else if ((m = /^add (set|map) (\w+) weft (\S+) \{ (.*) \}$/.exec(line))) {
      const t = this.table(state, m[2]);
      if (t.sets.has(m[3])) throw new Error('set exists');
      t.sets.set(m[3], { kind: m[1] as 'set' | 'map', ...parseDeclaration(m[4]), elements: new Map() });
    } else if ((m = /^(add|delete) element (\w+) weft (\S+) \{ (.*) \}$/.exec(line))) {
      const t = this.table(state, m[2]);
      const set = t.sets.get(m[3]);
      if (!set) throw new Error(`no set ${m[3]}`);
      for (const item of m[4].split(', ')) {
        const [k, v = ''] = item.split(' : ');
        const key = unquote(k);
        if (m[1] === 'delete') {
          if (!set.elements.delete(key)) throw new Error(`no element ${key}`);
          continue;
        }
        if (set.elements.has(key) && set.elements.get(key) !== v) throw new Error(`element ${key} exists with another value`);
        const jump = /^jump (\S+)$/.exec(v);
        if (jump && !t.chains.has(jump[1])) throw new Error(`jump to missing chain ${jump[1]}`);
        set.elements.set(key, v);
      }
    } else if ((m = /^add chain (\w+) weft (\S+)(?: \{ type (\w+) hook (\w+) priority (-?\d+); policy (\w+); \})?$/.exec(line))) {
      const t = this.table(state, m[1]);
      if (t.chains.has(m[2])) throw new Error('chain exists');
      t.chains.set(m[2], { ...(m[3] ? { base: { type: m[3], hook: m[4], priority: Number(m[5]), policy: m[6] } } : {}), rules: [] });
    } else if ((m = /^flush chain (\w+) weft (\S+)$/.exec(line))) {
      const c = this.table(state, m[1]).chains.get(m[2]);
      if (!c) throw new Error(`no chain ${m[2]}`);
      c.rules = [];
    } else if ((m = /^delete chain (\w+) weft (\S+)$/.exec(line))) {
      const t = this.table(state, m[1]);
      if (!t.chains.has(m[2])) throw new Error(`no chain ${m[2]}`);
      for (const [name, s] of t.sets) {
        for (const v of s.elements.values()) if (v === `jump ${m[2]}`) throw new Error(`chain ${m[2]} still referenced by ${name}`);
      }
      for (const [name, c] of t.chains) {
        if (c.rules.some((r) => chainRefs(r.text).includes(m![2]))) throw new Error(`chain ${m[2]} still jumped to from ${name}`);
      }
      t.chains.delete(m[2]);
    } else if ((m = /^delete (set|map) (\w+) weft (\S+)$/.exec(line))) {
      const t = this.table(state, m[2]);
      if (!t.sets.has(m[3])) throw new Error(`no set ${m[3]}`);
      for (const [name, c] of t.chains) {
        if (c.rules.some((r) => setRefs(r.text).includes(m![3]))) throw new Error(`set ${m[3]} still used by chain ${name}`);
      }
      t.sets.delete(m[3]);
    } else if ((m = /^add rule (\w+) weft (\S+) (.*?)(?: comment "([^"]*)")?$/.exec(line))) {
      const t = this.table(state, m[1]);
      const c = t.chains.get(m[2]);
      if (!c) throw new Error(`no chain ${m[2]}`);
      // `@name` as a whole word names a set; `@th,64,128` is a raw payload expression.
      for (const ref of setRefs(m[3])) if (!t.sets.has(ref)) throw new Error(`rule names missing set @${ref}`);
      for (const ref of chainRefs(m[3])) if (!t.chains.has(ref)) throw new Error(`rule jumps to missing chain ${ref}`);
      c.rules.push({ text: m[3], comment: m[4] ?? null });
    } else {
      throw new Error('command not understood');
    }
  }

  observe(): ObservedFirewall {
    const view = (t: SimTable | undefined): ObservedTable | null => {
      if (!t) return null;
      const last = (c: SimChain): string | null => c.rules[c.rules.length - 1]?.comment ?? null;
      return {
        sets: new Map([...t.sets].map(([name, s]) => [name, { name, kind: s.kind, keyType: s.keyType, ...(s.valueType ? { valueType: s.valueType } : {}), flags: [...s.flags], elements: new Map(s.elements) }])),
        chains: new Map(
          [...t.chains].map(([name, c]) => {
            const comment = last(c);
            const hash = comment?.startsWith(HASH_COMMENT_PREFIX) ? comment.slice(HASH_COMMENT_PREFIX.length) : null;
            return [name, { name, ...(c.base ? { base: { ...c.base } } : {}), ruleCount: c.rules.length, hash }];
          }),
        ),
      };
    };
    return { bridge: view(this.state.get('bridge')), inet: view(this.state.get('inet')) };
  }

  /** Drift, as an operator or another tool would cause it (outside any plan). */
  tamper(fn: (tables: { bridge?: SimTable; inet?: SimTable }) => void): void {
    const next = clone(this.state);
    const view = { bridge: next.get('bridge'), inet: next.get('inet') };
    fn(view);
    next.clear();
    if (view.bridge) next.set('bridge', view.bridge);
    if (view.inet) next.set('inet', view.inet);
    this.state = next;
  }

  /** Rule texts of a chain, for assertions. */
  rules(family: Family, chain: string): string[] {
    return this.state.get(family)?.chains.get(chain)?.rules.map((r) => r.text) ?? [];
  }

  elements(family: Family, set: string): Map<string, string> {
    return new Map(this.state.get(family)?.sets.get(set)?.elements ?? []);
  }
}
