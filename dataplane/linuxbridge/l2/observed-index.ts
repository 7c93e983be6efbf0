import type { ObservedFdbEntry, ObservedL2, ObservedLink } from './model';

/** Lookups over one observation: links by name and index, masters by name, FDB per device. */
export class ObservedIndex {
  private readonly byName = new Map<string, ObservedLink>();
  private readonly byIndex = new Map<number, ObservedLink>();
  private readonly fdbByDevice = new Map<string, ObservedFdbEntry[]>();

  constructor(readonly observed: ObservedL2) {
    for (const l of observed.links) {
      this.byName.set(l.name, l);
      this.byIndex.set(l.index, l);
    }
    for (const e of observed.fdb) {
      const list = this.fdbByDevice.get(e.device) ?? [];
      list.push(e);
      this.fdbByDevice.set(e.device, list);
    }
  }

  link(name: string): ObservedLink | undefined {
    return this.byName.get(name);
  }

  linkAt(index: number): ObservedLink | undefined {
    return this.byIndex.get(index);
  }

  /**
   * Name of the link's master; null when it has none. A master index that names no link we saw
   * (a race with a deletion) gets a placeholder that equals no real name, so it reads as "wrong".
   */
  masterOf(link: ObservedLink): string | null {
    if (link.masterIndex === null) return null;
    return this.byIndex.get(link.masterIndex)?.name ?? `#${link.masterIndex}`;
  }

  fdb(device: string): readonly ObservedFdbEntry[] {
    return this.fdbByDevice.get(device) ?? [];
  }
}
