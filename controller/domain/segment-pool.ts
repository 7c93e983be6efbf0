/**
 * Allocation of segmentation ids (VXLAN VNIs, VLAN ids) from configured ranges. Pure: the caller
 * persists claims; this only decides. Memory is proportional to allocated ids, not range size, and
 * the cursor makes each allocation O(1) amortized instead of rescanning from the bottom.
 */
import type { Range } from '../config';

export class SegmentPool {
  private readonly used = new Set<number>();
  private cursorRange = 0;
  private cursor: number;
  private readonly total: number;
  private inPool = 0;

  private readonly ranges: readonly Range[];

  constructor(ranges: readonly Range[]) {
    // Overlapping or touching ranges are merged so capacity counts each id once.
    this.ranges = mergeRanges(ranges);
    this.cursor = this.ranges[0]?.min ?? 0;
    this.total = this.ranges.reduce((n, r) => n + (r.max - r.min + 1), 0);
  }

  inRange(id: number): boolean {
    return this.ranges.some((r) => id >= r.min && id <= r.max);
  }

  isUsed(id: number): boolean {
    return this.used.has(id);
  }

  /** Marks an id taken (a provider network's explicit id may lie outside the tenant ranges). */
  claim(id: number): boolean {
    if (this.used.has(id)) return false;
    this.used.add(id);
    if (this.inRange(id)) this.inPool++;
    return true;
  }

  release(id: number): void {
    if (this.used.delete(id) && this.inRange(id)) this.inPool--;
  }

  /** Next free id from the ranges, or null when every one is taken. */
  allocate(): number | null {
    if (this.inPool >= this.total) return null;
    for (;;) {
      const r = this.ranges[this.cursorRange];
      if (this.cursor > r.max) {
        this.cursorRange = (this.cursorRange + 1) % this.ranges.length;
        this.cursor = this.ranges[this.cursorRange].min;
        continue;
      }
      const id = this.cursor++;
      if (!this.used.has(id)) {
        this.used.add(id);
        this.inPool++;
        return id;
      }
    }
  }
}

function mergeRanges(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a.min - b.min);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.min <= last.max + 1) last.max = Math.max(last.max, r.max);
    else out.push({ min: r.min, max: r.max });
  }
  return out;
}
